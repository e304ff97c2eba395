package main

import (
	"encoding/json"
	"os"
	"testing"
)

// TestWarmUp: the built-in receipt verifies, with its file's digests and
// size checked, so that the page's warm-up runs every step.
func TestWarmUp(t *testing.T) {
	var rep Report
	if err := json.Unmarshal(WarmUp(), &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Valid || len(rep.Steps) != len(stepOrder) {
		t.Fatalf("WarmUp() = valid %v, %d steps, error %+v; want valid, %d steps", rep.Valid, len(rep.Steps), rep.Error, len(stepOrder))
	}
	if s := rep.Steps[1]; s.Step != "digest" || s.Skipped || s.Summary != "The file matches the receipt: SHA-256, SM3, size." {
		t.Errorf("WarmUp() digest step = %+v, want SHA-256, SM3 and size checked", s)
	}
}

// TestWarmUpIsTheVector: the built-in receipt and trust bundle are copies
// of a receipt test vector (cp them again if the vector is regenerated).
func TestWarmUpIsTheVector(t *testing.T) {
	for copied, vector := range map[string]string{
		warmUpReceipt: testdata + "vectors/valid/v3-complete.json",
		warmUpTrust:   testdata + "vectors/trust.json",
	} {
		b, err := os.ReadFile(vector)
		if err != nil {
			t.Fatal(err)
		}
		if copied != string(b) {
			t.Errorf("web/wasm/warmup differs from %s", vector)
		}
	}
}
