package pdfcheck

import (
	"bytes"
	"fmt"
	"slices"
)

// maxLaterRevisions bounds the revisions after a certified one that
// CheckChanges reads, and maxEOFs the "%%EOF" markers after it (a marker
// can stand in a stream); a file with more is refused.
const (
	maxLaterRevisions = 64
	maxEOFs           = 4 * maxLaterRevisions
)

// CheckChanges checks, revision by revision, what each revision after the
// revision certified with c.Level 2 or 3 changes (ISO 32000-1 §12.8.2.2,
// Table 254; §7.5.6 incremental updates). It compares each object that a
// revision's cross-reference section adds or redefines with its value in
// the revision before, and permits, conservatively:
//
//   - new objects (but for numbers that were free or missing below the
//     previous /Size, and those the certified revision refers to without
//     defining them, which its references would then name);
//   - in the catalog, changes of /AcroForm and /DSS only;
//   - in the interactive form, signature fields added to /Fields, and
//     /SigFlags, /DR and /DA changed;
//   - in a page, widgets of signature fields added to /Annots (with P=3,
//     any annotation added or removed); an added signature field or
//     widget may have no action (/A, /AA: hasAction);
//   - in a form field or widget, /V, /AS and /AP changed (a signature field
//     given its first /V: signing it);
//   - objects of the DSS that a revision after the certified one added;
//   - with P=3, annotations other than widgets changed or deleted.
//
// Anything else, a page's content, the pages tree, another catalog entry
// or a replaced object stream among them, is a *ChangeError naming the
// revision and the object. Page templates are not supported: instantiating
// one is refused too. Of the widgets and annotations added, or whose
// appearance changed, those a viewer draws over their page are returned,
// the first maxDrawn (Drawn; c.Drawn counts them all).
func CheckChanges(pdf []byte, c Certification) (_ Certification, drawn []Drawn, err error) {
	certified, err := ParseFile(pdf[:c.Length])
	if err != nil {
		return c, nil, &ChangeError{Level: c.Level, End: c.Length, What: fmt.Sprintf("the certified revision cannot be read (%v)", err)}
	}
	prev, start, rev := certified, c.Length, 0
	var dangling map[int]bool
	contents := map[int]Rect{} // the certified pages' content areas
	ends := revisionEnds(pdf, c.Length)
	if len(ends) > maxEOFs {
		return c, nil, &ChangeError{Level: c.Level, Start: c.Length, End: int64(len(pdf)),
			What: fmt.Sprintf("more than %d end-of-file markers after the certified revision", maxEOFs)}
	}
	for _, end := range ends {
		cur, err := ParseFile(pdf[:end])
		if err != nil && end < int64(len(pdf)) {
			continue // an "%%EOF" that ends no revision (in a stream)
		}
		rev++
		ce := &ChangeError{Level: c.Level, Revision: rev, Start: start, End: end}
		if err != nil {
			ce.What = fmt.Sprintf("the revision cannot be read (%v)", err)
			return c, nil, ce
		}
		if rev > maxLaterRevisions {
			ce.What = fmt.Sprintf("more than %d revisions after the certified one", maxLaterRevisions)
			return c, nil, ce
		}
		if dangling == nil {
			dangling = danglingRefs(certified)
		}
		d := &diff{certified: certified, prev: prev, cur: cur, level: c.Level, dangling: dangling}
		if ce.Object, ce.What = d.check(); ce.What != "" {
			return c, nil, ce
		}
		c.Changes |= d.changes
		for _, dr := range d.drawnOf(rev, contents) {
			if c.Drawn++; len(drawn) < maxDrawn {
				drawn = append(drawn, dr)
			}
		}
		prev, start = cur, end
	}
	c.Revisions = rev
	return c, drawn, nil
}

// revisionEnds are the ends of the revisions after the first certified
// bytes: each "%%EOF" marker's end of line after it, and the file's end.
func revisionEnds(pdf []byte, certified int64) []int64 {
	var ends []int64
	for off := certified; ; {
		i := bytes.Index(pdf[off:], []byte("%%EOF"))
		if i < 0 {
			break
		}
		off += int64(i) + int64(len("%%EOF"))
		if off < int64(len(pdf)) && pdf[off] == '\r' {
			off++
		}
		if off < int64(len(pdf)) && pdf[off] == '\n' {
			off++
		}
		if off < int64(len(pdf)) {
			ends = append(ends, off)
		}
	}
	return append(ends, int64(len(pdf)))
}

