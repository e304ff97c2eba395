// Package pdftest makes signed certificate PDFs for the tests of what
// verifies them (internal/verifycli, cmd/custos, cmd/custos-verify): a
// 公证书 rendered and signed in process by a notary of a development PKI,
// time-stamped by that PKI's TSA, with the roots a verifier is given. It
// is test support: no production code imports it.
package pdftest

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/notary/pdf"
	"github.com/custos-project/custos/receipt"
)

// Now is the time of the fixture's PKI and document; the time-stamp is an
// hour later.
var Now = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// Fixture is a signed certificate PDF and what verifies it.
type Fixture struct {
	Signed    []byte            // the signed PDF
	Root      *x509.Certificate // the root it chains to
	OtherRoot *x509.Certificate // another consortium's root, which it does not
	Signer    *x509.Certificate // the notary's signing certificate
	Opts      pdf.SignOptions   // how Signed was signed
}

// Signed renders a one-page 公证书 with the files atts attached and signs
// it, the signature claiming (/M) the time claimed after Now. It skips the
// test when no font to render with is installed.
func Signed(t testing.TB, atts []pdf.Attachment, claimed time.Duration) *Fixture {
	t.Helper()
	dev, err := certs.LoadOrCreateDev(t.TempDir(), "杭州市互联网公证处", Now)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := dev.Org.IssueNotary("张三 公证员", Now)
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := notary.NewTSA(notary.TSAConfig{Cert: dev.TSA.Cert, Chain: dev.TSA.Chain, Signer: dev.TSA.Signer,
		Now: func() time.Time { return Now.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdf.NewRenderer(pdf.Config{})
	if err != nil {
		t.Skipf("no font to render a PDF with: %v", err)
	}
	doc, err := r.Render(&pdf.Document{Title: "公证书", Number: "(2026)浙杭证字第 1 号", Author: "杭州市互联网公证处", Issued: Now,
		Sections: []pdf.Section{{Heading: "证明 Certification", Paragraphs: []string{"兹证明。"}}}, Attachments: atts,
		VerifyURL: "https://custos.example/verify?document=tttttttttttttttttttttttttt"})
	if err != nil {
		t.Fatal(err)
	}
	opts := pdf.SignOptions{Signer: signer.Signer, Certificate: signer.Cert,
		Chain: signer.Chain, TSA: tsa, Reason: "公证 Notarization", Location: "杭州 Hangzhou", Time: Now.Add(claimed)}
	signed, err := pdf.Sign(context.Background(), doc, opts)
	if err != nil {
		t.Fatal(err)
	}
	other, err := certs.NewRoot("Another Root CA", Now)
	if err != nil {
		t.Fatal(err)
	}
	return &Fixture{Signed: signed, Root: dev.Root.Cert, OtherRoot: other.Cert, Signer: signer.Cert, Opts: opts}
}

// TrustBundle is a version-1 trust bundle naming root, with one stand-in
// validator: enough for a certificate PDF's check, which reads its root.
func TrustBundle(t testing.TB, root *x509.Certificate) []byte {
	t.Helper()
	b, err := json.Marshal(receipt.Trust{Version: 1, ChainID: "custos-test", RootPEM: string(certs.EncodePEM(root)),
		Validators: []receipt.Validator{{Name: "v", Kind: "notary", PubKey: base64.StdEncoding.EncodeToString(make([]byte, 32)), Power: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Files is a Fixture written out as a verifier's command line takes it:
// the PDF's bytes, and the paths of a trust bundle naming its root, one
// naming another consortium's, the root alone and the signer's
// certificate alone, each a PEM or JSON file in a test's folder.
type Files struct {
	Signed []byte
	Trust  string          // trust bundle file
	Other  string          // trust bundle of another consortium
	Roots  string          // the root of trust, alone in a PEM file
	Leaf   string          // the signer's certificate, alone in a PEM file
	Opts   pdf.SignOptions // how Signed was signed
}

// SignedFiles is Signed(t, atts, claimed) written out as Files.
func SignedFiles(t testing.TB, atts []pdf.Attachment, claimed time.Duration) *Files {
	t.Helper()
	f := Signed(t, atts, claimed)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return &Files{
		Signed: f.Signed,
		Trust:  write("trust.json", TrustBundle(t, f.Root)),
		Other:  write("other.json", TrustBundle(t, f.OtherRoot)),
		Roots:  write("roots.pem", certs.EncodePEM(f.Root)),
		Leaf:   write("leaf.pem", certs.EncodePEM(f.Signer)),
		Opts:   f.Opts,
	}
}
