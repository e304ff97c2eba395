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
	Number      string
	Title       string
	Type        string // text, image, audio, video, software or other
	Authors     []string
	Owner       string // the copyright owner, as stated
	Created     string // the date of creation, YYYY-MM-DD
	// Published and PublishedAt are the date and place of first
	// publication; empty if the work is unpublished.
	Published, PublishedAt string
	Registrant             string    // the registering organization's name
	RegisteredAt           time.Time // the registration's time
	Items                  []Item    // the work's files, each anchored
}

// workTypes names the work types in both languages.
var workTypes = map[string]string{
	"text": "文字作品 Text", "image": "美术/摄影作品 Image", "audio": "音乐/录音作品 Audio",
	"video": "视听作品 Video", "software": "计算机软件 Software", "other": "其他 Other",
}

// CopyrightDocument lays the registration certificate out as a
// registration certificate (作品登记证书) is set: the office's heading, the
// title and the registration number; the statement and the registered
// particulars; the QR code with its caption; the office, the date and the
// seal; then the annex listing each file with its anchor, the files'
// receipts attached.
func (is *Issuer) CopyrightDocument(c *Copyright, issued time.Time) (*pdf.Document, error) {
	if c.VerifyToken == "" {
		return nil, fmt.Errorf("%w: a registration certificate needs a verification token", pdf.ErrDocument)
	}
	annex, atts, err := itemParts(c.Items, nil)
	if err != nil {
		return nil, err
	}
	typ := workTypes[c.Type]
	if typ == "" {
		typ = c.Type
	}
	published := "未发表 Unpublished"
	if c.Published != "" {
		published = c.Published + "，" + c.PublishedAt
	}
	work := pdf.Section{
		Paragraphs: []string{
			fmt.Sprintf("经%s申请，下列作品已于%s登记。作品共%d个文件，其数字摘要及可信时间已锚定于联盟链，详见附件《作品文件清单》。",
				c.Registrant, dateText(c.RegisteredAt, "zh"), len(c.Items)),
			"This certifies that the work below is registered, and that the digests and trusted times of its files are anchored in the consortium chain (see the annex).",
		},
		Fields: []pdf.Field{
			{Label: "作品名称 Title", Value: c.Title},
			{Label: "作品类别 Type", Value: typ},
			{Label: "作者 Authors", Value: strings.Join(c.Authors, "、")},
			{Label: "著作权人 Owner", Value: c.Owner},
			{Label: "创作完成日期 Created", Value: c.Created},
			{Label: "首次发表 First published", Value: published},
			{Label: "登记申请人 Registrant", Value: c.Registrant},
			{Label: "登记时间 Registered", Value: timeText(c.RegisteredAt)},
			{Label: "证书编号 ID", Value: c.ID},
		},
	}
	return &pdf.Document{
		Heading:     is.Office,
		Title:       "作品登记证书",
		Subtitle:    "Certificate of Copyright Registration",
		Number:      "登记号：" + c.Number,
		Author:      is.Office,
		Issued:      issued,
		Sections:    []pdf.Section{work},
		VerifyURL:   is.VerifyURL(c.VerifyToken),
		Closing:     is.closing("", issued, "zh"),
		AnnexTitle:  "附件：作品文件清单 Annex: the work's files",
		Annex:       annex,
		Attachments: atts,
	}, nil
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
