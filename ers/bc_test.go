package ers

import (
	"crypto"
	"errors"
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

// TestBouncyCastleNary has Bouncy Castle validate the n-ary vectors
// (testdata/vectors, "n-ary*"). Bouncy Castle 1.72 reads a later
// PartialHashtree of several hashes as one subtree node paired with the
// running hash (BinaryTreeRootCalculator.recoverRootHash), not as RFC 4998
// §4.3 step 3 does: it refuses the n-ary records that ers.Verify accepts
// and accepts the one stamped over that reading's root, which ers.Verify
// refuses. The test pins that difference, so that a Bouncy Castle that
// changes its reading is noticed; where a PartialHashtree of several hashes
// is the first one only, both agree.
func TestBouncyCastleNary(t *testing.T) {
	bc := testenv.BouncyCastle(t, filepath.Join("testdata", "ERSCheck.java"))
	m, files := readRenewalVectors(t, renewalVectorsDir)
	dir := t.TempDir()
	item := filepath.Join(dir, "item")
	if err := os.WriteFile(item, renewalVectorItem, 0o600); err != nil {
		t.Fatal(err)
	}
	bouncyCastle := map[string]bool{ // valid for Bouncy Castle 1.72
		"n-ary":              false, // RFC 4998 valid: Bouncy Castle differs
		"n-ary-first-level":  true,
		"n-ary-unsorted":     false, // RFC 4998 valid: Bouncy Castle differs
		"n-ary-hash-missing": false,
		"n-ary-subtree-root": true, // RFC 4998 invalid: Bouncy Castle differs
	}
	var args, names []string
	for _, v := range m.Vectors {
		if _, ok := bouncyCastle[v.Name]; !ok {
			continue
		}
		f := filepath.Join(dir, v.Record)
		if err := os.WriteFile(f, files[v.Record], 0o600); err != nil {
			t.Fatal(err)
		}
		args, names = append(args, f, item), append(names, v.Name)
	}
	if len(names) != len(bouncyCastle) {
		t.Fatalf("found %d n-ary vectors, want %d", len(names), len(bouncyCastle))
	}
	out := bc.Run(t, append([]string{strconv.FormatInt(t0.AddDate(1, 0, 0).UnixMilli(), 10)}, args...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(names) {
		t.Fatalf("ERSCheck printed %d lines, want %d:\n%s", len(lines), len(names), out)
	}
	for k, line := range lines {
		if valid := strings.HasPrefix(line, "VALID "); valid != bouncyCastle[names[k]] {
			t.Errorf("%s: Bouncy Castle: %s, want valid %v", names[k], line, bouncyCastle[names[k]])
		}
	}
	if testing.Verbose() {
		t.Logf("Bouncy Castle:\n%s", out)
	}
}

// TestBouncyCastleGenerated has Bouncy Castle's ERSArchiveTimeStampGenerator
// (testdata/ERSGenerate.java) build the records of eleven data objects, two
// of them data groups of three documents (the group's hashes are its first
// PartialHashtree), time-stamped by the built-in TSA: ers.Verify accepts
// each record for each data object it covers, and refuses it for other
// bytes. Bouncy Castle writes binary trees, one hash in each
// PartialHashtree after the first, where RFC 4998 §4.3 and its own reading
// agree.
func TestBouncyCastleGenerated(t *testing.T) {
	gen := testenv.BouncyCastle(t, filepath.Join("testdata", "ERSGenerate.java"))
	p := newTestPKI(t)
	x := p.tsa(t, "TSA A", t0)
	dir := t.TempDir()
	var args []string
	var objects [][][]byte // the documents of each data object
	for i := range 11 {
		var files []string
		var docs [][]byte
		n := 1
		if i == 3 || i == 7 {
			n = 3
		}
		for k := range n {
			d := fmt.Appendf(nil, "Bouncy Castle data object %d, document %d", i, k)
			f := filepath.Join(dir, fmt.Sprintf("data-%d-%d", i, k))
			if err := os.WriteFile(f, d, 0o600); err != nil {
				t.Fatal(err)
			}
			files, docs = append(files, f), append(docs, d)
		}
		args, objects = append(args, strings.Join(files, ",")), append(objects, docs)
	}
	req := filepath.Join(dir, "request.tsq")
	gen.Run(t, append([]string{"request", req}, args...)...)
	q, err := os.ReadFile(req)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := x.Respond(q)
	if err != nil {
		t.Fatalf("the built-in TSA's answer to Bouncy Castle's request: %v", err)
	}
	resp := filepath.Join(dir, "response.tsr")
	if err := os.WriteFile(resp, reply, 0o600); err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSpace(gen.Run(t, append([]string{"records", resp, filepath.Join(dir, "record")}, args...)...))
	if out != strconv.Itoa(len(objects)) {
		t.Fatalf("ERSGenerate wrote %s records, want %d", out, len(objects))
	}
	covered := 0
	for i := range objects {
		der, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("record-%d.ers", i)))
		if err != nil {
			t.Fatal(err)
		}
		r, err := Decode(der)
		if err != nil {
			t.Fatalf("Decode(Bouncy Castle's record %d) = %v", i, err)
		}
		roundTrip(t, r)
		if testing.Verbose() {
			var shape []int
			for _, p := range r.Chains[0][0].Tree {
				shape = append(shape, len(p))
			}
			t.Logf("record %d: hashes in each PartialHashtree %v", i, shape)
		}
		// The record of which data object: each document whose hash
		// is in the first PartialHashtree.
		for _, docs := range objects {
			for _, d := range docs {
				if r.Chains[0][0].Tree != nil && !containsHash(r.Chains[0][0].Tree[0], sum(crypto.SHA256, d)) {
					continue
				}
				if _, err := Verify(r, Hashes{crypto.SHA256: sum(crypto.SHA256, d)}, VerifyOptions{Roots: p.roots}); err != nil {
					t.Errorf("Verify(Bouncy Castle's record %d, %q) = %v", i, d, err)
				}
				covered++
			}
		}
		if _, err := Verify(r, Hashes{crypto.SHA256: sum(crypto.SHA256, []byte("other"))}, VerifyOptions{Roots: p.roots}); !errors.Is(err, ErrMismatch) {
			t.Errorf("Verify(Bouncy Castle's record %d, other data) = %v, want ErrMismatch", i, err)
		}
	}
	if covered < 15 {
		t.Errorf("the records cover %d documents, want each of the 15 at least once", covered)
	}
}
