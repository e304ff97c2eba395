package pdf

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/testenv"

	"github.com/custos-project/custos/pdfcheck"
)

// TestDocMDPVectors makes, for fixed keys, time and randomness, the PDFs
// of testdata/docmdp, which the tests of `custos verify --pdf` read
// (cmd/custos: they cannot make them, Sign refusing to), and checks them by
// regenerating (CUSTOS_UPDATE_GOLDEN=1 rewrites them): root.pem is the root
// their signers chain to; p1-signed-again.pdf is certified with P=1 and
// then signed again, as another producer's software could, and is refused
// at step certification; p2-signed-again.pdf is certified with P=2 and
// signed again, and verifies; p2-page-changed.pdf is certified with P=2,
// then its page's content changed in an update, then signed again, and is
// refused at step certification (revision 1 after the certified one,
// object 3); p2-certifier-untrusted.pdf is certified with P=2 by a notary
// of the same names under another root (time-stamped by the trusted TSA),
// then signed again by the trusted one, and is refused at step signatures
// (signature 1 of 2, step chain), though its last signature verifies;
// p2-signature-over-page.pdf is a page of text certified with P=2, then
// signed again with a visible signature whose widget, a red square,
// covers the text, and p3-annotation-added.pdf the page certified with
// P=3, then given a stamp annotation over the text and signed again: both
// verify, each with one widget or annotation drawn over the certified
// page (Signature.Drawn).
func TestDocMDPVectors(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 32000)
	// The time-stamps' time, after the time the signatures claim (08:00).
	p := newTestPKI(t, time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC))
	certifyDoc := func(level int, doc []byte) []byte {
		t.Helper()
		old := certifyLevel
		certifyLevel = level
		defer func() { certifyLevel = old }()
		b, err := Sign(context.Background(), doc, p.options())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	certify := func(level int) []byte { return certifyDoc(level, minimalPDF()) }
	againAt := func(b []byte, at *Placement) []byte {
		t.Helper()
		opts := p.options()
		opts.Reason = "复核 Review"
		opts.Appearance = at
		out, err := appendSignature(context.Background(), b, opts)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	again := func(b []byte) []byte { return againAt(b, nil) }
	dir := filepath.Join("testdata", "docmdp")
	testenv.Golden(t, filepath.Join(dir, "root.pem"), certs.EncodePEM(p.root.Cert))
	for _, v := range []struct {
		file  string
		b     []byte
		step  string // where Verify refuses it, "" if valid
		err   error
		drawn int // when valid, the widgets and annotations drawn after the certification
	}{
		{"p1-signed-again.pdf", again(certify(1)), "certification", pdfcheck.ErrCertificationViolated, 0},
		{"p2-signed-again.pdf", again(certify(2)), "", nil, 0},
		{"p2-page-changed.pdf", again(appendUpdate(t, certify(2), pageContent)), "certification", pdfcheck.ErrChangeNotPermitted, 0},
		// Made last, so that its second PKI leaves the others' randomness.
		{"p2-certifier-untrusted.pdf", again(untrustedCertifier(t, p)), "signatures", pdfcheck.ErrUntrusted, 0},
		{"p2-signature-over-page.pdf", againAt(certifyDoc(2, withContent(t)), &Placement{Page: 1, Rect: [4]float64{60, 690, 300, 740}, Seal: sealPDF(t)}), "", nil, 1},
		{"p3-annotation-added.pdf", again(withAnnot(t, certifyDoc(3, withContent(t)), "Stamp", pdfcheck.Array{100, 680, 400, 760}, 4, true)), "", nil, 1},
	} {
		testenv.Golden(t, filepath.Join(dir, v.file), v.b)
		sig, err := pdfcheck.Verify(v.b, p.roots)
		var ve *pdfcheck.VerifyError
		switch {
		case v.step == "" && err != nil:
			t.Errorf("Verify(%s) = %v", v.file, err)
		case v.step == "" && (len(sig.Drawn) != v.drawn || v.drawn > 0 && !sig.Drawn[0].OverContent):
			t.Errorf("Verify(%s).Drawn = %+v, want %d over the text", v.file, sig.Drawn, v.drawn)
		case v.step != "" && (!errors.As(err, &ve) || ve.Step != v.step || !errors.Is(err, v.err)):
			t.Errorf("Verify(%s) = %v, want step %s, %v", v.file, err, v.step, v.err)
		}
	}
}

// untrustedCertifier certifies minimalPDF with P=2 by the notary of a
// second PKI, its names p's, its root another; the time-stamp is p's.
func untrustedCertifier(t *testing.T, p *testPKI) []byte {
	t.Helper()
	other := newTestPKI(t, time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC))
	opts := other.options()
	opts.TSA = p.tsa
	old := certifyLevel
	certifyLevel = 2
	defer func() { certifyLevel = old }()
	b, err := Sign(context.Background(), minimalPDF(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
