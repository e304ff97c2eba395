package pdf

import (
	"testing"

	"github.com/custos-project/custos/pdfcheck"
)

// TestAttachmentsRoundTrip: Attachments reads back what Render embeds,
// and a PDF without attachments has none.
func TestAttachmentsRoundTrip(t *testing.T) {
	r := testRenderer(t)
	doc := testDocument()
	doc.Attachments = append(doc.Attachments, Attachment{Name: "证据清单.csv", MIME: "text/csv", Relationship: "Supplement",
		Description: "a list", Data: []byte("a,b\n")})
	b, err := r.Render(doc)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pdfcheck.Attachments(b)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Attachment{}
	for _, a := range doc.Attachments {
		if a.Relationship == "" {
			a.Relationship = "Data"
		}
		if a.MIME == "" {
			a.MIME = "application/octet-stream"
		}
		want[a.Name] = a
	}
	if len(got) != len(want) {
		t.Fatalf("Attachments = %d files, want %d", len(got), len(want))
	}
	for _, a := range got {
		w := want[a.Name]
		if a.MIME != w.MIME || a.Description != w.Description || a.Relationship != w.Relationship || string(a.Data) != string(w.Data) {
			t.Errorf("Attachments: %+v, want %+v", a, w)
		}
	}
	doc.Attachments = nil
	if b, err = r.Render(doc); err != nil {
		t.Fatal(err)
	}
	if got, err := pdfcheck.Attachments(b); err != nil || len(got) != 0 {
		t.Errorf("Attachments(no attachments) = %d, %v; want none", len(got), err)
	}
}
