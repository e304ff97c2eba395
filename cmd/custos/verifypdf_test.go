package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/notary/pdf"
	"github.com/custos-project/custos/notary/pdf/pdftest"
)

// pdfFixture is a certificate PDF signed in-process under a development
// PKI, with the files a verifier is given (pdftest.Files).
type pdfFixture = pdftest.Files

func newPDFFixture(t *testing.T) *pdfFixture { return pdftest.SignedFiles(t, nil, time.Hour) }

// newPDFFixtureWith is newPDFFixture with files attached to the PDF.
func newPDFFixtureWith(t *testing.T, atts []pdf.Attachment) *pdfFixture {
	return pdftest.SignedFiles(t, atts, time.Hour)
}

// exitStatus is the exit status an in-process command's error asks for.
func exitStatus(err error) int {
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestVerifyPDFExit: `custos verify --pdf` reads the files it is given
// and ends as verifycli.CheckPDF's verdict asks (its tests are in
// internal/verifycli): exit status 0 for a valid PDF, and 1 with the
// failing step on standard error, or silently with --json, for one that
// is not.
func TestVerifyPDFExit(t *testing.T) {
	f := newPDFFixture(t)
	dir := t.TempDir()
	changed := bytes.Clone(f.Signed)
	changed[len(changed)/4] ^= 0x01
	for _, tc := range []struct {
		name   string
		pdf    []byte
		asJSON bool
		code   int
		msg    string
	}{
		{"valid", f.Signed, false, 0, ""},
		{"valid, JSON", f.Signed, true, 0, ""},
		{"one byte changed", changed, false, 1, "the PDF is NOT valid: the digest check failed"},
		{"one byte changed, JSON", changed, true, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "-")+".pdf", tc.pdf)
			var out bytes.Buffer
			err := verifyPDF(&out, file, "", f.Trust, "", tc.asJSON)
			var msg string
			if err != nil {
				msg = err.Error()
			}
			if exitStatus(err) != tc.code || msg != tc.msg {
				t.Errorf("verify --pdf = %q, exit status %d; want %q, %d\n%s", msg, exitStatus(err), tc.msg, tc.code, out.String())
			}
			if tc.asJSON && !json.Valid(out.Bytes()) {
				t.Errorf("verify --pdf --json printed no JSON:\n%s", out.String())
			}
		})
	}
}

// pdfReceiptsOf is what `custos verify --pdf --json` says, under the
// trust bundle trust, of the receipts f's PDF embeds: each receipt's file,
// verdict and failing step.
func pdfReceiptsOf(t *testing.T, f *pdfFixture, trust []byte) []pdfReceiptVerdict {
	t.Helper()
	dir := t.TempDir()
	file := writeFile(t, dir, "c.pdf", f.Signed)
	var out bytes.Buffer
	_ = verifyPDF(&out, file, "", writeFile(t, dir, "trust.json", trust), f.Roots, true)
	var rep struct {
		Receipts []pdfReceiptVerdict `json:"receipts"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("custos verify --pdf --json: %v\n%s", err, out.String())
	}
	return rep.Receipts
}

// pdfReceiptVerdict is a receipt's entry of `custos verify --pdf --json`.
type pdfReceiptVerdict struct {
	File  string `json:"file"`
	Valid bool   `json:"valid"`
	Step  string `json:"step"`
	Error string `json:"error"`
}

// TestVerifyPDFUsage: a missing or unusable input is a usage error (exit
// status 2), not a verdict.
func TestVerifyPDFUsage(t *testing.T) {
	f := newPDFFixture(t)
	dir := t.TempDir()
	pdfFile := writeFile(t, dir, "c.pdf", []byte("%PDF-1.7"))
	badTrust := writeFile(t, dir, "bad.json", []byte(`{"version":1}`))
	for _, tc := range []struct {
		name                      string
		pdf, others, trust, roots string
	}{
		{"no trust bundle nor roots", pdfFile, "", "", ""},
		{"with a receipt", pdfFile, "r.json", badTrust, ""},
		{"unreadable PDF", dir + "/missing.pdf", "", f.Trust, ""},
		{"unusable trust bundle", pdfFile, "", badTrust, ""},
		{"missing trust bundle", pdfFile, "", dir + "/missing.json", ""},
		{"missing roots", pdfFile, "", "", dir + "/missing.pem"},
		{"roots not PEM", pdfFile, "", "", badTrust},
		{"roots not a CA", pdfFile, "", "", f.Leaf},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := verifyPDF(&out, tc.pdf, tc.others, tc.trust, tc.roots, false); exitStatus(err) != 2 {
				t.Errorf("verifyPDF(%s) = %v, exit status %d; want 2", tc.name, err, exitStatus(err))
			}
		})
	}
}

// checkVerifyPDF runs the real `custos verify --pdf FILE --trust BUNDLE`
// and checks its verdict: exit status 0 and VALID, or 1 and INVALID; and
// runs the standalone `custos-verify --pdf` on the same file, which must
// print the same, in text and in JSON, with the same exit status.
func checkVerifyPDF(t *testing.T, file, trust string, valid bool) {
	t.Helper()
	out, err := runCustos(t, "verify", "--pdf", file, "--trust", trust)
	code := exitCode(err)
	t.Logf("custos verify --pdf %s:\n%s", filepath.Base(file), out)
	wantCode, verdict := 0, "\nVALID 有效\n"
	if !valid {
		wantCode, verdict = 1, "\nINVALID 无效"
	}
	if code != wantCode || !strings.Contains(out, verdict) {
		t.Errorf("custos verify --pdf %s: exit status %d, want %d; output:\n%s", file, code, wantCode, out)
	}
	jsonOut, err := runCustos(t, "verify", "--pdf", file, "--trust", trust, "--json")
	if exitCode(err) != wantCode || !json.Valid([]byte(jsonOut)) {
		t.Errorf("custos verify --pdf %s --json: exit status %d, want %d; output:\n%s", file, exitCode(err), wantCode, jsonOut)
	}
	for _, c := range []struct{ custos, flag string }{{out, ""}, {jsonOut, "--json"}} {
		args := []string{"--pdf", file, "--trust", trust}
		if c.flag != "" {
			args = append(args, c.flag)
		}
		cmd := exec.Command(custosVerifyBinary(t), args...)
		got, err := cmd.Output()
		if string(got) != c.custos || exitCode(err) != wantCode {
			t.Errorf("custos-verify %q: exit status %d, want %d; output differs from custos verify --pdf's:\n%s", args, exitCode(err), wantCode, got)
		}
	}
}

var (
	custosVerifyOnce sync.Once
	custosVerifyBin  string
	custosVerifyErr  error
)

// custosVerifyBinary builds the standalone verifier once, beside the
// custos binary the tests run.
func custosVerifyBinary(t *testing.T) string {
	t.Helper()
	custosVerifyOnce.Do(func() {
		custosVerifyBin = filepath.Join(filepath.Dir(custosBin), "custos-verify")
		out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", custosVerifyBin, "../custos-verify").CombinedOutput()
		if err != nil {
			custosVerifyErr = fmt.Errorf("building custos-verify: %v\n%s", err, out)
		}
	})
	if custosVerifyErr != nil {
		t.Fatal(custosVerifyErr)
	}
	return custosVerifyBin
}
