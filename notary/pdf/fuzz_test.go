package pdf

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"testing"
	"time"
)

// FuzzVerify checks that Verify never panics on mutated PDFs and never
// accepts anything but the signed bytes themselves.
func FuzzVerify(f *testing.F) {
	p := newTestPKI(f, time.Now())
	signed, err := Sign(context.Background(), minimalXrefStreamPDF(), p.options())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed)
	f.Add(minimalXrefStreamPDF())
	f.Add(signed[:len(signed)/2])
	f.Add(bytes.ReplaceAll(signed, []byte("/Prev"), []byte("/Prex")))
	f.Add(append(bytes.Clone(signed), "\n1 0 obj\n<<>>\nendobj\n"...)) // a signed revision, then more
	// Certified with P=1, then signed again (which Sign refuses): step
	// certification refuses it.
	twice, err := appendSignature(context.Background(), signed, p.options())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(twice)
	f.Add(bytes.Replace(signed, []byte("/P 1 /V"), []byte("/P 7 /V"), 1))
	// Certified with P=2, a page's content changed, then signed: step
	// certification refuses it (checkChanges).
	old := certifyLevel
	certifyLevel = 2
	p2, err := Sign(context.Background(), minimalXrefStreamPDF(), p.options())
	certifyLevel = old
	if err != nil {
		f.Fatal(err)
	}
	pf, err := parseFile(p2)
	if err != nil {
		f.Fatal(err)
	}
	u, err := newUpdate(pf)
	if err != nil {
		f.Fatal(err)
	}
	page := newDict()
	page.set("Type", name("Page"))
	page.set("Parent", ref{num: 2})
	page.set("MediaBox", array{0, 0, 100, 100})
	u.set(3, page)
	update, _ := u.bytes()
	changed, err := Sign(context.Background(), update, p.options())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(changed)
	f.Add([]byte("%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer\n<</Size 1 /Root 1 0 R>>\nstartxref\n9\n%%EOF\n"))
	f.Add([]byte("%PDF-1.7\n1 0 obj\n<</A [[[[[[1 0 R]]]]]]>>\nendobj\nstartxref\n9\n%%EOF"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := Verify(b, p.roots); err == nil && !bytes.Equal(b, signed) {
			t.Errorf("Verify accepted %d bytes that are not the signed document", len(b))
		}
		_, _ = Attachments(b) // must not panic on any input
		_, _ = Links(b)
	})
}

// FuzzVerifySM is FuzzVerify for a PDF signed in the sm suite, whose
// signature, time-stamp and chain take the SM2 paths (sm.go).
func FuzzVerifySM(f *testing.F) {
	p := newSMTestPKI(f)
	signed, err := Sign(context.Background(), minimalXrefStreamPDF(), p.options())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed)
	f.Add(signed[:len(signed)/2])
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := Verify(b, p.roots); err == nil && !bytes.Equal(b, signed) {
			t.Errorf("Verify accepted %d bytes that are not the signed document", len(b))
		}
	})
}

// FuzzCheckChanges checks that the analysis of the revisions after a
// certification with P=2 or P=3 (checkChanges) never panics, and ends, on
// mutated revisions after a certified one, whatever it concludes.
func FuzzCheckChanges(f *testing.F) {
	p := newTestPKI(f, time.Now())
	certified, twice := certifiedTwice(f, p)
	n := len(certified)
	f.Add(twice[n:], uint8(2))
	f.Add(append(bytes.Clone(twice[n:]), "\n1 0 obj\n<</Type /Catalog /Pages 2 0 R /OpenAction [3 0 R]>>\nendobj\n"...), uint8(3))
	f.Add(bytes.ReplaceAll(twice[n:], []byte("/Annots"), []byte("/Annotz")), uint8(2))
	f.Add([]byte("%%EOF\n%%EOF\r\n%%EOF"), uint8(3))
	// A stamp drawn over page 1 (security review P5: Drawn).
	f.Add(withAnnot(f, twice, "Stamp", array{10, 10, 90, 90}, 4, true)[n:], uint8(3))
	f.Fuzz(func(t *testing.T, later []byte, level uint8) {
		b := append(bytes.Clone(certified), later...)
		c := Certification{Level: 2 + int(level%2), Length: int64(n), Added: int64(len(later))}
		_, _, _ = checkChanges(b, c)
	})
}

