package verifycli

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/custos-project/custos/pdfcheck"
	"github.com/custos-project/custos/receipt"
)

// pdfStepCertification is the step of pdfcheck.Verify that refuses a change
// after a certification that permits none.
const pdfStepCertification = "certification"

// pdfStepNames are the Chinese names of the steps of pdfcheck.Verify, printed
// beside the English ones: the certificates are Chinese documents, read by
// Chinese courts.
var pdfStepNames = map[string]string{
	"find":      "查找签名",
	"byteRange": "签名范围",
	"cms":       "签名格式",
	"digest":    "文件摘要",
	"signature": "签名值",
	"timestamp": "时间戳",
	"chain":     "证书链",
	"receipt":   "回执",
	// step 8 of pdfcheck.Verify, DocMDP
	"certification": "认证",
	// step 9: every signature, each over its own revision
	"signatures": "各签名",
}

// pdfReport is the --json output of `custos verify --pdf`.
type pdfReport struct {
	Valid  bool   `json:"valid"`
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Step   string `json:"step,omitempty"` // the failing step
	Want   string `json:"expected,omitempty"`
	Got    string `json:"computed,omitempty"`
	Error  string `json:"error,omitempty"`
	// ErrorZH says in Chinese why the PDF is refused (pdfReasonZH).
	ErrorZH string     `json:"error_zh,omitempty"`
	Result  *pdfResult `json:"result,omitempty"`
	// SignedRevision, when bytes were added after the signature, is the
	// signed revision the file begins with, which verifies: its length
	// and what its signature establishes.
	SignedRevision *pdfRevision `json:"signed_revision,omitempty"`
	// Receipts are the checks of the receipts the PDF embeds, with --trust
	// (verifypdfreceipts.go); a receipt that is not valid makes the
	// verdict not valid (step receipt).
	Receipts []pdfReceipt `json:"receipts,omitempty"`
	// Change, at step certification after a DocMDP P=2 or P=3
	// certification, is the first change a later revision makes that the
	// certification does not permit (pdfcheck.ChangeError).
	Change *pdfChange `json:"change,omitempty"`
	// FailedSignature, at step signatures, is the signature that does not
	// verify over the revision it signs (pdfcheck.SignatureError), such as the
	// certifying one of a document signed again later.
	FailedSignature *pdfFailedSignature `json:"failed_signature,omitempty"`
	// Warnings, on a valid PDF, name what the lines marked ! of the text
	// report say, each by a code (pdfWarning...): the verdict stays valid
	// (exit status 0), "valid with warnings". Added in December 2026;
	// absent when there is none.
	Warnings []string `json:"warnings,omitempty"`
}

// The codes of pdfReport.Warnings.
const (
	// pdfWarningClaimedTime: the signer's claimed time disagrees with the
	// time-stamp (result.claimed_time_note).
	pdfWarningClaimedTime = "claimed_time"
	// pdfWarningDrawn: after a certification with P=2 or P=3, a later
	// revision adds a widget or annotation that is drawn over the
	// certified page, or changes its appearance (result.drawn).
	pdfWarningDrawn = "drawn_after_certification"
)

// pdfDrawn is a pdfcheck.Drawn in a report: a widget or annotation that a
// revision after the certification adds to a page, or whose appearance it
// changes, and that a viewer draws over the certified page.
type pdfDrawn struct {
	Revision int        `json:"revision"` // counted from 1 after the certified revision
	Page     int        `json:"page"`     // from 1
	Object   int        `json:"object"`   // 0: written in the page's /Annots itself
	Subtype  string     `json:"subtype"`  // "Widget", "FreeText", "Stamp"...
	Rect     [4]float64 `json:"rect"`     // points: lower left x, y, upper right x, y
	// OverContent: the rectangle meets what the certified page draws (an
	// estimate that errs towards true).
	OverContent bool `json:"over_content"`
}

