package pdfcheck

import (
	"bytes"
	"fmt"
	"strconv"
)

// MaxDepth bounds the nesting of arrays and dictionaries, and chains of
// references, so that hostile input cannot exhaust the stack.
const MaxDepth = 64

// parser reads PDF objects (ISO 32000-1 §7.2, §7.3) from b starting at pos.
// fileOffsets says whether positions in b are offsets in the file, so that
// strings record where they stand.
type parser struct {
	b           []byte
	pos         int
	fileOffsets bool
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: at offset %d: %s", ErrMalformed, p.pos, fmt.Sprintf(format, args...))
}

// skipSpace skips white space and comments.
func (p *parser) skipSpace() {
	for p.pos < len(p.b) {
		c := p.b[p.pos]
		switch {
		case isWhite(c):
			p.pos++
		case c == '%':
			for p.pos < len(p.b) && p.b[p.pos] != '\n' && p.b[p.pos] != '\r' {
				p.pos++
			}
		default:
			return
		}
	}
}

// regular reads a run of regular characters (neither white space nor
// delimiters): a number or a keyword.
func (p *parser) regular() string {
	start := p.pos
	for p.pos < len(p.b) && !isWhite(p.b[p.pos]) && !isDelimiter(p.b[p.pos]) {
		p.pos++
	}
	return string(p.b[start:p.pos])
}

// keyword reads the next token and checks it is want.
func (p *parser) keyword(want string) error {
	p.skipSpace()
	if got := p.regular(); got != want {
		return p.errorf("%q, want %q", got, want)
	}
	return nil
}

// integer reads a non-negative integer token.
func (p *parser) integer() (int64, error) {
	p.skipSpace()
	t := p.regular()
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v < 0 {
		return 0, p.errorf("%q, want an integer", t)
	}
	return v, nil
}

func (p *parser) object(depth int) (Object, error) {
	if depth > MaxDepth {
		return nil, p.errorf("nesting deeper than %d", MaxDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.b) {
		return nil, p.errorf("unexpected end of data")
	}
	switch c := p.b[p.pos]; {
	case c == '/':
		return p.name()
	case c == '(':
		return p.literal()
	case c == '<' && p.pos+1 < len(p.b) && p.b[p.pos+1] == '<':
		return p.dictionary(depth)
	case c == '<':
		return p.hex()
	case c == '[':
		return p.array(depth)
	case c == '+' || c == '-' || c == '.' || c >= '0' && c <= '9':
		return p.numberOrRef(), nil
	case isDelimiter(c):
		return nil, p.errorf("unexpected %q", c)
	default:
		return keyword(p.regular()), nil
	}
}

func (p *parser) name() (Object, error) {
	p.pos++ // '/'
	raw := p.regular()
	var out []byte
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' && i+2 < len(raw) {
			v, err := strconv.ParseUint(raw[i+1:i+3], 16, 8)
			if err != nil {
				return nil, p.errorf("bad name escape in /%s", raw)
			}
			out = append(out, byte(v))
			i += 2
			continue
		}
		out = append(out, raw[i])
	}
	return Name(out), nil
}

// numberOrRef reads a number, or a reference "num gen R".
func (p *parser) numberOrRef() Object {
	n := Number(p.regular())
	num, ok := n.int()
	if !ok || num < 0 {
		return n
	}
	save := p.pos
	p.skipSpace()
	g := Number(p.regular())
	gen, ok := g.int()
	if ok && gen >= 0 && gen <= 65535 && num <= 1<<31 {
		p.skipSpace()
		if p.pos < len(p.b) && p.b[p.pos] == 'R' && (p.pos+1 == len(p.b) || isWhite(p.b[p.pos+1]) || isDelimiter(p.b[p.pos+1])) {
			p.pos++
			return Ref{Num: int(num), gen: int(gen)}
		}
	}
	p.pos = save
	return n
}

func (p *parser) literal() (Object, error) {
	start := p.pos
	p.pos++ // '('
	var out []byte
	depth := 1
	for p.pos < len(p.b) {
		c := p.b[p.pos]
		p.pos++
		switch c {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return p.str(out, start), nil
			}
		case '\\':
			if p.pos >= len(p.b) {
				return nil, p.errorf("unterminated string")
			}
			out = p.escape(out)
			continue
		}
		out = append(out, c)
	}
	return nil, p.errorf("unterminated string")
}

