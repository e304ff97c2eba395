package pdf

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

// withContent is minimalPDF with a line of text on page 1: about x 72 to
// 504, y 688 to 736 by contentBox's estimate.
func withContent(t *testing.T) []byte {
	t.Helper()
	return appendUpdate(t, minimalPDF(), pageContent)
}

// sealPDF is a one-page PDF that is a red square: the appearance of a
// visible signature (Placement.Seal).
func sealPDF(t *testing.T) []byte {
	t.Helper()
	return appendUpdate(t, minimalPDF(), editPage(func(u *update, page *dict) {
		n := u.add()
		u.setStream(n, newDict(), []byte("1 0 0 rg 0 0 595 842 re f"))
		page.set("Contents", ref{num: n})
	}))
}

// withAnnot adds to page 1 of b, in an update, an annotation of kind sub
// over r, with the flags /F (none when 0), and an appearance that paints
// r red when ap is set.
func withAnnot(t testing.TB, b []byte, sub string, r array, flags int, ap bool) []byte {
	t.Helper()
	return appendUpdate(t, b, func(f *file, u *update, catalog *dict, root ref) {
		page, err := nthPage(f, catalog, 1)
		if err != nil {
			t.Fatal(err)
		}
		a := newDict()
		a.set("Type", name("Annot"))
		a.set("Subtype", name(sub))
		a.set("Rect", r)
		if flags != 0 {
			a.set("F", flags)
		}
		if ap {
			form := newDict()
			form.set("Type", name("XObject"))
			form.set("Subtype", name("Form"))
			form.set("BBox", array{0, 0, 1, 1})
			n := u.add()
			u.setStream(n, form, []byte("1 0 0 rg 0 0 1 1 re f"))
			apd := newDict()
			apd.set("N", ref{num: n})
			a.set("AP", apd)
		}
		num := u.add()
		u.set(num, a)
		u.set(page.num, mustDict(t, f, page.num, func(d *dict) {
			annots, _ := d.get("Annots").(array)
			d.set("Annots", append(append(array{}, annots...), ref{num: num}))
		}))
	})
}