// pdfFailedSignature is a pdfcheck.SignatureError in a report.
type pdfFailedSignature struct {
	Index     int    `json:"index"` // in the order of the file, from 1
	Count     int    `json:"count"`
	Field     string `json:"field"`
	End       int64  `json:"revision_end"` // it signs the first End bytes
	Certifies bool   `json:"certifies"`    // it is the certifying signature
	Step      string `json:"step"`         // the step of pdfcheck.Verify at which it fails
}

// pdfSignature is a pdfcheck.DocumentSignature in a report: one signature of
// the document, verified over the revision it signs.
type pdfSignature struct {
	Field  string    `json:"field"`
	Signer string    `json:"signer"`
	Time   time.Time `json:"time"` // its time-stamp's
	TSA    string    `json:"tsa"`
	Reason string    `json:"reason,omitempty"`
	// It signs the first End bytes; its revision (and those before it
	// that no signature ends) adds the bytes from Start.
	Start     int64 `json:"revision_start"`
	End       int64 `json:"revision_end"`
	Certifies bool  `json:"certifies"` // the certifying signature (DocMDP)
}

// pdfChange is a pdfcheck.ChangeError in a report.
type pdfChange struct {
	Revision int    `json:"revision"` // counted from 1 after the certified revision
	Start    int64  `json:"start"`    // the revision's bytes
	End      int64  `json:"end"`
	Object   int    `json:"object,omitempty"` // the object changed
	What     string `json:"what"`
}

// pdfResult is what a valid certificate PDF's signature establishes.
type pdfResult struct {
	Signer      string    `json:"signer"`       // the signing certificate's subject
	Chain       []string  `json:"chain"`        // subjects, signer first, ending at the trusted root
	Time        time.Time `json:"time"`         // the signature time-stamp's time
	TSA         string    `json:"tsa"`          // the time-stamping authority
	TSASerial   string    `json:"tsa_serial"`   // the token's serial number, decimal
	ClaimedTime time.Time `json:"claimed_time"` // the signer's own claim (/M); zero if absent
	// ClaimedTimeNote, when set, says how the claimed time disagrees with
	// the time-stamp (claimedTimeNote); the verdict does not depend on it.
	ClaimedTimeNote string   `json:"claimed_time_note,omitempty"`
	Reason          string   `json:"reason,omitempty"`
	Location        string   `json:"location,omitempty"`
	ByteRange       [4]int64 `json:"byte_range"`
	// VerifyURLs are the signed document's links (pdfcheck.Links): the public
	// verification page of a certificate, which shows its current status.
	VerifyURLs []string `json:"verify_urls,omitempty"`
	// Certification is the document's DocMDP certification (level 0: not
	// certified, as PDFs signed before certification was introduced).
	Certification pdfCertification `json:"certification"`
	// Signatures are all the signatures of the document in the order of
	// the file, this one last, each verified over the revision it signs.
	Signatures []pdfSignature `json:"signatures,omitempty"`
	// Drawn, after a certification with P=2 or P=3, are the widgets and
	// annotations that later revisions add, or whose appearance they
	// change, drawn over the certified page (the first 256 of
	// certification.later_drawn): each a warning. Added in December 2026.
	Drawn []pdfDrawn `json:"drawn,omitempty"`
}

// pdfCertification is pdfcheck.Certification in a report.
type pdfCertification struct {
	Level   int    `json:"level"`   // DocMDP /P: 1, 2 or 3; 0 not certified
	Permits string `json:"permits"` // what the level permits after certification, or "not certified"
	// Length is the certified revision's length, Added the bytes after it
	// (later revisions, signed or not).
	Length int64 `json:"certified_length,omitempty"`
	Added  int64 `json:"added_after_certification,omitempty"`
	// Violated: bytes were added after a certification that permits no
	// change, or a later revision makes a change that a certification with
	// P=2 or P=3 does not permit (pdfcheck.ErrCertificationViolated).
	Violated bool `json:"violated"`
	// Revisions, after a certification with P=2 or P=3, is the number of
	// later revisions pdfcheck.Verify checked, and Changes what they change,
	// every change permitted (pdfcheck.Changes: "signatures", "form fields",
	// "annotations", "DSS").
	Revisions int    `json:"later_revisions,omitempty"`
	Changes   string `json:"later_changes,omitempty"`
	// Drawn is the number of widgets and annotations that those
	// revisions add, or whose appearance they change, and that a viewer
	// draws over the certified page (pdfcheck.Certification.Drawn; listed in
	// result.drawn). Added in December 2026.
	Drawn int `json:"later_drawn,omitempty"`
	// Certifier is the subject of the certifying signature's signer, which
	// pdfcheck.Verify verified over the certified revision.
	Certifier string `json:"certifier,omitempty"`
}

