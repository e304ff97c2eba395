package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"reflect"
	"sync"

	"github.com/signintech/gopdf"

	"github.com/custos-project/custos/pdfcheck"
)

// sealPDF draws c's seal alone on a page of its size: the appearance of
// the signature's widget (SignOptions.Appearance), so that the seal is
// the signature as a reader shows it, and is absent from an unsigned
// document. An office signs with one seal, and drawing it costs as much
// as laying out a whole document (loading the font), so the Renderer
// keeps the seals it drew.
func (r *Renderer) sealPDF(c *Closing) ([]byte, error) {
	key, cacheable := sealKeyOf(c)
	if cacheable {
		if b, ok := r.seals.get(key); ok {
			return b, nil
		}
	}
	b, err := r.drawSealPDF(c)
	if err == nil && cacheable {
		r.seals.put(key, b)
	}
	return b, err
}

// maxSeals bounds the seals a Renderer keeps.
const maxSeals = 16

// sealCache holds drawn seals by their image and text.
type sealCache struct {
	mu sync.Mutex
	m  map[sealKey][]byte
}

type sealKey struct {
	img  image.Image
	text string
}

// sealKeyOf is c's seal as a cache key, if its image can be one (an image
// of a pointer type, as the decoders return, compares by identity).
func sealKeyOf(c *Closing) (sealKey, bool) {
	if c.Seal != nil && !reflect.ValueOf(c.Seal).Comparable() {
		return sealKey{}, false
	}
	return sealKey{img: c.Seal, text: c.SealText}, true
}

func (s *sealCache) get(k sealKey) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[k]
	return b, ok
}

func (s *sealCache) put(k sealKey, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil || len(s.m) >= maxSeals {
		s.m = map[sealKey][]byte{}
	}
	s.m[k] = b
}

// drawSealPDF renders the seal's page.
func (r *Renderer) drawSealPDF(c *Closing) ([]byte, error) {
	gp := &gopdf.GoPdf{}
	gp.Start(gopdf.Config{PageSize: gopdf.Rect{W: sealSize, H: sealSize}, Unit: gopdf.UnitPT})
	// The seal's subset is not the pages' subset: it has its own name.
	family := sealSubsetName(r.font, c.SealText)
	if err := gp.AddTTFFontData(family, r.font); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFont, err)
	}
	gp.AddPage()
	l := &layout{gp: gp, family: family, page: 1, pageH: sealSize}
	if err := l.drawSeal(c, sealSize/2, sealSize/2); err != nil {
		return nil, err
	}
	b, err := gp.GetBytesPdfReturnErr()
	if err != nil {
		return nil, fmt.Errorf("pdf: seal: %w", err)
	}
	return b, nil
}

// appearance writes the widget's normal appearance (ISO 32000-1 §12.5.5):
// a form XObject of the first page of the PDF src, its content and the
// resources it uses copied into the update. The reader scales the page's
// /MediaBox, the form's /BBox, onto the widget's /Rect. An empty src is
// an empty appearance.
func (u *update) appearance(src []byte, w, h float64) (pdfcheck.Ref, error) {
	num := u.add()
	d := pdfcheck.NewDict()
	d.Set("Type", pdfcheck.Name("XObject"))
	d.Set("Subtype", pdfcheck.Name("Form"))
	d.Set("BBox", pdfcheck.Array{0, 0, pts(w), pts(h)})
	if len(src) == 0 {
		u.setStream(num, d, nil)
		return pdfcheck.Ref{Num: num}, nil
	}
	f, err := pdfcheck.ParseFile(src)
	if err != nil {
		return pdfcheck.Ref{}, fmt.Errorf("appearance: %w", err)
	}
	root, _ := f.Trailer.Get("Root").(pdfcheck.Ref)
	catalog, err := f.DictOf(root)
	if err != nil {
		return pdfcheck.Ref{}, fmt.Errorf("appearance: %w", err)
	}
	pr, err := pdfcheck.NthPage(f, catalog, 1)
	if err != nil {
		return pdfcheck.Ref{}, fmt.Errorf("appearance: %w", err)
	}
	page, err := f.DictOf(pr)
	if err != nil {
		return pdfcheck.Ref{}, fmt.Errorf("appearance: %w", err)
	}
	if box, ok := page.Get("MediaBox").(pdfcheck.Array); ok && len(box) == 4 {
		d.Set("BBox", box)
	}
	g := &graft{u: u, src: f, nums: map[int]int{}}
	res, err := g.copy(page.Get("Resources"), 0)
	if err != nil {
		return pdfcheck.Ref{}, fmt.Errorf("appearance: %w", err)
	}
	if res != nil {
		d.Set("Resources", res)
	}
	content, err := g.content(page.Get("Contents"))
	if err != nil {
		return pdfcheck.Ref{}, fmt.Errorf("appearance: %w", err)
	}
	d.Set("Filter", pdfcheck.Name("FlateDecode"))
	u.setStream(num, d, content)
	return pdfcheck.Ref{Num: num}, nil
}

