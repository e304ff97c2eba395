package pdf

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/pdfcheck"
)

// certifiedMinimal signs minimalPDF, certifying it with DocMDP /P level.
func certifiedMinimal(t *testing.T, p *testPKI, level int) []byte {
	t.Helper()
	old := certifyLevel
	certifyLevel = level
	defer func() { certifyLevel = old }()
	b, err := Sign(context.Background(), minimalPDF(), p.options())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// appendUpdate appends to b an incremental update that edit writes.
func appendUpdate(t testing.TB, b []byte, edit func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref)) []byte {
	t.Helper()
	f, err := pdfcheck.ParseFile(b)
	if err != nil {
		t.Fatal(err)
	}
	root := f.Trailer.Get("Root").(pdfcheck.Ref)
	catalog, err := f.DictOf(root)
	if err != nil {
		t.Fatal(err)
	}
	u, err := newUpdate(f)
	if err != nil {
		t.Fatal(err)
	}
	edit(f, u, catalog.Clone(), root)
	out, _ := u.bytes()
	return out
}

// editPage rewrites page 1 with change applied to a copy of it.
func editPage(change func(u *update, page *pdfcheck.Dict)) func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
	return func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
		r, err := pdfcheck.NthPage(f, catalog, 1)
		if err != nil {
			panic(err)
		}
		page, err := f.DictOf(r)
		if err != nil {
			panic(err)
		}
		page = page.Clone()
		change(u, page)
		u.set(r.Num, page)
	}
}

// pageContent gives page 1 a new content stream.
var pageContent = editPage(func(u *update, page *pdfcheck.Dict) {
	n := u.add()
	u.setStream(n, pdfcheck.NewDict(), []byte("BT /F1 24 Tf 72 700 Td (APPLICANT: MALLORY) Tj ET"))
	page.Set("Contents", pdfcheck.Ref{Num: n})
})

// addDSS gives the catalog a document security store (ETSI EN 319 142-1
// §5.4.2) holding one certificate, or, when the catalog has one, rewrites
// its dictionary with a second.
func addDSS(t *testing.T, p *testPKI) func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
	return func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
		cert := u.add()
		u.setStream(cert, pdfcheck.NewDict(), p.org.Cert.Raw)
		if r, ok := catalog.Get("DSS").(pdfcheck.Ref); ok {
			dss, err := f.DictOf(r)
			if err != nil {
				t.Fatal(err)
			}
			dss = dss.Clone()
			certs, _ := dss.Get("Certs").(pdfcheck.Array)
			dss.Set("Certs", append(append(pdfcheck.Array{}, certs...), pdfcheck.Ref{Num: cert}))
			u.set(r.Num, dss)
			return
		}
		dss := pdfcheck.NewDict()
		dss.Set("Certs", pdfcheck.Array{pdfcheck.Ref{Num: cert}})
		num := u.add()
		u.set(num, dss)
		catalog.Set("DSS", pdfcheck.Ref{Num: num})
		u.set(root.Num, catalog)
	}
}

