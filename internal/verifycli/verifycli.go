// Package verifycli is the verdict of a receipt check as the command line
// prints it: `custos verify` and the standalone `custos-verify` share it, so
// that both print the same words and exit with the same status (0 valid,
// 1 not valid, 2 usage error, 3 valid offline but not confirmed by the
// node that --node names).
package verifycli

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/custos-project/custos/ers"
	"github.com/custos-project/custos/receipt"
)

// verifyReport is the --json output.
type verifyReport struct {
	Valid  bool            `json:"valid"`
	Step   string          `json:"step,omitempty"` // the failing step
	Want   string          `json:"expected,omitempty"`
	Got    string          `json:"computed,omitempty"`
	Error  string          `json:"error,omitempty"`
	Result *receipt.Result `json:"result,omitempty"`
	Node   *NodeReport     `json:"node,omitempty"` // with --node
	// EvidenceRecord is the RFC 4998 record's check, with
	// --evidence-record; a record that does not verify makes the verdict
	// not valid (step "evidence-record").
	EvidenceRecord *ERSReport `json:"evidence_record,omitempty"`
}

// ExitError carries the exit status of a check that did not end in "VALID":
// 1 the receipt is not valid, 2 a usage error (a missing flag, an
// unreadable file, an unusable trust bundle). Msg, when not empty, is for
// standard error.
type ExitError struct {
	Code int
	Msg  string
	// Step is the failing step of a receipt that is not valid, and
	// Unconfirmed the node that did not confirm a valid one, so that a
	// caller can say Msg in another language.
	Step, Unconfirmed string
	// MsgZH is Msg in Chinese, when the verifier has its words (a file
	// that is missing or cannot be read).
	MsgZH string
	// PDF says that Step is the failing step of a certificate PDF
	// (CheckPDF), not of a receipt.
	PDF bool
}

func (e ExitError) Error() string { return e.Msg }

func usageError(format string, args ...any) error {
	return ExitError{Code: 2, Msg: fmt.Sprintf(format, args...)}
}

// fileError is the usage error of a file the verifier could not read:
// Go's words, and in Chinese the file's name and why for a file that is
// missing, not readable or a folder.
func fileError(err error) error {
	e := ExitError{Code: 2, Msg: err.Error()}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		zh := printer{chinese: true}
		switch {
		case errors.Is(err, fs.ErrNotExist):
			e.MsgZH = zh.say("no-file", pe.Path)
		case errors.Is(err, fs.ErrPermission):
			e.MsgZH = zh.say("no-permission", pe.Path)
		case errors.Is(err, syscall.EISDIR):
			e.MsgZH = zh.say("not-regular", pe.Path)
		}
	}
	return e
}

// badFileError is the usage error of a file the verifier read but cannot
// use (a trust bundle or a transitions list that does not parse): the
// path and the reason in English, and in Chinese what the file is for and
// then the same reason (id is the words entry that names it).
func badFileError(id, path string, err error) error {
	return ExitError{Code: 2, Msg: fmt.Sprintf("%s: %v", path, err), MsgZH: printer{chinese: true}.say(id, path, err)}
}

// Options says what Check checks.
type Options struct {
	Receipt, File, Trust string // paths; File may be empty
	JSON                 bool   // one JSON object instead of the steps
	// Transitions, if set, is the path of a transitions list or a version-2
	// trust bundle: the companion of receipts made after validator-set
	// changes that do not carry their transitions (docs/receipt.md §8.2).
	Transitions string
	// Node, if set, is a member node asked to confirm the receipt's
	// checkpoint against its own chain (confirm.go); NodeWait is how long
	// to wait for it while its chain is behind the receipt.
	Node     Node
	NodeWait time.Duration
	// Chinese prints the steps in Chinese (words.go); JSON is the same in
	// both languages.
	Chinese bool
	// EvidenceRecord, if set, is the path of the item's DER RFC 4998
	// evidence record (GET .../evidence-record), checked (ers.Verify)
	// against the SHA-256 of File, or without File the receipt's, under
	// the trust bundle's TSA roots.
	EvidenceRecord string
	// Progress, if set, is given the size of File before it is hashed and
	// returns what the bytes hashed are also written to (nil: nothing),
	// which Check closes once the receipt's check has read the file:
	// custos verify draws a progress bar with it on a terminal.
	Progress func(size int64) io.WriteCloser
}

