package pdf

import "bytes"

// Comparison of parsed objects, for checkChanges: what a revision changes
// in an object, and what kind of object it was.

// changedKeys lists the keys whose values differ between a and b, in
// order, those of a first.
func changedKeys(a, b *dict) []name {
	var out []name
	for _, k := range a.keys {
		if !equal(a.m[k], b.get(k), 0) {
			out = append(out, k)
		}
	}
	for _, k := range b.keys {
		if _, ok := a.m[k]; !ok && b.m[k] != nil {
			out = append(out, k)
		}
	}
	return out
}

// setDiff returns the elements of b not in a, and of a not in b:
// references as a set, other elements by their place.
func setDiff(a, b array) (added, removed array) {
	refs := func(s array) map[ref]bool {
		m := map[ref]bool{}
		for _, o := range s {
			if r, ok := o.(ref); ok {
				m[r] = true
			}
		}
		return m
	}
	ra, rb := refs(a), refs(b)
	other := func(s, t array, in map[ref]bool) (out array) {
		for i, o := range s {
			if r, ok := o.(ref); ok && !in[r] || !ok && (i >= len(t) || !equal(o, t[i], 0)) {
				out = append(out, o)
			}
		}
		return out
	}
	return other(b, a, ra), other(a, b, rb)
}

// equal reports whether two parsed objects are the same PDF value.
func equal(a, b object, depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch a := a.(type) {
	case nil:
		return b == nil
	case name, keyword, number, ref:
		return a == b
	case str:
		s, ok := b.(str)
		return ok && bytes.Equal(a.b, s.b)
	case array:
		c, ok := b.(array)
		return ok && len(a) == len(c) && equalArrays(a, c, depth)
	case *dict:
		c, ok := b.(*dict)
		return ok && equalDicts(a, c, depth)
	case *stream:
		c, ok := b.(*stream)
		return ok && bytes.Equal(a.raw, c.raw) && equalDicts(a.dict, c.dict, depth)
	}
	return false
}

func equalArrays(a, b array, depth int) bool {
	for i := range a {
		if !equal(a[i], b[i], depth+1) {
			return false
		}
	}
	return true
}

func equalDicts(a, b *dict, depth int) bool {
	if len(a.m) != len(b.m) {
		return false
	}
	for k, v := range a.m {
		w, ok := b.m[k]
		if !ok || !equal(v, w, depth+1) {
			return false
		}
	}
	return true
}

// isType reports whether o is a dictionary or stream of /Type t.
func isType(o object, t name) bool {
	switch v := o.(type) {
	case *dict:
		return v.get("Type") == t
	case *stream:
		return v.dict.get("Type") == t
	}
	return false
}

// isAnnot reports whether d is an annotation (ISO 32000-1 §12.5.2): of
// /Type /Annot, or with a /Subtype and a /Rect.
func isAnnot(d *dict) bool {
	_, sub := d.get("Subtype").(name)
	return d.get("Type") == name("Annot") || sub && d.get("Rect") != nil
}

func subtype(d *dict) string {
	s, _ := d.get("Subtype").(name)
	return string(s)
}

// describe names what an object is, for a refusal.
func describe(o object) string {
	switch v := o.(type) {
	case *stream:
		if t, ok := v.dict.get("Type").(name); ok {
			return "a /" + string(t) + " stream"
		}
		if s, ok := v.dict.get("Subtype").(name); ok {
			return "a /" + string(s) + " stream"
		}
		return "a stream (page content or other data)"
	case *dict:
		if t, ok := v.get("Type").(name); ok {
			return "a /" + string(t) + " dictionary"
		}
		if isAnnot(v) {
			return "a /" + subtype(v) + " annotation"
		}
		return "a dictionary"
	case array:
		return "an array"
	}
	return "an object"
}