// TestVerifyChanges: after a certification with P=2 or P=3, Verify checks
// what each later revision changes (ISO 32000-1 §12.8.2.2): the documents
// are built by real signing, each signed again after the update so that
// the whole file's signature verifies, and only the certification's
// check can refuse them.
func TestVerifyChanges(t *testing.T) {
	p := newTestPKI(t, time.Now())
	sign := func(b []byte) []byte {
		t.Helper()
		opts := p.options()
		opts.Reason = "复核 Review"
		out, err := Sign(context.Background(), b, opts)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	content := pageContent
	p2, p3 := certifiedMinimal(t, p, 2), certifiedMinimal(t, p, 3)
	for _, c := range []struct {
		name    string
		b       []byte
		changes pdfcheck.Changes // when valid
		revs    int
		refused string // what a refusal says, "" when valid
		rev     int    // and the revision it names
	}{
		{"P=2, signed again", sign(p2), pdfcheck.ChangeSignatures, 1, "", 0},
		{"P=2, signed thrice", sign(sign(p2)), pdfcheck.ChangeSignatures, 2, "", 0},
		{"P=3, signed again", sign(p3), pdfcheck.ChangeSignatures, 1, "", 0},
		{"P=2, DSS added and updated", sign(appendUpdate(t, appendUpdate(t, sign(p2), addDSS(t, p)), addDSS(t, p))), pdfcheck.ChangeSignatures | pdfcheck.ChangeDSS, 4, "", 0},
		{"P=3, annotation added", sign(shadowUpdate(t, p3)), pdfcheck.ChangeSignatures | pdfcheck.ChangeAnnotations, 2, "", 0},
		{"P=2, annotation added", sign(shadowUpdate(t, p2)), 0, 0, "object 3: a /FreeText annotation is added to a page", 1},
		{"P=2, page content changed", sign(appendUpdate(t, p2, content)), 0, 0, "object 3: a page's /Contents is changed", 1},
		{"P=2, signed, then page content changed", sign(appendUpdate(t, sign(p2), content)), 0, 0, "object 3: a page's /Contents is changed", 2},
		{"P=3, page content changed", sign(appendUpdate(t, p3, content)), 0, 0, "object 3: a page's /Contents is changed", 1},
		{"P=2, open action added", sign(appendUpdate(t, p2, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			catalog.Set("OpenAction", pdfcheck.Array{pdfcheck.Ref{Num: 3}, pdfcheck.Name("Fit")})
			u.set(root.Num, catalog)
		})), 0, 0, "object 1: the catalog's /OpenAction is changed", 1},
		{"P=2, pages tree changed", sign(appendUpdate(t, p2, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			u.set(2, mustDict(t, f, 2, func(d *pdfcheck.Dict) { d.Set("Count", 2) }))
		})), 0, 0, "object 2: the pages tree is changed", 1},
		{"P=2, a signature replaced", sign(appendUpdate(t, sign(p2), func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			form, _, fields, _ := pdfcheck.AcroFormOf(f)
			_ = form
			w := fields[1].(pdfcheck.Ref)
			u.set(w.Num, mustDict(t, f, w.Num, func(d *pdfcheck.Dict) { d.Set("V", fields[0].(pdfcheck.Ref)) }))
		})), 0, 0, "a signature field's signature is replaced", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			sig, err := pdfcheck.Verify(c.b, p.roots)
			if c.refused == "" {
				if err != nil {
					t.Fatalf("Verify = %v", err)
				}
				if got := sig.Certification; got.Changes != c.changes || got.Revisions != c.revs {
					t.Errorf("Verify.Certification = %+v, want %d revisions with changes %v", got, c.revs, c.changes)
				}
				return
			}
			var ve *pdfcheck.VerifyError
			var ce *pdfcheck.ChangeError
			if !errors.As(err, &ve) || ve.Step != "certification" || !errors.Is(err, pdfcheck.ErrChangeNotPermitted) ||
				!errors.Is(err, pdfcheck.ErrCertificationViolated) || !errors.As(err, &ce) {
				t.Fatalf("Verify = %v, want step certification, a *ChangeError", err)
			}
			if !strings.Contains(ce.Error(), c.refused) || ce.Revision != c.rev {
				t.Errorf("ChangeError = %v, want revision %d and %q", ce, c.rev, c.refused)
			}
			if ve.Revision == nil || ve.Revision.Certification.Level != ce.Level {
				t.Errorf("VerifyError.Revision = %+v, want the certified revision", ve.Revision)
			}
		})
	}
}

// mustDict returns a copy of object num of f, changed by change.
func mustDict(t testing.TB, f *pdfcheck.File, num int, change func(*pdfcheck.Dict)) *pdfcheck.Dict {
	t.Helper()
	d, err := f.DictOf(pdfcheck.Ref{Num: num})
	if err != nil {
		t.Fatal(err)
	}
	d = d.Clone()
	change(d)
	return d
}

