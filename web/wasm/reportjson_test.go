package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/custos-project/custos/receipt"
)

// TestReportJSONIsMarshal: the hand-written encoding of a Report is
// json.Marshal's, for the reports of every receipt vector and for reports
// with every optional part and the strings encoding/json escapes.
func TestReportJSONIsMarshal(t *testing.T) {
	rec, trust, sha, sm := golden(t)
	reps := []*Report{
		Verify(Input{Receipt: rec, Trust: trust, SHA256Hex: sha, SM3Hex: sm}),
		Verify(Input{Receipt: rec, Trust: trust}),
		Verify(Input{Receipt: "{}", Trust: trust}),
		Verify(Input{Receipt: rec, Trust: "x"}),
		failure(nil, StepInternal, &ReportError{Message: "panic: <\"\\\u2028\x01\t>&中"}),
		{Version: ContractVersion, Valid: true, Steps: []StepReport{{Step: "a", OK: true, Skipped: true, Summary: "s"}},
			Evidence:   &Evidence{ID: "i", SHA256: "h", Size: 7, MediaType: "text/plain; a=\"b\""},
			Timestamps: []Timestamp{{Unverified: "no root"}, {Time: "t", TSA: "TSA <1>", Serial: "12"}},
			Events:     []Event{{Seq: 4294967295, Type: "read", Reads: 3, Since: "x"}, {Subject: "s"}},
			Custody:    &receipt.CustodyResult{Complete: true, Total: 9, Listed: 2, Omitted: map[string]uint32{"viewed": 3, "downloaded": 4, "a&b": 0}, Note: "n"},
			Checkpoint: &Checkpoint{ChainID: "c", Height: -1, TreeSize: 1 << 63, Signers: []Signer{{Name: "法院", Kind: "court", Power: 10}}}},
		{},
	}
	vectors, err := filepath.Glob(testdata + "vectors/*/*.json")
	if err != nil {
		t.Fatal(err)
	}
	vtrust, err := os.ReadFile(testdata + "vectors/trust.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range vectors {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, Verify(Input{Receipt: string(b), Trust: string(vtrust)}))
	}
	for i, rep := range reps {
		want, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		if got := rep.appendJSON(nil); string(got) != string(want) {
			t.Errorf("report %d: appendJSON = %s\nwant json.Marshal = %s", i, got, want)
		}
	}
}
