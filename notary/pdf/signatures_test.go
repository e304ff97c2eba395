package pdf

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"

	"github.com/custos-project/custos/pdfcheck"
)

// brokenCertifier is a document certified with P=2 and signed again, by
// the trusted notary, whose certifying signature does not verify.
type brokenCertifier struct {
	name string
	b    []byte
	step string // where the certifying signature fails
	err  error
	// pdfsig is what pdfsig (poppler), which checks every signature,
	// says of the first.
	pdfsig string
	end    int64 // the certified revision's length
}

// brokenCertifiers: the certifying signature by another notary's key (the
// same names, under another root; the time-stamp trusted), or with its
// /Contents changed; then signed again with p's notary.
func brokenCertifiers(t *testing.T, p *testPKI) []brokenCertifier {
	t.Helper()
	other := newTestPKI(t, time.Now())
	opts := other.options()
	opts.TSA = p.tsa // a trusted time-stamp: the chain is what fails
	old := certifyLevel
	certifyLevel = 2
	untrusted, err := Sign(context.Background(), renderedDocument(t), opts)
	certifyLevel = old
	if err != nil {
		t.Fatal(err)
	}
	changed := signedAt(t, p, 2)
	i := bytes.Index(changed, []byte("/Contents <")) + len("/Contents <")
	changed[i+1] ^= 1 // the CMS's first byte
	return []brokenCertifier{
		{"certifier untrusted", signAgain(t, p, untrusted), "chain", pdfcheck.ErrUntrusted, "Certificate issuer isn't Trusted.", int64(len(untrusted))},
		{"certifying /Contents changed", signAgain(t, p, changed), "cms", pdfcheck.ErrCMS, "Signature Validation:", int64(len(changed))},
	}
}

// signAgain adds an approval signature by p's notary.
func signAgain(t *testing.T, p *testPKI, b []byte) []byte {
	t.Helper()
	opts := p.options()
	opts.Reason = "复核 Review"
	out, err := appendSignature(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// renderedDocument renders the test document, unsigned.
func renderedDocument(t testing.TB) []byte {
	t.Helper()
	b, err := testRenderer(t).Render(testDocument())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVerifyEverySignature: Verify checks every signature, each over the
// revision it signs, and reports them in order with the certifier. A
// document certified with P=2 and then signed again is accepted only when
// its certifying signature verifies too: one by another notary's key or
// with its /Contents changed is refused at step signatures, naming the
// signature, though the last signature, trusted, covers the whole file.
// Before, Verify checked the last signature only and accepted both,
// reporting the document certified.
func TestVerifyEverySignature(t *testing.T) {
	p := newTestPKI(t, time.Now())
	certified := signedAt(t, p, 2)
	n := int64(len(certified))

	t.Run("valid", func(t *testing.T) {
		b := signAgain(t, p, certified)
		sig, err := pdfcheck.Verify(b, p.roots)
		if err != nil {
			t.Fatalf("Verify = %v", err)
		}
		if len(sig.Signatures) != 2 {
			t.Fatalf("Verify: %d signatures, want 2", len(sig.Signatures))
		}
		first, last := sig.Signatures[0], sig.Signatures[1]
		if !first.Certifies || last.Certifies || first.Start != 0 || first.End() != n || last.Start != n || last.End() != int64(len(b)) {
			t.Errorf("Verify: signatures %+v, %+v; want the certifying one of the first %d bytes, then one of the whole file", first, last, n)
		}
		if first.Field == "" || first.Field == last.Field || last.Reason != "复核 Review" || !first.Signer.Equal(p.notary.Cert) || first.Time.IsZero() {
			t.Errorf("Verify: signatures %q %q (%q), signer %v", first.Field, last.Field, last.Reason, first.Signer.Subject)
		}
		if c := sig.Certification; c.Certifier == nil || !c.Certifier.Equal(p.notary.Cert) {
			t.Errorf("Verify.Certification.Certifier = %v, want the notary", c.Certifier)
		}
	})
	t.Run("one signature", func(t *testing.T) {
		sig, err := pdfcheck.Verify(certified, p.roots)
		if err != nil || len(sig.Signatures) != 1 || !sig.Signatures[0].Certifies || sig.Signatures[0].ByteRange != sig.ByteRange {
			t.Fatalf("Verify = %+v, %v; want one signature, the certifying one", sig, err)
		}
	})

	for _, c := range brokenCertifiers(t, p) {
		t.Run(c.name, func(t *testing.T) {
			if _, err := pdfcheck.VerifyWhole(c.b, p.roots); err != nil {
				t.Fatalf("the last signature does not verify: %v", err)
			}
			_, err := pdfcheck.Verify(c.b, p.roots)
			var ve *pdfcheck.VerifyError
			var se *pdfcheck.SignatureError
			if !errors.As(err, &ve) || ve.Step != "signatures" || !errors.Is(err, c.err) || !errors.As(err, &se) {
				t.Fatalf("Verify = %v, want step signatures, %v", err, c.err)
			}
			if se.Index != 1 || se.Count != 2 || !se.Certifies || se.Field == "" || se.End != c.end || se.Step() != c.step {
				t.Errorf("SignatureError = %+v (step %s), want signature 1 of 2, the certifying one of %d bytes, at step %s", se, se.Step(), c.end, c.step)
			}
		})
	}
}

// TestPdfsigEverySignature: pdfsig, which checks every signature, refuses
// the certifying signatures that Verify refuses at step signatures, and
// accepts the later one.
func TestPdfsigEverySignature(t *testing.T) {
	requireTool(t, "pdfsig", "certutil")
	p := newTestPKI(t, time.Now())
	dir := t.TempDir()
	db := nssDB(t, dir, certs.EncodePEM(p.root.Cert))
	for i, c := range brokenCertifiers(t, p) {
		file := filepath.Join(dir, string(rune('a'+i))+".pdf")
		if err := os.WriteFile(file, c.b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := run(t, "pdfsig", "-nssdir", db, file)
		t.Logf("pdfsig (%s):\n%s", c.name, out)
		first, second, _ := strings.Cut(out, "Signature #2")
		if !strings.Contains(first, c.pdfsig) || strings.Contains(first, "Certificate is Trusted.") && strings.Contains(first, "Signature is Valid.") ||
			!strings.Contains(second, "Signature is Valid.") {
			t.Errorf("pdfsig(%s): want the first signature refused (%q), the second valid", c.name, c.pdfsig)
		}
	}
}