// docMDPPermits says what each DocMDP level permits (ISO 32000-1
// §12.8.2.2, Table 254).
var docMDPPermits = []string{
	"not certified",
	"no change",
	"filling in forms, instantiating page templates and signing",
	"filling in forms, instantiating page templates, signing, and annotations",
}

// docMDPPermitsZH is docMDPPermits in Chinese.
var docMDPPermitsZH = []string{
	"未经认证",
	"不允许任何改动",
	"仅允许填写表单、实例化页面模板和签名",
	"仅允许填写表单、实例化页面模板、签名和添加注释",
}

func newPDFCertification(c pdfcheck.Certification) pdfCertification {
	r := pdfCertification{Level: c.Level, Permits: docMDPPermits[c.Level], Length: c.Length, Added: c.Added, Violated: c.Violated(), Revisions: c.Revisions, Drawn: c.Drawn}
	if c.Revisions > 0 {
		r.Changes = c.Changes.String()
	}
	if c.Certifier != nil {
		r.Certifier = c.Certifier.Subject.String()
	}
	return r
}

// docMDPChangesZH are the names of pdfcheck.Changes in Chinese.
var docMDPChangesZH = map[string]string{
	"signatures":  "签名",
	"form fields": "填写表单",
	"annotations": "注释",
	"DSS":         "长期验证数据（DSS）",
	"none":        "无",
}

// changesZH is a pdfCertification's Changes in Chinese.
func changesZH(changes string) string {
	var out []string
	for _, c := range strings.Split(changes, ", ") {
		out = append(out, docMDPChangesZH[c])
	}
	return strings.Join(out, "、")
}

// pdfRevision is the signed revision of a PDF to which bytes were added
// after the signature (pdfcheck.ErrAddedAfterSigning): its first Length bytes.
type pdfRevision struct {
	Length int64 `json:"length"`
	pdfResult
}

// pdfReasonsZH say in Chinese what pdfcheck.Verify's sentinel errors mean, the
// first that a refusal wraps (ErrAddedAfterSigning comes with
// ErrNoSignature, so it is listed before it).
var pdfReasonsZH = []struct {
	err error
	zh  string
}{
	{pdfcheck.ErrAddedAfterSigning, "签名之后文件被追加了内容（如增量更新）：追加的部分不在签名范围内，可能改变文件显示的内容"},
	{pdfcheck.ErrNoSignature, "没有覆盖整个文件的签名：文件未经签名，或签名之后被追加了内容"},
	// ErrChangeNotPermitted comes with ErrCertificationViolated (P=2, 3).
	{pdfcheck.ErrChangeNotPermitted, "文件经认证签名（DocMDP P=2 或 P=3）认证后，其后的版本作了认证不允许的改动（如改动页面内容）"},
	{pdfcheck.ErrCertificationViolated, "文件经不允许任何改动的认证签名（DocMDP P=1）认证后又被改动（其后有新的版本），违反认证"},
	{pdfcheck.ErrByteRange, "签名范围（ByteRange）不是除签名值以外的整个文件"},
	{pdfcheck.ErrCMS, "签名值不是规范的 PAdES（CMS）签名"},
	{pdfcheck.ErrDigest, "文件在签名之后被改动：其摘要与签名时的摘要不符"},
	{pdfcheck.ErrSignature, "签名值无法用签名人的证书验证"},
	{pdfcheck.ErrTimestamp, "签名时间戳缺失，或不是受信任的时间戳机构对该签名出具的"},
	{pdfcheck.ErrUntrusted, "签名人的证书在时间戳时刻未链接到信任根，或不可用于签署文件"},
	{pdfcheck.ErrMalformed, "文件不是可解析的 PDF"},
	{pdfcheck.ErrUnsupported, "文件使用了不支持的 PDF 功能（如加密）"},
}