// TestVerifyChangesUndone: a later revision cannot undo a certification
// by rewriting the catalog without /Perms, nor make an object of the
// certified revision a part of the DSS to change it.
func TestVerifyChangesUndone(t *testing.T) {
	p := newTestPKI(t, time.Now())
	opts := p.options()
	opts.Reason = "复核 Review"
	for _, c := range []struct {
		name  string
		level int
		edit  func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref)
		want  string
	}{
		{"P=2, /Perms removed", 2, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			catalog.Del("Perms")
			u.set(root.Num, catalog)
		}, "the catalog's /Perms is changed"},
		{"P=2, page in the DSS", 2, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			dss := pdfcheck.NewDict()
			dss.Set("Certs", pdfcheck.Array{pdfcheck.Ref{Num: 3}})
			catalog.Set("DSS", dss)
			u.set(root.Num, catalog)
			u.set(3, mustDict(t, f, 3, func(d *pdfcheck.Dict) { d.Set("Contents", pdfcheck.Ref{Num: 1}) }))
		}, "a page's /Contents is changed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := appendUpdate(t, certifiedMinimal(t, p, c.level), c.edit)
			// Sign reads the certification as Verify does: it signs (P=2).
			b, err := Sign(context.Background(), b, opts)
			if err != nil {
				t.Fatal(err)
			}
			_, err = pdfcheck.Verify(b, p.roots)
			if !errors.Is(err, pdfcheck.ErrChangeNotPermitted) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Verify = %v, want ErrChangeNotPermitted, %q", err, c.want)
			}
		})
	}
	t.Run("P=1, /Perms removed", func(t *testing.T) {
		b := appendUpdate(t, certifiedMinimal(t, p, 1), func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			catalog.Del("Perms")
			u.set(root.Num, catalog)
		})
		if _, err := Sign(context.Background(), b, opts); !errors.Is(err, ErrCertifiedNoChange) {
			t.Errorf("Sign(P=1, /Perms removed) = %v, want ErrCertifiedNoChange", err)
		}
		b, err := appendSignature(context.Background(), b, opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pdfcheck.Verify(b, p.roots); !errors.Is(err, pdfcheck.ErrCertificationViolated) {
			t.Errorf("Verify(P=1, /Perms removed, signed) = %v, want ErrCertificationViolated", err)
		}
	})
}

// TestCheckChangesBounded: a file with many end-of-file markers after the
// certified revision is refused without reading each as a revision.
func TestCheckChangesBounded(t *testing.T) {
	p := newTestPKI(t, time.Now())
	b := certifiedMinimal(t, p, 2)
	n := int64(len(b))
	b = append(b, bytes.Repeat([]byte("%%EOF\n"), 100000)...)
	_, _, err := pdfcheck.CheckChanges(b, pdfcheck.Certification{Level: 2, Length: n, Added: int64(len(b)) - n})
	if !errors.Is(err, pdfcheck.ErrChangeNotPermitted) || !strings.Contains(err.Error(), "end-of-file markers") {
		t.Errorf("checkChanges(100000 %%%%EOF) = %v, want a refusal", err)
	}
}

// TestVerifyChangesAppended: bytes appended after a signature over a
// change that the P=2 certification does not permit are refused at step
// find, and the signed revision reported is the certified one, which
// verifies, not the later one, which Verify refuses.
func TestVerifyChangesAppended(t *testing.T) {
	p := newTestPKI(t, time.Now())
	p2 := certifiedMinimal(t, p, 2)
	opts := p.options()
	opts.Reason = "复核 Review"
	for _, c := range []struct {
		name string
		b    []byte
		rev  int
	}{
		{"a forbidden change, signed", appendUpdate(t, p2, pageContent), len(p2)},
		{"signed again", p2, 0},
	} {
		b, err := Sign(context.Background(), c.b, opts)
		if err != nil {
			t.Fatal(err)
		}
		want := c.rev
		if want == 0 {
			want = len(b)
		}
		_, err = pdfcheck.Verify(append(b, "\n1 0 obj\n<<>>\nendobj\n"...), p.roots)
		var ve *pdfcheck.VerifyError
		if !errors.As(err, &ve) || ve.Step != "find" || !errors.Is(err, pdfcheck.ErrAddedAfterSigning) || ve.Revision == nil {
			t.Fatalf("%s: Verify(appended) = %v, want step find, ErrAddedAfterSigning, a signed revision", c.name, err)
		}
		if got := ve.Revision.ByteRange[2] + ve.Revision.ByteRange[3]; got != int64(want) {
			t.Errorf("%s: the signed revision reported ends at %d, want %d", c.name, got, want)
		}
	}
}

