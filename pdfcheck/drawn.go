package pdfcheck

import (
	"math"
	"strconv"
)

// Drawn is a widget or other annotation that a revision after a
// certification with P=2 or P=3 adds to a page, or whose appearance it
// changes, and that a viewer draws over the certified page: what the
// "evil annotation" and "sneaky signature" attacks (EAA, SSA: Mladenov et
// al., IEEE S&P 2021) use to show other content on a document that still
// verifies as certified. ISO 32000-1 §12.8.2.2 permits these changes, and
// so Verify does; it reports each one as a warning (Certification.Drawn).
//
// An annotation counts as drawn when a page's /Annots lists it (§12.5.2),
// its /Rect has an area and meets the page's crop box (or media box,
// §14.11.2), its flags (/F, §12.5.3) set neither Hidden (2) nor NoView
// (32), and it has a normal appearance (/AP /N, §12.5.5) or is of a kind
// that viewers draw without one (drawnWithout). A widget of an invisible
// signature (a /Rect of zero area) is not.
type Drawn struct {
	// Revision counts the revisions after the certified one, from 1.
	Revision int
	// Page is the page's number, from 1; Object the annotation's object
	// number (0 for one written in the page's /Annots array itself).
	Page, Object int
	// Subtype is the annotation's kind: "Widget", "FreeText", "Stamp"...
	Subtype string
	// Rect is its /Rect in default user space (points), normalized:
	// lower left x, y, upper right x, y.
	Rect [4]float64
	// OverContent says whether Rect meets what the certified page draws
	// (ContentBox: an estimate that errs towards yes; when the page's
	// content cannot be read, its whole crop box).
	OverContent bool
}

// maxDrawn bounds the annotations Certification.Drawn lists;
// Certification.DrawnCount counts all.
const maxDrawn = 256

// drawnWithout are the annotation kinds that viewers draw from their own
// entries when they have no appearance stream (ISO 32000-1 §12.5.6: the
// markup annotations; pdf.js and Acrobat make their appearance). A widget
// without one is drawn too unless it is a signature field's: a viewer
// draws a text or choice field's value (drawnField).
var drawnWithout = map[Name]bool{
	"Text": true, "FreeText": true, "Line": true, "Square": true, "Circle": true, "Polygon": true,
	"PolyLine": true, "Highlight": true, "Underline": true, "Squiggly": true, "StrikeOut": true,
	"Stamp": true, "Caret": true, "Ink": true, "FileAttachment": true, "Sound": true, "Redact": true,
}

// drawnMark is an annotation that a revision adds or whose appearance it
// changes, to be checked for being drawn: its object number (0 when
// direct), its dictionary in the revision, and its page's object number
// when known (0: found from the pages' /Annots).
type drawnMark struct {
	num, page int
	annot     *Dict
}

// mark records o, in cur, as an annotation added or changed on the page
// whose object number is page (0 when not known).
func (d *diff) mark(o Object, page int) {
	a, err := d.cur.DictOf(o)
	if err != nil || a == nil {
		return
	}
	r, _ := o.(Ref)
	d.marks = append(d.marks, drawnMark{num: r.Num, page: page, annot: a})
}

// markField records the widgets of a form field or widget num whose
// value or appearance a revision changed: num itself when it is a widget,
// else its /Kids that are.
func (d *diff) markField(num int, now *Dict) {
	if isAnnot(now) {
		d.mark(Ref{Num: num}, 0)
		return
	}
	kids, err := d.cur.Resolve(now.Get("Kids"))
	list, _ := kids.(Array)
	for _, k := range list {
		if kd, e := d.cur.DictOf(k); err == nil && e == nil && kd != nil && isAnnot(kd) {
			d.mark(k, 0)
		}
	}
}

// pageAnnots maps each annotation of f's pages, by object number, to its
// page's object number, and each page's object number to its number from
// 1, in the order of the pages tree (maxPages pages, maxAnnots
// annotations at most).
func pageAnnots(f *File) (owner, number map[int]int) {
	owner, number = map[int]int{}, map[int]int{}
	catalog, err := f.DictOf(f.Trailer.Get("Root"))
	if err != nil {
		return owner, number
	}
	seen := map[int]bool{}
	var walk func(o Object, depth int)
	walk = func(o Object, depth int) {
		r, ok := o.(Ref)
		if !ok || seen[r.Num] || depth > MaxDepth || len(seen) >= maxPages || len(owner) >= maxAnnots {
			return
		}
		seen[r.Num] = true
		n, err := f.DictOf(r)
		if err != nil || n == nil {
			return
		}
		if n.Get("Type") == Name("Page") || n.Get("Kids") == nil {
			number[r.Num] = len(number) + 1
			annots, _ := f.Resolve(n.Get("Annots"))
			list, _ := annots.(Array)
			for _, a := range list {
				if ar, ok := a.(Ref); ok {
					owner[ar.Num] = r.Num
				}
			}
			return
		}
		kids, _ := f.Resolve(n.Get("Kids"))
		list, _ := kids.(Array)
		for _, k := range list {
			walk(k, depth+1)
		}
	}
	walk(catalog.Get("Pages"), 0)
	return owner, number
}

