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
	// Number is the certificate number, e.g. "（2026）浙杭证字第17号".
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
	// Items are stated in order, in the annex; each carries its receipt,
	// attached.
	Items []Item
	// Names are the display names of the organizations that act in the
	// items' custody records, by organization ID: custody lines name them,
	// not their IDs.
	Names map[string]string
	// Lang is the language of the certificate's body: "zh" (the default)
	// or "en". The annex is bilingual.
	Lang string
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

// notarialDocument lays the certificate out as a notarial certificate for
// the preservation of evidence (保全证据公证书): the office's heading, the
// title and number; the applicant, the matter and the body text; the QR
// code with its caption; the notary, the office, the date and the seal;
// then the annex listing each item, with the receipts attached.
func (is *Issuer) notarialDocument(n *Notarial) (*pdf.Document, error) {
	if n.ID == "" || n.VerifyToken == "" || n.Number == "" || n.Applicant == "" || len(n.Items) == 0 {
		return nil, fmt.Errorf("%w: a notarial certificate needs an ID, a verification token, a number, an applicant and items", pdf.ErrDocument)
	}
	annex, atts, err := itemParts(n.Items, n.Names)
	if err != nil {
		return nil, err
	}
	url := is.VerifyURL(n.VerifyToken)
	en := n.Lang == "en"
	label := func(zh, english string) string {
		if en {
			return english
		}
		return zh
	}
	head := pdf.Section{Fields: []pdf.Field{{Label: label("申请人：", "Applicant:"), Value: n.Applicant}}}
	if n.ApplicantID != "" {
		head.Fields = append(head.Fields, pdf.Field{Label: label("证件：", "Identity:"), Value: n.ApplicantID})
	}
	head.Fields = append(head.Fields, pdf.Field{Label: label("公证事项：", "Matter:"), Value: label("保全证据（电子数据）", "Preservation of evidence (electronic data)")})
	if n.Matter != "" {
		head.Fields = append(head.Fields, pdf.Field{Label: label("案件：", "Case:"), Value: n.Matter})
	}
	body := pdf.Section{Paragraphs: bodyText(n, is.Office)}
	ids := pdf.Section{Fields: []pdf.Field{{Label: label("证书编号：", "Certificate ID:"), Value: n.ID}}}
	doc := &pdf.Document{
		Heading:     is.Office,
		Title:       label("公证书", "Notarial Certificate"),
		Number:      n.Number,
		Author:      is.Office,
		Issued:      n.Issued,
		Sections:    []pdf.Section{head, body, ids},
		VerifyURL:   url,
		Closing:     is.closing(label("公证员", "Notary"), n.Issued, n.Lang),
		AnnexTitle:  "附件：保全电子数据清单 Annex: the evidence preserved",
		Annex:       annex,
		Attachments: atts,
	}
	if en {
		doc.Subtitle = "公证书"
		doc.PageLabel = func(p, of int) string { return fmt.Sprintf("Page %d of %d", p, of) }
	} else {
		doc.Subtitle = "Notarial Certificate"
	}
	return doc, nil
}

// bodyText is the certificate's body: what was preserved and how, in the
// certificate's language.
func bodyText(n *Notarial, office string) []string {
	digests := "SHA-256"
	for _, it := range n.Items {
		if it.SM3 != "" {
			digests = "SHA-256、SM3"
			break
		}
	}
	if n.Lang == "en" {
		return []string{
			fmt.Sprintf("On %s, %s applied to %s for the preservation of %d item(s) of electronic evidence kept in the Custos evidence service.",
				dateText(n.Issued, "en"), n.Applicant, office, len(n.Items)),
			fmt.Sprintf("The notary preserved them as follows: the digest (%s) of each item was computed; the trusted time at which an RFC 3161 "+
				"time-stamp of the named time-stamping authority fixed that digest was checked; and the item's custody record was checked to be "+
				"anchored in the stated block of the consortium chain. The annex lists each item with its digest, trusted time, anchor and custody; "+
				"each item's receipt is attached to this certificate's file and verifies offline, without this office's servers.",
				strings.ReplaceAll(digests, "、", " and ")),
			"This is to certify that electronic data with the digest stated in the annex is the data that existed at the trusted time stated, and has not been altered since.",
		}
	}
	return []string{
		fmt.Sprintf("申请人%s于%s向本处申请，对其保管于Custos电子证据平台的电子数据共%d项办理保全证据公证。",
			n.Applicant, dateText(n.Issued, "zh"), len(n.Items)),
		fmt.Sprintf("本公证员对上述电子数据采取了以下保全措施：计算每项电子数据的摘要值（%s）；核对时间戳服务机构以RFC 3161时间戳固定该摘要值的可信时间；"+
			"核对其保管记录已在所载的联盟链区块上链。每项电子数据的名称、摘要值、可信时间、上链信息及保管记录详见本公证书附件《保全电子数据清单》；"+
			"每项电子数据的回执已嵌入本公证书电子文件，可据以离线验证，无需依赖本处服务器。", digests),
		"兹证明，与附件所载摘要值相同的电子数据，即为所载可信时间已存在的数据，自该时间起未被改动。",
	}
}