// pdfReasonZH is the Chinese reason for err; "" for none of pdfcheck.Verify's.
func pdfReasonZH(err error) string {
	for _, r := range pdfReasonsZH {
		if errors.Is(err, r.err) {
			return r.zh
		}
	}
	return ""
}

// CheckPDF checks the certificate PDF b, read from the file at path, as
// `custos verify --pdf` does, offline: its PAdES signature over the whole
// file, the signature's RFC 3161 time-stamp, and the signer's chain to
// roots at the time-stamp's time (pdfcheck.Verify); with trust, the
// receipts the PDF embeds too (checkPDFReceipts), each of which must be
// valid. It writes the verdict to out, each step in English and Chinese,
// or as one JSON object with asJSON. A PDF that is not valid ends in an
// ExitError with Code 1, and Step its failing step unless asJSON.
func CheckPDF(out io.Writer, path string, b []byte, roots *x509.CertPool, trust *receipt.Trust, asJSON bool) error {
	sum := sha256.Sum256(b)
	rep := pdfReport{File: filepath.Base(path), SHA256: hex.EncodeToString(sum[:])}
	sig, err := pdfcheck.Verify(b, roots)
	var ve *pdfcheck.VerifyError
	switch {
	case errors.As(err, &ve):
		rep.Step, rep.Want, rep.Got, rep.Error, rep.ErrorZH = ve.Step, ve.Want, ve.Got, ve.Err.Error(), pdfReasonZH(err)
		if ve.Revision != nil {
			br := ve.Revision.ByteRange
			rep.SignedRevision = &pdfRevision{Length: br[2] + br[3], pdfResult: *newPDFResult(ve.Revision)}
			// Its certification, against the whole file: what was added
			// after the certified revision.
			if c := ve.Revision.Certification; c.Level > 0 {
				c.Added = int64(len(b)) - c.Length
				rep.SignedRevision.Certification = newPDFCertification(c)
				rep.SignedRevision.Certification.Violated = errors.Is(err, pdfcheck.ErrCertificationViolated)
			}
		}
		var ce *pdfcheck.ChangeError
		if errors.As(err, &ce) {
			rep.Change = &pdfChange{Revision: ce.Revision, Start: ce.Start, End: ce.End, Object: ce.Object, What: ce.What}
		}
		var se *pdfcheck.SignatureError
		if errors.As(err, &se) {
			rep.FailedSignature = &pdfFailedSignature{Index: se.Index, Count: se.Count, Field: se.Field, End: se.End, Certifies: se.Certifies, Step: se.Step()}
			var inner *pdfcheck.VerifyError
			if errors.As(se.Err, &inner) && rep.Want == "" && rep.Got == "" {
				rep.Want, rep.Got = inner.Want, inner.Got
			}
		}
	case err != nil: // pdfcheck.Verify reports every failure as a *VerifyError
		rep.Step, rep.Error, rep.ErrorZH = "find", err.Error(), pdfReasonZH(err)
	default:
		rep.Valid, rep.Result = true, newPDFResult(sig)
		rep.Result.VerifyURLs, _ = pdfcheck.Links(b) // part of what was signed; none if unreadable
		rep.Warnings = pdfWarnings(rep.Result)
	}
	if rep.Valid && trust != nil {
		if rep.Receipts, err = checkPDFReceipts(b, trust); err != nil {
			rep.Valid, rep.Step, rep.Error = false, pdfStepReceipt, err.Error()
		}
		for _, r := range rep.Receipts {
			if !r.Valid && rep.Valid {
				rep.Valid, rep.Step, rep.Error = false, pdfStepReceipt, r.File+": "+r.Error
			}
		}
	}
	if asJSON {
		code := 0
		if !rep.Valid {
			code = 1
		}
		return printJSON(out, rep, code)
	}
	printPDFReport(out, &rep, trust != nil)
	if !rep.Valid {
		return ExitError{Code: 1, Step: rep.Step, PDF: true, Msg: printer{}.say("verdict-pdf", rep.Step)}
	}
	return nil
}

