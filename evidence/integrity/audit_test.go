package integrity

import (
	"encoding/json"
	"slices"
	"testing"
)

// fullReport is a report with every field set.
func fullReport() *Report {
	x := func(name string) []string { return []string{name} }
	return &Report{
		EvidenceReport: EvidenceReport{Records: 1, Events: 2, AuditEvents: 3, Blobs: 4, Pending: x("p"),
			Missing: x("m"), SizeMismatch: x("s"), Corrupt: x("c"), BrokenChains: x("b"), BadTokens: x("t"),
			Orphans: x("o"), BadRecords: x("r"), BadProofs: x("f"), Checkpoint: 5, Proven: 6},
		Certificates: 7, Copyrights: 8,
		BadDocuments: x("d"), BadReceipts: x("e"), MissingItems: x("i"), MissingEvents: x("v"),
	}
}

// The report's JSON is one flat object, the evidence's fields first, in
// the order GET /api/v1/admin/integrity and custos fsck have always
// written them.
func TestReportJSON(t *testing.T) {
	const want = `{"records":1,"events":2,"audit_events":3,"blobs":4,"pending":["p"],"missing_blobs":["m"],` +
		`"size_mismatch":["s"],"corrupt_blobs":["c"],"broken_chains":["b"],"bad_tokens":["t"],"orphan_blobs":["o"],` +
		`"bad_records":["r"],"bad_proofs":["f"],"checkpoint_height":5,"proven_events":6,"certificates":7,` +
		`"copyrights":8,"bad_documents":["d"],"bad_receipts":["e"],"missing_items":["i"],"missing_events":["v"]}`
	b, err := json.Marshal(fullReport())
	if err != nil || string(b) != want {
		t.Errorf("json.Marshal(report) = %s, %v; want %s", b, err, want)
	}
	var back Report
	if err := json.Unmarshal([]byte(want), &back); err != nil || !slices.Equal(back.Corrupt, []string{"c"}) || back.Copyrights != 8 {
		t.Errorf("json.Unmarshal(%s) = %+v, %v", want, back, err)
	}
}

// Faults and Findings count both parts of the report, the evidence's
// kinds first, and never pending promotions.
func TestReportFaults(t *testing.T) {
	r := fullReport()
	var kinds []string
	for _, f := range r.Faults() {
		kinds = append(kinds, f.Kind)
	}
	want := []string{"missing_blobs", "size_mismatch", "corrupt_blobs", "broken_chains", "bad_tokens", "orphan_blobs",
		"bad_records", "bad_proofs", "bad_documents", "bad_receipts", "missing_items", "missing_events"}
	if !slices.Equal(kinds, want) {
		t.Errorf("Faults() kinds = %v, want %v", kinds, want)
	}
	if got := r.Findings(); got != len(want) || r.OK() {
		t.Errorf("Findings() = %d, OK() = %v; want %d, false", got, r.OK(), len(want))
	}
	docsOnly := &Report{MissingEvents: []string{"copyright:x"}, EvidenceReport: EvidenceReport{Pending: []string{"p"}}}
	if docsOnly.Findings() != 1 || docsOnly.OK() {
		t.Errorf("a report with one missing event: Findings() = %d, OK() = %v; want 1, false", docsOnly.Findings(), docsOnly.OK())
	}
	if pending := (&Report{EvidenceReport: EvidenceReport{Pending: []string{"p"}}}); !pending.OK() {
		t.Errorf("a report with a pending promotion only: OK() = false, want true")
	}
}
