package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"

	"github.com/custos-project/custos/receipt"
)

var update = flag.Bool("update", false, "regenerate testdata/report.json")

const testdata = "../../receipt/testdata/"

// golden returns the receipt package's golden receipt, trust bundle and
// the evidence file's SHA-256 and SM3 in hex.
func golden(t testing.TB) (rec, trust, sha, sm string) {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(testdata + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	art := read("evidence.txt")
	s, m := sha256.Sum256(art), sm3.Sum(art)
	return string(read("good.json")), string(read("trust.json")), hex.EncodeToString(s[:]), hex.EncodeToString(m[:])
}

// tamper parses the golden receipt, applies edit and re-encodes it, so
// that it is still canonical and fails a later step.
func tamper(t testing.TB, rec string, edit func(r *receipt.Receipt)) string {
	t.Helper()
	r, err := receipt.Parse([]byte(rec))
	if err != nil {
		t.Fatal(err)
	}
	edit(r)
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestVerifyValid(t *testing.T) {
	rec, trust, sha, sm := golden(t)
	tests := []struct {
		name    string
		in      Input
		skipped bool
	}{
		{"SHA-256", Input{Receipt: rec, Trust: trust, SHA256Hex: sha}, false},
		{"SHA-256 upper case, SM3, size", Input{Receipt: rec, Trust: trust, SHA256Hex: strings.ToUpper(sha), SM3Hex: sm, Size: 63}, false},
		{"no file", Input{Receipt: rec, Trust: trust}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Verify(tt.in)
			if !rep.Valid || rep.FailedStep != "" || rep.Error != nil {
				t.Fatalf("Verify(%s) = %+v, want valid", tt.name, rep)
			}
			var steps []string
			for _, s := range rep.Steps {
				steps = append(steps, s.Step)
				if !s.OK || s.Summary == "" {
					t.Errorf("step %+v, want ok with a summary", s)
				}
			}
			if !slices.Equal(steps, stepOrder) {
				t.Errorf("steps = %v, want %v", steps, stepOrder)
			}
			if rep.Steps[1].Skipped != tt.skipped {
				t.Errorf("digest step = %+v, want skipped %v", rep.Steps[1], tt.skipped)
			}
			// The golden receipt is version 1: completeness is not proven.
			if c := rep.Steps[3]; c.Step != "completeness" || !c.Skipped || rep.Custody == nil || rep.Custody.Complete {
				t.Errorf("completeness step of a version-1 receipt = %+v, custody %+v; want skipped, not complete", c, rep.Custody)
			}
			cp := rep.Checkpoint
			if len(rep.Timestamps) != 1 || len(rep.Events) != 5 || cp == nil || len(cp.Signers) != 4 ||
				cp.SignedPower != 40 || cp.TotalPower != 40 || rep.Evidence.SHA256 != sha {
				t.Errorf("Verify(%s) = %+v, want 1 time-stamp, 5 events, 4 signers of 40", tt.name, rep)
			}
		})
	}
}

func TestVerifyInvalid(t *testing.T) {
	rec, trust, sha, sm := golden(t)
	other := strings.Repeat("ab", 32)
	tests := []struct {
		name string
		in   Input
		step string
	}{
		{"other file", Input{Receipt: rec, Trust: trust, SHA256Hex: other}, receipt.StepDigest},
		{"other SM3", Input{Receipt: rec, Trust: trust, SHA256Hex: sha, SM3Hex: other}, receipt.StepDigest},
		{"other size", Input{Receipt: rec, Trust: trust, SHA256Hex: sha, Size: 64}, receipt.StepDigest},
		{"not JSON", Input{Receipt: "{", Trust: trust}, receipt.StepFormat},
		{"not canonical", Input{Receipt: rec + "\n", Trust: trust}, receipt.StepFormat},
		{"created event", Input{Receipt: tamper(t, rec, func(r *receipt.Receipt) { r.Evidence.MediaType = "application/pdf" }), Trust: trust}, receipt.StepCustody},
		{"token", Input{Receipt: tamper(t, rec, func(r *receipt.Receipt) { r.Timestamps[0] = "AAAA" + r.Timestamps[0][4:] }), Trust: trust}, receipt.StepTimestamp},
		{"last event", Input{Receipt: tamper(t, rec, func(r *receipt.Receipt) {
			r.Events[4].Event = strings.Replace(r.Events[4].Event, "court-clerk", "court-clerq", 1)
		}), Trust: trust}, receipt.StepInclusion},
		{"height", Input{Receipt: tamper(t, rec, func(r *receipt.Receipt) { r.Checkpoint.Height++ }), Trust: trust}, receipt.StepCheckpoint},
		{"bad trust", Input{Receipt: rec, Trust: "{}"}, StepInput},
		{"bad digest", Input{Receipt: rec, Trust: trust, SHA256Hex: "abc"}, StepInput},
		{"SM3 alone", Input{Receipt: rec, Trust: trust, SM3Hex: sm}, StepInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Verify(tt.in)
			if rep.Valid || rep.FailedStep != tt.step || rep.Error == nil || rep.Error.Step != tt.step || rep.Error.Message == "" {
				t.Fatalf("Verify(%s) = %+v, want step %s to fail", tt.name, rep, tt.step)
			}
			if rep.Checkpoint != nil || len(rep.Events) != 0 || len(rep.Timestamps) != 0 {
				t.Errorf("Verify(%s) reports details of an invalid receipt: %+v", tt.name, rep)
			}
			if tt.step == StepInput {
				if len(rep.Steps) != 0 {
					t.Errorf("Verify(%s).Steps = %+v, want none", tt.name, rep.Steps)
				}
				return
			}
			last := rep.Steps[len(rep.Steps)-1]
			if last.Step != tt.step || last.OK || len(rep.Steps) != slices.Index(stepOrder, tt.step)+1 {
				t.Errorf("Verify(%s).Steps = %+v, want the steps up to %s, it failing", tt.name, rep.Steps, tt.step)
			}
			// The receipts this verifier reads: it said "version 1 or 2"
			// while it read versions 1 to 5.
			if want := fmt.Sprintf("a canonical receipt, version %d to %d", receipt.Version1, receipt.MaxVersion); tt.step == receipt.StepFormat && rep.Error.Want != want {
				t.Errorf("Verify(%s).Error.Want = %q, want %q", tt.name, rep.Error.Want, want)
			}
			if tt.step != receipt.StepFormat && (rep.Error.Want == "" || rep.Error.Got == "" || rep.Evidence == nil) {
				t.Errorf("Verify(%s).Error = %+v, evidence %v; want want, got and the evidence", tt.name, rep.Error, rep.Evidence)
			}
		})
	}
}

