package pdfcheck

import "bytes"

// Comparison of parsed objects, for CheckChanges: what a revision changes
// in an object, and what kind of object it was.

// changedKeys lists the keys whose values differ between a and b, in
// order, those of a first.
func changedKeys(a, b *Dict) []Name {
	var out []Name
	for _, k := range a.Keys {
		if !equal(a.Map[k], b.Get(k), 0) {
			out = append(out, k)
		}
	}
	for _, k := range b.Keys {
		if _, ok := a.Map[k]; !ok && b.Map[k] != nil {
			out = append(out, k)
		}
	}
	return out
}

// setDiff returns the elements of b not in a, and of a not in b:
// references as a set, other elements by their place.
func setDiff(a, b Array) (added, removed Array) {
	refs := func(s Array) map[Ref]bool {
		m := map[Ref]bool{}
		for _, o := range s {
			if r, ok := o.(Ref); ok {
				m[r] = true
			}
		}
		return m
	}
	ra, rb := refs(a), refs(b)
	other := func(s, t Array, in map[Ref]bool) (out Array) {
		for i, o := range s {
			if r, ok := o.(Ref); ok && !in[r] || !ok && (i >= len(t) || !equal(o, t[i], 0)) {
				out = append(out, o)
			}
		}
		return out
	}
	return other(b, a, ra), other(a, b, rb)
}

// equal reports whether two parsed objects are the same PDF value.
func equal(a, b Object, depth int) bool {
	if depth > MaxDepth {
		return false
	}
	switch a := a.(type) {
	case nil:
		return b == nil
	case Name, keyword, Number, Ref:
		return a == b
	case Str:
		s, ok := b.(Str)
		return ok && bytes.Equal(a.Bytes, s.Bytes)
	case Array:
		c, ok := b.(Array)
		return ok && len(a) == len(c) && equalArrays(a, c, depth)
	case *Dict:
		c, ok := b.(*Dict)
		return ok && equalDicts(a, c, depth)
	case *Stream:
		c, ok := b.(*Stream)
		return ok && bytes.Equal(a.Raw, c.Raw) && equalDicts(a.Dict, c.Dict, depth)
	}
	return false
}

func equalArrays(a, b Array, depth int) bool {
	for i := range a {
		if !equal(a[i], b[i], depth+1) {
			return false
		}
	}
	return true
}

func equalDicts(a, b *Dict, depth int) bool {
	if len(a.Map) != len(b.Map) {
		return false
	}
	for k, v := range a.Map {
		w, ok := b.Map[k]
		if !ok || !equal(v, w, depth+1) {
			return false
		}
	}
	return true
}

// isType reports whether o is a dictionary or stream of /Type t.
func isType(o Object, t Name) bool {
	switch v := o.(type) {
	case *Dict:
		return v.Get("Type") == t
	case *Stream:
		return v.Dict.Get("Type") == t
	}
	return false
}

// isAnnot reports whether d is an annotation (ISO 32000-1 §12.5.2): of
// /Type /Annot, or with a /Subtype and a /Rect.
func isAnnot(d *Dict) bool {
	_, sub := d.Get("Subtype").(Name)
	return d.Get("Type") == Name("Annot") || sub && d.Get("Rect") != nil
}

func subtype(d *Dict) string {
	s, _ := d.Get("Subtype").(Name)
	return string(s)
}

// describe names what an object is, for a refusal.
func describe(o Object) string {
	switch v := o.(type) {
	case *Stream:
		if t, ok := v.Dict.Get("Type").(Name); ok {
			return "a /" + string(t) + " stream"
		}
		if s, ok := v.Dict.Get("Subtype").(Name); ok {
			return "a /" + string(s) + " stream"
		}
		return "a stream (page content or other data)"
	case *Dict:
		if t, ok := v.Get("Type").(Name); ok {
			return "a /" + string(t) + " dictionary"
		}
		if isAnnot(v) {
			return "a /" + subtype(v) + " annotation"
		}
		return "a dictionary"
	case Array:
		return "an array"
	}
	return "an object"
}
