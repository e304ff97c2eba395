package pdfcheck

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// Limits on hostile input.
const (
	maxXrefSections = 1024     // revisions followed through /Prev
	maxObjects      = 1 << 22  // highest object number accepted
	maxDecoded      = 64 << 20 // bytes a decoded stream may grow to
)

// xrefEntry locates one object: at a file offset (type 1), or as the idx-th
// object of object stream stm (type 2, ISO 32000-1 §7.5.8.3).
type xrefEntry struct {
	offset   int64
	gen      int
	stm, idx int
	inStream bool
}

// File is a parsed PDF: its cross-reference information and its newest
// trailer. Objects are parsed when first asked for.
type File struct {
	Data       []byte
	Xref       map[int]xrefEntry
	Trailer    *Dict
	StartXref  int64 // offset of the newest cross-reference section
	XrefStream bool  // whether that section is a cross-reference stream
	cache      map[int]Object
	busy       map[int]bool // objects being parsed, against reference cycles
	objStms    map[int]*objStm
}

type objStm struct {
	data  []byte
	first int
	// nums and offs are the header's pairs in order: the number of the
	// object at each index, and its offset after /First.
	nums, offs []int
}

// ParseFile reads the cross-reference chain of b from its last startxref
// (ISO 32000-1 §7.5.5, §7.5.6), newest section first.
func ParseFile(b []byte) (*File, error) {
	f := &File{Data: b, Xref: map[int]xrefEntry{}, cache: map[int]Object{}, busy: map[int]bool{}, objStms: map[int]*objStm{}}
	start, err := lastStartxref(b)
	if err != nil {
		return nil, err
	}
	f.StartXref = start
	seen := map[int64]bool{}
	for off, first := start, true; ; first = false {
		if seen[off] || len(seen) >= maxXrefSections {
			return nil, fmt.Errorf("%w: cross-reference chain loops at %d", ErrMalformed, off)
		}
		seen[off] = true
		trailer, isStream, err := f.readSection(off)
		if err != nil {
			return nil, err
		}
		if !isStream {
			if err := f.readHybrid(trailer); err != nil {
				return nil, err
			}
		}
		if first {
			f.Trailer, f.XrefStream = trailer, isStream
		}
		prev, ok := trailer.Get("Prev").(Number)
		if !ok {
			break
		}
		if off, ok = prev.int(); !ok {
			return nil, fmt.Errorf("%w: bad /Prev", ErrMalformed)
		}
	}
	if f.Trailer.Get("Encrypt") != nil {
		return nil, fmt.Errorf("%w: encrypted PDF", ErrUnsupported)
	}
	return f, nil
}

// lastStartxref finds "startxref N %%EOF" in the last kilobyte.
func lastStartxref(b []byte) (int64, error) {
	tail := b[max(0, len(b)-1024):]
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return 0, fmt.Errorf("%w: no startxref", ErrMalformed)
	}
	p := &parser{b: tail, pos: i + len("startxref")}
	off, err := p.integer()
	if err != nil {
		return 0, err
	}
	if off >= int64(len(b)) {
		return 0, fmt.Errorf("%w: startxref %d beyond the end", ErrMalformed, off)
	}
	return off, nil
}

// readSection reads one cross-reference table and its trailer, or one
// cross-reference stream, at off. Entries already known (from a newer
// section) are kept.
func (f *File) readSection(off int64) (*Dict, bool, error) {
	if off < 0 || off >= int64(len(f.Data)) {
		return nil, false, fmt.Errorf("%w: cross-reference offset %d out of range", ErrMalformed, off)
	}
	p := &parser{b: f.Data, pos: int(off), fileOffsets: true}
	if bytes.HasPrefix(f.Data[off:], []byte("xref")) {
		t, err := f.readTable(p)
		return t, false, err
	}
	t, err := f.readStream(off)
	return t, true, err
}

// readHybrid reads the cross-reference stream that the trailer of a
// classic table names by /XRefStm (a hybrid-reference file, ISO 32000-1
// §7.5.8.4): its entries come after the table's and before those of /Prev,
// as readers that know hybrid files take them. Ignoring it would hide from
// CheckChanges objects that a later revision defines there and that such
// readers show.
func (f *File) readHybrid(trailer *Dict) error {
	x := trailer.Get("XRefStm")
	if x == nil {
		return nil
	}
	n, ok := x.(Number)
	off, isInt := n.int()
	if !ok || !isInt || off < 0 || off >= int64(len(f.Data)) {
		return fmt.Errorf("%w: bad /XRefStm %v", ErrMalformed, x)
	}
	_, err := f.readStream(off)
	return err
}