// withTextField adds to b a text field whose widget is on page 1, and a
// FreeText annotation on it, in an update.
func withTextField(t *testing.T, b []byte) []byte {
	t.Helper()
	b = shadowUpdate(t, b)
	return appendUpdate(t, b, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
		r, err := pdfcheck.NthPage(f, catalog, 1)
		if err != nil {
			t.Fatal(err)
		}
		w := u.add()
		field := pdfcheck.NewDict()
		field.Set("Type", pdfcheck.Name("Annot"))
		field.Set("Subtype", pdfcheck.Name("Widget"))
		field.Set("FT", pdfcheck.Name("Tx"))
		field.Set("T", pdfcheck.TextString("Applicant"))
		field.Set("Rect", pdfcheck.Array{72, 700, 300, 720})
		field.Set("P", r)
		u.set(w, field)
		form := pdfcheck.NewDict()
		form.Set("Fields", pdfcheck.Array{pdfcheck.Ref{Num: w}})
		catalog.Set("AcroForm", form)
		u.set(root.Num, catalog)
		u.set(r.Num, mustDict(t, f, r.Num, func(d *pdfcheck.Dict) {
			annots, _ := d.Get("Annots").(pdfcheck.Array)
			d.Set("Annots", append(append(pdfcheck.Array{}, annots...), pdfcheck.Ref{Num: w}))
		}))
	})
}

// certifyBytes certifies b with DocMDP /P level.
func certifyBytes(t *testing.T, p *testPKI, b []byte, level int) []byte {
	t.Helper()
	old := certifyLevel
	certifyLevel = level
	defer func() { certifyLevel = old }()
	out, err := Sign(context.Background(), b, p.options())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCheckChangesRules: CheckChanges alone, on one update after a
// certification, for the rules Verify's tests do not reach.
func TestCheckChangesRules(t *testing.T) {
	p := newTestPKI(t, time.Now())
	base := withTextField(t, minimalPDF())
	field := func(f *pdfcheck.File) (pdfcheck.Ref, *pdfcheck.Dict) {
		_, _, fields, err := pdfcheck.AcroFormOf(f)
		if err != nil || len(fields) == 0 {
			t.Fatalf("no form field: %v", err)
		}
		r := fields[0].(pdfcheck.Ref)
		d, err := f.DictOf(r)
		if err != nil {
			t.Fatal(err)
		}
		return r, d.Clone()
	}
	freeText := func(f *pdfcheck.File, catalog *pdfcheck.Dict) (page pdfcheck.Ref, annot pdfcheck.Ref) {
		page, err := pdfcheck.NthPage(f, catalog, 1)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := f.DictOf(page)
		for _, a := range d.Get("Annots").(pdfcheck.Array) {
			if ad, _ := f.DictOf(a); ad.Get("Subtype") == pdfcheck.Name("FreeText") {
				return page, a.(pdfcheck.Ref)
			}
		}
		t.Fatal("no FreeText annotation")
		return
	}
	removeFreeText := func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
		page, annot := freeText(f, catalog)
		u.set(page.Num, mustDict(t, f, page.Num, func(d *pdfcheck.Dict) {
			var keep pdfcheck.Array
			for _, a := range d.Get("Annots").(pdfcheck.Array) {
				if a != annot {
					keep = append(keep, a)
				}
			}
			d.Set("Annots", keep)
		}))
	}
	for _, c := range []struct {
		name    string
		doc     []byte // unsigned, certified here
		level   int
		edit    func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref)
		changes pdfcheck.Changes
		refused string
	}{
		{"field filled in", base, 2, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			r, d := field(f)
			d.Set("V", pdfcheck.TextString("张三"))
			u.set(r.Num, d)
		}, pdfcheck.ChangeForms, ""},
		{"field moved", base, 2, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			r, d := field(f)
			d.Set("Rect", pdfcheck.Array{0, 0, 595, 842})
			u.set(r.Num, d)
		}, 0, "a form field's /Rect is changed"},
		{"text field added", base, 3, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			_, d := field(f)
			n := u.add()
			u.set(n, d)
			form, _, fields, _ := pdfcheck.AcroFormOf(f)
			form = form.Clone()
			form.Set("Fields", append(append(pdfcheck.Array{}, fields...), pdfcheck.Ref{Num: n}))
			catalog.Set("AcroForm", form)
			u.set(root.Num, catalog)
		}, 0, "a form field that is not a signature field is added"},
		{"P=3, annotation removed", base, 3, removeFreeText, pdfcheck.ChangeAnnotations, ""},
		{"P=2, annotation removed", base, 2, removeFreeText, 0, "an annotation is removed from a page"},
		{"P=3, annotation changed", base, 3, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			_, a := freeText(f, catalog)
			u.set(a.Num, mustDict(t, f, a.Num, func(d *pdfcheck.Dict) { d.Set("Contents", pdfcheck.TextString("note")) }))
		}, pdfcheck.ChangeAnnotations, ""},
		{"P=2, annotation changed", base, 2, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			_, a := freeText(f, catalog)
			u.set(a.Num, mustDict(t, f, a.Num, func(d *pdfcheck.Dict) { d.Set("Contents", pdfcheck.TextString("note")) }))
		}, 0, "changed: a /Annot dictionary"},
		{"object stream replaced", minimalXrefStreamPDF(), 2, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			page := "<</Type /Page /Parent 2 0 R /MediaBox [0 0 100 100]>>"
			d := pdfcheck.NewDict()
			d.Set("Type", pdfcheck.Name("ObjStm"))
			d.Set("N", 1)
			d.Set("First", 4)
			u.setStream(4, d, []byte("3 0 "+page))
		}, 0, "an object stream of an earlier revision is replaced"},
		{"a dangling reference defined", appendUpdate(t, minimalPDF(), editPage(func(u *update, page *pdfcheck.Dict) {
			page.Set("Contents", pdfcheck.Ref{Num: 99})
		})), 2, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			u.next = 100
			u.setStream(99, pdfcheck.NewDict(), []byte("BT /F1 24 Tf 72 700 Td (APPLICANT: MALLORY) Tj ET"))
		}, 0, "an object that the certified revision refers to but does not define is given a value"},
		{"trailer /Root", minimalPDF(), 2, func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			n := u.add()
			u.set(n, catalog)
			u.f.Trailer = u.f.Trailer.Clone()
			u.f.Trailer.Set("Root", pdfcheck.Ref{Num: n})
		}, 0, "the trailer's /Root is changed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			certified := certifyBytes(t, p, c.doc, c.level)
			b := appendUpdate(t, certified, c.edit)
			got, _, err := pdfcheck.CheckChanges(b, pdfcheck.Certification{Level: c.level, Length: int64(len(certified)), Added: int64(len(b) - len(certified))})
			if c.refused == "" {
				if err != nil || got.Changes != c.changes || got.Revisions != 1 {
					t.Errorf("checkChanges = %+v, %v; want 1 revision with changes %v", got, err, c.changes)
				}
				return
			}
			var ce *pdfcheck.ChangeError
			if !errors.As(err, &ce) || !strings.Contains(ce.What, c.refused) || ce.Revision != 1 {
				t.Errorf("checkChanges = %v, want revision 1: %q", err, c.refused)
			}
		})
	}
}

