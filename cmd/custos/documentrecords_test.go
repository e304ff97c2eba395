package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/custos-project/custos/api/wire"
)

// writeDocumentRecords names each file after the ID the server gave: an
// ID that is not one (a path) is refused, and nothing is written outside
// DIR.
func TestWriteDocumentRecordsRefusesPathIDs(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "out")
	for _, id := range []string{"../escaped", "a/../../escaped", "/tmp/escaped", ".."} {
		recs := &wire.DocumentRecords{Kind: "certificate", ID: "x", Records: []wire.DocumentRecord{
			{Kind: wire.RecordKindItem, ID: id, Status: wire.RecordReady, Record: []byte{0x30, 0}},
		}}
		if err := writeDocumentRecords(recs, dir); err == nil {
			t.Errorf("writeDocumentRecords(ID %q) = nil, want an error", id)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "escaped.ers")); err == nil {
		t.Error("a record was written outside DIR")
	}
}
