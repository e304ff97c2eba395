package pdf

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"

	"github.com/custos-project/custos/pdfcheck"
)

// requireTool skips the test when a tool is missing, unless
// CUSTOS_REQUIRE_INTEGRATION=1 (the README's test command), where it fails.
func requireTool(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("CUSTOS_REQUIRE_INTEGRATION") == "1" {
				t.Fatalf("%s not installed (Debian poppler-utils, libnss3-tools)", n)
			}
			t.Skipf("%s not installed (Debian poppler-utils, libnss3-tools)", n)
		}
	}
}

func run(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

// nssDB makes an NSS database trusting root, for pdfsig -nssdir.
func nssDB(t *testing.T, dir string, root []byte) string {
	t.Helper()
	rootPEM := filepath.Join(dir, "root.pem")
	if err := os.WriteFile(rootPEM, root, 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "nss")
	if err := os.Mkdir(db, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "certutil", "-N", "-d", "sql:"+db, "--empty-password"); err != nil {
		t.Fatalf("certutil -N: %v\n%s", err, out)
	}
	if out, err := run(t, "certutil", "-A", "-d", "sql:"+db, "-n", "custos-root", "-t", "CT,C,C", "-i", rootPEM); err != nil {
		t.Fatalf("certutil -A: %v\n%s", err, out)
	}
	return "sql:" + db
}

// TestPdfsig has poppler's pdfsig (NSS) check our signature: valid, over
// the total document, not modified; and fail once a byte changes.
func TestPdfsig(t *testing.T) {
	requireTool(t, "pdfsig", "certutil")
	p := newTestPKI(t, time.Now())
	signed := signedDocument(t, p)
	dir := t.TempDir()
	db := nssDB(t, dir, certs.EncodePEM(p.root.Cert))
	file := filepath.Join(dir, "signed.pdf")
	if err := os.WriteFile(file, signed, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "pdfsig", "-nssdir", db, file)
	t.Logf("pdfsig:\n%s", out)
	if err != nil {
		t.Fatalf("pdfsig: %v", err)
	}
	for _, want := range []string{
		"Signature #1:",
		"Signer Certificate Common Name: 张三 公证员",
		"Signature Type: ETSI.CAdES.detached",
		"Total document signed",
		"Signature Validation: Signature is Valid.",
		"Certificate Validation: Certificate is Trusted.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("pdfsig output lacks %q", want)
		}
	}
	if strings.Contains(out, "not signed") {
		t.Errorf("pdfsig says part of the document is not signed")
	}

	sig, err := pdfcheck.Verify(signed, p.roots)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(signed)
	tampered[sig.ByteRange[1]/2] ^= 0x01
	if err := os.WriteFile(file, tampered, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ = run(t, "pdfsig", "-nssdir", db, file)
	t.Logf("pdfsig (one byte changed):\n%s", out)
	if strings.Contains(out, "Signature is Valid.") || !strings.Contains(out, "Signature Validation:") {
		t.Errorf("pdfsig accepts a tampered document")
	}
	if _, err := pdfcheck.Verify(tampered, p.roots); err == nil {
		t.Errorf("Verify(tampered) = nil, want an error")
	}
}

// TestPdfsigXrefStream has pdfsig check a signed file whose
// cross-reference sections are streams.
func TestPdfsigXrefStream(t *testing.T) {
	requireTool(t, "pdfsig", "certutil")
	p := newTestPKI(t, time.Now())
	signed, err := Sign(t.Context(), minimalXrefStreamPDF(), p.options())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db := nssDB(t, dir, certs.EncodePEM(p.root.Cert))
	file := filepath.Join(dir, "signed.pdf")
	if err := os.WriteFile(file, signed, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "pdfsig", "-nssdir", db, file)
	if err != nil || !strings.Contains(out, "Signature is Valid.") || !strings.Contains(out, "Total document signed") {
		t.Errorf("pdfsig: %v\n%s", err, out)
	}
}

// TestPopplerReadsDocument checks the rendering with poppler: the Chinese
// text extracts (so the font is embedded with a ToUnicode map), the font is
// an embedded subset, the attachment is there, and page 1 is not blank
// where the title stands.
func TestPopplerReadsDocument(t *testing.T) {
	requireTool(t, "pdftotext", "pdffonts", "pdftoppm", "pdfdetach")
	p := newTestPKI(t, time.Now())
	signed := signedDocument(t, p)
	dir := t.TempDir()
	file := filepath.Join(dir, "signed.pdf")
	if err := os.WriteFile(file, signed, 0o644); err != nil {
		t.Fatal(err)
	}
	text, err := run(t, "pdftotext", "-enc", "UTF-8", file, "-")
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, text)
	}
	for _, want := range []string{"公证书", "杭州互联网法院", "(2026)浙杭证字第 1 号", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"} {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext output lacks %q:\n%s", want, text)
		}
	}
	fonts, err := run(t, "pdffonts", file)
	if err != nil {
		t.Fatalf("pdffonts: %v\n%s", err, fonts)
	}
	t.Logf("pdffonts:\n%s", fonts)
	lines := strings.Split(strings.TrimSpace(fonts), "\n")
	if len(lines) != 3 {
		t.Fatalf("pdffonts lists %d fonts, want 1", len(lines)-2)
	}
	// name type encoding emb sub uni object ID
	f := strings.Fields(lines[2])
	if n := len(f); n < 7 || f[n-5] != "yes" || f[n-4] != "yes" || f[n-3] != "yes" || !strings.Contains(f[0], "+") {
		t.Errorf("font is not embedded, subset and mapped to Unicode: %q", lines[2])
	}
	list, err := run(t, "pdfdetach", "-list", file)
	if err != nil || !strings.Contains(list, "receipt-0001.json") {
		t.Errorf("pdfdetach -list: %v\n%s", err, list)
	}
	saved := filepath.Join(dir, "receipt.json")
	if out, err := run(t, "pdfdetach", "-save", "1", "-o", saved, file); err != nil {
		t.Fatalf("pdfdetach -save: %v\n%s", err, out)
	}
	if got, _ := os.ReadFile(saved); string(got) != `{"version":1,"id":"0001"}` {
		t.Errorf("extracted attachment = %q", got)
	}
	checkTitleInked(t, file, dir)
}

