package verifycli

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/pem"
	"errors"
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
		// In Chinese, the reason follows, as for the receipt's steps.
		out.Reset()
		printERS(printer{out: &out, chinese: true}, rep)
		if !strings.Contains(out.String(), "\n  原因：") || rep.ErrorZH == "" {
			t.Errorf("%s: printERS in Chinese has no reason (原因), error_zh %q:\n%s", tc.name, rep.ErrorZH, out.String())
		}
	}
}

// TestEmbeddedRecord: a version-5 receipt's evidence record is checked
// with the receipt (receipt/testdata/vectors, docs/receipt.md §9): the
// valid one prints the record's step, a tampered one makes the verdict
// INVALID at step evidence-record.
func TestEmbeddedRecord(t *testing.T) {
	dir := filepath.Join("..", "..", "receipt", "testdata", "vectors")
	evidenceFile := filepath.Join(dir, "evidence.txt")
	for _, tc := range []struct {
		receipt, file string
		code          int
	}{
		{"valid/v5-evidence-record.json", evidenceFile, 0},
		{"valid/v5-evidence-record-without-file.json", "", 0},
		{"invalid/v5-evidence-record-signature-altered.json", evidenceFile, 1},
		{"invalid/v5-evidence-record-other-data.json", "", 1},
	} {
		for _, chinese := range []bool{false, true} {
			var out bytes.Buffer
			err := Check(context.Background(), &out, Options{Receipt: filepath.Join(dir, tc.receipt), File: tc.file, Trust: vectorTrust, Chinese: chinese})
			var ee ExitError
			switch {
			case tc.code == 0 && err != nil, tc.code != 0 && (!errors.As(err, &ee) || ee.Code != tc.code || ee.Step != "evidence-record"):
				t.Fatalf("Check(%s) = %v, want exit %d (step evidence-record when not valid)\n%s", tc.receipt, err, tc.code, out.String())
			}
			want := "✓ evidence record (in the receipt): RFC 4998, the evidence's SHA-256 existed at "
			if chinese {
				want = "✓ 证据记录（回执内附）"
			}
			if tc.code == 0 && (!strings.Contains(out.String(), want) || !strings.Contains(out.String(), "\nVALID")) {
				t.Errorf("Check(%s) printed no evidence-record step %q, or no VALID:\n%s", tc.receipt, want, out.String())
			}
			if tc.code != 0 && !strings.Contains(out.String(), "evidence-record") {
				t.Errorf("Check(%s) does not name step evidence-record:\n%s", tc.receipt, out.String())
			}
		}
	}
}
