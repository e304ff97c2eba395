package main

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/internal/testenv"
	"github.com/custos-project/custos/internal/testimage"
	"github.com/custos-project/custos/pdfcheck"
)

// Checks of a signed certificate PDF with outside tools (poppler's pdfsig,
// pdfdetach, pdftotext; NSS's certutil) and with our own verifier, shared
// by the certificate end-to-end tests.

// pdfTool runs a poppler or NSS tool and returns its combined output.
func pdfTool(t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(testenv.LookBinary(t, name), args...).CombinedOutput()
	return string(out), err
}

// sealRed counts the seal-red pixels of page 1 rendered at 36 dpi, with
// annotations (the signature's appearance) hidden or shown.
func sealRed(t testing.TB, file string, hideAnnotations bool) int {
	t.Helper()
	var opts []string
	if hideAnnotations {
		opts = []string{"-hide-annotations"}
	}
	img := testimage.PDFPage(t, file, 1, 36, opts...)
	return testimage.SealRed(img, img.Bounds())
}

// pdfsigDB makes an NSS database in dir that trusts rootPEM, for
// `pdfsig -nssdir`.
func pdfsigDB(t testing.TB, dir string, rootPEM []byte) string {
	t.Helper()
	db := filepath.Join(dir, "nss")
	if err := os.Mkdir(db, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := pdfTool(t, "certutil", "-N", "-d", "sql:"+db, "--empty-password"); err != nil {
		t.Fatalf("certutil -N: %v\n%s", err, out)
	}
	root := writeFile(t, dir, "nss-root.pem", rootPEM)
	if out, err := pdfTool(t, "certutil", "-A", "-d", "sql:"+db, "-n", "custos-root", "-t", "CT,C,C", "-i", root); err != nil {
		t.Fatalf("certutil -A: %v\n%s", err, out)
	}
	return "sql:" + db
}

// Lines pdfsig prints for a valid signature over the whole, unmodified
// document by a signer that chains to a trusted root.
var pdfsigValid = []string{
	"Signature Type: ETSI.CAdES.detached",
	"Signature Validation: Signature is Valid.",
	"Certificate Validation: Certificate is Trusted.",
	"Total document signed",
}

// checkPdfsig runs pdfsig on file and reports whether it found the
// signature valid (every line of pdfsigValid), failing the test if valid
// differs from want.
func checkPdfsig(t testing.TB, db, file string, want bool) string {
	t.Helper()
	out, err := pdfTool(t, "pdfsig", "-nssdir", db, file)
	valid := err == nil
	for _, line := range pdfsigValid {
		valid = valid && strings.Contains(out, line)
	}
	if valid != want {
		t.Errorf("pdfsig %s: valid = %v, want %v (err %v):\n%s", filepath.Base(file), valid, want, err, out)
	}
	return out
}

// rootPool is a pool of the PEM root certificate.
func rootPool(t testing.TB, rootPEM []byte) *x509.CertPool {
	t.Helper()
	blk, _ := pem.Decode(rootPEM)
	if blk == nil {
		t.Fatal("no PEM root certificate")
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return pool
}

// tamperSigned flips one bit in the middle of the first signed range.
func tamperSigned(t testing.TB, signed []byte, sig *pdfcheck.Signature) []byte {
	t.Helper()
	out := bytes.Clone(signed)
	out[sig.ByteRange[1]/2] ^= 0x01
	return out
}

// detachAll extracts every attached file of file into a new folder and
// returns the folder.
func detachAll(t testing.TB, file string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := pdfTool(t, "pdfdetach", "-saveall", "-o", dir, file); err != nil {
		t.Fatalf("pdfdetach -saveall: %v\n%s", err, out)
	}
	return dir
}

// pdfText is the text of file, as pdftotext extracts it (UTF-8).
func pdfText(t testing.TB, file string) string {
	t.Helper()
	out, err := pdfTool(t, "pdftotext", "-enc", "UTF-8", file, "-")
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return out
}

// pdfVerifyToken is the verification token in the printed verification
// link of a document (PUBLIC_URL/verify?document=TOKEN), which the QR code
// carries too; the link may wrap.
func pdfVerifyToken(t testing.TB, file string) string {
	t.Helper()
	flat := strings.Join(strings.Fields(pdfText(t, file)), "")
	_, after, ok := strings.Cut(flat, "/verify?document=")
	if !ok || len(after) < 26 || !evidence.ValidID(after[:26]) {
		t.Fatalf("the document prints no verification link with a token")
	}
	return after[:26]
}