// Check checks the receipt at o.Receipt against the trust bundle at
// o.Trust (and the evidence file at o.File, unless it is empty), offline,
// and writes the verdict to out: step by step, or as one JSON object with
// o.JSON. A receipt that is not valid, and a usage error, end in an
// ExitError. With o.Node, the node is asked to confirm the receipt too: a
// receipt valid offline that the node cannot confirm ends in an ExitError
// of code 3 (the node is unreachable, or still behind the receipt) or 1
// (the node's chain contradicts it).
func Check(ctx context.Context, out io.Writer, o Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	rb, err := os.ReadFile(o.Receipt)
	if err != nil {
		return fileError(err)
	}
	tb, err := os.ReadFile(o.Trust)
	if err != nil {
		return fileError(err)
	}
	trust, err := receipt.ParseTrust(tb)
	if err != nil {
		if _, rerr := receipt.Parse(tb); rerr == nil { // --trust names a receipt (the two swapped?)
			return ExitError{Code: 2, Msg: printer{}.say("trust-is-receipt", o.Trust), MsgZH: printer{chinese: true}.say("trust-is-receipt", o.Trust)}
		}
		return badFileError("bad-trust", o.Trust, err)
	}
	var companion []receipt.Transition
	if o.Transitions != "" {
		cb, err := os.ReadFile(o.Transitions)
		if err != nil {
			return fileError(err)
		}
		if companion, err = receipt.ParseCompanion(cb); err != nil {
			return badFileError("bad-transitions", o.Transitions, err)
		}
	}
	var ersDER []byte
	if o.EvidenceRecord != "" {
		if ersDER, err = os.ReadFile(o.EvidenceRecord); err != nil {
			return fileError(err)
		}
	}
	var artifact io.Reader
	closeProgress := func() {}
	fileSum := sha256.New()
	fileSums := fileHashes{crypto.SHA256: fileSum, crypto.SHA384: sha512.New384(), crypto.SHA512: sha512.New()} // a renewed evidence record's chains
	if o.File != "" {
		f, err := os.Open(o.File)
		if err != nil {
			return fileError(err)
		}
		defer f.Close()
		var sink io.Writer = fileSums.writer()
		if pw := fileProgress(f, o.Progress); pw != nil {
			sink = io.MultiWriter(sink, pw)
			closeProgress = func() { pw.Close() }
		}
		artifact = io.TeeReader(f, sink)
	}
	r, v, res, err := verifyBytes(rb, artifact, trust, companion)
	closeProgress() // before the report
	var ve *receipt.VerifyError
	switch {
	case errors.As(err, &ve):
		if o.JSON {
			return printJSON(out, verifyReport{Step: ve.Step, Want: ve.Want, Got: ve.Got, Error: ve.Err.Error()}, 1)
		}
		printFailure(printer{out, o.Chinese}, ve)
		return ExitError{Code: 1, Msg: printer{}.say("verdict-step", ve.Step), Step: ve.Step}
	case err != nil: // reading the evidence file, or an unusable trust bundle
		return fileError(err)
	}
	var ersRep *ERSReport
	if ersDER != nil {
		of, sums := "receipt", ers.Hashes{}
		if res.FileChecked {
			of, sums = "file", fileSums.sums()
		} else if sums[crypto.SHA256], err = hex.DecodeString(res.Evidence.SHA256); err != nil {
			return usageError("receipt: SHA-256 %q: %v", res.Evidence.SHA256, err)
		}
		if ersRep, err = checkERS(ersDER, sums, of, trust); err != nil {
			return usageError("%s: %v", o.Trust, err)
		}
		if !ersRep.Valid {
			return ersInvalid(out, o, res, ersRep)
		}
	}
	var node *NodeReport
	if o.Node != nil {
		node = confirm(ctx, v, &r.Checkpoint, o.Node, o.NodeWait)
	}
	if o.JSON {
		return printJSON(out, verifyReport{Valid: true, Result: res, Node: node, EvidenceRecord: ersRep}, node.exitCode())
	}
	p := printer{out, o.Chinese}
	printSteps(p, res)
	if ersRep != nil {
		printERS(p, ersRep)
	}
	printVerdict(p, res)
	if node == nil {
		return nil
	}
	printNode(printer{out, o.Chinese}, node)
	if code := node.exitCode(); code != 0 {
		return ExitError{Code: code, Msg: printer{}.say("verdict-node", node.URL), Unconfirmed: node.URL}
	}
	return nil
}