// graft copies objects from another file into an update, each once, under
// new numbers.
type graft struct {
	u    *update
	src  *pdfcheck.File
	nums map[int]int // the source's object number → the update's
}

// copy returns o with every reference it holds, directly or through
// arrays and dictionaries, replaced by a reference to a copy in the update.
func (g *graft) copy(o pdfcheck.Object, depth int) (pdfcheck.Object, error) {
	if depth > pdfcheck.MaxDepth {
		return nil, fmt.Errorf("%w: objects nested too deep", pdfcheck.ErrMalformed)
	}
	switch v := o.(type) {
	case pdfcheck.Ref:
		return g.object(v, depth)
	case pdfcheck.Array:
		out := make(pdfcheck.Array, len(v))
		for i, e := range v {
			c, err := g.copy(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case *pdfcheck.Dict:
		out := pdfcheck.NewDict()
		for _, k := range v.Keys {
			c, err := g.copy(v.Map[k], depth+1)
			if err != nil {
				return nil, err
			}
			out.Set(k, c)
		}
		return out, nil
	}
	return o, nil
}

// object copies indirect object r, a stream with its data as stored.
func (g *graft) object(r pdfcheck.Ref, depth int) (pdfcheck.Object, error) {
	if n, ok := g.nums[r.Num]; ok {
		return pdfcheck.Ref{Num: n}, nil
	}
	n := g.u.add()
	g.nums[r.Num] = n
	o, err := g.src.Object(r.Num)
	if err != nil {
		return nil, err
	}
	s, ok := o.(*pdfcheck.Stream)
	if !ok {
		c, err := g.copy(o, depth+1)
		if err != nil {
			return nil, err
		}
		g.u.set(n, c)
		return pdfcheck.Ref{Num: n}, nil
	}
	d := s.Dict.Clone()
	d.Del("Length") // setStream writes it, and it may be a reference
	c, err := g.copy(d, depth+1)
	if err != nil {
		return nil, err
	}
	g.u.setStream(n, c.(*pdfcheck.Dict), s.Raw)
	return pdfcheck.Ref{Num: n}, nil
}

// content is a page's content, one stream or an array of them (ISO
// 32000-1 §7.7.3.3), decoded, joined and compressed again.
func (g *graft) content(o pdfcheck.Object) ([]byte, error) {
	o, err := g.src.Resolve(o)
	if err != nil {
		return nil, err
	}
	parts, ok := o.(pdfcheck.Array)
	if !ok {
		parts = pdfcheck.Array{o}
	}
	var b bytes.Buffer
	zw := zlib.NewWriter(&b)
	for _, p := range parts {
		p, err := g.src.Resolve(p)
		if err != nil {
			return nil, err
		}
		s, ok := p.(*pdfcheck.Stream)
		if !ok {
			continue
		}
		data, err := pdfcheck.Decode(s)
		if err != nil {
			return nil, err
		}
		zw.Write(data)
		zw.Write([]byte{'\n'})
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
