package pdfcheck

import "math"

// maxContentOps bounds the operators ContentBox reads in a page's content;
// a page with more is taken as drawn all over.
const maxContentOps = 1 << 20

// ContentBox estimates the area of page (an object number of f) that its
// content draws on (ISO 32000-1 §8.2, §9.4), for Drawn.OverContent: the
// points of its paths, the images and form XObjects it paints (their
// /BBox), and its text, each glyph taken as one text space unit wide
// (a font size, the largest advance of most fonts) plus the spacing set,
// from half a unit below the baseline to one and a half above, under the
// current transformation. It errs towards a larger area: clipping is not
// applied. A content that cannot be read, or paints what has no bounds
// here (a shading, sh, or an inline image, BI), is taken as the whole
// page box, so that anything on the page is counted over content.
func ContentBox(f *File, page int) Rect {
	pd, err := f.DictOf(Ref{Num: page})
	if err != nil || pd == nil {
		return everywhere
	}
	box := pageBox(f, pd)
	data, ok := contentOf(f, pd)
	if !ok {
		return box
	}
	c := &contentReader{f: f, xobjects: xobjectsOf(f, pd)}
	if !c.read(data) {
		return box
	}
	return c.box
}

// contentOf is the page's content: its /Contents stream, or its
// streams joined (§7.8.2).
func contentOf(f *File, pd *Dict) ([]byte, bool) {
	o, err := f.Resolve(pd.Get("Contents"))
	if err != nil {
		return nil, false
	}
	streams, ok := o.(Array)
	if !ok {
		streams = Array{o}
	}
	var out []byte
	for _, s := range streams {
		so, err := f.Resolve(s)
		if err != nil {
			return nil, false
		}
		switch v := so.(type) {
		case nil:
		case *Stream:
			b, err := Decode(v)
			if err != nil || len(out)+len(b) > maxDecoded {
				return nil, false
			}
			out = append(append(out, b...), '\n')
		default:
			return nil, false
		}
	}
	return out, true
}

// xobjectsOf is the page's /Resources /XObject dictionary (nil if none).
func xobjectsOf(f *File, pd *Dict) *Dict {
	for n, depth := pd, 0; n != nil && depth < MaxDepth; depth++ {
		if res, _ := f.DictOf(n.Get("Resources")); res != nil {
			x, _ := f.DictOf(res.Get("XObject"))
			return x
		}
		n, _ = f.DictOf(n.Get("Parent"))
	}
	return nil
}

// matrix is a transformation [a b c d e f] (§8.3.4).
type matrix [6]float64

var identity = matrix{1, 0, 0, 1, 0, 0}

