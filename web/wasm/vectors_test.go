package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"
)

// vectorCase is a published receipt vector as the page would check it.
type vectorCase struct {
	name  string
	in    Input
	valid bool
	step  string
	// file is the receipt's file: in.Receipt, or, when expand is set,
	// the template in.Receipt is made from.
	file   string
	expand *expandRule
}

// expandRule is a vector's expand rule (docs/receipt.md §7): the receipt
// is the file's first At bytes, then Repeat written Times times, then the
// rest of the file.
type expandRule struct {
	At     int    `json:"at"`
	Repeat string `json:"repeat"`
	Times  int    `json:"times"`
}

// apply is the receipt a template stands for under e.
func (e *expandRule) apply(template string) string {
	if e == nil {
		return template
	}
	return template[:e.At] + strings.Repeat(e.Repeat, e.Times) + template[e.At:]
}

// publishedVectors reads receipt/testdata/vectors (docs/receipt.md §7) as
// the page calls the verifier: the receipt and the bundle as text, the
// evidence file as the digests and size the page computes.
func publishedVectors(t *testing.T) []vectorCase {
	t.Helper()
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
			Expand                               *expandRule
			Valid                                bool
		}
	}
	if err := json.Unmarshal(read("vectors.json"), &m); err != nil || len(m.Vectors) == 0 {
		t.Fatalf("vectors.json: %v, %d vectors", err, len(m.Vectors))
	}
	var out []vectorCase
	for _, v := range m.Vectors {
		file := string(read(v.Receipt))
		in := Input{Receipt: v.Expand.apply(file), Trust: string(read(v.Trust))}
		if v.Evidence != "" {
			b := read(v.Evidence)
			s, m := sha256.Sum256(b), sm3.Sum(b)
			in.SHA256Hex, in.SM3Hex, in.Size = hex.EncodeToString(s[:]), hex.EncodeToString(m[:]), int64(len(b))
		}
		out = append(out, vectorCase{v.Name, in, v.Valid, v.Step, file, v.Expand})
	}
	return out
}

// TestBridgeVectors runs every published receipt vector through the
// page's Verify; the verdict and the failing step must be those
// vectors.json records, which TestVectors requires of receipt.Verify and
// custos-verify's test of the command: the three give the same verdicts.
// TestNode runs them through the WebAssembly build as well.
func TestBridgeVectors(t *testing.T) {
	for _, v := range publishedVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			rep := Verify(v.in)
			if rep.Valid != v.valid || rep.FailedStep != v.step {
				t.Fatalf("Verify(%s) = valid %v, step %q (%+v); want valid %v, step %q", v.name, rep.Valid, rep.FailedStep, rep.Error, v.valid, v.step)
			}
		})
	}
}