// TestVerifyRecertified: a later revision cannot replace the certification
// by pointing the catalog's /Perms at a certification signature of its
// own (a document has one certification, its first signature's, ISO
// 32000-1 §12.8.2.2): the earliest revision's certification holds.
func TestVerifyRecertified(t *testing.T) {
	p := newTestPKI(t, time.Now())
	for _, level := range []int{1, 2} {
		b := appendUpdate(t, certifiedMinimal(t, p, level), func(f *pdfcheck.File, u *update, catalog *pdfcheck.Dict, root pdfcheck.Ref) {
			catalog.Del("Perms")
			form, _, _, _ := pdfcheck.AcroFormOf(f)
			form = form.Clone()
			form.Set("Fields", pdfcheck.Array{})
			catalog.Set("AcroForm", form)
			u.set(root.Num, catalog)
		})
		old := certifyLevel
		certifyLevel = 3
		b, err := appendSignature(context.Background(), b, p.options())
		certifyLevel = old
		if err != nil {
			t.Fatal(err)
		}
		if _, sigs, _ := sigDicts(t, b); len(sigs) != 1 {
			t.Fatalf("%d signature fields, want the new one only", len(sigs))
		}
		sig, err := pdfcheck.Verify(b, p.roots)
		if !errors.Is(err, pdfcheck.ErrCertificationViolated) {
			t.Errorf("Verify(P=%d, then certified again with P=3) = %+v, %v; want ErrCertificationViolated", level, sig, err)
		}
	}
}