// diff compares a revision, cur, with the one before it, prev.
type diff struct {
	certified, prev, cur *File
	level                int
	changes              Changes
	annotsOwner          map[int]int // an indirect /Annots array → its page, in prev
	formParts            map[int]bool
	dssParts             map[int]bool
	dangling             map[int]bool // numbers the certified revision refers to and does not define
	marks                []drawnMark  // annotations added, or whose appearance changed (drawn.go)
}

// check returns the first object whose change is not permitted and why, or
// "" when every change is permitted.
func (d *diff) check() (int, string) {
	root, ok1 := d.prev.Trailer.Get("Root").(Ref)
	curRoot, ok2 := d.cur.Trailer.Get("Root").(Ref)
	if !ok1 || !ok2 || root.Num != curRoot.Num {
		return 0, "the trailer's /Root is changed"
	}
	size, _ := d.prev.Size()
	for _, num := range d.changed() {
		if pe, ok := d.prev.Xref[num]; ok && (pe.inStream || pe.offset >= 0) {
			// A reference names an object by its number and generation
			// (ISO 32000-1 §7.3.10): given another generation, the object
			// is null to the references that named it, whatever its value.
			if e := d.cur.Xref[num]; !e.inStream && e.offset >= 0 && e.gen != pe.gen {
				return num, fmt.Sprintf("its generation number is changed from %d to %d, so that the references to it find nothing", pe.gen, e.gen)
			}
		}
		old, err := d.prev.Object(num)
		if err != nil {
			return num, fmt.Sprintf("its previous value cannot be read (%v)", err)
		}
		now, err := d.cur.Object(num)
		if err != nil {
			return num, fmt.Sprintf("it cannot be read (%v)", err)
		}
		if k := keyTwice(now, 0); k != "" {
			return num, fmt.Sprintf("a dictionary in it has the key /%s twice, which readers resolve differently", k)
		}
		if why := d.object(num, root.Num, size, old, now); why != "" {
			return num, why
		}
	}
	return 0, ""
}

// changed lists, in order, the objects whose cross-reference entry differs
// between prev and cur: those the revision adds, redefines or frees.
func (d *diff) changed() []int {
	var nums []int
	for num, e := range d.cur.Xref {
		if pe, ok := d.prev.Xref[num]; (!ok && (e.inStream || e.offset >= 0)) || (ok && pe != e) {
			nums = append(nums, num)
		}
	}
	slices.Sort(nums)
	return nums
}

// object says why the change of object num from old to now is not
// permitted, or "".
func (d *diff) object(num, root, size int, old, now Object) string {
	switch {
	case equal(old, now, 0):
		return ""
	case old == nil && num < size && num > 0:
		return "an object number free in the previous revision is given a value"
	case old == nil && d.dangling[num]:
		return "an object that the certified revision refers to but does not define is given a value"
	case old == nil:
		if isType(now, "Sig") || isType(now, "DocTimeStamp") {
			d.changes |= ChangeSignatures
		}
		return "" // a new object, reachable only through a change checked here
	case isType(old, "ObjStm"):
		return "an object stream of an earlier revision is replaced"
	case num == root:
		return d.catalog(old, now)
	case d.isFormPart(num):
		return d.form()
	case d.isDSSPart(num):
		d.changes |= ChangeDSS
		return ""
	case isType(old, "Page"):
		return d.page(num, old, now)
	case isType(old, "Pages"):
		return "the pages tree is changed"
	}
	od, _ := old.(*Dict)
	nd, _ := now.(*Dict)
	if od != nil && nd != nil && (od.Get("FT") != nil || od.Get("Subtype") == Name("Widget")) {
		return d.field(num, od, nd)
	}
	if od != nil && nd != nil && d.level == 3 && isAnnot(od) && isAnnot(nd) && od.Get("Subtype") != Name("Widget") && nd.Get("Subtype") != Name("Widget") {
		d.changes |= ChangeAnnotations
		d.mark(Ref{Num: num}, 0)
		return ""
	}
	if now == nil && d.level == 3 && od != nil && isAnnot(od) && od.Get("Subtype") != Name("Widget") {
		d.changes |= ChangeAnnotations
		return ""
	}
	if arr, ok := old.(Array); ok {
		if page, ok := d.owner()[num]; ok {
			return d.annots(page, page, arr, now)
		}
	}
	if now == nil {
		return "deleted: " + describe(old)
	}
	return "changed: " + describe(old)
}

