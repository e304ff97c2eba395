package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/notary/pdf/pdftest"
)

// docMDPDir holds certificate PDFs certified with DocMDP and changed
// after, which notary/pdf's tests made (notary/pdf/testdata/docmdp).
const docMDPDir = "../../notary/pdf/testdata/docmdp"

// pdfVerdict is what --pdf --json says of the PDF as a whole.
type pdfVerdict struct {
	Valid    bool     `json:"valid"`
	Step     string   `json:"step"`
	Warnings []string `json:"warnings"`
}

// runPDF runs custos-verify on args, in text and with --json, and returns
// the exit status of each, the text and the JSON verdict.
func runPDF(t *testing.T, args ...string) (code int, text string, jcode int, rep pdfVerdict) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	text = out.String() + errOut.String()
	out.Reset()
	jcode = run(append(args, "--json"), &out, &errOut)
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("custos-verify %q --json: %v\n%s", args, err, out.String())
	}
	return code, text, jcode, rep
}

// TestPDFVectors: the certified documents of notary/pdf's tests, each with
// the verdict and the failing step that `custos verify --pdf` gives it.
func TestPDFVectors(t *testing.T) {
	for _, tc := range []struct {
		name, step string
		valid      bool
		warned     bool
	}{
		{"p1-signed-again.pdf", "certification", false, false},
		{"p2-certifier-untrusted.pdf", "signatures", false, false},
		{"p2-page-changed.pdf", "certification", false, false},
		{"p2-signature-over-page.pdf", "", true, true},
		{"p2-signed-again.pdf", "", true, false},
		{"p3-annotation-added.pdf", "", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, text, jcode, rep := runPDF(t, "--pdf", filepath.Join(docMDPDir, tc.name), "--roots", filepath.Join(docMDPDir, "root.pem"))
			want, verdict := 0, "\nVALID 有效"
			if !tc.valid {
				want, verdict = 1, "\nINVALID 无效"
			}
			if code != want || jcode != want || !strings.Contains(text, verdict) {
				t.Errorf("exit status %d, --json %d; want %d and %q:\n%s", code, jcode, want, verdict, text)
			}
			if rep.Valid != tc.valid || rep.Step != tc.step || (len(rep.Warnings) > 0) != tc.warned {
				t.Errorf("--json = %+v; want valid %v, step %q, warnings %v", rep, tc.valid, tc.step, tc.warned)
			}
			if !tc.valid && !strings.Contains(text, "custos-verify: the PDF is NOT valid: the "+tc.step+" check failed") {
				t.Errorf("standard error lacks the failing step %s:\n%s", tc.step, text)
			}
		})
	}
}

// TestPDF: a certificate PDF that a notary signed (under a development
// PKI, its signature time-stamped by the TSA) is valid under the trust
// bundle naming its root, and under that root as --roots; with a byte
// changed it is refused at step digest, in English and Chinese; under
// another consortium's bundle, at step timestamp.
func TestPDF(t *testing.T) {
	f := pdftest.Signed(t, nil, 0)
	signed := f.Signed
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	changed := bytes.Clone(signed)
	changed[len(changed)/4] ^= 0x01
	file, tampered := write("certificate.pdf", signed), write("tampered.pdf", changed)
	trust, otherTrust := write("trust.json", pdftest.TrustBundle(t, f.Root)), write("other.json", pdftest.TrustBundle(t, f.OtherRoot))
	roots := write("roots.pem", certs.EncodePEM(f.Root))
	for _, tc := range []struct {
		name   string
		args   []string
		locale string
		code   int
		step   string
		want   string
	}{
		{"valid", []string{"--pdf", file, "--trust", trust}, "C.UTF-8", 0, "", "signer 签名人: CN=张三 公证员"},
		{"valid under --roots", []string{"--pdf", file, "--roots", roots}, "C.UTF-8", 0, "", "\nVALID 有效\n"},
		{"a byte changed", []string{"--pdf", tampered, "--trust", trust}, "C.UTF-8", 1, "digest", "custos-verify: the PDF is NOT valid: the digest check failed"},
		{"a byte changed, in Chinese", []string{"--pdf", tampered, "--trust", trust}, "zh_CN.UTF-8", 1, "digest", "custos-verify: 该 PDF 无效（NOT valid）：digest 检查未通过"},
		{"another consortium", []string{"--pdf", file, "--trust", otherTrust}, "C.UTF-8", 1, "timestamp", "✗ timestamp 时间戳"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("LC_ALL", tc.locale)
			code, text, jcode, rep := runPDF(t, tc.args...)
			if code != tc.code || jcode != tc.code || !strings.Contains(text, tc.want) {
				t.Errorf("exit status %d, --json %d; want %d and %q:\n%s", code, jcode, tc.code, tc.want, text)
			}
			if rep.Valid != (tc.code == 0) || rep.Step != tc.step {
				t.Errorf("--json = %+v; want step %q", rep, tc.step)
			}
		})
	}
}
