package document

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/custos-project/custos/notary/pdf"
)

// Copyright is a copyright registration as its certificate (作品登记证书)
// states it. The API fills it from the registration and its items.
type Copyright struct {
	ID string
	// VerifyToken opens the public verification view: the verification
	// link and QR code carry it, never the ID.
	VerifyToken string
	// Number is the registration number as the chain issued it,
	// CUS-(YEAR)-作登字-M<m>-NNNNNN (a legacy CUS-(YEAR)-作登字-NNNNNN).
	Number  string
	Title   string
	Type    string // text, image, audio, video, software or other
	Authors []string
	Owner   string // the copyright owner, as stated
	Created string // the date of creation, YYYY-MM-DD
	// Published and PublishedAt are the date and place of first
	// publication; empty if the work is unpublished.
	Published, PublishedAt string
	Registrant             string    // the registering organization's name
	RegisteredAt           time.Time // the registration's time
	Items                  []Item    // the work's files, each anchored
	// Lang is the language of the certificate's body: "zh" (the default)
	// or "en". The annex is bilingual.
	Lang string
}

// workTypes names the work types in Chinese and in English.
var workTypes = map[string][2]string{
	"text": {"文字作品", "Literary work"}, "image": {"美术、摄影作品", "Artistic or photographic work"},
	"audio": {"音乐作品、录音制品", "Musical work or sound recording"}, "video": {"视听作品", "Audiovisual work"},
	"software": {"计算机软件", "Computer software"}, "other": {"其他作品", "Other work"},
}

// maxFingerprints is how many files' fingerprints the first page states;
// the annex states all.
const maxFingerprints = 3

// CopyrightDocument lays the registration certificate out as a
// registration certificate (作品登记证书) is set: the office's heading, the
// title and the registration number as the chain issued it; the statement
// and the registered particulars (title, kind, authors, owner, creation
// and first publication, registrant and registration date in words, the
// files' fingerprints in whole groups); the QR code beside its caption;
// the office, the date and the seal as the signature's appearance; then
// the annex listing each file with its anchor, the files' receipts
// attached. c.Lang "en" sets the body in English; the annex is bilingual.
func (is *Issuer) CopyrightDocument(c *Copyright, issued time.Time) (*pdf.Document, error) {
	if c.VerifyToken == "" || c.Number == "" || len(c.Items) == 0 {
		return nil, fmt.Errorf("%w: a registration certificate needs a verification token, a number and files", pdf.ErrDocument)
	}
	annex, atts, err := itemParts(c.Items, nil)
	if err != nil {
		return nil, err
	}
	en := c.Lang == "en"
	label := func(zh, english string) string {
		if en {
			return english
		}
		return zh
	}
	typ := c.Type
	if names, ok := workTypes[c.Type]; ok {
		typ = label(names[0], names[1])
	}
	published := label("未发表", "Unpublished")
	if c.Published != "" {
		published = isoDateText(c.Published, c.Lang) + label("，", ", ") + c.PublishedAt
	}
	authors := strings.Join(c.Authors, label("、", ", "))
	work := pdf.Section{
		Paragraphs: []string{registrationText(c)},
		Fields: []pdf.Field{
			{Label: label("作品名称：", "Title:"), Value: c.Title},
			{Label: label("作品类别：", "Kind:"), Value: typ},
			{Label: label("作者：", "Author(s):"), Value: authors},
			{Label: label("著作权人：", "Owner:"), Value: c.Owner},
			{Label: label("创作完成日期：", "Created:"), Value: isoDateText(c.Created, c.Lang)},
			{Label: label("首次发表：", "First published:"), Value: published},
			{Label: label("登记申请人：", "Registrant:"), Value: c.Registrant},
			{Label: label("登记日期：", "Registered:"), Value: dateText(c.RegisteredAt, c.Lang) + label("（", " (") +
				c.RegisteredAt.In(cst).Format("2006-01-02 15:04:05") + label(" 北京时间）", " China Standard Time)")},
		},
	}
	for i, it := range c.Items[:min(len(c.Items), maxFingerprints)] {
		work.Fields = append(work.Fields, pdf.Field{Label: fmt.Sprintf(label("文件%d SHA-256：", "File %d SHA-256:"), i+1), Value: it.SHA256, Digest: true})
	}
	if len(c.Items) > maxFingerprints {
		work.Fields = append(work.Fields, pdf.Field{Label: label("其余文件：", "Other files:"),
			Value: fmt.Sprintf(label("%d个，见附件", "%d, in the annex"), len(c.Items)-maxFingerprints)})
	}
	work.Fields = append(work.Fields, pdf.Field{Label: label("证书编号：", "Certificate ID:"), Value: c.ID})
	doc := &pdf.Document{
		Heading:     is.Office,
		Title:       label("作品登记证书", "Certificate of Copyright Registration"),
		Subtitle:    label("Certificate of Copyright Registration", "作品登记证书"),
		Number:      label("登记号：", "No. ") + c.Number,
		Author:      is.Office,
		Issued:      issued,
		Sections:    []pdf.Section{work},
		VerifyURL:   is.VerifyURL(c.VerifyToken),
		Closing:     is.closing("", issued, c.Lang),
		AnnexTitle:  "附件：作品文件清单 Annex: the work's files",
		Annex:       annex,
		Attachments: atts,
	}
	if en {
		doc.PageLabel = func(p, of int) string { return fmt.Sprintf("Page %d of %d", p, of) }
	}
	return doc, nil
}

// registrationText is the certificate's statement, in its language.
func registrationText(c *Copyright) string {
	if c.Lang == "en" {
		return fmt.Sprintf("This certifies that the work below was registered on %s at the application of %s. Its %d file(s) "+
			"are identified by their fingerprints (SHA-256 digests), whose trusted times are anchored in the consortium chain; "+
			"the annex lists each file with its anchor, and each file's receipt is attached to this certificate's file.",
			dateText(c.RegisteredAt, "en"), c.Registrant, len(c.Items))
	}
	return fmt.Sprintf("兹证明，下列作品经%s申请，已于%s登记。作品共%d个文件，以其SHA-256摘要值标识，"+
		"其可信时间已在联盟链上链；每个文件及其上链信息详见附件《作品文件清单》，其回执已嵌入本证书电子文件。",
		c.Registrant, dateText(c.RegisteredAt, "zh"), len(c.Items))
}

// isoDateText is a YYYY-MM-DD date as a certificate prints it: 2025年6月1日,
// or 1 June 2025; anything else as it is.
func isoDateText(s, lang string) string {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	if lang == "en" {
		return d.Format("2 January 2006")
	}
	return fmt.Sprintf("%d年%d月%d日", d.Year(), d.Month(), d.Day())
}

// CopyrightCertificate renders and signs the registration certificate of
// c, issued at issued.
func (is *Issuer) CopyrightCertificate(ctx context.Context, c *Copyright, issued time.Time) ([]byte, error) {
	if is == nil || is.Renderer == nil || is.Sign.Signer == nil {
		return nil, ErrNoSigner
	}
	doc, err := is.CopyrightDocument(c, issued)
	if err != nil {
		return nil, err
	}
	return is.Produce(ctx, doc, "作品登记 Copyright registration "+c.Number)
}
