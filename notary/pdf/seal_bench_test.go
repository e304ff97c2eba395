package pdf

import (
	"context"
	"testing"

	"github.com/custos-project/custos/certs"

	"github.com/custos-project/custos/pdfcheck"
)

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

// BenchmarkSuites signs and verifies a small PDF in the ecdsa suite (the
// baseline) and the sm suite, in the same run: the signature, its
// time-stamp from the built-in TSA in process, and Verify's checks.
func BenchmarkSuites(b *testing.B) {
	for _, suite := range []certs.Suite{certs.SuiteECDSA, certs.SuiteSM} {
		p := newSuitePKI(b, suite, smNow)
		opts := p.options()
		signed, err := Sign(context.Background(), minimalXrefStreamPDF(), opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(suite)+"/sign", func(b *testing.B) {
			for b.Loop() {
				if _, err := Sign(context.Background(), minimalXrefStreamPDF(), opts); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(suite)+"/verify", func(b *testing.B) {
			for b.Loop() {
				if _, err := pdfcheck.Verify(signed, p.roots); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