// fillField gives the text field of a document made by withTextField a
// value and, when ap is set, an appearance.
func fillField(t *testing.T, b []byte, ap bool) []byte {
	t.Helper()
	return appendUpdate(t, b, func(f *file, u *update, catalog *dict, root ref) {
		_, _, fields, err := acroFormOf(f)
		if err != nil || len(fields) == 0 {
			t.Fatalf("no form field: %v", err)
		}
		r := fields[0].(ref)
		u.set(r.num, mustDict(t, f, r.num, func(d *dict) {
			d.set("V", textString("MALLORY"))
			if ap {
				n := u.add()
				form := newDict()
				form.set("Type", name("XObject"))
				form.set("Subtype", name("Form"))
				form.set("BBox", array{0, 0, 228, 20})
				u.setStream(n, form, []byte("0 0 228 20 re f"))
				apd := newDict()
				apd.set("N", ref{num: n})
				d.set("AP", apd)
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
		want []Drawn // Object 0: any
	}{
		{"P=2, a signature over the text", sign(sign(p2, &Placement{Page: 1, Rect: [4]float64{60, 690, 300, 740}, Seal: seal}), nil),
			[]Drawn{{Revision: 1, Page: 1, Subtype: "Widget", Rect: [4]float64{60, 690, 300, 740}, OverContent: true}}},
		{"P=2, a signature beside the text", sign(sign(p2, &Placement{Page: 1, Rect: [4]float64{450, 40, 560, 120}, Seal: seal}), nil),
			[]Drawn{{Revision: 1, Page: 1, Subtype: "Widget", Rect: [4]float64{450, 40, 560, 120}}}},
		{"P=2, a signature with an empty appearance", sign(sign(p2, &Placement{Page: 1, Rect: [4]float64{60, 690, 300, 740}}), nil),
			[]Drawn{{Revision: 1, Page: 1, Subtype: "Widget", Rect: [4]float64{60, 690, 300, 740}, OverContent: true}}},
		{"P=2, invisible signatures", sign(sign(p2, nil), nil), nil},
		{"P=2, a field filled in with an appearance", sign(fillField(t, form2, true), nil),
			[]Drawn{{Revision: 1, Page: 1, Subtype: "Widget", Rect: [4]float64{72, 700, 300, 720}, OverContent: true}}},
		{"P=2, a field filled in without one", sign(fillField(t, form2, false), nil),
			[]Drawn{{Revision: 1, Page: 1, Subtype: "Widget", Rect: [4]float64{72, 700, 300, 720}, OverContent: true}}},
		{"P=3, an annotation under the text", sign(shadowUpdate(t, p3), nil),
			[]Drawn{{Revision: 1, Page: 1, Subtype: "FreeText", Rect: [4]float64{60, 600, 460, 660}}}},
		{"P=3, an annotation over the text", sign(withAnnot(t, p3, "Stamp", array{100, 680, 400, 760}, 4, true), nil),
			[]Drawn{{Revision: 1, Page: 1, Subtype: "Stamp", Rect: [4]float64{100, 680, 400, 760}, OverContent: true}}},
		{"P=3, a square without an appearance", sign(withAnnot(t, p3, "Square", array{400, 760, 100, 680}, 0, false), nil),
			[]Drawn{{Revision: 1, Page: 1, Subtype: "Square", Rect: [4]float64{100, 680, 400, 760}, OverContent: true}}},
		{"P=3, after a signature", sign(withAnnot(t, sign(p3, nil), "Stamp", array{100, 680, 400, 760}, 0, true), nil),
			[]Drawn{{Revision: 2, Page: 1, Subtype: "Stamp", Rect: [4]float64{100, 680, 400, 760}, OverContent: true}}},
		{"P=3, hidden", sign(withAnnot(t, p3, "Stamp", array{100, 680, 400, 760}, 2, true), nil), nil},
		{"P=3, no view", sign(withAnnot(t, p3, "Stamp", array{100, 680, 400, 760}, 32|4, true), nil), nil},
		{"P=3, a zero /Rect", sign(withAnnot(t, p3, "Stamp", array{100, 680, 100, 760}, 0, true), nil), nil},
		{"P=3, off the page", sign(withAnnot(t, p3, "Stamp", array{600, 100, 700, 200}, 0, true), nil), nil},
		{"P=3, a link without an appearance", sign(withAnnot(t, p3, "Link", array{100, 680, 400, 760}, 0, false), nil), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			sig, err := Verify(c.b, p.roots)
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

// TestContentBox: the area a page's content draws on, as contentBox
// estimates it.
func TestContentBox(t *testing.T) {
	page := rect{0, 0, 595, 842}
	for _, c := range []struct {
		name, content string
		want          rect
	}{
		{"empty", "", rect{}},
		{"a rectangle", "0 0 1 rg 10 20 30 40 re f", rect{10, 20, 40, 60}},
		{"under cm, in q", "q 2 0 0 2 100 100 cm 0 0 10 10 re f Q 0 0 1 1 re f", rect{0, 0, 120, 120}},
		{"a path", "100 100 m 200 50 l 150 300 250 10 300 100 c S", rect{100, 10, 300, 300}},
		{"text", "BT /F1 10 Tf 100 200 Td (ab) Tj ET", rect{100, 195, 120, 215}},
		{"text after T*", "BT /F1 10 Tf 12 TL 100 200 Td T* (a) Tj ET", rect{100, 183, 110, 203}},
		{"an image", "q 50 0 0 20 300 400 cm /Im1 Do Q", rect{300, 400, 350, 420}},
		{"a shading", "/Sh1 sh", page},
		{"an inline image", "BI /W 1 /H 1 /BPC 8 /CS /G ID \x00 EI", page},
		{"malformed", "0 0 1 1 re f ) (", page},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := appendUpdate(t, minimalPDF(), editPage(func(u *update, pd *dict) {
				n := u.add()
				u.setStream(n, newDict(), []byte(c.content))
				pd.set("Contents", ref{num: n})
			}))
			f, err := parseFile(b)
			if err != nil {
				t.Fatal(err)
			}
			got := contentBox(f, 3)
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
	sig, err := Verify(b, p.roots)
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
	base := appendUpdate(t, withContent(t), func(f *file, u *update, catalog *dict, root ref) {
		page, err := nthPage(f, catalog, 1)
		if err != nil {
			t.Fatal(err)
		}
		ap := u.add()
		form := newDict()
		form.set("Type", name("XObject"))
		form.set("Subtype", name("Form"))
		form.set("BBox", array{0, 0, 1, 1})
		u.setStream(ap, form, []byte("0 0 1 1 re S"))
		apd := newDict()
		apd.set("N", ref{num: ap})
		w := newDict()
		w.set("Type", name("Annot"))
		w.set("Subtype", name("Widget"))
		w.set("FT", name("Sig"))
		w.set("T", textString("Later"))
		w.set("Rect", array{72, 600, 300, 650})
		w.set("AP", apd)
		num := u.add()
		u.set(num, w)
		acro := newDict()
		acro.set("Fields", array{ref{num: num}})
		catalog.set("AcroForm", acro)
		u.set(root.num, catalog)
		u.set(page.num, mustDict(t, f, page.num, func(d *dict) { d.set("Annots", array{ref{num: num}}) }))
	})
	certified := certifyBytes(t, p, base, 2)
	later := func(newAppearance bool) []byte {
		return appendUpdate(t, certified, func(f *file, u *update, catalog *dict, root ref) {
			_, _, fields, err := acroFormOf(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, fo := range fields {
				r := fo.(ref)
				if d, _ := f.dictOf(r); d.get("V") != nil {
					continue // the certifying signature
				}
				sig := newDict()
				sig.set("Type", name("Sig"))
				sn := u.add()
				u.set(sn, sig)
				u.set(r.num, mustDict(t, f, r.num, func(d *dict) {
					d.set("V", ref{num: sn})
					if newAppearance {
						ap, _ := d.get("AP").(*dict)
						ap = ap.clone()
						ap.set("D", ap.get("N"))
						d.set("AP", ap)
					}
				}))
			}
		})
	}
	for _, c := range []struct {
		name    string
		ap      bool
		changes Changes
		drawn   int
	}{{"signed", false, ChangeSignatures, 0}, {"signed, appearance changed", true, ChangeSignatures | ChangeForms, 1}} {
		b := later(c.ap)
		got, drawn, err := checkChanges(b, Certification{Level: 2, Length: int64(len(certified)), Added: int64(len(b) - len(certified))})
		if err != nil || got.Changes != c.changes || len(drawn) != c.drawn || got.Drawn != c.drawn {
			t.Errorf("%s: checkChanges = %+v, %+v, %v; want %d drawn", c.name, got, drawn, err, c.drawn)
		}
	}
}
