package pdf

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/custos-project/custos/pdfcheck"
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
	// certification refuses it (CheckChanges).
	old := certifyLevel
	certifyLevel = 2
	p2, err := Sign(context.Background(), minimalXrefStreamPDF(), p.options())
	certifyLevel = old
	if err != nil {
		f.Fatal(err)
	}
	pf, err := pdfcheck.ParseFile(p2)
	if err != nil {
		f.Fatal(err)
	}
	u, err := newUpdate(pf)
	if err != nil {
		f.Fatal(err)
	}
	page := pdfcheck.NewDict()
	page.Set("Type", pdfcheck.Name("Page"))
	page.Set("Parent", pdfcheck.Ref{Num: 2})
	page.Set("MediaBox", pdfcheck.Array{0, 0, 100, 100})
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
		if _, err := pdfcheck.Verify(b, p.roots); err == nil && !bytes.Equal(b, signed) {
			t.Errorf("Verify accepted %d bytes that are not the signed document", len(b))
		}
		_, _ = pdfcheck.Attachments(b) // must not panic on any input
		_, _ = pdfcheck.Links(b)
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
		if _, err := pdfcheck.Verify(b, p.roots); err == nil && !bytes.Equal(b, signed) {
			t.Errorf("Verify accepted %d bytes that are not the signed document", len(b))
		}
	})
}

// FuzzCheckChanges checks that the analysis of the revisions after a
// certification with P=2 or P=3 (CheckChanges) never panics, and ends, on
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
	f.Add(withAnnot(f, twice, "Stamp", pdfcheck.Array{10, 10, 90, 90}, 4, true)[n:], uint8(3))
	f.Fuzz(func(t *testing.T, later []byte, level uint8) {
		b := append(bytes.Clone(certified), later...)
		c := pdfcheck.Certification{Level: 2 + int(level%2), Length: int64(n), Added: int64(len(later))}
		_, _, _ = pdfcheck.CheckChanges(b, c)
	})
}

// FuzzCheckSignatures checks that step signatures (CheckSignatures) never
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
		sig, err := pdfcheck.FindSignature(b)
		if err != nil {
			return
		}
		sig.Certification, _ = certificationOfBytes(b)
		if pdfcheck.CheckSignatures(b, sig, p.roots) != nil {
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

// certificationOfBytes is CertificationOf for the bytes b.
func certificationOfBytes(b []byte) (pdfcheck.Certification, error) {
	f, err := pdfcheck.ParseFile(b)
	if err != nil {
		return pdfcheck.Certification{}, err
	}
	catalog, err := f.DictOf(f.Trailer.Get("Root"))
	if err != nil {
		return pdfcheck.Certification{}, err
	}
	return pdfcheck.CertificationOf(f, catalog, b)
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