// times is m then n: the matrix m × n.
func (m matrix) times(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func (m matrix) apply(x, y float64) (float64, float64) {
	return m[0]*x + m[2]*y + m[4], m[1]*x + m[3]*y + m[5]
}

// contentReader follows a content stream's graphics and text state as far
// as ContentBox needs.
type contentReader struct {
	f        *File
	xobjects *Dict
	box      Rect
	ctm      matrix
	stack    []matrix
	// text state (§9.3): the text and line matrices, font size, leading,
	// character and word spacing, horizontal scaling (as a factor), rise
	tm, tlm                   matrix
	size, leading, tc, tw, tz float64
	rise                      float64
	operands                  []Object
}

// read reads the content data; false when it cannot say where it draws.
func (c *contentReader) read(data []byte) bool {
	c.ctm, c.tm, c.tlm, c.tz = identity, identity, identity, 1
	p := &parser{b: data}
	for ops := 0; ; ops++ {
		p.skipSpace()
		if p.pos >= len(p.b) {
			return true
		}
		if ops > maxContentOps {
			return false
		}
		o, err := p.object(0)
		if err != nil {
			return false
		}
		op, isOp := o.(keyword)
		if !isOp || op == "true" || op == "false" || op == "null" {
			if len(c.operands) >= 64 {
				return false
			}
			c.operands = append(c.operands, o)
			continue
		}
		if !c.operator(string(op)) {
			return false
		}
		c.operands = c.operands[:0]
	}
}

// nums returns the operands as n numbers.
func (c *contentReader) nums(n int) ([]float64, bool) {
	if len(c.operands) != n {
		return nil, false
	}
	out := make([]float64, n)
	for i, o := range c.operands {
		v, ok := asFloat(o)
		if !ok {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// point adds a point in user space (under the CTM) to the box.
func (c *contentReader) point(m matrix, x, y float64) {
	x, y = m.apply(x, y)
	c.box = c.box.union(Rect{x, y, math.Nextafter(x, math.Inf(1)), math.Nextafter(y, math.Inf(1))})
}

// area adds the rectangle r, in the space that m maps to the page, to the
// box.
func (c *contentReader) area(m matrix, r Rect) {
	c.point(m, r[0], r[1])
	c.point(m, r[2], r[1])
	c.point(m, r[0], r[3])
	c.point(m, r[2], r[3])
}

// operator applies op to the operands; false when ContentBox cannot
// bound what it draws.
func (c *contentReader) operator(op string) bool {
	switch op {
	case "BI", "sh":
		return false
	case "q":
		if len(c.stack) >= 1024 {
			return false
		}
		c.stack = append(c.stack, c.ctm)
	case "Q":
		if n := len(c.stack); n > 0 {
			c.ctm, c.stack = c.stack[n-1], c.stack[:n-1]
		}
	case "cm":
		if v, ok := c.nums(6); ok {
			c.ctm = matrix(v).times(c.ctm)
		}
	case "m", "l", "c", "v", "y":
		for i := 0; i+1 < len(c.operands); i += 2 {
			x, ok1 := asFloat(c.operands[i])
			y, ok2 := asFloat(c.operands[i+1])
			if ok1 && ok2 {
				c.point(c.ctm, x, y)
			}
		}
	case "re":
		if v, ok := c.nums(4); ok {
			c.area(c.ctm, Rect{v[0], v[1], v[0] + v[2], v[1] + v[3]})
		}
	case "Do":
		c.xobject()
	default:
		c.text(op)
	}
	return true
}

// xobject paints the XObject named by the operand: an image fills the
// unit square, a form XObject its /BBox under its /Matrix (§8.10, §8.9);
// one not found, the unit square.
func (c *contentReader) xobject() {
	unit := Rect{0, 0, 1, 1}
	if len(c.operands) != 1 {
		return
	}
	n, _ := c.operands[0].(Name)
	x, _ := c.f.DictOf(c.xobjects.Get(n))
	if x.Get("Subtype") != Name("Form") {
		c.area(c.ctm, unit)
		return
	}
	bo, _ := c.f.Resolve(x.Get("BBox"))
	bbox, ok := rectOf(bo)
	if !ok {
		c.area(c.ctm, unit)
		return
	}
	m := identity
	mo, _ := c.f.Resolve(x.Get("Matrix"))
	if a, ok := mo.(Array); ok && len(a) == 6 {
		for i, e := range a {
			if m[i], ok = asFloat(e); !ok {
				m = identity
				break
			}
		}
	}
	c.area(m.times(c.ctm), bbox)
}

// text applies the text operators (§9.3, §9.4); others are ignored.
func (c *contentReader) text(op string) {
	one := func() (float64, bool) {
		v, ok := c.nums(1)
		if !ok {
			return 0, false
		}
		return v[0], true
	}
	switch op {
	case "BT":
		c.tm, c.tlm = identity, identity
	case "Tf":
		if len(c.operands) == 2 {
			if v, ok := asFloat(c.operands[1]); ok {
				c.size = math.Abs(v)
			}
		}
	case "TL":
		c.leading, _ = one()
	case "Tc":
		c.tc, _ = one()
	case "Tw":
		c.tw, _ = one()
	case "Ts":
		c.rise, _ = one()
	case "Tz":
		if v, ok := one(); ok {
			c.tz = v / 100
		}
	case "Td", "TD":
		if v, ok := c.nums(2); ok {
			c.tlm = matrix{1, 0, 0, 1, v[0], v[1]}.times(c.tlm)
			c.tm = c.tlm
			if op == "TD" {
				c.leading = -v[1]
			}
		}
	case "Tm":
		if v, ok := c.nums(6); ok {
			c.tm, c.tlm = matrix(v), matrix(v)
		}
	case "T*":
		c.nextLine()
	case "Tj", "'", "\"", "TJ":
		c.show(op)
	}
}

func (c *contentReader) nextLine() {
	c.tlm = matrix{1, 0, 0, 1, 0, -c.leading}.times(c.tlm)
	c.tm = c.tlm
}

// show paints the strings of a text-showing operator: n bytes (at most n
// glyphs) of one unit each, plus the spacing and the TJ adjustments
// (their magnitudes, so that either sign widens the box).
func (c *contentReader) show(op string) {
	if op == "'" || op == "\"" {
		if op == "\"" && len(c.operands) == 3 {
			c.tw, _ = asFloat(c.operands[0])
			c.tc, _ = asFloat(c.operands[1])
		}
		c.nextLine()
	}
	var n, adjust float64
	for _, o := range c.operands {
		switch v := o.(type) {
		case Str:
			n += float64(len(v.Bytes))
		case Array:
			for _, e := range v {
				if s, ok := e.(Str); ok {
					n += float64(len(s.Bytes))
				} else if a, ok := asFloat(e); ok {
					adjust += math.Abs(a) / 1000
				}
			}
		}
	}
	if n == 0 {
		return
	}
	w := ((n+adjust)*c.size + n*(math.Abs(c.tc)+math.Abs(c.tw))) * math.Max(math.Abs(c.tz), 1)
	trm := c.tm.times(c.ctm)
	c.area(trm, Rect{0, c.rise - c.size/2, w, c.rise + 1.5*c.size})
	c.tm = matrix{1, 0, 0, 1, w, 0}.times(c.tm)
}
