package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/custos-project/custos/receipt"
)

// ContractVersion is the version of the Report contract (README.md). It
// changes only when a field is removed or changes meaning; new fields may
// be added within a version.
const ContractVersion = 1

// Steps not of receipt.Verify: the call itself could not be carried out.
const (
	// StepInput: the trust bundle or a digest argument is unusable. It
	// says nothing about the receipt.
	StepInput = "input"
	// StepInternal: a bug in the verifier (a recovered panic).
	StepInternal = "internal"
)

// stepOrder is the order in which receipt.Verify runs its steps; a
// version-5 receipt has one more, receipt.StepRecord, after them.
var stepOrder = []string{receipt.StepFormat, receipt.StepDigest, receipt.StepCustody, receipt.StepComplete,
	receipt.StepTimestamp, receipt.StepInclusion, receipt.StepCheckpoint}

// Input is one call of custosVerify.
type Input struct {
	Receipt string // the receipt document, exactly as downloaded
	Trust   string // the court's trust bundle
	// SHA256Hex and SM3Hex are the evidence file's digests, 64 hex digits,
	// computed by the page; "" when not given. Size is the file's length
	// in bytes; 0 when not given.
	SHA256Hex string
	SM3Hex    string
	Size      int64
	// Transitions is optional: the companion of a receipt made after
	// validator-set changes that does not carry its transitions, a JSON
	// list of transitions or a version-2 trust bundle (docs/receipt.md
	// §8.2). A version-2 bundle given as Trust serves as well.
	Transitions string
}

// Report is what custosVerify returns, as JSON. See README.md.
type Report struct {
	Version    int          `json:"version"`
	Valid      bool         `json:"valid"`
	FailedStep string       `json:"failed_step"` // "" when valid
	Error      *ReportError `json:"error"`       // null when valid
	Steps      []StepReport `json:"steps"`
	Evidence   *Evidence    `json:"evidence"` // null when the receipt does not parse
	Timestamps []Timestamp  `json:"timestamps"`
	Events     []Event      `json:"events"`
	// Custody says whether the receipt proves that its events are all of
	// the item's events (null unless valid).
	Custody    *receipt.CustodyResult `json:"custody"`
	Checkpoint *Checkpoint            `json:"checkpoint"` // null unless valid
}

// ReportError is the failure: the step, what was expected, what was
// computed, and a sentence saying what is wrong.
type ReportError struct {
	Step    string `json:"step"`
	Want    string `json:"want"`
	Got     string `json:"got"`
	Message string `json:"message"`
}

// StepReport is one step that ran (or was skipped), in order.
type StepReport struct {
	Step    string `json:"step"`
	OK      bool   `json:"ok"`
	Skipped bool   `json:"skipped,omitempty"`
	Summary string `json:"summary"`
}

// Evidence is the receipt's description of the evidence.
type Evidence struct {
	ID        string `json:"id"`
	SHA256    string `json:"sha256"`
	SM3       string `json:"sm3"` // "" when the receipt has none
	Size      int64  `json:"size"`
	MediaType string `json:"media_type"`
}

// Timestamp is one verified RFC 3161 time-stamp.
type Timestamp struct {
	Time   string `json:"time"` // RFC 3339, UTC
	TSA    string `json:"tsa"`
	Serial string `json:"serial"` // decimal
	// Unverified is set for a further token (an external TSA's) whose TSA
	// chains to no root of the trust bundle, or whose certificate does not
	// check at the token's time; it says which. The other fields are then
	// empty.
	Unverified string `json:"unverified,omitempty"`
}

// Event is one verified custody event.
type Event struct {
	Seq     uint32 `json:"seq"`
	Type    string `json:"type"`
	Time    string `json:"time"`
	Actor   string `json:"actor"`
	Subject string `json:"subject"`
	Reads   int64  `json:"reads,omitempty"` // a folded read: how many reads, the first at Since
	Since   string `json:"since,omitempty"`
}

// Checkpoint is the verified consortium checkpoint.
type Checkpoint struct {
	ChainID     string   `json:"chain_id"`
	Height      int64    `json:"height"`
	Time        string   `json:"time"` // RFC 3339, UTC
	TreeSize    uint64   `json:"tree_size"`
	Root        string   `json:"root"`
	BlockHash   string   `json:"block_hash"`
	Signers     []Signer `json:"signers"`
	SignedPower int64    `json:"signed_power"`
	TotalPower  int64    `json:"total_power"`
}

// Signer is a trusted validator whose signature on the checkpoint verified.
type Signer struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Power int64  `json:"power"`
}

// VerifyJSON runs receipt.Verify on in and returns the Report as JSON. It
// never panics: a panic becomes a report failing at step "internal".
func VerifyJSON(in Input) []byte {
	return Verify(in).appendJSON(nil)
}