func newPDFResult(sig *pdfcheck.Signature) *pdfResult {
	r := &pdfResult{
		Signer: sig.Signer.Subject.String(), Time: sig.Time.UTC(), ClaimedTime: sig.ClaimedTime,
		Reason: sig.Reason, Location: sig.Location, ByteRange: sig.ByteRange,
		ClaimedTimeNote: claimedTimeNote(sig.ClaimedTime, sig.Time),
		Certification:   newPDFCertification(sig.Certification),
	}
	for _, c := range sig.Chain {
		r.Chain = append(r.Chain, c.Subject.String())
	}
	r.TSA = OrUnknown(tsaName(sig))
	if sig.Timestamp.SerialNumber != nil {
		r.TSASerial = sig.Timestamp.SerialNumber.String()
	}
	for _, s := range sig.Signatures {
		r.Signatures = append(r.Signatures, pdfSignature{Field: s.Field, Signer: s.Signer.Subject.String(), Time: s.Time.UTC(),
			TSA: OrUnknown(tsaName(s.Signature)), Reason: s.Reason, Start: s.Start, End: s.End(), Certifies: s.Certifies})
	}
	for _, d := range sig.Drawn {
		r.Drawn = append(r.Drawn, pdfDrawn{Revision: d.Revision, Page: d.Page, Object: d.Object, Subtype: d.Subtype, Rect: d.Rect, OverContent: d.OverContent})
	}
	return r
}

// pdfWarnings are the codes of what a valid PDF's report warns of.
func pdfWarnings(r *pdfResult) []string {
	var w []string
	if r.ClaimedTimeNote != "" {
		w = append(w, pdfWarningClaimedTime)
	}
	if r.Certification.Drawn > 0 {
		w = append(w, pdfWarningDrawn)
	}
	return w
}

// claimedTimeSlack is how much later than the time-stamp a claimed
// signing time may be before it is pointed out: the clocks of the signer
// and of the TSA differ a little.
const claimedTimeSlack = time.Minute

// cst is China Standard Time, in which a certificate prints its date.
var cst = time.FixedZone("CST", 8*3600)

// claimedTimeNote sets a PDF signature's claimed time (/M, which Custos
// sets to the certificate's issue time, whose date the certificate prints)
// against the time-stamp's: "" when they agree, else what a reader should
// know. A signature is made before it is time-stamped, so a claim later
// than the time-stamp is wrong; a claim on another day (China Standard
// Time) than the time-stamp means the printed date is not the day the
// signature is proven to exist.
func claimedTimeNote(claimed, stamped time.Time) string {
	switch {
	case claimed.IsZero():
		return ""
	case claimed.After(stamped.Add(claimedTimeSlack)):
		return "the signer claims a time after the time-stamp's, which is impossible for a signature made before it was time-stamped: rely on the time-stamp 声称的签名时间晚于时间戳时间，不可能成立：以时间戳为准"
	case claimed.In(cst).Format(time.DateOnly) != stamped.In(cst).Format(time.DateOnly):
		return fmt.Sprintf("the claimed time, the issue date the document prints, is %s and the time-stamp's %s (China Standard Time): the document is proven to exist from the time-stamp's date 声称的签名时间（即文件所印出具日期）与时间戳不在同一日（北京时间）：文件自时间戳日期起存在得到证明",
			claimed.In(cst).Format(time.DateOnly), stamped.In(cst).Format(time.DateOnly))
	}
	return ""
}

