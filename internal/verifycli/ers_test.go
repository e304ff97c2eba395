package verifycli

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custos-project/custos/ers"
	"github.com/custos-project/custos/receipt"
)

// ersVector reads the ers package's test vector: its record, its item's
// bytes, and a trust bundle whose root is the vector's root and whose TSA
// chain is the vector's organization CA and TSA certificate.
func ersVector(t *testing.T) (der, item []byte, trust *receipt.Trust) {
	t.Helper()
	dir := filepath.Join("..", "..", "ers", "testdata", "vector")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var blocks [][]byte
	for rest := read("certs.pem"); ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		blocks = append(blocks, pem.EncodeToMemory(b))
	}
	if len(blocks) != 3 {
		t.Fatalf("certs.pem has %d certificates, want 3", len(blocks))
	}
	return read("record.der"), read("item.txt"), &receipt.Trust{RootPEM: string(blocks[0]), TSAChain: string(bytes.Join(blocks[1:], nil))}
}

// The record verifies against its item's SHA-256 under the bundle's
// roots, and not against other bytes, nor under other roots, nor damaged.
func TestCheckERS(t *testing.T) {
	der, item, trust := ersVector(t)
	sum := sha256.Sum256(item)
	rep, err := checkERS(der, ers.Hashes{crypto.SHA256: sum[:]}, "file", trust)
	if err != nil || !rep.Valid || len(rep.Stamps) != 1 || rep.Time == nil || rep.Time.Year() != 2026 {
		t.Fatalf("checkERS(vector) = %+v, %v; want valid, one stamp of 2026", rep, err)
	}
	var out bytes.Buffer
	printERS(printer{out: &out}, rep)
	if !strings.HasPrefix(out.String(), "✓ evidence record: RFC 4998, the file existed at 2026-01-01T01:00:00Z") {
		t.Errorf("printERS:\n%s", out.String())
	}
	other := sha256.Sum256(append(item, '!'))
	otherRoot := *trust
	otherRoot.RootPEM, otherRoot.TSAChain = trust.TSAChain, ""
	damaged := bytes.Clone(der)
	damaged[len(damaged)-10] ^= 1
	for _, tc := range []struct {
		name  string
		der   []byte
		sum   []byte
		trust *receipt.Trust
		step  string
	}{
		{"other bytes", der, other[:], trust, "checkDataHash"},
		{"other roots", der, sum[:], &otherRoot, "checkToken"},
		{"damaged signature", damaged, sum[:], trust, "checkToken"},
		{"not a record", []byte("not DER"), sum[:], trust, "decode"},
	} {
		rep, err := checkERS(tc.der, ers.Hashes{crypto.SHA256: tc.sum}, "file", tc.trust)
		if err != nil || rep.Valid || rep.Step != tc.step {
			t.Errorf("%s: checkERS = %+v, %v; want not valid at step %s", tc.name, rep, err, tc.step)
			continue
		}
		out.Reset()
		printERS(printer{out: &out}, rep)
		if !strings.HasPrefix(out.String(), "✗ evidence-record\n  "+tc.step) {
			t.Errorf("%s: printERS:\n%s", tc.name, out.String())
		}
	}
}