// readTable reads a classic table (ISO 32000-1 §7.5.4) and its trailer.
func (f *File) readTable(p *parser) (*Dict, error) {
	p.pos += len("xref")
	for {
		p.skipSpace()
		if bytes.HasPrefix(p.b[p.pos:], []byte("trailer")) {
			p.pos += len("trailer")
			o, err := p.object(0)
			if err != nil {
				return nil, err
			}
			t, ok := o.(*Dict)
			if !ok {
				return nil, p.errorf("trailer is not a dictionary")
			}
			return t, nil
		}
		first, err := p.integer()
		if err != nil {
			return nil, err
		}
		count, err := p.integer()
		if err != nil {
			return nil, err
		}
		if first+count > maxObjects {
			return nil, p.errorf("cross-reference subsection %d+%d too large", first, count)
		}
		for i := int64(0); i < count; i++ {
			if err := f.readTableEntry(p, int(first+i)); err != nil {
				return nil, err
			}
		}
	}
}

func (f *File) readTableEntry(p *parser, num int) error {
	off, err := p.integer()
	if err != nil {
		return err
	}
	gen, err := p.integer()
	if err != nil {
		return err
	}
	p.skipSpace()
	kind := p.regular()
	if kind != "n" && kind != "f" {
		return p.errorf("cross-reference entry type %q", kind)
	}
	if _, known := f.Xref[num]; known {
		return nil
	}
	if kind == "f" {
		f.Xref[num] = xrefEntry{offset: -1}
		return nil
	}
	f.Xref[num] = xrefEntry{offset: off, gen: int(gen)}
	return nil
}

// readStream reads a cross-reference stream (ISO 32000-1 §7.5.8). Its
// dictionary is also the trailer.
func (f *File) readStream(off int64) (*Dict, error) {
	p := &parser{b: f.Data, pos: int(off), fileOffsets: true}
	save := p.pos
	num, err := p.integer()
	if err != nil {
		return nil, err
	}
	p.pos = save
	o, err := p.indirect(int(num), -1, f.length)
	if err != nil {
		return nil, err
	}
	s, ok := o.(*Stream)
	if !ok || s.Dict.Get("Type") != Name("XRef") {
		return nil, fmt.Errorf("%w: no cross-reference at offset %d", ErrMalformed, off)
	}
	data, err := Decode(s)
	if err != nil {
		return nil, err
	}
	w, err := intArray(s.Dict.Get("W"))
	if err != nil || len(w) != 3 {
		return nil, fmt.Errorf("%w: cross-reference stream /W", ErrMalformed)
	}
	size, _ := asInt(s.Dict.Get("Size"))
	index := []int64{0, size}
	if s.Dict.Get("Index") != nil {
		if index, err = intArray(s.Dict.Get("Index")); err != nil || len(index)%2 != 0 {
			return nil, fmt.Errorf("%w: cross-reference stream /Index", ErrMalformed)
		}
	}
	return s.Dict, f.readStreamEntries(data, w, index)
}

func (f *File) readStreamEntries(data []byte, w, index []int64) error {
	for _, x := range w {
		if x < 0 || x > 8 {
			return fmt.Errorf("%w: cross-reference stream field width %d", ErrMalformed, x)
		}
	}
	width := int(w[0] + w[1] + w[2])
	if width == 0 {
		return fmt.Errorf("%w: cross-reference stream entries of width 0", ErrMalformed)
	}
	pos := 0
	for i := 0; i < len(index); i += 2 {
		first, count := index[i], index[i+1]
		if first < 0 || count < 0 || first+count > maxObjects || count*int64(width) > int64(len(data)-pos) {
			return fmt.Errorf("%w: cross-reference stream subsection out of range", ErrMalformed)
		}
		for n := first; n < first+count; n++ {
			e := data[pos : pos+width]
			pos += width
			typ := int64(1)
			if w[0] > 0 {
				typ = field(e[:w[0]])
			}
			a, b := field(e[w[0]:w[0]+w[1]]), field(e[w[0]+w[1]:])
			if _, known := f.Xref[int(n)]; known {
				continue
			}
			switch typ {
			case 0:
				f.Xref[int(n)] = xrefEntry{offset: -1}
			case 1:
				f.Xref[int(n)] = xrefEntry{offset: a, gen: int(b)}
			case 2:
				f.Xref[int(n)] = xrefEntry{inStream: true, stm: int(a), idx: int(b)}
			}
		}
	}
	return nil
}

