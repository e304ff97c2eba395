package pdfcheck

import "fmt"

// AcroForm returns a copy of the catalog's interactive form dictionary, and
// its reference when it is an indirect object.
func AcroForm(f *File, catalog *Dict) (*Dict, Ref, error) {
	o := catalog.Get("AcroForm")
	if o == nil {
		return NewDict(), Ref{}, nil
	}
	d, err := f.DictOf(o)
	if err != nil {
		return nil, Ref{}, err
	}
	r, _ := o.(Ref)
	return d.Clone(), r, nil
}

// NthPage descends the page tree (ISO 32000-1 §7.7.3) to page n, counted
// from 1, by the /Count of its nodes.
func NthPage(f *File, catalog *Dict, n int) (Ref, error) {
	node, ok := catalog.Get("Pages").(Ref)
	for depth := 0; ok && depth < MaxDepth && n >= 1; depth++ {
		d, err := f.DictOf(node)
		if err != nil {
			return Ref{}, err
		}
		if d.Get("Type") == Name("Page") {
			if n == 1 {
				return node, nil
			}
			break
		}
		kids, err := f.Resolve(d.Get("Kids"))
		if err != nil {
			return Ref{}, err
		}
		a, _ := kids.(Array)
		ok = false
		for _, k := range a {
			kr, isRef := k.(Ref)
			if !isRef {
				break
			}
			kd, err := f.DictOf(kr)
			if err != nil {
				return Ref{}, err
			}
			count := int64(1)
			if kd.Get("Type") != Name("Page") {
				c, _ := kd.Get("Count").(Number)
				if count, _ = c.int(); count < 1 {
					count = 1
				}
			}
			if int64(n) <= count {
				node, ok = kr, true
				break
			}
			n -= int(count)
		}
	}
	return Ref{}, fmt.Errorf("%w: no page %d", ErrMalformed, n)
}
