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
// (signature 1 of 2, step chain), though its last signature verifies.
func TestDocMDPVectors(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 32000)
	// The time-stamps' time, after the time the signatures claim (08:00).
	p := newTestPKI(t, time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC))
	certify := func(level int) []byte {
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
	again := func(b []byte) []byte {
		t.Helper()
		opts := p.options()
		opts.Reason = "复核 Review"
		out, err := appendSignature(context.Background(), b, opts)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	dir := filepath.Join("testdata", "docmdp")
	testenv.Golden(t, filepath.Join(dir, "root.pem"), certs.EncodePEM(p.root.Cert))
	for _, v := range []struct {
		file string
		b    []byte
		step string // where Verify refuses it, "" if valid
		err  error
	}{
		{"p1-signed-again.pdf", again(certify(1)), "certification", ErrCertificationViolated},
		{"p2-signed-again.pdf", again(certify(2)), "", nil},
		{"p2-page-changed.pdf", again(appendUpdate(t, certify(2), pageContent)), "certification", ErrChangeNotPermitted},
		// Made last, so that its second PKI leaves the others' randomness.
		{"p2-certifier-untrusted.pdf", again(untrustedCertifier(t, p)), "signatures", ErrUntrusted},
	} {
		testenv.Golden(t, filepath.Join(dir, v.file), v.b)
		_, err := Verify(v.b, p.roots)
		var ve *VerifyError
		switch {
		case v.step == "" && err != nil:
			t.Errorf("Verify(%s) = %v", v.file, err)
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