// formatWant is the format step's want: the receipts this verifier reads,
// as custos verify says it (internal/verifycli's want-format); the page
// puts it in its language (i18n.js, want.format).
var formatWant = fmt.Sprintf("a canonical receipt, version %d to %d", receipt.Version1, receipt.MaxVersion)

// Verify runs receipt.Verify on in and describes the outcome.
func Verify(in Input) (rep *Report) {
	defer func() {
		if p := recover(); p != nil {
			rep = failure(nil, StepInternal, &ReportError{Step: StepInternal, Message: fmt.Sprintf("verifier panic: %v", p)})
		}
	}()
	pv := prepared(in.Trust)
	if pv.trust == nil {
		return failure(nil, StepInput, &ReportError{Step: StepInput, Want: "a usable trust bundle", Got: "an unusable one", Message: pv.err.Error()})
	}
	opts, err := digestOptions(in)
	if err != nil {
		return failure(nil, StepInput, &ReportError{Step: StepInput, Want: "64 hex digits per digest", Got: "an unusable digest", Message: err.Error()})
	}
	if in.Transitions != "" {
		if opts.Transitions, err = receipt.ParseCompanion([]byte(in.Transitions)); err != nil {
			return failure(nil, StepInput, &ReportError{Step: StepInput, Want: "a list of transitions or a version-2 trust bundle", Got: "an unusable one", Message: err.Error()})
		}
	}
	r, err := receipt.Parse([]byte(in.Receipt))
	if err != nil {
		return failure(nil, receipt.StepFormat, &ReportError{Step: receipt.StepFormat, Want: formatWant,
			Got: "a malformed document", Message: err.Error()})
	}
	if pv.err != nil { // the bundle parses, but no Verifier can be made of it
		return failure(&r.Evidence, StepInput, &ReportError{Step: StepInput, Message: pv.err.Error()})
	}
	res, err := pv.v.Verify(r, nil, opts)
	var ve *receipt.VerifyError
	switch {
	case errors.As(err, &ve):
		step := ve.Step
		if step == receipt.StepTransition {
			// A transition leads to the checkpoint's signers: the page
			// shows its failure as the checkpoint's (the message says which
			// transition failed).
			step = receipt.StepCheckpoint
		}
		return failure(&r.Evidence, step, &ReportError{Step: step, Want: ve.Want, Got: ve.Got, Message: errMessage(ve)})
	case err != nil:
		return failure(&r.Evidence, StepInput, &ReportError{Step: StepInput, Message: err.Error()})
	}
	return success(res, in)
}

// errMessage is the VerifyError's message without its Want and Got.
func errMessage(ve *receipt.VerifyError) string {
	if ve.Err == nil {
		return ve.Step + " check failed"
	}
	return ve.Err.Error()
}

// digestOptions decodes the page's hex digests.
func digestOptions(in Input) (receipt.Options, error) {
	var opts receipt.Options
	dec := func(name, h string) ([]byte, error) {
		if h == "" {
			return nil, nil
		}
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("%s digest %q is not 64 hex digits", name, h)
		}
		return b, nil
	}
	var err error
	if opts.SHA256, err = dec("SHA-256", in.SHA256Hex); err != nil {
		return opts, err
	}
	if opts.SM3, err = dec("SM3", in.SM3Hex); err != nil {
		return opts, err
	}
	if opts.SHA256 == nil && (opts.SM3 != nil || in.Size != 0) {
		return opts, errors.New("an SM3 digest or a size without the SHA-256 digest")
	}
	if in.Size < 0 {
		return opts, fmt.Errorf("size %d is negative", in.Size)
	}
	opts.Size = in.Size
	return opts, nil
}

// failure is the report of a verification that failed at step. The steps
// before it passed; their details are not reported.
func failure(ev *receipt.Evidence, step string, e *ReportError) *Report {
	rep := &Report{Version: ContractVersion, FailedStep: step, Error: e, Steps: []StepReport{},
		Timestamps: []Timestamp{}, Events: []Event{}}
	if ev != nil {
		rep.Evidence = evidence(ev)
	}
	for _, s := range append(stepOrder, receipt.StepRecord) {
		if s == step {
			rep.Steps = append(rep.Steps, StepReport{Step: s, Summary: e.Message})
			break
		}
		if step == StepInput || step == StepInternal {
			break
		}
		rep.Steps = append(rep.Steps, StepReport{Step: s, OK: true, Summary: "passed"})
	}
	return rep
}

func evidence(ev *receipt.Evidence) *Evidence {
	return &Evidence{ID: ev.ID, SHA256: ev.SHA256, SM3: ev.SM3, Size: ev.Size, MediaType: ev.MediaType}
}