// catalog checks a changed catalog: only /AcroForm and /DSS may change.
func (d *diff) catalog(old, now Object) string {
	od, ok1 := old.(*Dict)
	nd, ok2 := now.(*Dict)
	if !ok1 || !ok2 {
		return "the catalog is not a dictionary"
	}
	for _, k := range changedKeys(od, nd) {
		switch k {
		case "AcroForm":
			if why := d.form(); why != "" {
				return why
			}
		case "DSS":
			d.changes |= ChangeDSS
		default:
			return fmt.Sprintf("the catalog's /%s is changed", k)
		}
	}
	return ""
}

// AcroFormOf returns f's interactive form dictionary, its object number and
// that of its /Fields array (0 when direct), and the fields.
func AcroFormOf(f *File) (form *Dict, nums []int, fields Array, err error) {
	catalog, err := f.DictOf(f.Trailer.Get("Root"))
	if err != nil {
		return nil, nil, nil, err
	}
	o := catalog.Get("AcroForm")
	if r, ok := o.(Ref); ok {
		nums = append(nums, r.Num)
	}
	if form, err = f.DictOf(o); err != nil || o == nil {
		return NewDict(), nums, nil, nil
	}
	if r, ok := form.Get("Fields").(Ref); ok {
		nums = append(nums, r.Num)
	}
	fo, err := f.Resolve(form.Get("Fields"))
	fields, _ = fo.(Array)
	return form, nums, fields, err
}

// isFormPart reports whether num is the interactive form dictionary or its
// /Fields array, in prev and in cur.
func (d *diff) isFormPart(num int) bool {
	if d.formParts == nil {
		d.formParts = map[int]bool{}
		_, a, _, err1 := AcroFormOf(d.prev)
		_, b, _, err2 := AcroFormOf(d.cur)
		for _, n := range a {
			d.formParts[n] = err1 == nil && err2 == nil && slices.Contains(b, n)
		}
	}
	return d.formParts[num]
}

// form checks the interactive form (ISO 32000-1 §12.7.2): fields may be
// added if they are signature fields, none removed; /SigFlags, /DR and /DA
// may change.
func (d *diff) form() string {
	od, _, oldFields, err1 := AcroFormOf(d.prev)
	nd, _, newFields, err2 := AcroFormOf(d.cur)
	if err1 != nil || err2 != nil {
		return "the interactive form cannot be read"
	}
	for _, k := range changedKeys(od, nd) {
		switch k {
		case "Fields":
		case "SigFlags":
			d.changes |= ChangeSignatures
		case "DR", "DA":
			d.changes |= ChangeForms
		default:
			return fmt.Sprintf("the interactive form's /%s is changed", k)
		}
	}
	added, removed := setDiff(oldFields, newFields)
	if len(removed) > 0 {
		return "a form field is removed from the interactive form"
	}
	for _, o := range added {
		if !d.isSigField(o) {
			return "a form field that is not a signature field is added to the interactive form"
		}
		if d.hasAction(o, 0) {
			return "a signature field with an action (/A or /AA) is added to the interactive form"
		}
		d.changes |= ChangeSignatures
	}
	return ""
}

// hasAction reports whether o, in cur, a signature field or widget added
// after the certification, or one of its /Kids, has an action (ISO
// 32000-1 §12.6: /A, or /AA triggered on opening a page or on focus),
// which a viewer runs and which could change what the certified document
// shows: signing permits none.
func (d *diff) hasAction(o Object, depth int) bool {
	f, err := d.cur.DictOf(o)
	if err != nil || depth > MaxDepth {
		return false
	}
	if f.Get("A") != nil || f.Get("AA") != nil {
		return true
	}
	kids, err := d.cur.Resolve(f.Get("Kids"))
	list, _ := kids.(Array)
	for _, k := range list {
		if err == nil && d.hasAction(k, depth+1) {
			return true
		}
	}
	return false
}

