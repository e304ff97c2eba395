package document

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/custos-project/custos/notary/pdf"
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

// TestItemMatchesReceipt: a document states of an item only what the
// receipt it attaches proves: its ID, SHA-256, SM3 and size; an item
// whose stated values differ from its receipt's is refused before
// anything is signed.
func TestItemMatchesReceipt(t *testing.T) {
	is := &Issuer{Office: "o"}
	for name, change := range map[string]func(it *Item){
		"SHA-256": func(it *Item) { it.SHA256 = strings.Repeat("0123456789abcdef", 4) },
		"SM3":     func(it *Item) { it.SM3 = strings.Repeat("0123456789abcdef", 4) },
		"size":    func(it *Item) { it.Size++ },
		"ID":      func(it *Item) { it.ID = "bbbbbbbbbbbbbbbbbbbbbbbbbb" },
	} {
		it := testItem(t)
		change(&it)
		n := &Notarial{ID: "x", VerifyToken: "y", Number: "1", Applicant: "a", Items: []Item{it}}
		if _, err := is.notarialDocument(n); !errors.Is(err, pdf.ErrDocument) {
			t.Errorf("%s differs from the receipt's: notarialDocument = %v, want pdf.ErrDocument", name, err)
		}
	}
	n := &Notarial{ID: "x", VerifyToken: "y", Number: "1", Applicant: "a", Items: []Item{testItem(t)}}
	if _, err := is.notarialDocument(n); err != nil {
		t.Errorf("notarialDocument(item as its receipt) = %v", err)
	}
}
