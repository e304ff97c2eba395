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