// TestReportContract pins the JSON field names the web page reads, and the
// whole report of the golden receipt (testdata/report.json; -update
// rewrites it).
func TestReportContract(t *testing.T) {
	rec, trust, sha, _ := golden(t)
	got := VerifyJSON(Input{Receipt: rec, Trust: trust, SHA256Hex: sha})
	var m map[string]any
	if err := json.Unmarshal(got, &m); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) []string {
		var ks []string
		for k := range v.(map[string]any) {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	first := func(v any) any { return v.([]any)[0] }
	checks := []struct {
		what string
		v    any
		want []string
	}{
		{"report", m, []string{"checkpoint", "custody", "error", "events", "evidence", "failed_step", "steps", "timestamps", "valid", "version"}},
		{"custody", m["custody"], []string{"complete", "listed", "note"}},
		{"step", first(m["steps"]), []string{"ok", "step", "summary"}},
		{"evidence", m["evidence"], []string{"id", "media_type", "sha256", "size", "sm3"}},
		{"timestamp", first(m["timestamps"]), []string{"serial", "time", "tsa"}},
		{"event", first(m["events"]), []string{"actor", "seq", "subject", "time", "type"}},
		{"checkpoint", m["checkpoint"], []string{"block_hash", "chain_id", "height", "root", "signed_power", "signers", "time", "total_power", "tree_size"}},
		{"signer", first(m["checkpoint"].(map[string]any)["signers"]), []string{"kind", "name", "power"}},
	}
	for _, c := range checks {
		if k := keys(c.v); !slices.Equal(k, c.want) {
			t.Errorf("%s fields = %v, want %v", c.what, k, c.want)
		}
	}
	bad := VerifyJSON(Input{Receipt: rec, Trust: trust, SHA256Hex: strings.Repeat("0", 64)})
	var fail map[string]any
	if err := json.Unmarshal(bad, &fail); err != nil {
		t.Fatal(err)
	}
	if k := keys(fail["error"]); !slices.Equal(k, []string{"got", "message", "step", "want"}) {
		t.Errorf("error fields = %v", k)
	}
	if sk := keys(first(m["steps"].([]any)[1:])); !reflect.DeepEqual(sk, []string{"ok", "step", "summary"}) {
		t.Errorf("digest step fields = %v", sk)
	}

	const goldenReport = "testdata/report.json"
	var indented bytes.Buffer
	if err := json.Indent(&indented, got, "", "  "); err != nil {
		t.Fatal(err)
	}
	indented.WriteByte('\n')
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenReport, indented.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenReport)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(indented.Bytes(), want) {
		t.Errorf("the golden receipt's report differs from %s (run go test -update if the change is meant):\n%s", goldenReport, indented.Bytes())
	}
}

