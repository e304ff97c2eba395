package main

import (
	"testing"

	"github.com/custos-project/custos/receipt"
)

// TestPrepare: a usable bundle prepares to "", an unusable one to
// ParseTrust's message; a verification after it reports as before.
func TestPrepare(t *testing.T) {
	rec, trust, sha, _ := golden(t)
	if msg := Prepare(trust); msg != "" {
		t.Errorf("Prepare(golden trust) = %q, want \"\"", msg)
	}
	_, err := receipt.ParseTrust([]byte("{"))
	if msg := Prepare("{"); err == nil || msg != err.Error() {
		t.Errorf("Prepare(\"{\") = %q, want %v", msg, err)
	}
	for i := 0; i < 2; i++ { // made, then from the cache
		if rep := Verify(Input{Receipt: rec, Trust: trust, SHA256Hex: sha}); !rep.Valid {
			t.Errorf("Verify(golden) after Prepare, call %d = %+v", i, rep.Error)
		}
		if rep := Verify(Input{Receipt: rec, Trust: "{"}); rep.FailedStep != StepInput || rep.Error.Message != err.Error() {
			t.Errorf("Verify with trust \"{\", call %d = %+v", i, rep.Error)
		}
	}
}
