package document

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/notary/pdf"
	"github.com/custos-project/custos/pdfcheck"
	"github.com/custos-project/custos/receipt"
)

// testIssuer is an Issuer under a throwaway PKI: root → notary office CA →
// the notary and a TSA. It skips without the CJK font, unless
// CUSTOS_REQUIRE_INTEGRATION=1.
func testIssuer(t *testing.T) (*Issuer, *x509.CertPool) {
	t.Helper()
	return testSuiteIssuer(t, certs.SuiteECDSA)
}

// testSuiteIssuer is testIssuer with a PKI of suite.
func testSuiteIssuer(t *testing.T, suite certs.Suite) (*Issuer, *x509.CertPool) {
	t.Helper()
	now := time.Now()
	root, err := certs.NewSuiteRoot(suite, "Custos Test Root CA", now)
	if err != nil {
		t.Fatal(err)
	}
	office, err := root.NewOrgCA(certs.KindNotary, "杭州市互联网公证处", now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := office.IssueNotary("张三", now)
	if err != nil {
		t.Fatal(err)
	}
	tsaLeaf, err := office.IssueTSA("公证处 TSA", now)
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := notary.NewTSA(notary.TSAConfig{Cert: tsaLeaf.Cert, Chain: tsaLeaf.Chain, Signer: tsaLeaf.Signer})
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdf.NewRenderer(pdf.Config{})
	if err != nil {
		if os.Getenv("CUSTOS_REQUIRE_INTEGRATION") != "1" {
			t.Skipf("no CJK font (Debian fonts-wqy-microhei): %v", err)
		}
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	return &Issuer{
		Office: "杭州市互联网公证处", Renderer: r, PublicURL: "https://custos.example/",
		Sign: pdf.SignOptions{Signer: leaf.Signer, Certificate: leaf.Cert, Chain: leaf.Chain, TSA: tsa, Location: "杭州"},
	}, roots
}

// testItem is an item whose receipt is the receipt package's golden one.
func testItem(t *testing.T) Item {
	t.Helper()
	b, err := os.ReadFile("../../receipt/testdata/good.json")
	if err != nil {
		t.Fatal(err)
	}
	r, err := receipt.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	ev := r.Evidence
	return Item{ID: ev.ID, Title: "直播间截图", FileName: "screenshot.txt", MediaType: ev.MediaType, Size: ev.Size,
		SHA256: ev.SHA256, SM3: ev.SM3, Receipt: r,
		Times: []TrustedTime{{TSA: "Hangzhou Internet Court TSA", Time: time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC), Serial: "1"}}}
}

func TestNotarial(t *testing.T) {
	is, roots := testIssuer(t)
	n := &Notarial{ID: "abcdefghijklmnopqrstuvwxyz", VerifyToken: "zyxwvutsrqponmlkjihgfedcba", Number: "（2026）浙杭证字第1号", Applicant: "杭州互联网法院",
		Matter: "著作权纠纷", Issued: time.Now().Truncate(time.Second), Items: []Item{testItem(t)}}
	doc, err := is.notarialDocument(n)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://custos.example/verify?document=zyxwvutsrqponmlkjihgfedcba"; doc.VerifyURL != want {
		t.Errorf("VerifyURL = %q, want %q", doc.VerifyURL, want)
	}
	if strings.Contains(doc.VerifyURL, n.ID) {
		t.Errorf("VerifyURL %q names the certificate's ID", doc.VerifyURL)
	}
	text := docText(doc)
	for _, want := range []string{"（2026）浙杭证字第1号", "杭州市互联网公证处", "公证员  张三", "杭州互联网法院", "著作权纠纷",
		"保全证据", "兹证明", "SHA-256、SM3", n.Items[0].SHA256, n.Items[0].SM3, "直播间截图",
		"Hangzhou Internet Court TSA", "chain ", n.Items[0].Receipt.Checkpoint.Root, "存证 filed", dateText(n.Issued, "zh")} {
		if !strings.Contains(text, want) {
			t.Errorf("the certificate does not state %q", want)
		}
	}
	if strings.Contains(text, "证件") || strings.Contains(text, "This is to certify") {
		t.Errorf("an organization applicant is printed with an identity document, or the Chinese body in English")
	}
	english := *n
	english.Lang = "en"
	edoc, err := is.notarialDocument(&english)
	if err != nil {
		t.Fatal(err)
	}
	if et := docText(edoc); !strings.Contains(et, "This is to certify") || strings.Contains(et, "兹证明") || !strings.Contains(et, "Notary  张三") {
		t.Errorf("the English certificate reads:\n%s", et)
	}
	// A natural person is printed with their masked identity number.
	person := *n
	person.Applicant, person.ApplicantID = "李四", "居民身份证 Resident ID 1101**********002X"
	pdoc, err := is.notarialDocument(&person)
	if err != nil {
		t.Fatal(err)
	}
	head := pdoc.Sections[0].Fields
	var fields []string
	for _, f := range head {
		fields = append(fields, f.Label+": "+f.Value)
	}
	if !slices.Contains(fields, "申请人：: 李四") || !slices.Contains(fields, "证件：: 居民身份证 Resident ID 1101**********002X") ||
		!strings.Contains(pdoc.Sections[1].Paragraphs[0], "申请人李四于") {
		t.Errorf("a person applicant is printed as %q and %q", fields, pdoc.Sections[1].Paragraphs[0])
	}
	want, _ := n.Items[0].Receipt.Encode()
	if len(doc.Attachments) != 1 || doc.Attachments[0].Name != "receipt-"+n.Items[0].ID+".json" || !bytes.Equal(doc.Attachments[0].Data, want) {
		t.Fatalf("attachments = %d, want the item's canonical receipt", len(doc.Attachments))
	}
	signed, err := is.Notarial(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := pdfcheck.Verify(signed, roots)
	if err != nil {
		t.Fatalf("pdfcheck.Verify: %v", err)
	}
	if sig.Signer.Subject.CommonName != "张三" || !strings.Contains(sig.Reason, n.Number) {
		t.Errorf("signed by %q for %q", sig.Signer.Subject.CommonName, sig.Reason)
	}
	tampered := bytes.Clone(signed)
	tampered[sig.ByteRange[1]/2] ^= 1
	if _, err := pdfcheck.Verify(tampered, roots); err == nil {
		t.Errorf("pdfcheck.Verify(one byte changed) = nil, want an error")
	}
}

// TestNotarialSM: in the sm suite the notary's SM2 key (a *sm2.PrivateKey
// behind SignOptions.Signer) signs the certificate with SM2 and SM3, and
// it verifies against the SM2 root.
func TestNotarialSM(t *testing.T) {
	is, roots := testSuiteIssuer(t, certs.SuiteSM)
	n := &Notarial{ID: "abcdefghijklmnopqrstuvwxyz", VerifyToken: "zyxwvutsrqponmlkjihgfedcba", Number: "（2026）浙杭证字第2号",
		Applicant: "杭州互联网法院", Issued: time.Now().Truncate(time.Second), Items: []Item{testItem(t)}}
	signed, err := is.Notarial(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := is.Sign.Signer.(*sm2.PrivateKey); !ok {
		t.Fatalf("the sm notary's signer is a %T, want *sm2.PrivateKey", is.Sign.Signer)
	}
	sig, err := pdfcheck.Verify(signed, roots)
	if err != nil {
		t.Fatalf("pdfcheck.Verify(sm certificate) = %v", err)
	}
	if !sig.Signer.Equal(is.Sign.Certificate) {
		t.Errorf("signed by %q", sig.Signer.Subject)
	}
	if !bytes.Contains(signed, []byte("ETSI.CAdES.detached")) {
		t.Error("the sm certificate is not a PAdES signature")
	}
}

// docText is what doc states, section by section, for tests to search.
func docText(doc *pdf.Document) string {
	var text strings.Builder
	text.WriteString(doc.Heading + "\n" + doc.Title + "\n" + doc.Number + "\n")
	for _, s := range append(slices.Clone(doc.Sections), doc.Annex...) {
		text.WriteString(s.Heading + "\n" + strings.Join(s.Paragraphs, "\n") + "\n")
		for _, f := range s.Fields {
			text.WriteString(f.Label + ": " + f.Value + "\n")
		}
	}
	if doc.Closing != nil {
		text.WriteString(strings.Join(doc.Closing.Lines, "\n") + "\n")
	}
	return text.String()
}

// TestDateText: a certificate dates itself in words, in China Standard
// Time.
func TestDateText(t *testing.T) {
	for _, c := range []struct {
		t      time.Time
		zh, en string
	}{
		{time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC), "二〇二六年十二月六日", "6 December 2026"},
		{time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC), "二〇二七年一月一日", "1 January 2027"},
		{time.Date(2030, 10, 20, 0, 0, 0, 0, time.UTC), "二〇三〇年十月二十日", "20 October 2030"},
		{time.Date(2031, 3, 12, 0, 0, 0, 0, time.UTC), "二〇三一年三月十二日", "12 March 2031"},
		{time.Date(2031, 3, 29, 0, 0, 0, 0, time.UTC), "二〇三一年三月二十九日", "29 March 2031"},
	} {
		if got := dateText(c.t, "zh"); got != c.zh {
			t.Errorf("dateText(%v, zh) = %q, want %q", c.t, got, c.zh)
		}
		if got := dateText(c.t, "en"); got != c.en {
			t.Errorf("dateText(%v, en) = %q, want %q", c.t, got, c.en)
		}
	}
}

func TestNotarialRefusesIncomplete(t *testing.T) {
	is := &Issuer{Office: "o"}
	for name, n := range map[string]*Notarial{
		"no items":     {ID: "x", Number: "1"},
		"no number":    {ID: "x", Items: []Item{{ID: "i"}}},
		"no receipt":   {ID: "x", VerifyToken: "y", Number: "1", Items: []Item{{ID: "i"}}},
		"no token":     {ID: "x", Number: "1", Applicant: "a", Items: []Item{testItem(t)}},
		"no applicant": {ID: "x", VerifyToken: "y", Number: "1", Items: []Item{testItem(t)}},
		"empty struct": {},
	} {
		if _, err := is.notarialDocument(n); err == nil {
			t.Errorf("%s: notarialDocument = nil error", name)
		}
	}
	if _, err := (*Issuer)(nil).Notarial(context.Background(), &Notarial{ID: "x", Number: "1", VerifyToken: "y", Items: []Item{testItem(t)}}); !errors.Is(err, ErrNoSigner) {
		t.Errorf("nil Issuer: %v, want ErrNoSigner", err)
	}
}
