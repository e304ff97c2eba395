package receipt_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/testenv"
)

// TestIndependentVerifier runs the independent receipt verifier, written in
// Python from docs/receipt.md, docs/custody-events.md and
// docs/evidence-records.md alone (testdata/independent/verify.py), over
// every vector of testdata/vectors, and over the transition cases and
// receipts of testdata/transitions: a valid vector must verify, an invalid
// one must fail at the step it names. It shows that the docs specify the
// format exactly enough for another implementation (docs/receipt.md §7.1).
func TestIndependentVerifier(t *testing.T) {
	out := testenv.RunPython(t, 2*time.Minute, filepath.Join("testdata", "independent", "verify.py"),
		filepath.Join("testdata", "vectors"), filepath.Join("testdata", "transitions"))
	t.Logf("%s", out)
}
