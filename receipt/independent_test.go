package receipt_test

import (
	"context"
	"os/exec"
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
	python := testenv.LookBinary(t, "python3")
	if out, err := exec.Command(python, "-c", "import cryptography.hazmat.primitives.asymmetric.ed25519").CombinedOutput(); err != nil {
		testenv.Missing(t, "the independent verifier needs the Python module cryptography ("+err.Error()+": "+string(out)+
			"); install it with: apt-get install -y python3-cryptography (or make deps)")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{filepath.Join("testdata", "independent", "verify.py"), filepath.Join("testdata", "vectors"),
		filepath.Join("testdata", "transitions")}
	out, err := exec.CommandContext(ctx, python, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 %v: %v\n%s", args, err, out)
	}
	t.Logf("%s", out)
}
