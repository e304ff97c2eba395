package document

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/custos-project/custos/notary/pdf"
)

// Notarial is a notarial certificate (公证书) over one or more evidence
// items: the notary certifies that each item's digest was fixed at its
// trusted time and anchored in the consortium chain.
type Notarial struct {
	// ID is the certificate's ID, printed on it.
	ID string
	// VerifyToken opens its public verification view: the verification
	// link and QR code carry it, never the ID.
	VerifyToken string
	// Number is the certificate number, e.g. "(2026)浙杭证字第 17 号".
	Number string
	// Issued is the issue time, printed and used as the signing time.
	Issued time.Time
	// Applicant is the name of the party who applied for the certificate
	// (申请人): an organization, or a natural person. The office and the
	// notary are the issuer.
	Applicant string
	// ApplicantID is a natural-person applicant's identity document, as
	// printed: its type and masked number, such as "居民身份证 Resident ID
	// 3301**********1234". Empty for an organization.
	ApplicantID string
	// Matter, when set, names the case file the items were certified from.
	Matter string
	// Items are stated in order; each carries its receipt, attached.
	Items []Item
}

// Notarial renders and signs a notarial certificate.
func (is *Issuer) Notarial(ctx context.Context, n *Notarial) ([]byte, error) {
	if !is.ready() {
		return nil, ErrNoSigner
	}
	doc, err := is.notarialDocument(n)
	if err != nil {
		return nil, err
	}
	return is.Produce(ctx, doc, "公证 Notarization: "+n.Number)
}

// notarialDocument lays the certificate out: who issues it and for whom,
// the statement, then one section per item, with the receipts attached.
func (is *Issuer) notarialDocument(n *Notarial) (*pdf.Document, error) {
	if n.ID == "" || n.VerifyToken == "" || n.Number == "" || n.Applicant == "" || len(n.Items) == 0 {
		return nil, fmt.Errorf("%w: a notarial certificate needs an ID, a verification token, a number, an applicant and items", pdf.ErrDocument)
	}
	items, atts, err := itemParts(n.Items)
	if err != nil {
		return nil, err
	}
	url := is.VerifyURL(n.VerifyToken)
	head := pdf.Section{Heading: "公证书信息 Certificate", Fields: []pdf.Field{
		{Label: "公证书编号 Number", Value: n.Number},
		{Label: "公证机构 Notary office", Value: is.Office},
		{Label: "公证员 Notary", Value: is.Notary()},
		{Label: "出证日期 Issued", Value: timeText(n.Issued)},
		{Label: "申请人 Applicant", Value: n.Applicant},
	}}
	if n.ApplicantID != "" {
		head.Fields = append(head.Fields, pdf.Field{Label: "申请人证件 Applicant's ID", Value: n.ApplicantID})
	}
	if n.Matter != "" {
		head.Fields = append(head.Fields, pdf.Field{Label: "案件 Matter", Value: n.Matter})
	}
	head.Fields = append(head.Fields,
		pdf.Field{Label: "证书编号 ID", Value: n.ID},
		pdf.Field{Label: "在线验证 Verify", Value: url})
	statement := pdf.Section{Heading: "证明 Statement", Paragraphs: statementText(n, is.Office)}
	return &pdf.Document{
		Title:       "公证书 Notarial Certificate",
		Number:      n.Number,
		Author:      is.Office,
		Issued:      n.Issued,
		Sections:    append([]pdf.Section{head, statement}, items...),
		VerifyURL:   url,
		Attachments: atts,
	}, nil
}

// statementText is the notary's statement, in Chinese then in English.
func statementText(n *Notarial, office string) []string {
	date := n.Issued.In(cst).Format("2006年1月2日")
	digests := "SHA-256"
	for _, it := range n.Items {
		if it.SM3 != "" {
			digests = "SHA-256、SM3"
			break
		}
	}
	zh := fmt.Sprintf("兹证明：申请人%s于%s向%s申请，对下列%d项电子数据办理保全证据公证。"+
		"经核查，每项电子数据的摘要值（%s）已由下列时间戳服务机构以 RFC 3161 时间戳固定于所载可信时间，"+
		"其保管记录已锚定于联盟链的所载区块；与所载摘要值相同的数据，即为该时间已存在的数据。"+
		"每项电子数据的回执以附件形式嵌入本公证书，可据以离线验证，无需依赖本机构的服务器。",
		n.Applicant, date, office, len(n.Items), digests)
	en := fmt.Sprintf("This is to certify that %s applied to %s on %s for the preservation of the %d "+
		"electronic evidence item(s) below. The digest (%s) of each item was fixed at the trusted time stated "+
		"by an RFC 3161 time-stamp of the named authority, and its custody record is anchored in the block of the "+
		"consortium chain stated: data with the stated digest is the data that existed at that time. Each item's "+
		"receipt is attached to this certificate and verifies offline, without this office's servers.",
		n.Applicant, office, n.Issued.In(cst).Format("2 January 2006"), len(n.Items), strings.ReplaceAll(digests, "、", " and "))
	return []string{zh, en}
}
