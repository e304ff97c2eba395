package pdf

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"

	"github.com/custos-project/custos/pdfcheck"
)

// withContent is minimalPDF with a line of text on page 1: about x 72 to
// 504, y 688 to 736 by ContentBox's estimate.
func withContent(t *testing.T) []byte {
	t.Helper()
	return appendUpdate(t, minimalPDF(), pageContent)
}

// sealPDF is a one-page PDF that is a red square: the appearance of a
// visible signature (Placement.Seal).
func sealPDF(t *testing.T) []byte {
	t.Helper()
	return appendUpdate(t, minimalPDF(), editPage(func(u *update, page *pdfcheck.Dict) {
		n := u.add()
		u.setStream(n, pdfcheck.NewDict(), []byte("1 0 0 rg 0 0 595 842 re f"))
		page.Set("Contents", pdfcheck.Ref{Num: n})
	}))
}

// withAnnot adds to page 1 of b, in an update, an annotation of kind sub
// over r, with the flags /F (none when 0), and an appearance that paints
// r red when ap is set.
func withAnnot(t testing.TB, b []byte, sub string, r pdfcheck.Array, flags int, ap bool) []byte {
	t.Helper()
	return appendUpdate(t, b, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
		page, err := pdfcheck.NthPage(f, catalog, 1)
		if err != nil {
			t.Fatal(err)
		}
		a := pdfcheck.NewDict()
		a.Set("Type", pdfcheck.Name("Annot"))
		a.Set("Subtype", pdfcheck.Name(sub))
		a.Set("Rect", r)
		if flags != 0 {
			a.Set("F", flags)
		}
		if ap {
			form := pdfcheck.NewDict()
			form.Set("Type", pdfcheck.Name("XObject"))
			form.Set("Subtype", pdfcheck.Name("Form"))
			form.Set("BBox", pdfcheck.Array{0, 0, 1, 1})
			n := u.add()
			u.setStream(n, form, []byte("1 0 0 rg 0 0 1 1 re f"))
			apd := pdfcheck.NewDict()
			apd.Set("N", pdfcheck.Ref{Num: n})
			a.Set("AP", apd)
		}
		num := u.add()
		u.set(num, a)
		u.set(page.Num, mustDict(t, f, page.Num, func(d *pdfcheck.Dict) {
			annots, _ := d.Get("Annots").(pdfcheck.Array)
			d.Set("Annots", append(append(pdfcheck.Array{}, annots...), pdfcheck.Ref{Num: num}))
		}))
	})
}

// fillField gives the text field of a document made by withTextField a
// value and, when ap is set, an appearance.
func fillField(t *testing.T, b []byte, ap bool) []byte {
	t.Helper()
	return appendUpdate(t, b, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
		_, _, fields, err := pdfcheck.AcroFormOf(f)
		if err != nil || len(fields) == 0 {
			t.Fatalf("no form field: %v", err)
		}
		r := fields[0].(pdfcheck.Ref)
		u.set(r.Num, mustDict(t, f, r.Num, func(d *pdfcheck.Dict) {
			d.Set("V", pdfcheck.TextString("MALLORY"))
			if ap {
				n := u.add()
				form := pdfcheck.NewDict()
				form.Set("Type", pdfcheck.Name("XObject"))
				form.Set("Subtype", pdfcheck.Name("Form"))
				form.Set("BBox", pdfcheck.Array{0, 0, 228, 20})
				u.setStream(n, form, []byte("0 0 228 20 re f"))
				apd := pdfcheck.NewDict()
				apd.Set("N", pdfcheck.Ref{Num: n})
				d.Set("AP", apd)
			}
		}))
	})
}