// escape decodes the escape sequence after a backslash (ISO 32000-1
// §7.3.4.2, Table 3).
func (p *parser) escape(out []byte) []byte {
	c := p.b[p.pos]
	p.pos++
	switch c {
	case 'n':
		return append(out, '\n')
	case 'r':
		return append(out, '\r')
	case 't':
		return append(out, '\t')
	case 'b':
		return append(out, '\b')
	case 'f':
		return append(out, '\f')
	case '\r':
		if p.pos < len(p.b) && p.b[p.pos] == '\n' {
			p.pos++
		}
		return out
	case '\n':
		return out
	}
	if c >= '0' && c <= '7' {
		v := int(c - '0')
		for i := 0; i < 2 && p.pos < len(p.b) && p.b[p.pos] >= '0' && p.b[p.pos] <= '7'; i++ {
			v = v*8 + int(p.b[p.pos]-'0')
			p.pos++
		}
		return append(out, byte(v))
	}
	return append(out, c)
}

func (p *parser) hex() (Object, error) {
	start := p.pos
	p.pos++ // '<'
	var out []byte
	var hi byte
	odd := false
	for p.pos < len(p.b) {
		c := p.b[p.pos]
		p.pos++
		var v byte
		switch {
		case c == '>':
			if odd {
				out = append(out, hi<<4)
			}
			return p.str(out, start), nil
		case isWhite(c):
			continue
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return nil, p.errorf("bad hex digit %q", c)
		}
		if odd {
			out = append(out, hi<<4|v)
		} else {
			hi = v
		}
		odd = !odd
	}
	return nil, p.errorf("unterminated hex string")
}

func (p *parser) str(b []byte, start int) Str {
	if !p.fileOffsets {
		return Str{Bytes: b, Start: -1, end: -1}
	}
	return Str{Bytes: b, Start: start, end: p.pos}
}

func (p *parser) array(depth int) (Object, error) {
	p.pos++ // '['
	var a Array
	for {
		p.skipSpace()
		if p.pos < len(p.b) && p.b[p.pos] == ']' {
			p.pos++
			return a, nil
		}
		o, err := p.object(depth + 1)
		if err != nil {
			return nil, err
		}
		a = append(a, o)
	}
}

func (p *parser) dictionary(depth int) (Object, error) {
	p.pos += 2 // "<<"
	d := NewDict()
	for {
		p.skipSpace()
		if bytes.HasPrefix(p.b[p.pos:], []byte(">>")) {
			p.pos += 2
			return d, nil
		}
		if p.pos >= len(p.b) || p.b[p.pos] != '/' {
			return nil, p.errorf("dictionary key is not a name")
		}
		k, err := p.name()
		if err != nil {
			return nil, err
		}
		v, err := p.object(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, ok := d.Map[k.(Name)]; ok && d.twice == "" {
			d.twice = k.(Name)
		}
		d.Set(k.(Name), v)
	}
}

// indirect reads "num gen obj <object> endobj" at p.pos; a stream's data is
// sliced out using length, which resolves the stream's /Length. The
// generation number must be gen, the cross-reference entry's (any when gen
// is negative): a viewer that finds another one takes the table for broken
// and rebuilds it from the objects in the file, which could then show
// objects the table does not list (ISO 32000-1 §7.5.4).
func (p *parser) indirect(num, gen int, length func(Object) (int64, error)) (Object, error) {
	n, err := p.integer()
	if err != nil {
		return nil, err
	}
	g, err := p.integer()
	if err != nil {
		return nil, err
	}
	if n != int64(num) || gen >= 0 && g != int64(gen) {
		return nil, p.errorf("object %d %d found where %d %d was expected", n, g, num, gen)
	}
	if err := p.keyword("obj"); err != nil {
		return nil, err
	}
	o, err := p.object(0)
	if err != nil {
		return nil, err
	}
	save := p.pos
	p.skipSpace()
	if p.regular() != "stream" {
		p.pos = save
		return o, p.keyword("endobj")
	}
	d, ok := o.(*Dict)
	if !ok {
		return nil, p.errorf("stream without a dictionary")
	}
	// ISO 32000-1 §7.3.8.1: "stream" is followed by CRLF or LF.
	if bytes.HasPrefix(p.b[p.pos:], []byte("\r\n")) {
		p.pos += 2
	} else if p.pos < len(p.b) && p.b[p.pos] == '\n' {
		p.pos++
	} else {
		return nil, p.errorf("no end of line after stream")
	}
	l, err := length(d.Get("Length"))
	if err != nil {
		return nil, err
	}
	if l < 0 || l > int64(len(p.b)-p.pos) {
		return nil, p.errorf("stream length %d out of range", l)
	}
	s := &Stream{Dict: d, Raw: p.b[p.pos : p.pos+int(l)]}
	p.pos += int(l)
	if err := p.keyword("endstream"); err != nil {
		return nil, err
	}
	return s, p.keyword("endobj")
}