// TestErrorReports checks the reports of calls that could not run.
func TestErrorReports(t *testing.T) {
	for _, b := range [][]byte{inputError("argument 1 must be a string"), internalError("boom")} {
		var rep Report
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		if rep.Valid || rep.Error == nil || rep.Error.Step != rep.FailedStep || rep.Version != ContractVersion || rep.Steps == nil {
			t.Errorf("error report %s, want invalid with an error of its failed step", b)
		}
	}
}

// TestTransitions: the browser verifier follows validator-set transitions:
// a version-4 receipt is valid with the genesis bundle, the same receipt
// without its transitions is valid with the companion (Input.Transitions)
// and fails at step checkpoint without it, where a bad transition in the
// companion is reported too (with its own message).
func TestTransitions(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(testdata + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	trust := read("vectors/trust.json")
	v4, v3, companion := read("transitions/receipt-v4.json"), read("transitions/receipt-v3-after-change.json"), read("transitions/receipt-companion.json")
	for _, in := range []Input{{Receipt: v4, Trust: trust}, {Receipt: v3, Trust: trust, Transitions: companion}} {
		rep := Verify(in)
		if !rep.Valid || !strings.Contains(rep.Steps[len(rep.Steps)-1].Summary, "through 1 validator-set transition") {
			t.Errorf("Verify(%.40s…, companion %t) = valid %v, error %+v, steps %+v", in.Receipt, in.Transitions != "", rep.Valid, rep.Error, rep.Steps)
		}
	}
	if rep := Verify(Input{Receipt: v3, Trust: trust}); rep.Valid || rep.FailedStep != receipt.StepCheckpoint {
		t.Errorf("Verify(without transitions) = valid %v, failed step %q; want checkpoint", rep.Valid, rep.FailedStep)
	}
	bad := strings.Replace(companion, `"height": 5`, `"height": 6`, 1)
	rep := Verify(Input{Receipt: v3, Trust: trust, Transitions: bad})
	if rep.Valid || rep.FailedStep != receipt.StepCheckpoint || !strings.Contains(rep.Error.Message, "transition") ||
		len(rep.Steps) != slices.Index(stepOrder, receipt.StepCheckpoint)+1 {
		t.Errorf("Verify(a transition at the wrong height) = valid %v, failed step %q, error %+v, %d steps", rep.Valid, rep.FailedStep, rep.Error, len(rep.Steps))
	}
	if rep := Verify(Input{Receipt: v3, Trust: trust, Transitions: "{}"}); rep.Valid || rep.FailedStep != StepInput {
		t.Errorf("Verify(an unusable companion) = valid %v, failed step %q; want %s", rep.Valid, rep.FailedStep, StepInput)
	}
}