// isSigField reports whether o is, in cur, a signature field, or a widget
// whose field (its /Parent) is one.
func (d *diff) isSigField(o Object) bool {
	for depth := 0; depth < MaxDepth; depth++ {
		f, err := d.cur.DictOf(o)
		if err != nil {
			return false
		}
		if ft := f.Get("FT"); ft != nil {
			return ft == Name("Sig")
		}
		if o = f.Get("Parent"); o == nil {
			return false
		}
	}
	return false
}

// field checks a changed form field or widget, object num: /V, /AS and
// /AP may change (filling it in); a signature field's /V, its signature,
// may be set once. The widgets of a field whose appearance, or value but
// for a signature, changed are marked (mark), to be reported when drawn.
func (d *diff) field(num int, old, now *Dict) string {
	sig := old.Get("FT") == Name("Sig")
	for _, k := range changedKeys(old, now) {
		switch {
		case k == "V" && sig && old.Get("V") == nil:
			d.changes |= ChangeSignatures
		case k == "V" && sig:
			return "a signature field's signature is replaced"
		case k == "V" || k == "AS" || k == "AP":
			d.changes |= ChangeForms
		default:
			return fmt.Sprintf("a form field's /%s is changed", k)
		}
	}
	for _, k := range changedKeys(old, now) {
		// A signature put in a field keeps the appearance certified.
		if k == "AS" || k == "AP" || k == "V" && !sig {
			d.markField(num, now)
			break
		}
	}
	return ""
}

// page checks a changed page, object num: only its /Annots may change.
func (d *diff) page(num int, old, now Object) string {
	od, ok1 := old.(*Dict)
	nd, ok2 := now.(*Dict)
	if !ok1 || !ok2 {
		return "a page is not a dictionary"
	}
	for _, k := range changedKeys(od, nd) {
		if k != "Annots" {
			return fmt.Sprintf("a page's /%s is changed", k)
		}
	}
	oa, err := d.prev.Resolve(od.Get("Annots"))
	if err != nil {
		return "a page's annotations cannot be read"
	}
	list, _ := oa.(Array)
	na, err := d.cur.Resolve(nd.Get("Annots"))
	if err != nil {
		return "a page's annotations cannot be read"
	}
	return d.annots(0, num, list, na)
}

// annots checks a page's changed /Annots: widgets of signature fields may
// be added; with P=3, other annotations added and removed. page names the
// page in a refusal (0: not named); those added are marked as on the page
// whose object number is at.
func (d *diff) annots(page, at int, old Array, now Object) string {
	list, ok := now.(Array)
	if !ok && now != nil {
		return "a page's /Annots is not an array"
	}
	added, removed := setDiff(old, list)
	for _, o := range removed {
		a, err := d.prev.DictOf(o)
		if d.level < 3 || err != nil || !isAnnot(a) || a.Get("Subtype") == Name("Widget") {
			return "an annotation is removed from a page" + pageName(page)
		}
		d.changes |= ChangeAnnotations
	}
	for _, o := range added {
		a, err := d.cur.DictOf(o)
		switch {
		case err != nil || !isAnnot(a):
			return "an object that is not an annotation is added to a page's /Annots" + pageName(page)
		case a.Get("Subtype") == Name("Widget") && d.isSigField(o) && d.hasAction(o, 0):
			return "a widget of a signature field with an action (/A or /AA) is added to a page" + pageName(page)
		case a.Get("Subtype") == Name("Widget") && d.isSigField(o):
			d.changes |= ChangeSignatures
			d.mark(o, at)
		case a.Get("Subtype") == Name("Widget"):
			return "a widget of a field that is not a signature field is added to a page" + pageName(page)
		case d.level < 3:
			return fmt.Sprintf("a /%s annotation is added to a page%s", subtype(a), pageName(page))
		default:
			d.changes |= ChangeAnnotations
			d.mark(o, at)
		}
	}
	return ""
}

func pageName(page int) string {
	if page == 0 {
		return ""
	}
	return fmt.Sprintf(" (object %d)", page)
}

// maxPages bounds the pages owner reads.
const maxPages = 10000

