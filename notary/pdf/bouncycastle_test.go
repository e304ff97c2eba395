package pdf

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/testenv"

	"github.com/custos-project/custos/pdfcheck"
)

// TestBouncyCastle has Bouncy Castle, where pdfsig cannot check SM2,
// verify the CMS signature of an sm suite PDF over its byte ranges, its
// time-stamp and its chain to the SM2 root, and refuse it when a byte of
// the PDF was altered or under another root. An ecdsa PDF is checked too.
func TestBouncyCastle(t *testing.T) {
	prog := testenv.BouncyCastle(t, filepath.Join("testdata", "bouncycastle", "PDFSigCheck.java"))
	dir := t.TempDir()
	check := func(name string, der, content, root []byte) (string, error) {
		var args []string
		for _, f := range []struct {
			file string
			b    []byte
		}{{"signature.der", der}, {"content.bin", content}, {"root.der", root}} {
			path := filepath.Join(dir, name+"-"+f.file)
			if err := os.WriteFile(path, f.b, 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, path)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		out, err := prog.Command(ctx, args...).CombinedOutput()
		return string(out), err
	}
	sm, ec := newSMTestPKI(t), newTestPKI(t, smNow)
	sign := func(p *testPKI) []byte {
		b, err := Sign(context.Background(), minimalXrefStreamPDF(), p.options())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	signed := sign(sm)
	der, content := signedParts(t, signed)
	out, err := check("sm", der, content, sm.root.Cert.Raw)
	if err != nil || strings.Count(out, ": OK") != 3 {
		t.Fatalf("Bouncy Castle refused the sm PDF: %v\n%s", err, out)
	}
	t.Logf("sm: %s", out)
	for _, want := range []string{"algorithm 1.2.156.10197.1.501 digest 1.2.156.10197.1.401", "imprint 1.2.156.10197.1.401"} {
		if !strings.Contains(out, want) {
			t.Errorf("Bouncy Castle's output lacks %q:\n%s", want, out)
		}
	}

	// A byte of the PDF altered: the same byte ranges, cut from the
	// altered file (a flipped byte may keep Verify from finding the
	// signature at all, which would leave Bouncy Castle nothing to refuse).
	sig, err := pdfcheck.FindSignature(signed)
	if err != nil {
		t.Fatal(err)
	}
	br := sig.ByteRange
	altered := bytes.Clone(signed)
	altered[br[2]+br[3]/2] ^= 0x01 // in the last range, the incremental update
	cut := append(bytes.Clone(altered[:br[1]]), altered[br[2]:]...)
	if out, err := check("sm-altered", der, cut, sm.root.Cert.Raw); err == nil || !strings.Contains(out, "FAILED") {
		t.Errorf("Bouncy Castle accepted an sm PDF with a byte altered:\n%s", out)
	} else {
		t.Logf("altered: %s", out)
	}
	if out, err := check("sm-other-root", der, content, newSMTestPKI(t).root.Cert.Raw); err == nil || !strings.Contains(out, "FAILED") {
		t.Errorf("Bouncy Castle accepted an sm PDF under another root:\n%s", out)
	} else {
		t.Logf("another root: %s", out)
	}
	der, content = signedParts(t, sign(ec))
	if out, err := check("ecdsa", der, content, ec.root.Cert.Raw); err != nil || strings.Count(out, ": OK") != 3 {
		t.Errorf("Bouncy Castle refused the ecdsa PDF: %v\n%s", err, out)
	}
}
