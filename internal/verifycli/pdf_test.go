package verifycli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/notary/pdf"
	"github.com/custos-project/custos/notary/pdf/pdftest"
	"github.com/custos-project/custos/pdfcheck"
)

// pdfFixture is a certificate PDF signed in-process under a development
// PKI, with the files a verifier is given (pdftest.Files).
type pdfFixture = pdftest.Files

func newPDFFixture(t *testing.T) *pdfFixture { return pdftest.SignedFiles(t, nil, time.Hour) }

// newPDFFixtureWith is newPDFFixture with files attached to the PDF.
func newPDFFixtureWith(t *testing.T, atts []pdf.Attachment) *pdfFixture {
	return pdftest.SignedFiles(t, atts, time.Hour)
}

// docMDPVector writes to dir a PDF of notary/pdf/testdata/docmdp, which
// cmd/custos cannot make (pdf.Sign refuses to sign a document certified
// with P=1, and certifies with P=1 only), and a trust bundle naming the
// root its signers chain to; it returns both paths and the PDF.
func docMDPVector(t *testing.T, dir, name string) (file, trust string, b []byte) {
	t.Helper()
	vectors := filepath.Join("..", "..", "notary", "pdf", "testdata", "docmdp")
	b, err := os.ReadFile(filepath.Join(vectors, name))
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(filepath.Join(vectors, "root.pem"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := certs.ParsePEM(pem)
	if err != nil || len(root) != 1 {
		t.Fatalf("root.pem: %v", err)
	}
	return writeFile(t, dir, name, b), writeFile(t, dir, "trust-"+name+".json", pdftest.TrustBundle(t, root[0])), b
}

// revisionEnd is the length of the first k revisions of a PDF: up to the
// end of its k-th "%%EOF" line.
func revisionEnd(t *testing.T, b []byte, k int) int {
	t.Helper()
	end := 0
	for range k {
		i := bytes.Index(b[end:], []byte("%%EOF\n"))
		if i < 0 {
			t.Fatalf("the PDF has fewer than %d revisions", k)
		}
		end += i + len("%%EOF\n")
	}
	return end
}

// exitStatus is the exit status an error of CheckPDF asks for.
func exitStatus(err error) int {
	var ee ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if err != nil {
		return -1
	}
	return 0
}

// verifyPDF is CheckPDFFiles on file under trustPath and rootsPath.
func verifyPDF(out io.Writer, file, trustPath, rootsPath string, asJSON bool) error {
	return CheckPDFFiles(out, PDFOptions{PDF: file, Trust: trustPath, Roots: rootsPath, JSON: asJSON})
}

// TestCheckPDFFilesUsage: a file that cannot be read or used is a usage
// error (exit status 2), with its words in English and Chinese, not a
// verdict.
func TestCheckPDFFilesUsage(t *testing.T) {
	f := newPDFFixture(t)
	dir := t.TempDir()
	pdfFile := writeFile(t, dir, "c.pdf", []byte("%PDF-1.7"))
	badTrust := writeFile(t, dir, "bad.json", []byte(`{"version":1}`))
	for _, tc := range []struct {
		name              string
		pdf, trust, roots string
		msg, msgZH        string
	}{
		{"unreadable PDF", dir + "/missing.pdf", f.Trust, "", "no such file", "文件不存在"},
		{"unusable trust bundle", pdfFile, badTrust, "", "bad.json", "信任包"},
		{"missing trust bundle", pdfFile, dir + "/missing.json", "", "no such file", "文件不存在"},
		{"missing roots", pdfFile, "", dir + "/missing.pem", "no such file", "文件不存在"},
		{"roots not PEM", pdfFile, "", badTrust, "want one or more PEM certificates", "应为一个或多个 PEM 证书"},
		{"roots not a CA", pdfFile, "", f.Leaf, "is not a CA certificate", "不是 CA 证书"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := verifyPDF(&out, tc.pdf, tc.trust, tc.roots, false)
			var ee ExitError
			if !errors.As(err, &ee) || ee.Code != 2 || !strings.Contains(ee.Message(false), tc.msg) || !strings.Contains(ee.Message(true), tc.msgZH) {
				t.Errorf("CheckPDFFiles(%s) = %v (%q, %q); want exit status 2, %q and %q", tc.name, err, ee.Message(false), ee.Message(true), tc.msg, tc.msgZH)
			}
			if out.Len() != 0 {
				t.Errorf("CheckPDFFiles(%s) printed a report:\n%s", tc.name, out.String())
			}
		})
	}
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestVerifyPDF runs `custos verify --pdf` in-process on a signed PDF, a
// PDF with one byte changed, an unsigned PDF and under another
// consortium's root: the verdict and exit status of each, in text and
// JSON.
func TestVerifyPDF(t *testing.T) {
	f := newPDFFixture(t)
	dir := t.TempDir()
	sig, err := pdfcheck.Verify(f.Signed, nil)
	var ve *pdfcheck.VerifyError
	if !errors.As(err, &ve) || ve.Step != "timestamp" {
		t.Fatalf("pdfcheck.Verify(no roots) = %v, %v; want a timestamp failure", sig, err)
	}
	changed := bytes.Clone(f.Signed)
	changed[len(changed)/4] ^= 0x01
	unsigned, _ := pdf.NewRenderer(pdf.Config{})
	plain, err := unsigned.Render(&pdf.Document{Title: "公证书", Number: "1", Author: "x", Issued: time.Unix(0, 0).UTC(),
		Sections: []pdf.Section{{Heading: "h", Paragraphs: []string{"p"}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, trust, roots string
		pdf                []byte
		code               int
		step               string
		want               []string
	}{
		{"valid", f.Trust, "", f.Signed, 0, "", []string{"✓ signature 签名", "signer 签名人: CN=张三 公证员", "✓ timestamp 时间戳: signed no later than 2026-03-01T09:00:00Z by 杭州市互联网公证处 TSA",
			"✓ chain 证书链", "→ CN=Custos Development Root CA",
			"- status 状态: revoked or transferred since? see its verification page https://custos.example/verify?document=tttttttttttttttttttttttttt", "VALID 有效"}},
		{"valid under --roots", "", f.Roots, f.Signed, 0, "", []string{"✓ chain 证书链", "→ CN=Custos Development Root CA", "VALID 有效"}},
		{"valid under another consortium and --roots", f.Other, f.Roots, f.Signed, 0, "", []string{"VALID 有效"}},
		{"one byte changed", f.Trust, "", changed, 1, "digest", []string{"✗ digest 文件摘要", "expected 应为: ", "computed 实为: ", "INVALID 无效"}},
		{"unsigned", f.Trust, "", plain, 1, "find", []string{"✗ find 查找签名", "INVALID 无效"}},
		{"not a PDF", f.Trust, "", []byte("%PDF-1.7 nothing"), 1, "find", []string{"✗ find", "INVALID 无效"}},
		{"another consortium", f.Other, "", f.Signed, 1, "timestamp", []string{"✗ timestamp 时间戳", "INVALID 无效"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "-")+".pdf", tc.pdf)
			var out bytes.Buffer
			err := verifyPDF(&out, file, tc.trust, tc.roots, false)
			if exitStatus(err) != tc.code {
				t.Errorf("verify --pdf = %v, exit status %d; want %d\n%s", err, exitStatus(err), tc.code, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("verify --pdf output lacks %q:\n%s", w, out.String())
				}
			}
			out.Reset()
			err = verifyPDF(&out, file, tc.trust, tc.roots, true)
			var rep pdfReport
			if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil || exitStatus(err) != tc.code {
				t.Fatalf("verify --pdf --json = %v (exit %d), output %v:\n%s", err, exitStatus(err), jerr, out.String())
			}
			if rep.Valid != (tc.code == 0) || rep.Step != tc.step || rep.SHA256 == "" || rep.Valid != (rep.Result != nil) {
				t.Errorf("verify --pdf --json = %+v; want valid %v, step %q", rep, tc.code == 0, tc.step)
			}
		})
	}
}

// TestVerifyPDFAddedAfterSigning: a certificate PDF with bytes appended
// after its signature is INVALID, and the report says so in English and
// Chinese: which bytes are the signed revision, that it verifies, how
// much was added, and how to extract the revision; every refusal carries
// its reason in Chinese (原因).
func TestVerifyPDFAddedAfterSigning(t *testing.T) {
	f := newPDFFixture(t)
	dir := t.TempDir()
	n := len(f.Signed)
	appended := append(bytes.Clone(f.Signed), "\n1 0 obj\n<<>>\nendobj\n"...)
	file := writeFile(t, dir, "appended.pdf", appended)
	var out bytes.Buffer
	err := verifyPDF(&out, file, f.Trust, "", false)
	if exitStatus(err) != 1 {
		t.Fatalf("verify --pdf = %v, want exit status 1\n%s", err, out.String())
	}
	for _, w := range []string{
		"✗ find 查找签名",
		"原因：签名之后文件被追加了内容",
		fmt.Sprintf("expected 应为: %d bytes", n),
		fmt.Sprintf("%d bytes added after the signature", len(appended)-n),
		fmt.Sprintf("signed revision 已签名版本: the first %d bytes", n),
		"CN=张三 公证员",
		fmt.Sprintf("head -c %d appended.pdf > signed-revision.pdf", n),
		"INVALID 无效",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("verify --pdf output lacks %q:\n%s", w, out.String())
		}
	}
	out.Reset()
	err = verifyPDF(&out, file, f.Trust, "", true)
	var rep pdfReport
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil || exitStatus(err) != 1 {
		t.Fatalf("verify --pdf --json = %v, %v:\n%s", err, jerr, out.String())
	}
	if rep.Valid || rep.Step != "find" || rep.ErrorZH == "" || rep.SignedRevision == nil || rep.SignedRevision.Length != int64(n) ||
		rep.SignedRevision.Signer != "CN=张三 公证员,OU=notary,O=杭州市互联网公证处" {
		t.Errorf("verify --pdf --json = %+v; want step find, error_zh and the signed revision of %d bytes", rep, n)
	}
	// Every sentinel of pdfcheck.Verify has its Chinese reason.
	for _, e := range []error{pdfcheck.ErrNoSignature, pdfcheck.ErrAddedAfterSigning, pdfcheck.ErrByteRange, pdfcheck.ErrCMS, pdfcheck.ErrDigest,
		pdfcheck.ErrSignature, pdfcheck.ErrTimestamp, pdfcheck.ErrUntrusted, pdfcheck.ErrMalformed, pdfcheck.ErrUnsupported, pdfcheck.ErrCertificationViolated} {
		if pdfReasonZH(fmt.Errorf("wrapped: %w", e)) == "" {
			t.Errorf("pdfReasonZH(%v) = \"\", want a Chinese reason", e)
		}
	}
}

// TestVerifyPDFReceiptsForTheNotary: each embedded receipt's line names
// the item's ID and SHA-256, which the notary compares with the
// certificate's annex; a receipt attached under another item's name is
// refused; a refused receipt says why in Chinese too (原因).
func TestVerifyPDFReceiptsForTheNotary(t *testing.T) {
	vectors := filepath.Join("..", "..", "receipt", "testdata", "vectors")
	valid := readFile(t, filepath.Join(vectors, "valid", "valid-without-file.json"))
	altered := readFile(t, filepath.Join(vectors, "invalid", "commit-signature-altered.json"))
	const id, sum = "mfrggzdfmztwq2lknnwg23tpoa", "1648ea457bbfee46f21736f82b0569ea21f7731d9699ac38d0e1710161c5cca4"
	trust := filepath.Join(vectors, "trust.json")
	for _, tc := range []struct {
		name string
		att  pdf.Attachment
		code int
		want []string
	}{
		{"valid", pdf.Attachment{Name: "receipt-" + id + ".json", MIME: "application/json", Data: valid}, 0,
			[]string{"✓ receipt 回执 receipt-" + id + ".json", "item 证据 " + id + ", SHA-256 " + sum, "VALID 有效"}},
		{"under another name", pdf.Attachment{Name: "receipt-aaaaaaaaaaaaaaaaaaaaaaaaaa.json", MIME: "application/json", Data: valid}, 1,
			[]string{"✗ receipt 回执 receipt-aaaaaaaaaaaaaaaaaaaaaaaaaa.json", "is the receipt of " + id, "原因：", "INVALID 无效"}},
		{"altered", pdf.Attachment{Name: "receipt-" + id + ".json", MIME: "application/json", Data: altered}, 1,
			[]string{"✗ receipt 回执 receipt-" + id + ".json: the checkpoint check failed", "原因：检查点未通过核验", "INVALID 无效"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newPDFFixtureWith(t, []pdf.Attachment{tc.att})
			file := writeFile(t, t.TempDir(), "c.pdf", f.Signed)
			var out bytes.Buffer
			err := verifyPDF(&out, file, trust, f.Roots, false)
			if exitStatus(err) != tc.code {
				t.Errorf("verify --pdf = %v, exit status %d; want %d\n%s", err, exitStatus(err), tc.code, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("verify --pdf output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVerifyPDFClaimedTime: the signer's claimed time (/M, the
// certificate's issue time, whose date the certificate prints) is set
// against the time-stamp: a claim after the time-stamp, or on another day
// in China Standard Time, is pointed out (the verdict stays the
// signature's: /M is the signer's word, the time-stamp is the proof).
func TestVerifyPDFClaimedTime(t *testing.T) {
	for _, tc := range []struct {
		name    string
		claimed time.Duration // after the fixture's start; the time-stamp is at +1h
		warn    bool
	}{
		{"same time", time.Hour, false},
		{"a minute before", time.Hour - time.Minute, false},
		{"after the time-stamp", time.Hour + 10*time.Minute, true},
		{"the day before", time.Hour - 24*time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := pdftest.SignedFiles(t, nil, tc.claimed)
			file := writeFile(t, t.TempDir(), "c.pdf", f.Signed)
			var out bytes.Buffer
			if err := verifyPDF(&out, file, f.Trust, "", false); exitStatus(err) != 0 {
				t.Fatalf("verify --pdf = %v\n%s", err, out.String())
			}
			got := strings.Contains(out.String(), "! claimed signing time 声称签名时间")
			if got != tc.warn {
				t.Errorf("warning printed = %v, want %v:\n%s", got, tc.warn, out.String())
			}
			out.Reset()
			_ = verifyPDF(&out, file, f.Trust, "", true)
			var rep pdfReport
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Result == nil || (rep.Result.ClaimedTimeNote != "") != tc.warn {
				t.Errorf("verify --pdf --json = %+v, %v; want claimed_time_note set: %v", rep.Result, err, tc.warn)
			}
		})
	}
}

// TestVerifyPDFCertification: `custos verify --pdf` shows the DocMDP
// certification of a valid certificate (P=1, unchanged), refuses one
// signed again after it at step certification with the certified revision,
// accepts a document certified with P=2 and signed again, saying what the
// later revision changes, refuses one whose page was changed after P=2,
// naming the revision and the object,
// and notes the violation beside the bytes appended after signing; in
// text and in JSON (result.certification, signed_revision.certification).
func TestVerifyPDFCertification(t *testing.T) {
	f := newPDFFixture(t)
	dir := t.TempDir()
	n := len(f.Signed)
	run := func(file string, trust ...string) (string, pdfReport, int) {
		t.Helper()
		tb := f.Trust
		if len(trust) > 0 {
			tb = trust[0]
		}
		var out bytes.Buffer
		code := exitStatus(verifyPDF(&out, file, tb, "", false))
		text := out.String()
		out.Reset()
		jcode := exitStatus(verifyPDF(&out, file, tb, "", true))
		var rep pdfReport
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil || jcode != code {
			t.Fatalf("verify --pdf --json = exit %d (text %d), %v:\n%s", jcode, code, err, out.String())
		}
		return text, rep, code
	}
	t.Run("certified", func(t *testing.T) {
		text, rep, code := run(writeFile(t, dir, "certified.pdf", f.Signed))
		want := pdfCertification{Level: 1, Permits: "no change", Length: int64(n)}
		if rep.Result != nil {
			want.Certifier = rep.Result.Signer
		}
		if code != 0 || rep.Result == nil || rep.Result.Certification != want || len(rep.Result.Signatures) != 1 || !rep.Result.Signatures[0].Certifies {
			t.Fatalf("verify --pdf --json: exit %d, %+v; want valid with certification %+v", code, rep.Result, want)
		}
		if w := "✓ certification 认证: certified (DocMDP P=1), permitting no change; no change since"; !strings.Contains(text, w) {
			t.Errorf("verify --pdf output lacks %q:\n%s", w, text)
		}
	})
	t.Run("signed again", func(t *testing.T) {
		// Certified with P=1 and signed again by other software.
		file, trust, twice := docMDPVector(t, dir, "p1-signed-again.pdf")
		n := revisionEnd(t, twice, 2) // the document, then its certification
		text, rep, code := run(file, trust)
		if code != 1 || rep.Step != "certification" || rep.ErrorZH == "" || rep.SignedRevision == nil ||
			rep.SignedRevision.Length != int64(n) || rep.SignedRevision.Certification != (pdfCertification{Level: 1, Permits: "no change", Length: int64(n), Added: int64(len(twice) - n), Violated: true}) {
			t.Fatalf("verify --pdf --json: exit %d, %+v; want step certification and the certified revision of %d bytes", code, rep, n)
		}
		for _, w := range []string{
			"✗ certification 认证",
			"原因：文件经不允许任何改动的认证签名",
			fmt.Sprintf("%d bytes added after the certified revision", len(twice)-n),
			fmt.Sprintf("certified revision 已认证版本: the first %d bytes", n),
			fmt.Sprintf("head -c %d p1-signed-again.pdf > signed-revision.pdf", n),
			"INVALID 无效",
		} {
			if !strings.Contains(text, w) {
				t.Errorf("verify --pdf output lacks %q:\n%s", w, text)
			}
		}
	})
	t.Run("P=2, signed again", func(t *testing.T) {
		file, trust, b := docMDPVector(t, dir, "p2-signed-again.pdf")
		n := revisionEnd(t, b, 2)
		text, rep, code := run(file, trust)
		want := pdfCertification{Level: 2, Permits: docMDPPermits[2], Length: int64(n), Added: int64(len(b) - n), Revisions: 1, Changes: "signatures"}
		if rep.Result != nil {
			want.Certifier = rep.Result.Signer
		}
		if code != 0 || rep.Result == nil || rep.Result.Certification != want {
			t.Fatalf("verify --pdf --json: exit %d, %+v; want valid with certification %+v", code, rep.Result, want)
		}
		if s := rep.Result.Signatures; len(s) != 2 || !s[0].Certifies || s[1].Certifies || s[0].Start != 0 || s[0].End != int64(n) ||
			s[1].Start != int64(n) || s[1].End != int64(len(b)) || s[0].Field == "" || s[1].Reason != "复核 Review" || s[0].Time.IsZero() {
			t.Errorf("verify --pdf --json: signatures %+v; want the certifying one of the first %d bytes, then the whole file's", s, n)
		}
		for _, w := range []string{
			"certifier 认证人: " + rep.Result.Signer,
			"✓ signatures 各签名: each of the 2 signature(s) verifies over the revision it signs",
			fmt.Sprintf("signs bytes 0 to %d (revision from byte 0 所签版本自第 0 字节起), certifying 认证签名", n),
			fmt.Sprintf("signs bytes 0 to %d (revision from byte %d", len(b), n),
		} {
			if !strings.Contains(text, w) {
				t.Errorf("verify --pdf output lacks %q:\n%s", w, text)
			}
		}
		if w := fmt.Sprintf("✓ certification 认证: certified (DocMDP P=2), permitting filling in forms, instantiating page templates and signing; 1 later revision(s) (%d bytes) make only changes it permits: signatures", len(b)-n); !strings.Contains(text, w) {
			t.Errorf("verify --pdf output lacks %q:\n%s", w, text)
		}
	})
	t.Run("P=2, certifier untrusted", func(t *testing.T) {
		// Certified by a notary of the same names under another root, then
		// signed again by the trusted one: the last signature verifies.
		file, trust, b := docMDPVector(t, dir, "p2-certifier-untrusted.pdf")
		n := revisionEnd(t, b, 2)
		text, rep, code := run(file, trust)
		want := pdfFailedSignature{Index: 1, Count: 2, Field: "Signature1", End: int64(n), Certifies: true, Step: "chain"}
		if code != 1 || rep.Step != "signatures" || rep.FailedSignature == nil || *rep.FailedSignature != want || rep.ErrorZH == "" || rep.Result != nil {
			t.Fatalf("verify --pdf --json: exit %d, %+v, failed signature %+v; want step signatures, %+v", code, rep, rep.FailedSignature, want)
		}
		for _, w := range []string{
			"✗ signatures 各签名",
			fmt.Sprintf(`signature 签名: signature 1 of 2, field "Signature1", over the first %d bytes, the certifying signature, fails at step chain`, n),
			"在“证书链”一步未通过",
			"原因：签名人的证书在时间戳时刻未链接到信任根",
			"INVALID 无效",
		} {
			if !strings.Contains(text, w) {
				t.Errorf("verify --pdf output lacks %q:\n%s", w, text)
			}
		}
	})
	t.Run("P=2, page changed", func(t *testing.T) {
		file, trust, b := docMDPVector(t, dir, "p2-page-changed.pdf")
		n := revisionEnd(t, b, 2)
		text, rep, code := run(file, trust)
		if code != 1 || rep.Step != "certification" || rep.Change == nil || rep.Change.Revision != 1 || rep.Change.Object != 3 ||
			rep.Change.Start != int64(n) || rep.SignedRevision == nil || !rep.SignedRevision.Certification.Violated || rep.SignedRevision.Length != int64(n) {
			t.Fatalf("verify --pdf --json: exit %d, %+v, change %+v; want step certification, revision 1 changes object 3", code, rep, rep.Change)
		}
		for _, w := range []string{
			"✗ certification 认证",
			"原因：文件经认证签名（DocMDP P=2 或 P=3）认证后，其后的版本作了认证不允许的改动",
			fmt.Sprintf("change 改动: revision 1 after the certified one (bytes %d to ", n),
			"object 3: a page's /Contents is changed",
			"certification 认证: DocMDP P=2, permitting filling in forms, instantiating page templates and signing: a later revision makes a change it does not permit",
			fmt.Sprintf("head -c %d p2-page-changed.pdf > signed-revision.pdf", n),
			"INVALID 无效",
		} {
			if !strings.Contains(text, w) {
				t.Errorf("verify --pdf output lacks %q:\n%s", w, text)
			}
		}
	})
	// Security review P5: what a permitted later revision draws over the
	// certified page is a warning; the verdict stays valid.
	for _, c := range []struct {
		vector, subtype, line string
		level                 int
		rect                  [4]float64
	}{
		{"p2-signature-over-page.pdf", "Widget", "/Widget at [60 690 300 740], over the certified page's content", 2, [4]float64{60, 690, 300, 740}},
		{"p3-annotation-added.pdf", "Stamp", "/Stamp at [100 680 400 760], over the certified page's content 认证版本之后的第 1 个版本，第 1 页", 3, [4]float64{100, 680, 400, 760}},
	} {
		t.Run("drawn after certification, "+c.vector, func(t *testing.T) {
			file, trust, _ := docMDPVector(t, dir, c.vector)
			text, rep, code := run(file, trust)
			if code != 0 || !rep.Valid || rep.Result == nil || rep.Result.Certification.Level != c.level || rep.Result.Certification.Drawn != 1 ||
				len(rep.Result.Drawn) != 1 || !slices.Equal(rep.Warnings, []string{pdfWarningDrawn}) {
				t.Fatalf("verify --pdf --json: exit %d, %+v; want valid with one drawn after certification, warning %s", code, rep, pdfWarningDrawn)
			}
			d := rep.Result.Drawn[0]
			if d.Revision != 1 || d.Page != 1 || d.Object == 0 || d.Subtype != c.subtype || d.Rect != c.rect || !d.OverContent {
				t.Errorf("result.drawn[0] = %+v, want revision 1, page 1, /%s at %v over the content", d, c.subtype, c.rect)
			}
			n := rep.Result.Certification.Length // the page of text, then its certification
			for _, w := range []string{
				"! drawn after certification 认证后新增的可见内容: 1 widget(s) or annotation(s)",
				fmt.Sprintf("compare with the certified revision (head -c %d %s)", n, c.vector),
				fmt.Sprintf("revision 1 after the certified one, page 1, object %d: %s", d.Object, c.line),
				"\nVALID 有效, with warnings: see the lines marked ! 有警告：见标有 ! 的各行\n",
			} {
				if !strings.Contains(text, w) {
					t.Errorf("verify --pdf output lacks %q:\n%s", w, text)
				}
			}
		})
	}
	t.Run("no warning, JSON unchanged", func(t *testing.T) {
		file, trust, _ := docMDPVector(t, dir, "p2-signed-again.pdf")
		var out bytes.Buffer
		if err := verifyPDF(&out, file, trust, "", true); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{`"warnings"`, `"drawn"`, `"later_drawn"`} {
			if strings.Contains(out.String(), k) {
				t.Errorf("verify --pdf --json has %s with nothing to warn of:\n%s", k, out.String())
			}
		}
		out.Reset()
		if err := verifyPDF(&out, file, trust, "", false); err != nil || !strings.HasSuffix(out.String(), "\nVALID 有效\n") {
			t.Errorf("verify --pdf = %v, want the verdict VALID 有效 alone:\n%s", err, out.String())
		}
	})
	t.Run("appended", func(t *testing.T) {
		file := writeFile(t, dir, "appended.pdf", append(bytes.Clone(f.Signed), "\n1 0 obj\n<<>>\nendobj\n"...))
		text, rep, code := run(file)
		if code != 1 || rep.Step != "find" || rep.SignedRevision == nil || !rep.SignedRevision.Certification.Violated {
			t.Fatalf("verify --pdf --json: exit %d, %+v; want step find and the certified revision", code, rep)
		}
		for _, w := range []string{"原因：签名之后文件被追加了内容", "certification 认证: DocMDP P=1, no change permitted: the bytes after this revision violate it"} {
			if !strings.Contains(text, w) {
				t.Errorf("verify --pdf output lacks %q:\n%s", w, text)
			}
		}
	})
}

// TestCertificationLine: the report's line for each DocMDP level, and for
// a later revision after P=2 or P=3.
func TestCertificationLine(t *testing.T) {
	for _, c := range []struct {
		c    pdfcheck.Certification
		want string
	}{
		{pdfcheck.Certification{}, "- certification 认证: not certified (no DocMDP; an approval signature only) 未经认证"},
		{pdfcheck.Certification{Level: 1, Length: 9}, "✓ certification 认证: certified (DocMDP P=1), permitting no change; no change since"},
		{pdfcheck.Certification{Level: 2, Length: 9}, "✓ certification 认证: certified (DocMDP P=2), permitting filling in forms, instantiating page templates and signing; no change since"},
		{pdfcheck.Certification{Level: 3, Length: 9, Added: 5, Revisions: 2, Changes: pdfcheck.ChangeSignatures | pdfcheck.ChangeAnnotations}, "✓ certification 认证: certified (DocMDP P=3), permitting filling in forms, instantiating page templates, signing, and annotations; 2 later revision(s) (5 bytes) make only changes it permits: signatures, annotations 经认证签名（DocMDP P=3，仅允许填写表单、实例化页面模板、签名和添加注释）；认证版本之后的 2 个版本（5 字节）仅作了认证允许的改动：签名、注释"},
	} {
		got := certificationLine(newPDFCertification(c.c))
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("certificationLine(%+v) = %q, want it to begin %q", c.c, got, c.want)
		}
	}
	b, err := json.Marshal(newPDFCertification(pdfcheck.Certification{}))
	if err != nil || string(b) != `{"level":0,"permits":"not certified","violated":false}` {
		t.Errorf("JSON of not certified = %s, %v", b, err)
	}
}

// TestCheckPDFTrust: the bytes form, which the browser's certificate
// verifier calls, prints what CheckPDFFiles prints for the same files
// (text and JSON, same exit status), and refuses an unusable trust bundle
// and a PDF over MaxPDFSize as usage errors.
func TestCheckPDFTrust(t *testing.T) {
	f := newPDFFixture(t)
	dir := t.TempDir()
	changed := bytes.Clone(f.Signed)
	changed[len(changed)/4] ^= 0x01
	tb, err := os.ReadFile(f.Trust)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		pdf  []byte
	}{{"valid.pdf", f.Signed}, {"changed.pdf", changed}} {
		for _, asJSON := range []bool{false, true} {
			file := writeFile(t, dir, tc.name, tc.pdf)
			var want, got bytes.Buffer
			wantErr := verifyPDF(&want, file, f.Trust, "", asJSON)
			gotErr := CheckPDFTrust(&got, tc.name, tc.pdf, f.Trust, tb, asJSON)
			if got.String() != want.String() || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || exitStatus(gotErr) != exitStatus(wantErr) {
				t.Errorf("CheckPDFTrust(%s, json %v) = %v:\n%s\nwant CheckPDFFiles's %v:\n%s", tc.name, asJSON, gotErr, got.String(), wantErr, want.String())
			}
		}
	}
	for _, tc := range []struct {
		name    string
		pdf, tb []byte
		msg, zh string
	}{
		{"unusable trust bundle", f.Signed, []byte(`{"version":1}`), "trust.json", "信任包"},
		{"bad root", f.Signed, []byte(strings.Replace(string(tb), `"root_pem":"`, `"root_pem":"x`, 1)), "root certificate", "信任包 trust.json 无法使用"},
		{"too large", make([]byte, MaxPDFSize+1), tb, "over 256 MiB", "超过 256 MiB"},
	} {
		var out bytes.Buffer
		err := CheckPDFTrust(&out, "c.pdf", tc.pdf, "trust.json", tc.tb, true)
		var ee ExitError
		if !errors.As(err, &ee) || ee.Code != 2 || !strings.Contains(ee.Message(false), tc.msg) || !strings.Contains(ee.Message(true), tc.zh) || out.Len() != 0 {
			t.Errorf("CheckPDFTrust(%s) = %v (%q, %q), printed %q; want exit status 2, %q and %q", tc.name, err, ee.Message(false), ee.Message(true), out.String(), tc.msg, tc.zh)
		}
	}
}