// owner maps each indirect /Annots array of prev's pages to its page.
func (d *diff) owner() map[int]int {
	if d.annotsOwner != nil {
		return d.annotsOwner
	}
	d.annotsOwner = map[int]int{}
	catalog, err := d.prev.DictOf(d.prev.Trailer.Get("Root"))
	if err != nil {
		return d.annotsOwner
	}
	seen := map[int]bool{}
	stack := []Object{catalog.Get("Pages")}
	for len(stack) > 0 && len(seen) < maxPages {
		o := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		r, ok := o.(Ref)
		if !ok || seen[r.Num] {
			continue
		}
		seen[r.Num] = true
		n, err := d.prev.DictOf(r)
		if err != nil {
			continue
		}
		if a, ok := n.Get("Annots").(Ref); ok {
			d.annotsOwner[a.Num] = r.Num
		}
		if kids, err := d.prev.Resolve(n.Get("Kids")); err == nil {
			k, _ := kids.(Array)
			stack = append(stack, k...)
		}
	}
	return d.annotsOwner
}

// isDSSPart reports whether num is a part of the document security store
// (ETSI EN 319 142-1 §5.4.2: the /DSS dictionary, its /VRI, their arrays
// and streams) in prev and in cur, added after the certified revision: an
// object the certified revision holds changes as what it is there.
func (d *diff) isDSSPart(num int) bool {
	if e, ok := d.certified.Xref[num]; ok && (e.inStream || e.offset >= 0) {
		return false
	}
	if d.dssParts == nil {
		d.dssParts = dssParts(d.prev)
		now := dssParts(d.cur)
		for n := range d.dssParts {
			d.dssParts[n] = now[n]
		}
	}
	return d.dssParts[num]
}

// danglingRefs returns the numbers of the objects that objects of f refer
// to and f does not define (null, ISO 32000-1 §7.3.10): a later revision
// that defines one changes what the certified revision shows.
func danglingRefs(f *File) map[int]bool {
	out := map[int]bool{}
	defined := func(num int) bool {
		e, ok := f.Xref[num]
		return ok && (e.inStream || e.offset >= 0)
	}
	var walk func(o Object, depth int)
	walk = func(o Object, depth int) {
		if depth > MaxDepth {
			return
		}
		switch v := o.(type) {
		case Ref:
			if !defined(v.Num) {
				out[v.Num] = true
			}
		case Array:
			for _, e := range v {
				walk(e, depth+1)
			}
		case *Dict:
			for _, k := range v.Keys {
				walk(v.Map[k], depth+1)
			}
		case *Stream:
			walk(v.Dict, depth+1)
		}
	}
	for num := range f.Xref {
		if o, err := f.Object(num); err == nil {
			walk(o, 0)
		}
	}
	return out
}

// maxDSSParts bounds the objects dssParts collects.
const maxDSSParts = 1 << 16

// dssParts returns the object numbers of f's document security store.
func dssParts(f *File) map[int]bool {
	parts := map[int]bool{}
	catalog, err := f.DictOf(f.Trailer.Get("Root"))
	if err != nil {
		return parts
	}
	var walk func(o Object, depth int)
	walk = func(o Object, depth int) {
		if r, ok := o.(Ref); ok {
			if parts[r.Num] || len(parts) >= maxDSSParts {
				return
			}
			parts[r.Num] = true
		}
		if depth > 3 {
			return
		}
		v, err := f.Resolve(o)
		if err != nil {
			return
		}
		switch v := v.(type) {
		case Array:
			for _, e := range v {
				walk(e, depth+1)
			}
		case *Dict:
			for _, k := range v.Keys {
				walk(v.Map[k], depth+1)
			}
		}
	}
	walk(catalog.Get("DSS"), 0)
	return parts
}

// keyTwice returns a key that a dictionary in o, as parsed, held twice
// (ISO 32000-2 §7.3.7 forbids it; readers keep the first value or the
// last), or "": a revision after a certification could otherwise show
// readers a value other than the one CheckChanges compared.
func keyTwice(o Object, depth int) Name {
	if depth > MaxDepth {
		return ""
	}
	switch v := o.(type) {
	case Array:
		for _, e := range v {
			if k := keyTwice(e, depth+1); k != "" {
				return k
			}
		}
	case *Stream:
		return keyTwice(v.Dict, depth+1)
	case *Dict:
		if v.twice != "" {
			return v.twice
		}
		for _, k := range v.Keys {
			if k := keyTwice(v.Map[k], depth+1); k != "" {
				return k
			}
		}
	}
	return ""
}