// drawnOf returns, of the annotations d marked in revision rev, those a
// viewer draws over their page; contents holds the certified pages'
// content areas, by page object number, filled as they are read.
func (d *diff) drawnOf(rev int, contents map[int]Rect) []Drawn {
	if len(d.marks) == 0 {
		return nil
	}
	owner, number := pageAnnots(d.cur)
	var out []Drawn
	seen := map[int]bool{}
	for _, m := range d.marks {
		if m.num != 0 && seen[m.num] {
			continue
		}
		seen[m.num] = true
		page := m.page
		if p, ok := owner[m.num]; m.num != 0 && ok {
			page = p
		} else if m.num != 0 {
			continue // no page lists it: no viewer draws it
		}
		pd, err := d.cur.DictOf(Ref{Num: page})
		if err != nil || pd == nil {
			continue
		}
		r, ok := d.drawn(m.annot, pd)
		if !ok {
			continue
		}
		content, ok := contents[page]
		if !ok {
			content = ContentBox(d.certified, page)
			contents[page] = content
		}
		out = append(out, Drawn{Revision: rev, Page: number[page], Object: m.num, Subtype: subtype(m.annot),
			Rect: r, OverContent: r.meets(content)})
	}
	return out
}

// drawn returns the annotation a's /Rect, and whether a viewer draws it
// on the page pd (Drawn).
func (d *diff) drawn(a, pd *Dict) (Rect, bool) {
	if flags, _ := d.cur.Resolve(a.Get("F")); flags != nil {
		if f, ok := asInt(flags); ok && f&(2|32) != 0 {
			return Rect{}, false
		}
	}
	ro, _ := d.cur.Resolve(a.Get("Rect"))
	r, ok := rectOf(ro)
	if !ok || r.empty() || !r.meets(pageBox(d.cur, pd)) {
		return Rect{}, false
	}
	ap, _ := d.cur.DictOf(a.Get("AP"))
	if n, _ := d.cur.Resolve(ap.Get("N")); n != nil {
		return r, true
	}
	if a.Get("Subtype") == Name("Widget") {
		return r, !d.isSigField(a)
	}
	sub, _ := a.Get("Subtype").(Name)
	return r, drawnWithout[sub]
}

// Rect is a rectangle in default user space: lower left x, y, upper right
// x, y.
type Rect [4]float64

// rectOf reads a rectangle array (ISO 32000-1 §7.9.5), normalized.
func rectOf(o Object) (Rect, bool) {
	a, ok := o.(Array)
	if !ok || len(a) != 4 {
		return Rect{}, false
	}
	var v [4]float64
	for i, e := range a {
		if v[i], ok = asFloat(e); !ok {
			return Rect{}, false
		}
	}
	return Rect{min(v[0], v[2]), min(v[1], v[3]), max(v[0], v[2]), max(v[1], v[3])}, true
}

func (r Rect) empty() bool { return !(r[2] > r[0] && r[3] > r[1]) }

// meets reports whether r and s share an area.
func (r Rect) meets(s Rect) bool {
	return !r.empty() && !s.empty() && min(r[2], s[2]) > max(r[0], s[0]) && min(r[3], s[3]) > max(r[1], s[1])
}

// union is the smallest rectangle holding r and s (an empty r is none).
func (r Rect) union(s Rect) Rect {
	if r.empty() {
		return s
	}
	return Rect{min(r[0], s[0]), min(r[1], s[1]), max(r[2], s[2]), max(r[3], s[3])}
}

// everywhere stands for a page box not read: it meets any rectangle.
var everywhere = Rect{-math.MaxFloat64, -math.MaxFloat64, math.MaxFloat64, math.MaxFloat64}

// pageBox is the page's crop box within its media box, inherited through
// the pages tree (ISO 32000-1 §7.7.3.4, §14.11.2); everywhere when
// neither can be read.
func pageBox(f *File, pd *Dict) Rect {
	var media, crop Object
	for n, depth := pd, 0; n != nil && depth < MaxDepth && (media == nil || crop == nil); depth++ {
		if media == nil {
			media, _ = f.Resolve(n.Get("MediaBox"))
		}
		if crop == nil {
			crop, _ = f.Resolve(n.Get("CropBox"))
		}
		n, _ = f.DictOf(n.Get("Parent"))
	}
	m, ok := rectOf(media)
	if !ok {
		return everywhere
	}
	if c, ok := rectOf(crop); ok {
		return Rect{max(m[0], c[0]), max(m[1], c[1]), min(m[2], c[2]), min(m[3], c[3])}
	}
	return m
}

// asFloat reads a number, finite.
func asFloat(o Object) (float64, bool) {
	n, ok := o.(Number)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(n), 64)
	return v, err == nil && !math.IsInf(v, 0) && !math.IsNaN(v)
}
