package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/emmansun/gmsm/sm3"
)

// TestBridgeVectors runs every published receipt vector
// (receipt/testdata/vectors, docs/receipt.md §7) through the page's Verify
// as the page calls it: the receipt and the bundle as text, the evidence
// file as the digests and size the page computes. The verdict and the
// failing step must be those vectors.json records, which TestVectors
// requires of receipt.Verify and custos-verify's test of the command: the
// three give the same verdicts.
func TestBridgeVectors(t *testing.T) {
	dir := filepath.Join(testdata, "vectors")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var m struct {
		Vectors []struct {
			Name, Receipt, Trust, Evidence, Step string
			Valid                                bool
		}
	}
	if err := json.Unmarshal(read("vectors.json"), &m); err != nil || len(m.Vectors) == 0 {
		t.Fatalf("vectors.json: %v, %d vectors", err, len(m.Vectors))
	}
	for _, v := range m.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			in := Input{Receipt: string(read(v.Receipt)), Trust: string(read(v.Trust))}
			if v.Evidence != "" {
				b := read(v.Evidence)
				s, m := sha256.Sum256(b), sm3.Sum(b)
				in.SHA256Hex, in.SM3Hex, in.Size = hex.EncodeToString(s[:]), hex.EncodeToString(m[:]), int64(len(b))
			}
			rep := Verify(in)
			if rep.Valid != v.Valid || rep.FailedStep != v.Step {
				t.Fatalf("Verify(%s) = valid %v, step %q (%+v); want valid %v, step %q", v.Receipt, rep.Valid, rep.FailedStep, rep.Error, v.Valid, v.Step)
			}
		})
	}
}
