package pdfcheck

import "fmt"

// maxLinkPages bounds the pages Links reads.
const maxLinkPages = 1000

// Links returns the addresses of the URI links of the PDF b's pages (ISO
// 32000-1 §12.5.6.5 link annotations with a §12.6.4.7 URI action), in
// page order, each once: in a certificate Custos renders, the QR code's
// link to its public verification page (Document.VerifyURL), where its
// current status shows. Read from a PDF whose signature Verify found to
// cover the whole file, they are part of what was signed.
func Links(b []byte) ([]string, error) {
	f, err := ParseFile(b)
	if err != nil {
		return nil, err
	}
	cat, err := f.DictOf(f.Trailer.Get("Root"))
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for n := 1; n <= maxLinkPages; n++ {
		page, err := NthPage(f, cat, n)
		if err != nil {
			break // past the last page
		}
		d, err := f.DictOf(page)
		if err != nil {
			return nil, err
		}
		annots, err := f.Resolve(d.Get("Annots"))
		if err != nil {
			return nil, err
		}
		list, _ := annots.(Array)
		for _, a := range list {
			uri, err := linkURI(f, a)
			if err != nil {
				return nil, err
			}
			if uri != "" && !seen[uri] {
				seen[uri] = true
				out = append(out, uri)
			}
		}
	}
	return out, nil
}

// linkURI is the address of annotation a if it is a link with a URI
// action, else "".
func linkURI(f *File, a Object) (string, error) {
	d, err := f.DictOf(a)
	if err != nil {
		return "", fmt.Errorf("%w: an annotation is not a dictionary", ErrMalformed)
	}
	if d.Get("Subtype") != Name("Link") || d.Get("A") == nil {
		return "", nil
	}
	action, err := f.DictOf(d.Get("A"))
	if err != nil || action.Get("S") != Name("URI") {
		return "", nil
	}
	uri, err := f.Resolve(action.Get("URI"))
	if err != nil {
		return "", err
	}
	s, _ := uri.(Str)
	return string(s.Bytes), nil
}
