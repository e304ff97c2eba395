package pdf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"

	"github.com/custos-project/custos/pdfcheck"
)

// shadowUpdate appends to signed an incremental update (ISO 32000-1
// §7.5.6) that lays a FreeText annotation with a new applicant over the
// first page: the shadow attack on a signed PDF. The signed bytes are
// untouched, so the signature itself still verifies over them.
func shadowUpdate(t *testing.T, signed []byte) []byte {
	t.Helper()
	f, err := pdfcheck.ParseFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	catalog, err := f.DictOf(f.Trailer.Get("Root"))
	if err != nil {
		t.Fatal(err)
	}
	pageRef, err := pdfcheck.NthPage(f, catalog, 1)
	if err != nil {
		t.Fatal(err)
	}
	page, err := f.DictOf(pageRef)
	if err != nil {
		t.Fatal(err)
	}
	u, err := newUpdate(f)
	if err != nil {
		t.Fatal(err)
	}
	ap := []byte("1 1 1 rg 0 0 400 60 re f 1 0 0 rg BT /Helv 20 Tf 10 25 Td (APPLICANT: MALLORY) Tj ET")
	helv := pdfcheck.NewDict()
	helv.Set("Type", pdfcheck.Name("Font"))
	helv.Set("Subtype", pdfcheck.Name("Type1"))
	helv.Set("BaseFont", pdfcheck.Name("Helvetica"))
	fonts, res := pdfcheck.NewDict(), pdfcheck.NewDict()
	fonts.Set("Helv", helv)
	res.Set("Font", fonts)
	form := pdfcheck.NewDict()
	form.Set("Type", pdfcheck.Name("XObject"))
	form.Set("Subtype", pdfcheck.Name("Form"))
	form.Set("BBox", pdfcheck.Array{0, 0, 400, 60})
	form.Set("Resources", res)
	formNum := u.add()
	u.setStream(formNum, form, ap)
	apDict := pdfcheck.NewDict()
	apDict.Set("N", pdfcheck.Ref{Num: formNum})
	annot := pdfcheck.NewDict()
	annot.Set("Type", pdfcheck.Name("Annot"))
	annot.Set("Subtype", pdfcheck.Name("FreeText"))
	annot.Set("Rect", pdfcheck.Array{60, 600, 460, 660})
	annot.Set("DA", pdfcheck.Str{Bytes: []byte("/Helv 20 Tf 1 0 0 rg"), Start: -1})
	annot.Set("AP", apDict)
	annotNum := u.add()
	u.set(annotNum, annot)
	annots, _ := page.Get("Annots").(pdfcheck.Array)
	p := page.Clone()
	p.Set("Annots", append(append(pdfcheck.Array{}, annots...), pdfcheck.Ref{Num: annotNum}))
	u.set(pageRef.Num, p)
	out, _ := u.bytes()
	if !bytes.HasPrefix(out, signed) {
		t.Fatal("the update changed the signed bytes")
	}
	return out
}

// TestVerifyShadowUpdate: an incremental update appended after signing is
// refused, and reported as such: the signed revision (its length, its
// verified signature) and how much was added, so that a notary can tell a
// changed certificate from an unsigned file. Real pdfsig says the same
// signature is valid and only that the document is not totally signed.
func TestVerifyShadowUpdate(t *testing.T) {
	p := newTestPKI(t, time.Now())
	signed := signedDocument(t, p)
	for name, b := range map[string][]byte{
		"annotation": shadowUpdate(t, signed),
		"bytes":      append(bytes.Clone(signed), "\n% appended\n"...),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := pdfcheck.Verify(b, p.roots)
			var ve *pdfcheck.VerifyError
			if !errors.As(err, &ve) || ve.Step != "find" || !errors.Is(err, pdfcheck.ErrAddedAfterSigning) || !errors.Is(err, pdfcheck.ErrNoSignature) {
				t.Fatalf("Verify(update after signing) = %v, want step find, ErrAddedAfterSigning", err)
			}
			if ve.Revision == nil || ve.Revision.ByteRange[2]+ve.Revision.ByteRange[3] != int64(len(signed)) || ve.Revision.Signer.Subject.CommonName != "张三 公证员" {
				t.Fatalf("VerifyError.Revision = %+v, want the verified signature of the first %d bytes", ve.Revision, len(signed))
			}
			if !strings.Contains(ve.Want, strconv.Itoa(len(signed))) {
				t.Errorf("Want = %q, want the signed revision's length %d", ve.Want, len(signed))
			}
			if !strings.Contains(ve.Got, strconv.Itoa(len(b))) || !strings.Contains(ve.Got, strconv.Itoa(len(b)-len(signed))) {
				t.Errorf("Got = %q, want the file's length %d and the %d bytes added", ve.Got, len(b), len(b)-len(signed))
			}
		})
	}
	t.Run("changed revision", func(t *testing.T) {
		// The signed part changed too: no signed revision to report.
		b := shadowUpdate(t, signed)
		b[len(signed)/3] ^= 1
		_, err := pdfcheck.Verify(b, p.roots)
		var ve *pdfcheck.VerifyError
		if !errors.As(err, &ve) || !errors.Is(err, pdfcheck.ErrNoSignature) || errors.Is(err, pdfcheck.ErrAddedAfterSigning) || ve.Revision != nil {
			t.Fatalf("Verify(changed, then updated) = %v, want ErrNoSignature only", err)
		}
	})
}

// TestPdfsigShadowUpdate has poppler's pdfsig read the shadow update:
// it still calls the signature valid, and says only "Not total document
// signed", which is why Verify reports the update itself.
func TestPdfsigShadowUpdate(t *testing.T) {
	requireTool(t, "pdfsig", "certutil", "pdftotext")
	p := newTestPKI(t, time.Now())
	b := shadowUpdate(t, signedDocument(t, p))
	dir := t.TempDir()
	db := nssDB(t, dir, certs.EncodePEM(p.root.Cert))
	file := filepath.Join(dir, "shadow.pdf")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := run(t, "pdfsig", "-nssdir", db, file)
	t.Logf("pdfsig:\n%s", out)
	if !strings.Contains(out, "Not total document signed") {
		t.Errorf("pdfsig does not see the update")
	}
}
