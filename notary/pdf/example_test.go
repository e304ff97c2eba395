package pdf_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"log"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/notary/pdf"
	"github.com/custos-project/custos/pdfcheck"
)

// Render a certificate, sign it as the notary with a signature time-stamp,
// and verify it.
func Example() {
	now := time.Now()
	root, _ := certs.NewRoot("Custos Root CA", now)
	office, _ := root.NewOrgCA(certs.KindNotary, "杭州市互联网公证处", now)
	notaryCert, _ := office.IssueNotary("张三", now)
	tsaCert, _ := office.IssueTSA("公证处 TSA", now)
	tsa, _ := notary.NewTSA(notary.TSAConfig{Cert: tsaCert.Cert, Chain: tsaCert.Chain, Signer: tsaCert.Signer})

	r, err := pdf.NewRenderer(pdf.Config{}) // the font of Debian's fonts-wqy-microhei
	if err != nil {
		log.Fatal(err)
	}
	doc, err := r.Render(&pdf.Document{
		Title:       "公证书",
		Number:      "(2026)浙杭证字第 1 号",
		Sections:    []pdf.Section{{Heading: "电子数据", Fields: []pdf.Field{{Label: "SHA-256", Value: "9f86d081…"}}}},
		VerifyURL:   "https://custos.example/v/cert/1",
		Attachments: []pdf.Attachment{{Name: "receipt-1.json", MIME: "application/json", Data: []byte(`{}`)}},
	})
	if err != nil {
		log.Fatal(err)
	}
	signed, err := pdf.Sign(context.Background(), doc, pdf.SignOptions{
		Signer: notaryCert.Signer, Certificate: notaryCert.Cert, Chain: notaryCert.Chain,
		TSA: tsa, Reason: "公证", Location: "杭州",
	})
	if err != nil {
		log.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	sig, err := pdfcheck.Verify(signed, roots)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sig.Signer.Subject.CommonName, sig.Reason)
	// Output: 张三 公证
}