// success is the report of a valid receipt.
func success(res *receipt.Result, in Input) *Report {
	cp := res.Checkpoint
	rep := &Report{Version: ContractVersion, Valid: true, Evidence: evidence(&res.Evidence),
		Timestamps: make([]Timestamp, len(res.Timestamps)), Events: make([]Event, len(res.Events)),
		Checkpoint: &Checkpoint{ChainID: cp.ChainID, Height: cp.Height, Time: cp.Time.UTC().Format(time.RFC3339Nano),
			TreeSize: cp.TreeSize, Root: cp.Root, BlockHash: cp.BlockHash, Signers: make([]Signer, len(cp.Signers)),
			SignedPower: cp.SignedPower, TotalPower: cp.TotalPower}}
	for i, t := range res.Timestamps {
		if t.Unverified != "" {
			rep.Timestamps[i] = Timestamp{Unverified: t.Unverified}
			continue
		}
		rep.Timestamps[i] = Timestamp{Time: t.Time.UTC().Format(time.RFC3339Nano), TSA: t.TSA, Serial: t.Serial}
	}
	for i, e := range res.Events {
		rep.Events[i] = Event{Seq: e.Seq, Type: e.Type, Time: e.Time, Actor: e.Actor, Subject: e.Subject, Reads: e.Reads, Since: e.Since}
	}
	names := make([]string, len(cp.Signers))
	for i, s := range cp.Signers {
		rep.Checkpoint.Signers[i] = Signer{Name: s.Name, Kind: s.Kind, Power: s.Power}
		names[i] = s.Name
		if s.Name == "" { // admitted after the trust bundle: known by address
			names[i] = "validator " + s.Address
		}
	}
	through := ""
	if cp.Transitions > 0 {
		through = fmt.Sprintf(" (the validators in force at that height, reached from the trust bundle's through %d validator-set transition(s))", cp.Transitions)
	}
	custody := res.Custody
	rep.Custody = &custody
	rep.Steps = []StepReport{
		{Step: receipt.StepFormat, OK: true, Summary: fmt.Sprintf("A well-formed receipt, version %d.", res.Version)},
		digestStep(res, in),
		{Step: receipt.StepCustody, OK: true, Summary: fmt.Sprintf("%d custody event(s), hash-linked from the created event.", len(res.Events))},
		{Step: receipt.StepComplete, OK: true, Skipped: !custody.Complete, Summary: custody.Note},
		{Step: receipt.StepTimestamp, OK: true, Summary: fmt.Sprintf("%d RFC 3161 time-stamp(s) over the SHA-256, from a TSA under the consortium root.", len(res.Timestamps))},
		{Step: receipt.StepInclusion, OK: true, Summary: fmt.Sprintf("Every event is in the consortium's log of %d entries.", cp.TreeSize)},
		{Step: receipt.StepCheckpoint, OK: true, Summary: fmt.Sprintf("Block %d of chain %s, signed by %s: %d of %d voting power%s.",
			cp.Height, cp.ChainID, strings.Join(names, ", "), cp.SignedPower, cp.TotalPower, through)},
	}
	if er := res.EvidenceRecord; er != nil { // version 5 (docs/receipt.md §9)
		sr := StepReport{Step: receipt.StepRecord, OK: true, Skipped: er.Unverified != "", Summary: "Not checked: " + er.Unverified}
		if er.Unverified == "" {
			sr.Summary = fmt.Sprintf("The receipt's evidence record (RFC 4998) proves the SHA-256 existed at %s: %d time-stamp(s) from a TSA under the consortium's roots.",
				er.Time.UTC().Format(time.RFC3339), len(er.Stamps))
		}
		rep.Steps = append(rep.Steps, sr)
	}
	return rep
}

func digestStep(res *receipt.Result, in Input) StepReport {
	if !res.FileChecked {
		return StepReport{Step: receipt.StepDigest, OK: true, Skipped: true,
			Summary: "Not checked: no file was given, so only the receipt was verified."}
	}
	checked := []string{"SHA-256"}
	if in.SM3Hex != "" && res.Evidence.SM3 != "" {
		checked = append(checked, "SM3")
	}
	if in.Size != 0 {
		checked = append(checked, "size")
	}
	s := "The file matches the receipt: " + strings.Join(checked, ", ") + "."
	if res.Evidence.SM3 != "" && in.SM3Hex == "" {
		s += " (Its SM3 digest was not computed.)"
	}
	return StepReport{Step: receipt.StepDigest, OK: true, Summary: s}
}

// inputError and internalError are the JSON reports of a call that could
// not be carried out.
func inputError(msg string) []byte {
	return failure(nil, StepInput, &ReportError{Step: StepInput, Message: msg}).appendJSON(nil)
}

func internalError(msg string) []byte {
	return failure(nil, StepInternal, &ReportError{Step: StepInternal, Message: msg}).appendJSON(nil)
}
