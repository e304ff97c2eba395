package ers

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/testenv"
)

// TestBouncyCastle has Bouncy Castle's org.bouncycastle.tsp.ers
// (testdata/ERSCheck.java) validate records built by the built-in TSA:
// fresh, after time-stamp renewals, after a hash-tree renewal to SHA-512
// and after a time-stamp renewal of that new chain; and refuse each of them
// for data that is not the item's.
func TestBouncyCastle(t *testing.T) {
	bc := testenv.BouncyCastle(t, filepath.Join("testdata", "ERSCheck.java"))
	p := newTestPKI(t)
	data, stages, tsas := renewedRecords(t, p, false)
	// A batch of one item (no reduced hash trees) and one of three (a node
	// carried up a level) too.
	for _, n := range []int{1, 3} {
		d, st, _ := renewedBatch(t, p, n, false)
		for s := range stages {
			stages[s] = append(stages[s], st[s]...)
		}
		data = append(data, d...)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	other := write("other", []byte("not an item of the batch"))
	var args, want []string
	for s, recs := range stages {
		for i, r := range recs {
			rec := write(fmt.Sprintf("record-%d-%d.ers", s, i), r.Encode())
			args = append(args, rec, write(fmt.Sprintf("data-%d-%d", s, i), data[i]), rec, other)
			want = append(want, fmt.Sprintf("stage %d record %d", s, i), fmt.Sprintf("stage %d record %d, other data", s, i))
		}
	}
	// A renewal that does not cover the time-stamp it renews, and a
	// reduced hash tree that leads elsewhere, are refused too.
	for name, change := range map[string]func(r *Record){
		"renewal": func(r *Record) { r.Chains[0][2].Tree[0][0][0] ^= 1 },
		"sibling": func(r *Record) { r.Chains[0][0].Tree[1][0][0] ^= 1 },
	} {
		r := stages[2][0].Clone()
		change(r)
		args = append(args, write("tampered-"+name, r.Encode()), write("data-tampered-"+name, data[0]))
		want = append(want, "tampered "+name)
	}
	// Bouncy Castle refuses data time-stamped after the time asked: ask at
	// the last TSA's clock, a day on.
	at := tsas[len(tsas)-1].now.Add(24 * time.Hour)
	out := bc.Run(t, append([]string{strconv.FormatInt(at.UnixMilli(), 10)}, args...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(want) {
		t.Fatalf("ERSCheck printed %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for k, line := range lines {
		valid := strings.HasPrefix(line, "VALID ")
		if strings.HasPrefix(want[k], "tampered") {
			if valid {
				t.Errorf("%s: Bouncy Castle: %s, want INVALID", want[k], line)
			}
			continue
		}
		if k%2 == 0 && !valid {
			t.Errorf("%s: Bouncy Castle: %s", want[k], line)
		}
		if k%2 == 1 && !strings.HasPrefix(line, "INVALID ") {
			t.Errorf("%s: Bouncy Castle: %s, want INVALID", want[k], line)
		}
	}
	if testing.Verbose() {
		t.Logf("Bouncy Castle:\n%s", out)
	}
}
