package pdf

import "testing"

// BenchmarkSeal: what drawing the seal as the signature's appearance adds
// to laying a certificate out, drawn anew and from the Renderer's cache,
// against the layout of a small document (the baseline, same run).
func BenchmarkSeal(b *testing.B) {
	r := testRenderer(b)
	c := &Closing{Lines: []string{"杭州市互联网公证处", "二〇二六年三月一日"}, SealText: "杭州市互联网公证处"}
	b.Run("layout", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := r.Layout(testDocument()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("drawn", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.drawSealPDF(c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.sealPDF(c); err != nil {
				b.Fatal(err)
			}
		}
	})
}
