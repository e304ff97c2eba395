package pdf

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/cms"
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/pdfcheck"
)

// testPKI is a development consortium PKI: root → notary organization CA →
// the notary's signing certificate and the TSA's.
type testPKI struct {
	root   *certs.Authority
	org    *certs.Authority
	notary *certs.Leaf
	tsa    *notary.TSA
	roots  *x509.CertPool
}

func newTestPKI(t testing.TB, now time.Time) *testPKI {
	t.Helper()
	return newSuitePKI(t, certs.SuiteECDSA, now)
}

// newSuitePKI is newTestPKI in suite: every key and signature of the sm
// suite is SM2 with SM3, the TSA's tokens included.
func newSuitePKI(t testing.TB, suite certs.Suite, now time.Time) *testPKI {
	t.Helper()
	root, err := certs.NewSuiteRoot(suite, "Custos Test Root CA", now)
	if err != nil {
		t.Fatal(err)
	}
	org, err := root.NewOrgCA(certs.KindNotary, "杭州市互联网公证处", now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := org.IssueNotary("张三 公证员", now)
	if err != nil {
		t.Fatal(err)
	}
	tsaLeaf, err := org.IssueTSA("Custos Test TSA", now)
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := notary.NewTSA(notary.TSAConfig{Cert: tsaLeaf.Cert, Chain: tsaLeaf.Chain, Signer: tsaLeaf.Signer, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	return &testPKI{root: root, org: org, notary: leaf, tsa: tsa, roots: roots}
}

func (p *testPKI) options() SignOptions {
	return SignOptions{
		Signer:      p.notary.Signer,
		Certificate: p.notary.Cert,
		Chain:       p.notary.Chain,
		TSA:         p.tsa,
		Reason:      "公证 Notarization",
		Location:    "杭州 Hangzhou",
		Time:        time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
	}
}

var (
	rendererOnce sync.Once
	renderer     *Renderer
	rendererErr  error
)

// testRenderer shares one Renderer (loading the font takes ~100 ms); it
// skips the test when the system font is not installed, or fails under
// CUSTOS_REQUIRE_INTEGRATION=1.
func testRenderer(t testing.TB) *Renderer {
	t.Helper()
	rendererOnce.Do(func() { renderer, rendererErr = NewRenderer(Config{}) })
	if rendererErr != nil {
		if _, err := os.Stat(DefaultFontPath); err != nil && os.Getenv("CUSTOS_REQUIRE_INTEGRATION") != "1" {
			t.Skipf("font %s not installed (Debian fonts-wqy-microhei)", DefaultFontPath)
		}
		t.Fatal(rendererErr)
	}
	return renderer
}

func testDocument() *Document {
	return &Document{
		Title:  "公证书",
		Number: "(2026)浙杭证字第 1 号",
		Author: "杭州市互联网公证处",
		Issued: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
		Sections: []Section{
			{Heading: "申请人 Applicant", Paragraphs: []string{"申请人杭州互联网法院于二〇二六年三月一日向本处申请，对下列电子数据的存在、内容及其取得时间办理保全证据公证。本公证处经审查，证明下列电子数据自其可信时间起未被改动。"}},
			{Heading: "电子数据 Evidence", Fields: []Field{
				{Label: "标题 Title", Value: "直播间截图与录像"},
				{Label: "文件名 File", Value: "录像-2026-03-01.mp4"},
				{Label: "大小 Size", Value: "10,485,760 字节 bytes"},
				{Label: "SHA-256", Value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
				{Label: "可信时间 Trusted time", Value: "2026-03-01 08:00:00 UTC（Custos Test TSA）"},
			}},
		},
		VerifyURL: "https://custos.example/v/cert/0001",
		Attachments: []Attachment{
			{Name: "receipt-0001.json", MIME: "application/json", Description: "证据 1 的回执 Receipt of item 1", Data: []byte(`{"version":1,"id":"0001"}`)},
		},
	}
}

// signedDocument renders and signs the test document.
func signedDocument(t testing.TB, p *testPKI) []byte {
	t.Helper()
	b, err := testRenderer(t).Render(testDocument())
	if err != nil {
		t.Fatal(err)
	}
	signed, err := Sign(context.Background(), b, p.options())
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// signatureDER is the CMS of the signature of signed whose /ByteRange is
// br: the /Contents hex string between the ranges, decoded, without its
// zero padding.
func signatureDER(t testing.TB, signed []byte, br [4]int64) []byte {
	t.Helper()
	contents, err := hex.DecodeString(string(signed[br[1]+1 : br[2]-1]))
	if err != nil {
		t.Fatal(err)
	}
	der, rest, err := cms.SplitElement(contents)
	if err != nil || len(bytes.Trim(rest, "\x00")) != 0 {
		t.Fatalf("/Contents is not a DER element and zero padding: %v", err)
	}
	return der
}

// intArray reads an array of integers, as pdfcheck reads a /ByteRange.
func intArray(o pdfcheck.Object) ([]int64, error) {
	a, ok := o.(pdfcheck.Array)
	if !ok {
		return nil, fmt.Errorf("%w: not an array", pdfcheck.ErrMalformed)
	}
	out := make([]int64, len(a))
	for i, e := range a {
		n, ok := e.(pdfcheck.Number)
		if !ok {
			return nil, fmt.Errorf("%w: array element %d is not an integer", pdfcheck.ErrMalformed, i)
		}
		v, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