// TestVerifyDrawnAfterCertification: after a certification with P=2, a
// later signature whose widget is visible, and a form field filled in
// with a new appearance, and after P=3 an annotation added, are permitted
// and reported as drawn over the page (security review P5: the sneaky
// signature and evil annotation attacks); a hidden annotation, one with
// a zero or an off-page /Rect, one without an appearance of a kind no
// viewer draws without, and an invisible signature, are not. Each
// document is signed again (invisibly) at the end, so that the whole
// file's signature verifies.
func TestVerifyDrawnAfterCertification(t *testing.T) {
	p := newTestPKI(t, time.Now())
	sign := func(b []byte, at *Placement) []byte {
		t.Helper()
		opts := p.options()
		opts.Reason = "复核 Review"
		opts.Appearance = at
		out, err := Sign(context.Background(), b, opts)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	p2 := certifyBytes(t, p, withContent(t), 2)
	p3 := certifyBytes(t, p, withContent(t), 3)
	form2 := certifyBytes(t, p, appendUpdate(t, withTextField(t, minimalPDF()), pageContent), 2)
	seal := sealPDF(t)
	for _, c := range []struct {
		name string
		b    []byte
		want []pdfcheck.Drawn // Object 0: any
	}{
		{"P=2, a signature over the text", sign(sign(p2, &Placement{Page: 1, Rect: [4]float64{60, 690, 300, 740}, Seal: seal}), nil),
			[]pdfcheck.Drawn{{Revision: 1, Page: 1, Subtype: "Widget", Rect: [4]float64{60, 690, 300, 740}, OverContent: true}}},
		{"P=2, a signature beside the text", sign(sign(p2, &Placement{Page: 1, Rect: [4]float64{450, 40, 560, 120}, Seal: seal}), nil),
			[]pdfcheck.Drawn{{Revision: 1, Page: 1, Subtype: "Widget", Rect: [4]float64{450, 40, 560, 120}}}},
		{"P=2, a signature with an empty appearance", sign(sign(p2, &Placement{Page: 1, Rect: [4]float64{60, 690, 300, 740}}), nil),
			[]pdfcheck.Drawn{{Revision: 1, Page: 1, Subtype: "Widget", Rect: [4]float64{60, 690, 300, 740}, OverContent: true}}},
		{"P=2, invisible signatures", sign(sign(p2, nil), nil), nil},
		{"P=2, a field filled in with an appearance", sign(fillField(t, form2, true), nil),
			[]pdfcheck.Drawn{{Revision: 1, Page: 1, Subtype: "Widget", Rect: [4]float64{72, 700, 300, 720}, OverContent: true}}},
		{"P=2, a field filled in without one", sign(fillField(t, form2, false), nil),
			[]pdfcheck.Drawn{{Revision: 1, Page: 1, Subtype: "Widget", Rect: [4]float64{72, 700, 300, 720}, OverContent: true}}},
		{"P=3, an annotation under the text", sign(shadowUpdate(t, p3), nil),
			[]pdfcheck.Drawn{{Revision: 1, Page: 1, Subtype: "FreeText", Rect: [4]float64{60, 600, 460, 660}}}},
		{"P=3, an annotation over the text", sign(withAnnot(t, p3, "Stamp", pdfcheck.Array{100, 680, 400, 760}, 4, true), nil),
			[]pdfcheck.Drawn{{Revision: 1, Page: 1, Subtype: "Stamp", Rect: [4]float64{100, 680, 400, 760}, OverContent: true}}},
		{"P=3, a square without an appearance", sign(withAnnot(t, p3, "Square", pdfcheck.Array{400, 760, 100, 680}, 0, false), nil),
			[]pdfcheck.Drawn{{Revision: 1, Page: 1, Subtype: "Square", Rect: [4]float64{100, 680, 400, 760}, OverContent: true}}},
		{"P=3, after a signature", sign(withAnnot(t, sign(p3, nil), "Stamp", pdfcheck.Array{100, 680, 400, 760}, 0, true), nil),
			[]pdfcheck.Drawn{{Revision: 2, Page: 1, Subtype: "Stamp", Rect: [4]float64{100, 680, 400, 760}, OverContent: true}}},
		{"P=3, hidden", sign(withAnnot(t, p3, "Stamp", pdfcheck.Array{100, 680, 400, 760}, 2, true), nil), nil},
		{"P=3, no view", sign(withAnnot(t, p3, "Stamp", pdfcheck.Array{100, 680, 400, 760}, 32|4, true), nil), nil},
		{"P=3, a zero /Rect", sign(withAnnot(t, p3, "Stamp", pdfcheck.Array{100, 680, 100, 760}, 0, true), nil), nil},
		{"P=3, off the page", sign(withAnnot(t, p3, "Stamp", pdfcheck.Array{600, 100, 700, 200}, 0, true), nil), nil},
		{"P=3, a link without an appearance", sign(withAnnot(t, p3, "Link", pdfcheck.Array{100, 680, 400, 760}, 0, false), nil), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			sig, err := pdfcheck.Verify(c.b, p.roots)
			if err != nil {
				t.Fatalf("Verify = %v, want valid", err)
			}
			if len(sig.Drawn) != len(c.want) || sig.Certification.Drawn != len(c.want) {
				t.Fatalf("Verify.Drawn = %+v (count %d), want %+v", sig.Drawn, sig.Certification.Drawn, c.want)
			}
			for i, w := range c.want {
				got := sig.Drawn[i]
				if got.Object == 0 {
					t.Errorf("Drawn[%d].Object = 0, want the annotation's object", i)
				}
				got.Object = 0
				if got != w {
					t.Errorf("Drawn[%d] = %+v, want %+v", i, got, w)
				}
			}
		})
	}
}

