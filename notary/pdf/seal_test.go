package pdf

import (
	"bytes"
	"context"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/pdfcheck"
)

// TestDigestLines: a digest prints in groups of 16 digits, on one line
// when it fits at all, else on lines of whole groups, the same number on
// each: never a fragment of a group.
func TestDigestLines(t *testing.T) {
	r := testRenderer(t)
	l, err := r.newLayout(testDocument(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sha := strings.Repeat("0123456789abcdef", 4)
	for _, c := range []struct {
		width float64
		want  []string
	}{
		{1000, []string{sha[:16] + " " + sha[16:32] + " " + sha[32:48] + " " + sha[48:]}},
		{200, []string{sha[:16] + " " + sha[16:32], sha[32:48] + " " + sha[48:]}},
		{100, []string{sha[:16], sha[16:32], sha[32:48], sha[48:]}},
	} {
		got, err := l.digestLines(sha, c.width)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("digestLines(sha, %v) = %q, want %q", c.width, got, c.want)
		}
	}
}

// TestSignAppearance: a signature with an Appearance has its widget on
// the seal's page, over the seal's rectangle, with the seal as its
// appearance stream; it still verifies. The seal is on page 1 of a 2-page document with an
// annex, and the footers count the pages.
func TestSignAppearance(t *testing.T) {
	p := newTestPKI(t, time.Now())
	doc := testDocument()
	doc.Closing = &Closing{Lines: []string{"公证员  张三", "杭州市互联网公证处", "二〇二六年三月一日"}, SealText: "杭州市互联网公证处"}
	doc.AnnexTitle, doc.Annex = "附件", []Section{{Heading: "清单", Paragraphs: []string{"一项"}}}
	b, seal, err := testRenderer(t).Layout(doc)
	if err != nil {
		t.Fatal(err)
	}
	if seal == nil || seal.Page != 1 || seal.Rect[2]-seal.Rect[0] != sealSize || seal.Rect[3]-seal.Rect[1] != sealSize {
		t.Fatalf("seal placement = %+v, want a %v-point square on page 1", seal, sealSize)
	}
	opts := p.options()
	opts.Appearance = seal
	signed, err := Sign(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pdfcheck.Verify(signed, p.roots); err != nil {
		t.Fatalf("Verify = %v", err)
	}
	f, err := pdfcheck.ParseFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := f.Trailer.Get("Root").(pdfcheck.Ref)
	catalog, err := f.DictOf(root)
	if err != nil {
		t.Fatal(err)
	}
	form, err := f.DictOf(catalog.Get("AcroForm"))
	if err != nil {
		t.Fatal(err)
	}
	fields, _ := form.Get("Fields").(pdfcheck.Array)
	widget, err := f.DictOf(fields[len(fields)-1])
	if err != nil {
		t.Fatal(err)
	}
	page1, err := pdfcheck.NthPage(f, catalog, 1)
	if err != nil {
		t.Fatal(err)
	}
	if widget.Get("P") != page1 || widget.Get("AP") == nil {
		t.Errorf("widget on %v with /AP %v, want page 1 %v and an appearance", widget.Get("P"), widget.Get("AP"), page1)
	}
	rect, _ := widget.Get("Rect").(pdfcheck.Array)
	if len(rect) != 4 || rect[0] != pts(seal.Rect[0]) || rect[3] != pts(seal.Rect[3]) || rect[0] == rect[2] || rect[1] == rect[3] {
		t.Errorf("widget /Rect = %v, want the seal's %v", rect, seal.Rect)
	}
	// The appearance is the seal: a form XObject that draws, with the
	// resources (the font of the seal's text) it draws with.
	ap, err := f.DictOf(widget.Get("AP"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.Resolve(ap.Get("N"))
	if err != nil {
		t.Fatal(err)
	}
	apForm, ok := n.(*pdfcheck.Stream)
	if !ok || apForm.Dict.Get("Subtype") != pdfcheck.Name("Form") {
		t.Fatalf("/AP /N = %v, want a form XObject", n)
	}
	content, err := pdfcheck.Decode(apForm)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.DictOf(apForm.Dict.Get("Resources"))
	if err != nil || res.Get("Font") == nil || len(bytes.TrimSpace(content)) < 100 {
		t.Errorf("the appearance has resources %v (%v) and %d bytes of content, want the seal drawn with its font", res, err, len(content))
	}
	if _, err := pdfcheck.NthPage(f, catalog, 2); err != nil {
		t.Errorf("nthPage(2): %v", err)
	}
	if _, err := pdfcheck.NthPage(f, catalog, 3); err == nil {
		t.Errorf("nthPage(3) of 2 pages = nil error")
	}
}

func TestPageLabel(t *testing.T) {
	if got := pageLabel(1, 3); got != "第1页 共3页" {
		t.Errorf("pageLabel(1, 3) = %q", got)
	}
}

// TestSealCache: the Renderer draws a seal once and gives the same page
// again; another office's seal is drawn anew, and an image that cannot be
// a map key is drawn every time rather than panicking.
func TestSealCache(t *testing.T) {
	r := testRenderer(t)
	a := &Closing{SealText: "杭州市互联网公证处"}
	first, err := r.sealPDF(a)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := r.sealPDF(&Closing{SealText: a.SealText})
	other, _ := r.sealPDF(&Closing{SealText: "浙江省杭州市钱塘公证处"})
	if &first[0] != &again[0] || bytes.Equal(first, other) {
		t.Errorf("sealPDF: the same seal was drawn again (%v), or another office's is the same (%v)", &first[0] != &again[0], bytes.Equal(first, other))
	}
	if _, ok := sealKeyOf(&Closing{Seal: uncomparable{image.NewGray(image.Rect(0, 0, 64, 64)), []int{1}}}); ok {
		t.Error("sealKeyOf(an uncomparable image) is a key")
	}
}

// uncomparable is an image that cannot be compared, as a value.
type uncomparable struct {
	*image.Gray
	_ []int
}