// FuzzContentBox checks that the estimate of where a page's content draws
// (contentBox, for Drawn.OverContent) never panics, ends, and gives a
// rectangle with no NaN in it, on any content stream.
func FuzzContentBox(f *testing.F) {
	for _, c := range []string{
		"BT /F1 24 Tf 72 700 Td (APPLICANT: MALLORY) Tj ET",
		"q 2 0 0 2 100 100 cm 0 0 10 10 re f Q 100 100 m 200 50 l 150 300 250 10 300 100 c S",
		"BT 12 TL /F1 10 Tf 1 0 0 1 50 50 Tm T* [(a) -300 (b)] TJ 1 2 (c) \" (d) ' 150 Tz 2 Tc 3 Tw 4 Ts (e) Tj ET",
		"q 50 0 0 20 300 400 cm /Im1 Do /Fm1 Do Q /Sh1 sh",
		"BI /W 1 /H 1 ID \x00 EI",
	} {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		page := "<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources <</XObject <</Fm1 5 0 R>>>>>>"
		b := []byte("%PDF-1.7\n1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n2 0 obj\n<</Type /Pages /Kids [3 0 R] /Count 1>>\nendobj\n3 0 obj\n" + page + "\nendobj\n")
		b = append(b, fmt.Sprintf("4 0 obj\n<</Length %d>>stream\n", len(content))...)
		b = append(append(b, content...), "\nendstream\nendobj\n5 0 obj\n<</Type /XObject /Subtype /Form /BBox [0 0 10 10] /Matrix [1 0 0 1 5 5] /Length 0>>stream\n\nendstream\nendobj\n"...)
		pf := &file{b: b, xref: map[int]xrefEntry{}, cache: map[int]object{}, busy: map[int]bool{}, objStms: map[int]*objStm{}}
		for num, at := range map[int]string{1: "1 0 obj", 2: "2 0 obj", 3: "3 0 obj", 4: "4 0 obj", 5: "5 0 obj"} {
			pf.xref[num] = xrefEntry{offset: int64(bytes.Index(b, []byte(at)))}
		}
		for _, v := range contentBox(pf, 3) {
			if math.IsNaN(v) {
				t.Fatalf("contentBox(%q) has NaN", content)
			}
		}
	})
}

// FuzzCheckSignatures checks that step signatures (checkSignatures) never
// panics, and ends, on mutated documents certified with P=2 and signed
// again, and that it accepts the certified revision only as signed. The
// whole file's signature stands in unverified, as findSignature reads it
// (it is not what this fuzzes, and any mutation would break it first), so
// only a revision shorter than the file is held to its bytes.
func FuzzCheckSignatures(f *testing.F) {
	p := newTestPKI(f, time.Now())
	certified, twice := certifiedTwice(f, p)
	n := int64(len(certified))
	f.Add(twice)
	f.Add(bytes.Replace(twice, []byte("/FT /Sig"), []byte("/FT /Sog"), 1))
	f.Add(bytes.Replace(twice, []byte("/ETSI.CAdES.detached"), []byte("/adbe.pkcs7.detach"), 1))
	f.Add(bytes.Replace(twice, []byte("/ByteRange [0 "), []byte("/ByteRange [1 "), 1))
	changed := bytes.Clone(twice) // the certifying signature's CMS changed
	i := bytes.Index(changed, []byte("/Contents <")) + len("/Contents <")
	changed[i+1] ^= 1
	f.Add(changed)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, sig, err := findSignature(b)
		if err != nil {
			return
		}
		sig.Certification, _ = certificationOfBytes(b)
		if checkSignatures(b, sig, p.roots) != nil {
			return
		}
		for _, s := range sig.Signatures {
			br := s.ByteRange
			if s.End() == n && n < int64(len(b)) && (!bytes.Equal(b[:br[1]], certified[:br[1]]) || !bytes.Equal(b[br[2]:n], certified[br[2]:])) {
				t.Errorf("checkSignatures accepted a certified revision of %d bytes that is not the signed one", n)
			}
		}
	})
}

// certificationOfBytes is certificationOf for the bytes b.
func certificationOfBytes(b []byte) (Certification, error) {
	f, err := parseFile(b)
	if err != nil {
		return Certification{}, err
	}
	catalog, err := f.dictOf(f.trailer.get("Root"))
	if err != nil {
		return Certification{}, err
	}
	return certificationOf(f, catalog, b)
}

// certifiedTwice is the minimal cross-reference-stream PDF certified with
// P=2, and that document signed again: the seeds of the fuzz targets of
// the revisions after a certification.
func certifiedTwice(f *testing.F, p *testPKI) (certified, twice []byte) {
	f.Helper()
	old := certifyLevel
	certifyLevel = 2
	certified, err := Sign(context.Background(), minimalXrefStreamPDF(), p.options())
	certifyLevel = old
	if err != nil {
		f.Fatal(err)
	}
	if twice, err = Sign(context.Background(), certified, p.options()); err != nil {
		f.Fatal(err)
	}
	return certified, twice
}
