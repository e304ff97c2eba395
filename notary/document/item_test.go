package document

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/custos-project/custos/receipt"
)

// TestCustodyLinesFoldedRead: a certificate's custody line of a folded read
// says how many reads it stands for and since when, so that it is not read
// as one view.
func TestCustodyLinesFoldedRead(t *testing.T) {
	b, err := os.ReadFile("../../custody/testdata/events.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	// The golden vectors: created, viewed, and a folded read of 41 views.
	var vecs []struct{ Canonical string }
	if err := json.Unmarshal(b, &vecs); err != nil {
		t.Fatal(err)
	}
	var r receipt.Receipt
	for _, v := range vecs {
		r.Events = append(r.Events, receipt.AnchoredEvent{Event: v.Canonical})
	}
	got, err := custodyLines(&r, nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(got, "\n")
	want := "#2 2026-11-21 08:40:58 UTC key:law-firm-1：查看 viewed（metadata） ×41 reads since 2026-11-21 08:31:05 UTC"
	if len(lines) != 3 || lines[2] != want || strings.Contains(lines[1], "×") {
		t.Errorf("custodyLines =\n%s\nwant its last line %q, and no count on the others", got, want)
	}
}

// TestParty: custody lines name an organization by its name, as the actor
// (org:key) or the subject of a share (org:ID), and leave what they cannot
// name as it is.
func TestParty(t *testing.T) {
	names := map[string]string{"o1": "杭州互联网法院"}
	for _, c := range []struct{ in, want string }{
		{"o1:k9", "杭州互联网法院"},
		{"org:o1", "杭州互联网法院"},
		{"o2:k1", "o2:k1"},
		{"metadata", "metadata"},
		{"certificate:c1", "certificate:c1"},
	} {
		if got := party(c.in, names); got != c.want {
			t.Errorf("party(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
