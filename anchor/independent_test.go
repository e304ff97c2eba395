package anchor

import (
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
	out := testenv.RunPython(t, time.Minute, filepath.Join("testdata", "independent", "txcheck.py"), filepath.Join("testdata", "vectors"))
	t.Logf("%s", out)
}