func field(b []byte) int64 {
	var v int64
	for _, c := range b {
		v = v<<8 | int64(c)
	}
	return v
}

// length resolves a stream's /Length, which may be an indirect object.
func (f *File) length(o Object) (int64, error) {
	o, err := f.Resolve(o)
	if err != nil {
		return 0, err
	}
	n, ok := asInt(o)
	if !ok {
		return 0, fmt.Errorf("%w: stream /Length is not an integer", ErrMalformed)
	}
	return n, nil
}

// Resolve follows o if it is a reference.
func (f *File) Resolve(o Object) (Object, error) {
	r, ok := o.(Ref)
	if !ok {
		return o, nil
	}
	return f.Object(r.Num)
}

// Object returns indirect object num; a free or missing object is null
// (ISO 32000-1 §7.3.10).
func (f *File) Object(num int) (Object, error) {
	if o, ok := f.cache[num]; ok {
		return o, nil
	}
	e, ok := f.Xref[num]
	if !ok || (!e.inStream && e.offset < 0) {
		return nil, nil
	}
	if f.busy[num] || len(f.busy) > MaxDepth {
		return nil, fmt.Errorf("%w: object %d refers to itself", ErrMalformed, num)
	}
	f.busy[num] = true
	defer delete(f.busy, num)
	var o Object
	var err error
	if e.inStream {
		o, err = f.streamObject(num, e)
	} else {
		if e.offset >= int64(len(f.Data)) {
			return nil, fmt.Errorf("%w: object %d at offset %d beyond the end", ErrMalformed, num, e.offset)
		}
		p := &parser{b: f.Data, pos: int(e.offset), fileOffsets: true}
		o, err = p.indirect(num, e.gen, f.length)
	}
	if err != nil {
		return nil, fmt.Errorf("object %d: %w", num, err)
	}
	f.cache[num] = o
	return o, nil
}

// streamObject reads an object compressed in an object stream (ISO 32000-1
// §7.5.7).
func (f *File) streamObject(num int, e xrefEntry) (Object, error) {
	stm, err := f.objStm(e.stm)
	if err != nil {
		return nil, err
	}
	// The entry names the object's index in the stream, which must hold
	// that object there (ISO 32000-1 §7.5.8.3, Table 18): readers take the
	// object at the index, so a stream that lists a number twice must not
	// give another value here.
	if e.idx < 0 || e.idx >= len(stm.nums) || stm.nums[e.idx] != num {
		return nil, fmt.Errorf("%w: object %d not at index %d of object stream %d", ErrMalformed, num, e.idx, e.stm)
	}
	off := stm.offs[e.idx]
	if stm.first+off > len(stm.data) {
		return nil, fmt.Errorf("%w: object %d out of its object stream", ErrMalformed, num)
	}
	p := &parser{b: stm.data, pos: stm.first + off}
	return p.object(0)
}

func (f *File) objStm(num int) (*objStm, error) {
	if s, ok := f.objStms[num]; ok {
		return s, nil
	}
	o, err := f.Object(num)
	if err != nil {
		return nil, err
	}
	s, ok := o.(*Stream)
	if !ok || s.Dict.Get("Type") != Name("ObjStm") {
		return nil, fmt.Errorf("%w: object %d is not an object stream", ErrMalformed, num)
	}
	data, err := Decode(s)
	if err != nil {
		return nil, err
	}
	n, ok1 := asInt(s.Dict.Get("N"))
	first, ok2 := asInt(s.Dict.Get("First"))
	if !ok1 || !ok2 || n < 0 || first < 0 || first > int64(len(data)) {
		return nil, fmt.Errorf("%w: object stream %d header", ErrMalformed, num)
	}
	stm := &objStm{data: data, first: int(first)}
	p := &parser{b: data[:first]}
	for i := int64(0); i < n; i++ {
		obj, err1 := p.integer()
		off, err2 := p.integer()
		if err := errors.Join(err1, err2); err != nil || obj > maxObjects || off > int64(len(data)) {
			return nil, fmt.Errorf("%w: object stream %d header", ErrMalformed, num)
		}
		stm.nums, stm.offs = append(stm.nums, int(obj)), append(stm.offs, int(off))
	}
	f.objStms[num] = stm
	return stm, nil
}

