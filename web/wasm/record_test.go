package main

import (
	"os"
	"slices"
	"testing"

	"github.com/custos-project/custos/receipt"
)

// TestVerifyRecord: a version-5 receipt's embedded evidence record is a
// step of the report (docs/receipt.md §9): after the seven when valid, and
// the failed step, after seven passed ones, when the record is changed.
func TestVerifyRecord(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(testdata + "vectors/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	trust := read("trust.json")
	want := append(slices.Clone(stepOrder), receipt.StepRecord)
	for _, tc := range []struct {
		name, receipt, failed string
	}{
		{"valid", "valid/v5-evidence-record-without-file.json", ""},
		{"signature changed", "invalid/v5-evidence-record-signature-altered.json", receipt.StepRecord},
		{"other data", "invalid/v5-evidence-record-other-data.json", receipt.StepRecord},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := Verify(Input{Receipt: read(tc.receipt), Trust: trust})
			var steps []string
			for _, s := range rep.Steps {
				steps = append(steps, s.Step)
			}
			last := rep.Steps[len(rep.Steps)-1]
			if rep.Valid != (tc.failed == "") || rep.FailedStep != tc.failed || !slices.Equal(steps, want) || last.OK != (tc.failed == "") {
				t.Fatalf("Verify(%s) = valid %v, failed %q, steps %v (last ok %v: %s); want failed %q, steps %v",
					tc.receipt, rep.Valid, rep.FailedStep, steps, last.OK, last.Summary, tc.failed, want)
			}
		})
	}
}