// checkTitleInked renders page 1 at 60 dpi and checks that the band where
// the title stands holds dark pixels. CUSTOS_PDF_PNG=path keeps the image.
func checkTitleInked(t *testing.T, file, dir string) {
	t.Helper()
	prefix := filepath.Join(dir, "page")
	if out, err := run(t, "pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", file, prefix); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	b, err := os.ReadFile(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("CUSTOS_PDF_PNG"); keep != "" {
		_ = os.WriteFile(keep, b, 0o644)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// The title is centred 64–100 pt from the top: 53–83 px at 60 dpi.
	bounds := img.Bounds()
	dark := 0
	for y := 50; y < 90; y++ {
		for x := bounds.Dx() / 3; x < 2*bounds.Dx()/3; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r+g+b < 3*0x8000 {
				dark++
			}
		}
	}
	if dark < 50 {
		t.Errorf("only %d dark pixels where the title stands: is the CJK title rendered?", dark)
	}
}

// TestOpenSSLCMSVerify has OpenSSL, a CMS verifier independent of ours,
// check the signature of a certificate PDF: the detached SignedData of
// /Contents over the bytes the /ByteRange names, the signer chaining to
// the root with its emailProtection usage (openssl's default S/MIME
// purpose). One byte changed anywhere in those bytes, the title, the
// number, the applicant or an item's digest alike, and it refuses.
func TestOpenSSLCMSVerify(t *testing.T) {
	requireTool(t, "openssl")
	p := newTestPKI(t, time.Now())
	signed := signedDocument(t, p)
	sig, err := pdfcheck.FindSignature(signed)
	if err != nil {
		t.Fatal(err)
	}
	der := signatureDER(t, signed, sig.ByteRange)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	br := sig.ByteRange
	content := append(bytes.Clone(signed[:br[1]]), signed[br[2]:]...)
	sigFile, root := write("sig.der", der), write("root.pem", certs.EncodePEM(p.root.Cert))
	verify := func(content []byte) (string, error) {
		return run(t, "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sigFile,
			"-content", write("content.bin", content), "-CAfile", root, "-out", os.DevNull)
	}
	if out, err := verify(content); err != nil {
		t.Fatalf("openssl cms -verify: %v\n%s", err, out)
	}
	for _, off := range []int{1, len(content) / 3, len(content) / 2, len(content) - 10} {
		changed := bytes.Clone(content)
		changed[off] ^= 0x01
		if out, err := verify(changed); err == nil {
			t.Errorf("openssl cms -verify accepts the signed bytes with byte %d changed:\n%s", off, out)
		}
	}
}