// tsaName is the common name of the time-stamp's signer: the embedded
// certificate whose extended key usage is time-stamping.
func tsaName(sig *pdfcheck.Signature) string {
	for _, c := range sig.Timestamp.Certificates {
		for _, u := range c.ExtKeyUsage {
			if u == x509.ExtKeyUsageTimeStamping {
				return c.Subject.CommonName
			}
		}
	}
	return ""
}

// printPDFReport prints the verdict for a reader of the court: each step
// in English and Chinese, and on failure the step that failed with the
// expected and the computed values.
func printPDFReport(out io.Writer, rep *pdfReport, receiptsChecked bool) {
	p := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	p("PDF %s", rep.File)
	p("    SHA-256 %s", rep.SHA256)
	if rep.Step == pdfStepReceipt {
		printPDFSignature(p, rep.Result)
		printPDFReceipts(out, rep.Receipts, true)
		if len(rep.Receipts) == 0 {
			p("✗ receipt 回执: %s", rep.Error)
		}
		p("INVALID 无效: a receipt this certificate embeds does not verify; do not rely on it. 证书内附的回执校验未通过，不可信赖。")
		return
	}
	if !rep.Valid {
		p("✗ %s %s", rep.Step, pdfStepNames[rep.Step])
		p("  %s", rep.Error)
		if rep.ErrorZH != "" {
			p("  原因：%s", rep.ErrorZH)
		}
		if rep.Want != "" {
			p("  expected 应为: %s", rep.Want)
		}
		if rep.Got != "" {
			p("  computed 实为: %s", rep.Got)
		}
		if s := rep.FailedSignature; s != nil {
			printFailedSignature(p, s)
		}
		if c := rep.Change; c != nil {
			p("  change 改动: revision %d after the certified one (bytes %d to %d), object %d: %s 认证版本之后的第 %d 个版本（第 %d 至 %d 字节）改动了对象 %d，为认证所不允许",
				c.Revision, c.Start, c.End, c.Object, c.What, c.Revision, c.Start, c.End, c.Object)
		}
		if r := rep.SignedRevision; r != nil {
			printPDFRevision(p, rep.File, r, rep.Step == pdfStepCertification)
		}
		p("INVALID 无效: the signature of this PDF does not hold; do not rely on its content. 签名校验未通过，文件内容不可信。")
		return
	}
	printPDFSignature(p, rep.Result)
	printPDFDrawn(p, rep.File, rep.Result)
	printPDFReceipts(out, rep.Receipts, receiptsChecked)
	printPDFStatus(p, rep.Result.VerifyURLs)
	if len(rep.Warnings) > 0 {
		p("VALID 有效, with warnings: see the lines marked ! 有警告：见标有 ! 的各行")
		return
	}
	p("VALID 有效")
}

// annotKindsZH name in Chinese the annotation kinds (ISO 32000-1 §12.5.6)
// that Drawn reports most; others are 注释.
var annotKindsZH = map[string]string{
	"Widget":   "表单域外观（签名或表单）",
	"FreeText": "文本框注释",
	"Stamp":    "图章注释",
	"Text":     "便笺注释",
	"Square":   "矩形注释",
	"Ink":      "手绘注释",
}

