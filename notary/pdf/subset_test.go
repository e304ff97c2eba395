package pdf

import (
	"bytes"
	"context"
	"sort"
	"testing"
	"time"

	"github.com/custos-project/custos/pdfcheck"
)

// TestSubsetTagsDiffer: a signed document with its seal embeds two
// subsets of the font, the pages' and the seal appearance's, and each
// subset has its own tag, as ISO 32000-1 §9.6.4 requires ("different
// subsets in the same PDF file shall have different tags"): a reader that
// shares fonts by name would otherwise draw the seal, or the pages, with
// the other subset's glyphs.
func TestSubsetTagsDiffer(t *testing.T) {
	p := newTestPKI(t, time.Now())
	doc := testDocument()
	doc.Closing = &Closing{Lines: []string{"公证员  张三", "杭州市互联网公证处", "二〇二六年三月一日"}, SealText: "杭州市互联网公证处"}
	b, seal, err := testRenderer(t).Layout(doc)
	if err != nil {
		t.Fatal(err)
	}
	opts := p.options()
	opts.Appearance = seal
	signed, err := Sign(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	f, err := pdfcheck.ParseFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	programs := map[pdfcheck.Name][][]byte{} // FontName → the font programs so named
	nums := make([]int, 0, len(f.Xref))
	for num := range f.Xref {
		nums = append(nums, num)
	}
	sort.Ints(nums)
	for _, num := range nums {
		o, err := f.Object(num)
		if err != nil {
			continue
		}
		d, ok := o.(*pdfcheck.Dict)
		if !ok || d.Get("Type") != pdfcheck.Name("FontDescriptor") {
			continue
		}
		fn, _ := d.Get("FontName").(pdfcheck.Name)
		s, err := f.Resolve(d.Get("FontFile2"))
		st, ok := s.(*pdfcheck.Stream)
		if err != nil || !ok {
			t.Fatalf("font descriptor %d: no /FontFile2 stream: %v", num, err)
		}
		data, err := pdfcheck.Decode(st)
		if err != nil {
			t.Fatal(err)
		}
		programs[fn] = append(programs[fn], data)
	}
	n := 0
	for fn, progs := range programs {
		n += len(progs)
		for _, prog := range progs[1:] {
			if !bytes.Equal(prog, progs[0]) {
				t.Errorf("two different font subsets are both named %s", fn)
			}
		}
	}
	if n < 2 {
		t.Fatalf("%d embedded font programs, want the pages' and the seal's", n)
	}
}
