package evidence

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestRecordGolden pins the stored record encoding: records written by one
// version must stay readable by the next.
func TestRecordGolden(t *testing.T) {
	captured := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	r := Record{
		ID: "aaaaaaaaaaaaaaaaaaaaaaaaaa", Owner: "admin", Status: StatusTimestamped,
		SHA256: strings.Repeat("ab", 32), SM3: strings.Repeat("cd", 32), Size: 4096, MediaType: "application/pdf",
		CreatedAt: time.Date(2026, 11, 21, 8, 30, 0, 123456789, time.UTC),
		Meta:      Meta{Title: "合同", CaseRef: "C-1", CapturedAt: &captured, FileName: "a.pdf"},
		Tokens:    []TokenInfo{{TSA: "Custos TSA", Time: time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC), Serial: "42", SHA256: strings.Repeat("ef", 32)}},
	}
	got, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "record.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("record encoding changed:\n got %s\nwant %s", got, want)
	}
	var back Record
	if err := json.Unmarshal(want, &back); err != nil || back.Title != r.Title || !back.CapturedAt.Equal(captured) || back.Tokens[0] != r.Tokens[0] {
		t.Errorf("decoding the golden record = %+v, %v", back, err)
	}
}

// Evidence IDs are spelled like every other ID, begin with the filing time
// in milliseconds, and differ in their 80 random bits within a millisecond.
func TestNewEvidenceID(t *testing.T) {
	at := time.Date(2026, 11, 21, 18, 0, 0, 123e6, time.UTC)
	seen := map[string]bool{}
	for range 1000 {
		id := newEvidenceID(at)
		if !ValidID(id) {
			t.Fatalf("%q is not a valid evidence ID", id)
		}
		if seen[id] {
			t.Fatalf("%q drawn twice", id)
		}
		seen[id] = true
		b, err := idEncoding.DecodeString(id)
		if err != nil || len(b) != 16 {
			t.Fatalf("decode %q: %v (%d bytes)", id, err, len(b))
		}
		var ms uint64
		for _, c := range b[:6] {
			ms = ms<<8 | uint64(c)
		}
		if ms != uint64(at.UnixMilli()) {
			t.Fatalf("%q carries %d ms, want %d", id, ms, at.UnixMilli())
		}
	}
	// A later millisecond gives a larger prefix: consecutive uploads share
	// the ids index's pages.
	a, b := newEvidenceID(at), newEvidenceID(at.Add(time.Millisecond))
	da, _ := idEncoding.DecodeString(a)
	db, _ := idEncoding.DecodeString(b)
	if string(da[:6]) >= string(db[:6]) {
		t.Fatalf("prefix of %q is not before that of %q", a, b)
	}
}