// printPDFDrawn warns of the widgets and annotations that revisions after
// a certification with P=2 or P=3 add, or whose appearance they change,
// and that a viewer draws over the certified page (security review P5):
// the certification permits them, but what they show was not certified.
func printPDFDrawn(p func(string, ...any), file string, r *pdfResult) {
	c := r.Certification
	if c.Drawn == 0 {
		return
	}
	p("! drawn after certification 认证后新增的可见内容: %d widget(s) or annotation(s) that later revisions added, or whose appearance they changed, are drawn on the certified page; the certification (DocMDP P=%d) permits them, but what they show was not certified: compare with the certified revision (head -c %d %s) 认证版本之后的版本添加了 %d 个可见的表单域外观或注释（或改动了其外观），认证（DocMDP P=%d）允许，但其显示的内容未经认证：请与认证版本对照",
		c.Drawn, c.Level, c.Length, file, c.Drawn, c.Level)
	for _, d := range r.Drawn {
		over, overZH := "beside the certified page's content", "未覆盖认证页面的内容"
		if d.OverContent {
			over, overZH = "over the certified page's content", "覆盖认证页面的内容"
		}
		kind, ok := annotKindsZH[d.Subtype]
		if !ok {
			kind = "注释"
		}
		rect := fmt.Sprintf("[%g %g %g %g]", d.Rect[0], d.Rect[1], d.Rect[2], d.Rect[3])
		p("    revision %d after the certified one, page %d, object %d: /%s at %s, %s 认证版本之后的第 %d 个版本，第 %d 页，对象 %d：%s，位于 %s，%s",
			d.Revision, d.Page, d.Object, d.Subtype, rect, over, d.Revision, d.Page, d.Object, kind, rect, overZH)
	}
	if len(r.Drawn) < c.Drawn {
		p("    … and %d more 另有 %d 个", c.Drawn-len(r.Drawn), c.Drawn-len(r.Drawn))
	}
}

// printPDFRevision prints the signed revision of a PDF to which bytes were
// added after the signature: what its signature establishes, and how to
// extract it. The verdict stays INVALID: the file presented is not what
// was signed.
func printPDFRevision(p func(string, ...any), file string, r *pdfRevision, certified bool) {
	if certified {
		p("  certified revision 已认证版本: the first %d bytes are the certified revision, whose signature verifies; what follows them, signed later, violates its certification 前 %d 字节是签名有效的已认证版本，其后经另行签名的内容违反认证", r.Length, r.Length)
	} else {
		p("  signed revision 已签名版本: the first %d bytes are a revision whose signature verifies; what follows them is not signed 前 %d 字节是签名有效的版本，其后追加的内容未经签名", r.Length, r.Length)
	}
	p("    signer 签名人: %s", r.Signer)
	p("    time-stamp 时间戳: %s by %s (RFC 3161, serial %s)", r.Time.Format(time.RFC3339Nano), r.TSA, r.TSASerial)
	if c := r.Certification; c.Level == 1 {
		p("    certification 认证: DocMDP P=1, no change permitted: the bytes after this revision violate it 该版本为不允许任何改动的认证签名（DocMDP P=1），其后的内容违反认证")
	} else if c.Level > 1 && c.Violated {
		p("    certification 认证: DocMDP P=%d, permitting %s: a later revision makes a change it does not permit 该版本为认证签名（DocMDP P=%d，%s），其后的版本作了认证不允许的改动",
			c.Level, c.Permits, c.Level, docMDPPermitsZH[c.Level])
	}
	p("    extract and verify it 提取并校验: head -c %d %s > signed-revision.pdf", r.Length, file)
}

// printPDFStatus says what VALID does not: a signature proves the document
// is the one issued, unchanged, not that what it states still holds (a
// copyright registration revoked or transferred since, a certificate
// withdrawn); its verification page, which the document links, shows that.
func printPDFStatus(p func(string, ...any), urls []string) {
	where := "see the verification page its QR code opens 请以其二维码所指的核验页面为准"
	if len(urls) > 0 {
		where = "see its verification page " + strings.Join(urls, " ") + " 请以核验页面为准"
	}
	p("- status 状态: revoked or transferred since? %s; the signature proves only that this is the document issued, unchanged 签名只证明本文件为所出具的原件且未被改动，不证明其后未被撤销或转让", where)
}

