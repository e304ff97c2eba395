package anchor

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/testenv"
)

// TestIndependentTxDecoder runs the independent implementation of the
// chain's transactions (testdata/independent/txcheck.py, Python written
// from docs/chain-transactions.md alone, not from this package) on every
// published vector: it decodes each transaction strictly, encodes it again,
// checks its signature and certificates against pki.json, compares the
// decoded fields, and gives the code on a model of the chain state. A
// failure means the page, the vectors or this package disagree; the script
// prints one line per vector.
func TestIndependentTxDecoder(t *testing.T) {
	python := testenv.LookBinary(t, "python3")
	if err := exec.Command(python, "-c", "import cryptography.x509").Run(); err != nil {
		testenv.Missing(t, "TestIndependentTxDecoder needs python3 with the cryptography package: apt-get install -y python3-cryptography (or make deps)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	script := filepath.Join("testdata", "independent", "txcheck.py")
	out, err := exec.CommandContext(ctx, python, script, filepath.Join("testdata", "vectors")).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	t.Logf("%s", out)
}
