package verifycli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/custos-project/custos/pdfcheck"
	"github.com/custos-project/custos/receipt"
)

// pdfStepReceipt is the step of `custos verify --pdf` that checks the
// receipts a certificate embeds (and their evidence records).
const pdfStepReceipt = "receipt"

// pdfReceipt is the check of one receipt a certificate PDF embeds
// (receipt-ID.json) and, when the receipt is version 5, of its evidence
// record (step evidence-record of the receipt, and the certificate's
// evidence-record-ID.ers, which must be that record).
type pdfReceipt struct {
	File     string `json:"file"`
	Valid    bool   `json:"valid"`
	Version  int    `json:"version,omitempty"`
	Evidence string `json:"evidence,omitempty"` // the item's ID
	// SHA256 is the item's digest the receipt proves, hex: the notary
	// compares it with the one the certificate's annex states.
	SHA256  string `json:"sha256,omitempty"`
	Step    string `json:"step,omitempty"` // the failing step of the receipt
	Want    string `json:"expected,omitempty"`
	Got     string `json:"computed,omitempty"`
	Error   string `json:"error,omitempty"`
	ErrorZH string `json:"error_zh,omitempty"` // why, in Chinese
	// RecordTime is the evidence record's proof of existence (the first
	// time-stamp's time), for a version-5 receipt; RecordFile the
	// certificate's copy of the record, when it has one.
	RecordTime *time.Time `json:"evidence_record_time,omitempty"`
	RecordFile string     `json:"evidence_record_file,omitempty"`
}

// checkPDFReceipts verifies, under trust, every receipt the PDF b embeds
// (pdfcheck.Attachments), each without its evidence file, which the certificate
// does not carry: the receipt's own steps and, for version 5, its
// evidence record. A certificate's evidence-record-ID.ers must be byte for
// byte the record its receipt-ID.json carries. b's signature has been
// checked to cover the whole file, so the attachments are what was signed.
func checkPDFReceipts(b []byte, trust *receipt.Trust) ([]pdfReceipt, error) {
	atts, err := pdfcheck.Attachments(b)
	if err != nil {
		return nil, err
	}
	v, err := receipt.NewVerifier(trust)
	if err != nil {
		return nil, err
	}
	records := map[string][]byte{} // evidence ID → the .ers attached
	for _, a := range atts {
		if id, ok := strings.CutPrefix(a.Name, "evidence-record-"); ok && strings.HasSuffix(id, ".ers") {
			records[strings.TrimSuffix(id, ".ers")] = a.Data
		}
	}
	var out []pdfReceipt
	for _, a := range atts {
		if !strings.HasPrefix(a.Name, "receipt-") || !strings.HasSuffix(a.Name, ".json") {
			continue
		}
		rep := pdfReceipt{File: a.Name}
		r, err := receipt.Parse(a.Data)
		if err != nil {
			rep.Step, rep.Error, rep.ErrorZH = receipt.StepFormat, err.Error(), ReasonZH(err)
			out = append(out, rep)
			continue
		}
		rep.Version, rep.Evidence, rep.SHA256 = r.Version, r.Evidence.ID, r.Evidence.SHA256
		res, err := v.Verify(r, nil, receipt.Options{})
		var ve *receipt.VerifyError
		switch {
		case a.Name != "receipt-"+r.Evidence.ID+".json":
			// The certificate names each receipt by its item: a receipt
			// under another item's name proves nothing about that item.
			rep.Step, rep.Want, rep.Got = receipt.StepFormat, "receipt-"+r.Evidence.ID+".json", a.Name
			rep.Error = fmt.Sprintf("%s is the receipt of %s, not of the item its name says", a.Name, r.Evidence.ID)
			rep.ErrorZH = "回执的文件名所指的证据与回执所证明的证据不符"
		case errors.As(err, &ve):
			rep.Step, rep.Want, rep.Got, rep.Error, rep.ErrorZH = ve.Step, ve.Want, ve.Got, ve.Err.Error(), ReasonZH(err)
		case err != nil:
			rep.Step, rep.Error, rep.ErrorZH = receipt.StepFormat, err.Error(), ReasonZH(err)
		default:
			rep.Valid = true
			if er := res.EvidenceRecord; er != nil && er.Unverified == "" {
				rep.RecordTime = &er.Time
			}
		}
		if der, ok := records[r.Evidence.ID]; ok {
			rep.RecordFile = "evidence-record-" + r.Evidence.ID + ".ers"
			if rep.Valid && !bytes.Equal(der, r.RecordDER()) {
				rep.Valid, rep.Step = false, receipt.StepRecord
				rep.Error = rep.RecordFile + " is not the evidence record the receipt carries"
				rep.ErrorZH = "证书所附的证据记录文件不是回执所载的证据记录"
			}
		}
		out = append(out, rep)
	}
	return out, nil
}

// printPDFReceipts prints the receipts' checks, in English and Chinese.
func printPDFReceipts(out io.Writer, rs []pdfReceipt, checked bool) {
	p := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	if !checked {
		p("- receipts 回执: not checked: give --trust to check the receipts the certificate embeds 未检查：给出 --trust 可检查证书内附的回执")
		return
	}
	if len(rs) == 0 {
		p("- receipts 回执: the certificate embeds none 证书未内附回执")
		return
	}
	for _, r := range rs {
		if !r.Valid {
			p("✗ receipt 回执 %s: the %s check failed 检查未通过", r.File, r.Step)
			p("  %s", r.Error)
			if r.ErrorZH != "" {
				p("  原因：%s", r.ErrorZH)
			}
			if r.Want != "" {
				p("  expected 应为: %s", r.Want)
			}
			if r.Got != "" {
				p("  computed 实为: %s", r.Got)
			}
			continue
		}
		p("✓ receipt 回执 %s: version %d, valid under the trust bundle 在信任包下有效", r.File, r.Version)
		p("    item 证据 %s, SHA-256 %s: compare with the certificate's annex 请与证书附件所载摘要核对", r.Evidence, r.SHA256)
		if r.RecordTime != nil {
			p("    evidence record 证据记录 (RFC 4998): the item's SHA-256 existed at %s 证据的 SHA-256 在该时刻已存在", r.RecordTime.UTC().Format(time.RFC3339))
		}
		if r.RecordFile != "" {
			p("    %s is that record 即该证据记录", r.RecordFile)
		}
	}
}