// printPDFSignature prints the steps of a valid signature.
func printPDFSignature(p func(string, ...any), r *pdfResult) {
	p("✓ signature 签名: a PAdES signature covers the whole file, unchanged since it was signed 签名覆盖整个文件，签名后未被改动")
	p("    signer 签名人: %s", r.Signer)
	if r.Reason != "" {
		p("    reason 事由: %s", r.Reason)
	}
	if r.Location != "" {
		p("    location 地点: %s", r.Location)
	}
	if !r.ClaimedTime.IsZero() {
		p("    claimed signing time 声称签名时间: %s (the signer's claim; the time-stamp below is the trusted time)", r.ClaimedTime.UTC().Format(time.RFC3339))
	}
	if r.ClaimedTimeNote != "" {
		p("! claimed signing time 声称签名时间: %s", r.ClaimedTimeNote)
	}
	p("✓ timestamp 时间戳: signed no later than %s by %s (RFC 3161, serial %s) 签名时间由可信时间戳证明",
		r.Time.Format(time.RFC3339Nano), r.TSA, r.TSASerial)
	p("✓ chain 证书链: the signer's certificate chains to a trusted root (the trust bundle's or --roots) at the time-stamp's time 签名证书在时间戳时刻链接到信任根")
	p("    %s", strings.Join(r.Chain, "\n    → "))
	p("%s", certificationLine(r.Certification))
	if c := r.Certification.Certifier; c != "" {
		p("    certifier 认证人: %s (the certifying signature verifies over the certified revision 认证签名在认证版本上校验通过)", c)
	}
	printPDFSignatures(p, r.Signatures)
}

// printPDFSignatures lists the signatures of a valid document, each
// verified over the revision it signs (step signatures of pdfcheck.Verify).
func printPDFSignatures(p func(string, ...any), sigs []pdfSignature) {
	if len(sigs) == 0 {
		return
	}
	p("✓ signatures 各签名: each of the %d signature(s) verifies over the revision it signs (signature, time-stamp, chain) 全部 %d 个签名均在其所签版本上校验通过（签名值、时间戳、证书链）", len(sigs), len(sigs))
	for i, s := range sigs {
		what := ""
		if s.Certifies {
			what = ", certifying 认证签名"
		}
		p("    %d. %s: %s, time-stamp 时间戳 %s by %s, signs bytes 0 to %d (revision from byte %d 所签版本自第 %d 字节起)%s",
			i+1, s.Field, s.Signer, s.Time.Format(time.RFC3339), s.TSA, s.End, s.Start, s.Start, what)
	}
}

// printFailedSignature names the signature that fails at step signatures.
func printFailedSignature(p func(string, ...any), s *pdfFailedSignature) {
	what, whatZH := "", ""
	if s.Certifies {
		what, whatZH = ", the certifying signature", "，为认证签名"
	}
	p("  signature 签名: signature %d of %d, field %q, over the first %d bytes%s, fails at step %s 第 %d 个签名（共 %d 个，字段 %s，签署前 %d 字节%s）在“%s”一步未通过",
		s.Index, s.Count, s.Field, s.End, what, s.Step, s.Index, s.Count, s.Field, s.End, whatZH, pdfStepNames[s.Step])
}

// certificationLine says whether the document is certified (DocMDP), what
// its certification permits, and whether it was changed after it, for a
// signature that verifies (a violation is refused at step certification):
// after P=2 or P=3, pdfcheck.Verify checked the later revisions, and says what
// they change.
func certificationLine(c pdfCertification) string {
	switch {
	case c.Level == 0:
		return "- certification 认证: not certified (no DocMDP; an approval signature only) 未经认证（无 DocMDP，仅为批准签名）"
	case c.Added == 0:
		return fmt.Sprintf("✓ certification 认证: certified (DocMDP P=%d), permitting %s; no change since 经认证签名（DocMDP P=%d，%s），认证后未被改动",
			c.Level, c.Permits, c.Level, docMDPPermitsZH[c.Level])
	}
	return fmt.Sprintf("✓ certification 认证: certified (DocMDP P=%d), permitting %s; %d later revision(s) (%d bytes) make only changes it permits: %s 经认证签名（DocMDP P=%d，%s）；认证版本之后的 %d 个版本（%d 字节）仅作了认证允许的改动：%s",
		c.Level, c.Permits, c.Revisions, c.Added, c.Changes, c.Level, docMDPPermitsZH[c.Level], c.Revisions, c.Added, changesZH(c.Changes))
}