// TestContentBox: the area a page's content draws on, as ContentBox
// estimates it.
func TestContentBox(t *testing.T) {
	page := pdfcheck.Rect{0, 0, 595, 842}
	for _, c := range []struct {
		name, content string
		want          pdfcheck.Rect
	}{
		{"empty", "", pdfcheck.Rect{}},
		{"a rectangle", "0 0 1 rg 10 20 30 40 re f", pdfcheck.Rect{10, 20, 40, 60}},
		{"under cm, in q", "q 2 0 0 2 100 100 cm 0 0 10 10 re f Q 0 0 1 1 re f", pdfcheck.Rect{0, 0, 120, 120}},
		{"a path", "100 100 m 200 50 l 150 300 250 10 300 100 c S", pdfcheck.Rect{100, 10, 300, 300}},
		{"text", "BT /F1 10 Tf 100 200 Td (ab) Tj ET", pdfcheck.Rect{100, 195, 120, 215}},
		{"text after T*", "BT /F1 10 Tf 12 TL 100 200 Td T* (a) Tj ET", pdfcheck.Rect{100, 183, 110, 203}},
		{"an image", "q 50 0 0 20 300 400 cm /Im1 Do Q", pdfcheck.Rect{300, 400, 350, 420}},
		{"a shading", "/Sh1 sh", page},
		{"an inline image", "BI /W 1 /H 1 /BPC 8 /CS /G ID \x00 EI", page},
		{"malformed", "0 0 1 1 re f ) (", page},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := appendUpdate(t, minimalPDF(), editPage(func(u *update, pd *pdfcheck.Dict) {
				n := u.add()
				u.setStream(n, pdfcheck.NewDict(), []byte(c.content))
				pd.Set("Contents", pdfcheck.Ref{Num: n})
			}))
			f, err := pdfcheck.ParseFile(b)
			if err != nil {
				t.Fatal(err)
			}
			got := pdfcheck.ContentBox(f, 3)
			for i := range got {
				if d := got[i] - c.want[i]; d > 0.01 || d < -0.01 {
					t.Fatalf("contentBox(%q) = %v, want %v", c.content, got, c.want)
				}
			}
		})
	}
}

// TestPdfsigDrawnAfterCertification has poppler's pdfsig read a document
// certified with P=2 whose later signature's widget draws over the page
// text: it calls both signatures valid and the document totally signed,
// as Verify does (with its warning): the standard permits it.
func TestPdfsigDrawnAfterCertification(t *testing.T) {
	requireTool(t, "pdfsig", "certutil")
	p := newTestPKI(t, time.Now())
	opts := p.options()
	opts.Reason = "复核 Review"
	opts.Appearance = &Placement{Page: 1, Rect: [4]float64{60, 690, 300, 740}, Seal: sealPDF(t)}
	b, err := Sign(context.Background(), certifyBytes(t, p, withContent(t), 2), opts)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := pdfcheck.Verify(b, p.roots)
	if err != nil || len(sig.Drawn) != 1 || !sig.Drawn[0].OverContent {
		t.Fatalf("Verify = %+v, %v; want valid, one widget drawn over the text", sig, err)
	}
	dir := t.TempDir()
	db := nssDB(t, dir, certs.EncodePEM(p.root.Cert))
	file := filepath.Join(dir, "p2-signature-over-page.pdf")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := run(t, "pdfsig", "-nssdir", db, file)
	t.Logf("pdfsig:\n%s", out)
	if strings.Count(out, "Signature is Valid.") != 2 || !strings.Contains(out, "Total document signed") {
		t.Errorf("pdfsig does not accept both signatures")
	}
}