// fileProgress is what progress returns for f's size, or nil.
func fileProgress(f *os.File, progress func(int64) io.WriteCloser) io.WriteCloser {
	if progress == nil {
		return nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil
	}
	return progress(st.Size())
}

// verifyBytes parses the receipt (a malformed one fails at step "format")
// and verifies it with a verifier of trust, which it returns for the
// node's checkpoint.
func verifyBytes(rb []byte, artifact io.Reader, trust *receipt.Trust, companion []receipt.Transition) (*receipt.Receipt, *receipt.Verifier, *receipt.Result, error) {
	r, err := receipt.Parse(rb)
	if err != nil {
		return nil, nil, nil, &receipt.VerifyError{Step: receipt.StepFormat, Want: formatWant(printer{}), Got: printer{}.say("got-malformed"), Err: err}
	}
	v, err := receipt.NewVerifier(trust)
	if err != nil {
		return nil, nil, nil, err
	}
	res, err := v.Verify(r, artifact, receipt.Options{Transitions: companion})
	return r, v, res, err
}

// printJSON writes rep (a receipt's or a PDF's report) as indented JSON,
// then ends as code asks.
func printJSON(out io.Writer, rep any, code int) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return err
	}
	if code != 0 {
		return ExitError{Code: code}
	}
	return nil
}

func printFailure(p printer, ve *receipt.VerifyError) {
	p.failed(ve.Step)
	p.raw("  %v", ve.Err)
	if zh := ReasonZH(ve.Err); p.chinese && zh != "" {
		p.raw("  原因：%s", zh)
	}
	want, got := ve.Want, ve.Got
	if ve.Step == receipt.StepFormat && want == formatWant(printer{}) { // verifyBytes's, in the printer's language
		want, got = formatWant(p), p.say("got-malformed")
	}
	if want != "" {
		p.line("expected", want)
	}
	if got != "" {
		p.line("computed", got)
	}
	p.line("invalid")
}

// formatWant is what a malformed receipt's format step expected: a
// receipt of a version this verifier reads.
func formatWant(p printer) string {
	return p.say("want-format", receipt.Version1, receipt.MaxVersion)
}

// ersInvalid ends a check whose receipt is valid but whose evidence
// record is not: the verdict is not valid.
func ersInvalid(out io.Writer, o Options, res *receipt.Result, rep *ERSReport) error {
	if o.JSON {
		return printJSON(out, verifyReport{Step: stepERS, Error: rep.Error, Want: rep.Want, Got: rep.Got, Result: res, EvidenceRecord: rep}, 1)
	}
	p := printer{out, o.Chinese}
	printSteps(p, res)
	printERS(p, rep)
	p.line("invalid")
	return ExitError{Code: 1, Msg: printer{}.say("verdict-ers"), Step: stepERS}
}

