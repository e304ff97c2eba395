package records

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/testenv"
)

// The Done-when check of issue 18: the records an item is served survive
// a simulated TSA certificate expiry (time-stamp renewal by a rotated
// TSA) and the retirement of SHA-256 (hash-tree renewal to SHA-512 from
// the stored bytes), and Bouncy Castle's org.bouncycastle.tsp.ers
// (ers/testdata/ERSCheck.java) validates them, and refuses them for other
// bytes.
func TestRenewedRecordsBouncyCastle(t *testing.T) {
	bc := testenv.BouncyCastle(t, filepath.Join("..", "..", "ers", "testdata", "ERSCheck.java"))
	rs := newRenewStore(t, 3, 4, RenewalConfig{})
	due := rs.expiry.Add(-30 * 24 * time.Hour)
	rs.at(due, "TSA 2", due)
	if run := rs.renew(false, 1); run.TimeStamp.Items != 4 {
		t.Fatalf("time-stamp renewal = %+v", run)
	}
	rs.renewal.RetiredHashes = []string{"SHA-256"}
	rs.restart()
	retire := rs.expiry.Add(60 * 24 * time.Hour) // TSA 1 has expired
	rs.at(retire, "TSA 3", retire)
	if run := rs.renew(false, 2); run.HashTree.Items != 4 { // batches of 3
		t.Fatalf("hash-tree renewal = %+v", run)
	}
	rs.verify(time.Time{})
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	other := write("other", []byte("not the item"))
	args := []string{strconv.FormatInt(retire.Add(24*time.Hour).UnixMilli(), 10)}
	for i, r := range rs.records() {
		if len(r.Chains) != 2 || len(r.Chains[0]) != 2 {
			t.Fatalf("record %d has chains %v, want [2 1]", i, chainLens(r))
		}
		rec := write("record-"+strconv.Itoa(i), r.Encode())
		args = append(args, rec, write("data-"+strconv.Itoa(i), []byte(rs.bodies[i])), rec, other)
	}
	out := bc.Run(t, args...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2*len(rs.recs) {
		t.Fatalf("ERSCheck printed %d lines, want %d:\n%s", len(lines), 2*len(rs.recs), out)
	}
	for k, line := range lines {
		if k%2 == 0 && line != "VALID 3" {
			t.Errorf("record %d: Bouncy Castle: %s, want VALID 3", k/2, line)
		}
		if k%2 == 1 && !strings.HasPrefix(line, "INVALID ") {
			t.Errorf("record %d, other bytes: Bouncy Castle: %s, want INVALID", k/2, line)
		}
	}
}