// TestCheckChangesDrawnSigned: an empty signature field of the certified
// revision, visible, signed later, keeps the appearance that was
// certified and is not reported; given a new appearance, it is.
func TestCheckChangesDrawnSigned(t *testing.T) {
	p := newTestPKI(t, time.Now())
	base := appendUpdate(t, withContent(t), func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
		page, err := pdfcheck.NthPage(f, catalog, 1)
		if err != nil {
			t.Fatal(err)
		}
		ap := u.add()
		form := pdfcheck.NewDict()
		form.Set("Type", pdfcheck.Name("XObject"))
		form.Set("Subtype", pdfcheck.Name("Form"))
		form.Set("BBox", pdfcheck.Array{0, 0, 1, 1})
		u.setStream(ap, form, []byte("0 0 1 1 re S"))
		apd := pdfcheck.NewDict()
		apd.Set("N", pdfcheck.Ref{Num: ap})
		w := pdfcheck.NewDict()
		w.Set("Type", pdfcheck.Name("Annot"))
		w.Set("Subtype", pdfcheck.Name("Widget"))
		w.Set("FT", pdfcheck.Name("Sig"))
		w.Set("T", pdfcheck.TextString("Later"))
		w.Set("Rect", pdfcheck.Array{72, 600, 300, 650})
		w.Set("AP", apd)
		num := u.add()
		u.set(num, w)
		acro := pdfcheck.NewDict()
		acro.Set("Fields", pdfcheck.Array{pdfcheck.Ref{Num: num}})
		catalog.Set("AcroForm", acro)
		u.set(root.Num, catalog)
		u.set(page.Num, mustDict(t, f, page.Num, func(d *pdfcheck.Dict) { d.Set("Annots", pdfcheck.Array{pdfcheck.Ref{Num: num}}) }))
	})
	certified := certifyBytes(t, p, base, 2)
	later := func(newAppearance bool) []byte {
		return appendUpdate(t, certified, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			_, _, fields, err := pdfcheck.AcroFormOf(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, fo := range fields {
				r := fo.(pdfcheck.Ref)
				if d, _ := f.DictOf(r); d.Get("V") != nil {
					continue // the certifying signature
				}
				sig := pdfcheck.NewDict()
				sig.Set("Type", pdfcheck.Name("Sig"))
				sn := u.add()
				u.set(sn, sig)
				u.set(r.Num, mustDict(t, f, r.Num, func(d *pdfcheck.Dict) {
					d.Set("V", pdfcheck.Ref{Num: sn})
					if newAppearance {
						ap, _ := d.Get("AP").(*pdfcheck.Dict)
						ap = ap.Clone()
						ap.Set("D", ap.Get("N"))
						d.Set("AP", ap)
					}
				}))
			}
		})
	}
	for _, c := range []struct {
		name    string
		ap      bool
		changes pdfcheck.Changes
		drawn   int
	}{{"signed", false, pdfcheck.ChangeSignatures, 0}, {"signed, appearance changed", true, pdfcheck.ChangeSignatures | pdfcheck.ChangeForms, 1}} {
		b := later(c.ap)
		got, drawn, err := pdfcheck.CheckChanges(b, pdfcheck.Certification{Level: 2, Length: int64(len(certified)), Added: int64(len(b) - len(certified))})
		if err != nil || got.Changes != c.changes || len(drawn) != c.drawn || got.Drawn != c.drawn {
			t.Errorf("%s: checkChanges = %+v, %+v, %v; want %d drawn", c.name, got, drawn, err, c.drawn)
		}
	}
}
