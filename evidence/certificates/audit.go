package certificates

import (
	"encoding/binary"
	"encoding/json"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence/integrity"
)

// Audit is the integrity audit of the certificates
// (integrity.Options.Documents): each is checked against what it
// states. Its signed PDF must hash to the SHA-256 and have the size
// recorded when it was issued; each receipt stored with it describe the
// item the certificate names, in order; each item must exist and carry the
// anchored custody event the certificate implies, "certified" (subject
// certificate:<id>).
func (s *Register) Audit() integrity.DocumentAudit {
	return integrity.DocumentAudit{
		Name: "certificate", Bucket: bCerts, Kind: docKind,
		Count: func(rep *integrity.Report) *int { return &rep.Certificates },
		Check: check,
	}
}

// check checks a stored certificate.
func check(d integrity.DocAudit, id string, val []byte) {
	var c Certificate
	if err := json.Unmarshal(val, &c); err != nil || c.ID != id {
		d.FailDocument("the certificate does not decode, or names another ID")
		return
	}
	d.PDF(bCertPDF, id, c.PDFSHA256, c.PDFSize)
	subject := "certificate:" + id
	for i, item := range c.Evidence {
		r := d.Item(item)
		if r == nil {
			continue
		}
		rc := d.Tx().Bucket(bCertRcpt).Get(binary.BigEndian.AppendUint16([]byte(id), uint16(i)))
		d.Receipt(i, rc, item, r.SHA256, r)
		d.WantEvents(r, map[string]int{custody.EventCertified + " " + subject: 1})
	}
}
