package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custos-project/custos/receipt"
)

// ConfirmJSON confirms a receipt against a node's checkpoint and proof as
// `custos verify --node` does (the page fetches them from its node).
func TestConfirm(t *testing.T) {
	dir := filepath.Join("..", "..", "receipt", "testdata", "vectors")
	rb, err := os.ReadFile(filepath.Join(dir, "valid", "v3-complete.json"))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := os.ReadFile(filepath.Join(dir, "trust.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := receipt.Parse(rb)
	if err != nil {
		t.Fatal(err)
	}
	cp := func(edit func(*receipt.Checkpoint)) string {
		c := r.Checkpoint
		edit(&c)
		b, _ := json.Marshal(c)
		return string(b)
	}
	same := cp(func(*receipt.Checkpoint) {})
	proof := `{"first":45,"second":45,"proof":[]}`
	for _, tc := range []struct {
		name, cp, proof string
		confirmed       bool
		contradicted    bool
		message         string
	}{
		{"the node at the receipt's checkpoint", same, proof, true, false, ""},
		{"another chain", cp(func(c *receipt.Checkpoint) { c.ChainID = "other" }), proof, false, true, "runs chain"},
		{"a checkpoint the bundle does not sign", cp(func(c *receipt.Checkpoint) { c.Root = strings.Repeat("00", 32) }), proof, false, false, "does not verify"},
		{"a proof where none can be", same, `{"first":45,"second":45,"proof":["` + strings.Repeat("ab", 32) + `"]}`, false, true, "consistency"},
		{"a proof for other sizes", same, `{"first":1,"second":45,"proof":[]}`, false, false, "between sizes 1 and 45"},
		{"no checkpoint", "<html>", proof, false, false, "does not parse"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c Confirmation
			if err := json.Unmarshal(ConfirmJSON(string(rb), string(tb), tc.cp, tc.proof), &c); err != nil {
				t.Fatal(err)
			}
			if c.Confirmed != tc.confirmed || c.Contradicted != tc.contradicted || !strings.Contains(c.Message, tc.message) {
				t.Errorf("ConfirmJSON = %+v; want confirmed %v, contradicted %v, a message with %q", c, tc.confirmed, tc.contradicted, tc.message)
			}
		})
	}
}