// printSteps prints the receipt's steps, without the verdict.
func printSteps(p printer, res *receipt.Result) {
	ev := res.Evidence
	p.line("format", res.Version)
	if res.FileChecked {
		p.line("digest")
	} else {
		p.line("digest-none")
	}
	p.line("evidence", ev.ID, ev.Size, ev.MediaType)
	p.raw("    SHA-256 %s", ev.SHA256)
	if ev.SM3 != "" {
		p.raw("    SM3     %s", ev.SM3)
	}
	if res.Version == receipt.Version1 {
		p.line("custody-v1", len(res.Events))
	} else {
		p.line("custody", len(res.Events))
	}
	for _, e := range res.Events {
		typ := p.eventType(e.Type)
		if e.Reads > 0 { // a folded read: its count and the span of its reads
			typ += p.say("event-reads", e.Reads, readSpan(e.Since, e.Time))
		}
		subject := ""
		if e.Subject != "" {
			subject = " (" + e.Subject + ")"
			if p.chinese {
				subject = "（" + p.subject(e.Subject) + "）"
			}
		}
		p.line("event", e.Seq, e.Time, typ, subject, e.Actor)
	}
	printCompleteness(p, res.Custody)
	p.line("timestamp", len(res.Timestamps))
	for i, t := range res.Timestamps {
		if t.Unverified != "" {
			p.line("token-skipped", i, t.Unverified)
			continue
		}
		tsa := t.TSA
		if tsa == "" {
			tsa = p.say("unnamed-tsa")
		}
		p.line("token", t.Time.Format(time.RFC3339Nano), tsa, t.Serial)
	}
	cp := res.Checkpoint
	p.line("inclusion", cp.TreeSize)
	for _, e := range res.Events {
		p.line("leaf", e.Seq, e.LeafIndex)
	}
	p.line("checkpoint", cp.ChainID, cp.Height, cp.Time.Format(time.RFC3339), cp.SignedPower, cp.TotalPower)
	p.line("tree", cp.TreeSize, cp.Root)
	if cp.Transitions > 0 {
		p.line("transitions", cp.Transitions)
	}
	names := make([]string, len(cp.Signers))
	for i, s := range cp.Signers {
		names[i] = p.say("signer", s.Name, p.kind(s.Kind))
		if s.Name == "" { // admitted after the trust bundle: known by address
			names[i] = p.say("validator", s.Address)
		}
	}
	p.line("signed-by", strings.Join(names, p.say("list-sep")))
	printEmbeddedRecord(p, res.EvidenceRecord)
}

// printEmbeddedRecord prints what a version-5 receipt's evidence record
// proved (step evidence-record), if it has one.
func printEmbeddedRecord(p printer, er *receipt.RecordResult) {
	switch {
	case er == nil:
	case er.Unverified != "":
		p.line("ers-embedded-unverified", er.Unverified)
	default:
		p.line("ers-embedded", er.Time.UTC().Format(time.RFC3339), len(er.Stamps))
		for _, s := range er.Stamps {
			tsa := s.TSA
			if tsa == "" {
				tsa = p.say("unnamed-tsa")
			}
			p.line("ers-stamp", s.Time.UTC().Format(time.RFC3339), tsa, s.Hash)
		}
	}
}

// printVerdict prints the last line of a valid receipt.
func printVerdict(p printer, res *receipt.Result) {
	if !res.Custody.Complete {
		p.line("valid-partial")
		return
	}
	p.line("valid")
}

// printCompleteness prints what the receipt proves about its events being
// all of the item's events.
func printCompleteness(p printer, c receipt.CustodyResult) {
	if !c.Complete {
		p.line("incomplete")
		p.raw("    %s", c.Note)
		return
	}
	if len(c.Omitted) == 0 {
		p.line("complete-all", c.Total)
		return
	}
	types := make([]string, 0, len(c.Omitted))
	for t := range c.Omitted {
		types = append(types, t)
	}
	sort.Strings(types)
	var parts []string
	for _, t := range types {
		parts = append(parts, fmt.Sprintf("%d %s", c.Omitted[t], p.eventType(t)))
	}
	p.line("complete-some", c.Total, c.Listed)
	p.line("omitted", strings.Join(parts, ", "))
}

// OrUnknown names a TSA, or says that it has no name.
func OrUnknown(s string) string {
	if s == "" {
		return "an unnamed TSA"
	}
	return s
}
