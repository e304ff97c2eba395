// Package document builds Custos's signed documents: the notarial
// certificate over evidence items and the copyright registration
// certificate. It turns plain data (an evidence item's metadata, its
// receipt, the parties) into a notary/pdf Document, renders it and signs it
// as the notary (PAdES B-T).
//
// It knows nothing of storage or HTTP: the API gathers the records and
// receipts and hands them over as Items.
package document

import (
	"context"
	"errors"
	"fmt"
	"image"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/custos-project/custos/notary/pdf"
)

// ErrNoSigner means the node holds no document-signing certificate:
// certificates are issued by notary members of the consortium.
var ErrNoSigner = errors.New("document: this node holds no document-signing certificate")

// Issuer renders and signs documents. It is safe for concurrent use.
type Issuer struct {
	// Office is the issuing office (the notary office), printed on every
	// document and its /Author. Required.
	Office string
	// Abbrev is the office's short name in certificate numbers, such as
	// "浙杭钱" in "（2026）浙杭钱证字第17号". Default: Office.
	Abbrev string
	// Seal is the office's seal, printed where the notary signs and under
	// the signature's widget; nil draws a red circular seal with Office
	// around it.
	Seal image.Image
	// Renderer lays documents out. Required.
	Renderer *pdf.Renderer
	// Sign holds the notary's key and certificate (whose common name is the
	// notary's name), its chain and the TSA that time-stamps the signature;
	// Reason is set per document. Required.
	Sign pdf.SignOptions
	// PublicURL is the base URL of the node's public pages, such as
	// "https://custos.example.org", for the verification links and QR codes.
	PublicURL string
}

// Notary is the signing notary's name: the common name of the certificate.
func (is *Issuer) Notary() string {
	if is == nil || is.Sign.Certificate == nil {
		return ""
	}
	return is.Sign.Certificate.Subject.CommonName
}

// NumberPrefix is what certificate numbers name the office by: Abbrev,
// else Office.
func (is *Issuer) NumberPrefix() string {
	if is.Abbrev != "" {
		return is.Abbrev
	}
	return is.Office
}

// VerifyURL is the public verification page of a document, opened by its
// verification token (a separate capability from the document's ID, which
// custody events and the register name): PUBLIC_URL/verify?document=TOKEN.
func (is *Issuer) VerifyURL(token string) string {
	base := strings.TrimRight(is.PublicURL, "/")
	return base + "/verify?" + url.Values{"document": {token}}.Encode()
}

// ready reports whether the Issuer can sign.
func (is *Issuer) ready() bool {
	return is != nil && is.Renderer != nil && is.Sign.Signer != nil
}

// Produce renders doc and signs it, stating reason in the signature.
func (is *Issuer) Produce(ctx context.Context, doc *pdf.Document, reason string) ([]byte, error) {
	if !is.ready() {
		return nil, ErrNoSigner
	}
	if doc.Author == "" {
		doc.Author = is.Office
	}
	unsigned, seal, err := is.Renderer.Layout(doc)
	if err != nil {
		return nil, err
	}
	opts := is.Sign
	opts.Reason = reason
	opts.Appearance = seal
	opts.Time = doc.Issued
	signed, err := pdf.Sign(ctx, unsigned, opts)
	if err != nil {
		return nil, fmt.Errorf("document: sign: %w", err)
	}
	return signed, nil
}

// cst is China Standard Time, the zone of the courts and notary offices
// the documents are for.
var cst = time.FixedZone("CST", 8*3600)

// Year is the year a document issued at t is dated and numbered in: the
// year in China Standard Time.
func Year(t time.Time) int { return t.In(cst).Year() }

// closing is the signature block of a document: the notary (when label is
// set), the office and the date, with the office's seal.
func (is *Issuer) closing(label string, t time.Time, lang string) *pdf.Closing {
	c := &pdf.Closing{Seal: is.Seal, SealText: is.Office}
	if label != "" && is.Notary() != "" {
		c.Lines = append(c.Lines, label+"  "+is.Notary())
	}
	c.Lines = append(c.Lines, is.Office, dateText(t, lang))
	return c
}

// dateText is the date of t in China Standard Time, in words as a
// certificate dates itself: 二〇二六年十二月六日, or 6 December 2026.
func dateText(t time.Time, lang string) string {
	t = t.In(cst)
	if lang == "en" {
		return t.Format("2 January 2006")
	}
	const digits = "〇一二三四五六七八九"
	d := []rune(digits)
	var b strings.Builder
	for _, c := range strconv.Itoa(t.Year()) {
		b.WriteRune(d[c-'0'])
	}
	return b.String() + "年" + chineseNumber(int(t.Month())) + "月" + chineseNumber(t.Day()) + "日"
}

// chineseNumber spells 1 to 99 in Chinese numerals: 六, 十二, 二十一.
func chineseNumber(n int) string {
	d := []rune("〇一二三四五六七八九")
	switch {
	case n < 10:
		return string(d[n])
	case n < 20:
		return "十" + strings.TrimPrefix(string(d[n%10]), "〇")
	}
	return string(d[n/10]) + "十" + strings.TrimPrefix(string(d[n%10]), "〇")
}

// timeText prints an instant in UTC and in China Standard Time, the zone of
// the courts and notary offices the documents are for.
func timeText(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC") + " (" + t.In(cst).Format("2006-01-02 15:04:05") + " 北京时间)"
}