// Decode returns a stream's data decoded: unfiltered or FlateDecode, with
// the PNG predictors that cross-reference streams use (ISO 32000-1
// §7.4.4.4).
func Decode(s *Stream) ([]byte, error) {
	switch filter := s.Dict.Get("Filter"); filter {
	case nil:
		return s.Raw, nil
	case Name("FlateDecode"):
	default:
		if a, ok := filter.(Array); !ok || len(a) != 1 || a[0] != Name("FlateDecode") {
			return nil, fmt.Errorf("%w: stream filter %v", ErrUnsupported, filter)
		}
	}
	zr, err := zlib.NewReader(bytes.NewReader(s.Raw))
	if err != nil {
		return nil, fmt.Errorf("%w: flate: %w", ErrMalformed, err)
	}
	data, err := io.ReadAll(io.LimitReader(zr, maxDecoded+1))
	if err != nil {
		return nil, fmt.Errorf("%w: flate: %w", ErrMalformed, err)
	}
	if len(data) > maxDecoded {
		return nil, fmt.Errorf("%w: stream decodes to more than %d bytes", ErrUnsupported, maxDecoded)
	}
	parms, _ := s.Dict.Get("DecodeParms").(*Dict)
	pred, _ := asInt(parms.Get("Predictor"))
	if pred < 10 {
		if pred > 1 {
			return nil, fmt.Errorf("%w: predictor %d", ErrUnsupported, pred)
		}
		return data, nil
	}
	cols, ok := asInt(parms.Get("Columns"))
	if !ok {
		cols = 1
	}
	return unpredict(data, cols)
}

// unpredict undoes PNG prediction (RFC 2083 §6) with one byte per pixel.
func unpredict(data []byte, cols int64) ([]byte, error) {
	if cols <= 0 || cols > 1<<16 {
		return nil, fmt.Errorf("%w: predictor columns %d", ErrMalformed, cols)
	}
	row := int(cols) + 1
	if len(data)%row != 0 {
		return nil, fmt.Errorf("%w: predicted data is not whole rows", ErrMalformed)
	}
	out := make([]byte, 0, len(data)/row*int(cols))
	prev := make([]byte, cols)
	for i := 0; i < len(data); i += row {
		typ, cur := data[i], append([]byte(nil), data[i+1:i+row]...)
		for j := range cur {
			var left, up, ul byte
			if j > 0 {
				left, ul = cur[j-1], prev[j-1]
			}
			up = prev[j]
			switch typ {
			case 0:
			case 1:
				cur[j] += left
			case 2:
				cur[j] += up
			case 3:
				cur[j] += byte((int(left) + int(up)) / 2)
			case 4:
				cur[j] += paeth(left, up, ul)
			default:
				return nil, fmt.Errorf("%w: PNG filter type %d", ErrMalformed, typ)
			}
		}
		out = append(out, cur...)
		prev = cur
	}
	return out, nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func asInt(o Object) (int64, bool) {
	n, ok := o.(Number)
	if !ok {
		return 0, false
	}
	return n.int()
}

func intArray(o Object) ([]int64, error) {
	a, ok := o.(Array)
	if !ok {
		return nil, fmt.Errorf("%w: not an array", ErrMalformed)
	}
	out := make([]int64, len(a))
	for i, e := range a {
		v, ok := asInt(e)
		if !ok {
			return nil, fmt.Errorf("%w: array element %d is not an integer", ErrMalformed, i)
		}
		out[i] = v
	}
	return out, nil
}

// DictOf resolves o and returns it as a dictionary (a stream's dictionary
// for a stream).
func (f *File) DictOf(o Object) (*Dict, error) {
	o, err := f.Resolve(o)
	if err != nil {
		return nil, err
	}
	switch v := o.(type) {
	case *Dict:
		return v, nil
	case *Stream:
		return v.Dict, nil
	}
	return nil, fmt.Errorf("%w: %T where a dictionary was expected", ErrMalformed, o)
}

// Size is the trailer's /Size: one more than the highest object number.
func (f *File) Size() (int, error) {
	n, ok := asInt(f.Trailer.Get("Size"))
	if !ok || n <= 0 || n > maxObjects {
		return 0, fmt.Errorf("%w: trailer /Size", ErrMalformed)
	}
	return int(n), nil
}
