package document

import (
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/pdfcheck"
	"github.com/custos-project/custos/receipt"
)

// testIssuer is an Issuer under a throwaway PKI: root → notary office CA →
// the notary's signing certificate and a TSA.
// syntheticItem is an item with a well-formed (not verifiable) receipt.
func syntheticItem(t *testing.T, id string) Item {
	t.Helper()
	sha := strings.Repeat("ab", 32)
	ev := custody.Event{V: 1, Evidence: id, Type: custody.EventCreated, Time: "2026-03-01T08:00:00.000000000Z",
		Actor: "orgaaaaaaaaaaaaaaaaaaaaaaa:key", SHA256: sha, Size: 5, MediaType: "image/png", Tokens: []string{sha}}
	b, err := ev.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return Item{ID: id, Title: "西湖晨雾", FileName: "xihu.png", MediaType: "image/png", Size: 5, SHA256: sha,
		Times: []TrustedTime{{TSA: "Test TSA", Time: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), Serial: "1"}},
		Receipt: &receipt.Receipt{Version: receipt.Version1,
			Evidence:   receipt.Evidence{ID: id, SHA256: sha, Size: 5, MediaType: "image/png"},
			Timestamps: []string{"AA=="}, Events: []receipt.AnchoredEvent{{Event: string(b)}},
			Checkpoint: receipt.Checkpoint{ChainID: "custos-test", Height: 3, TreeSize: 1, Root: sha, SignedHeader: "AA==", ValidatorSet: "AA=="}}}
}

func TestCopyrightCertificate(t *testing.T) {
	is, roots := testIssuer(t)
	c := &Copyright{ID: "cccccccccccccccccccccccccc", VerifyToken: "tttttttttttttttttttttttttt", Number: "CUS-(2026)-作登字-M1-000001", Title: "西湖晨雾", Type: "image",
		Authors: []string{"李明", "Jane Doe"}, Owner: "李明", Created: "2025-06-01", Published: "2025-07-01", PublishedAt: "杭州",
		Registrant: "杭州摄影工作室", RegisteredAt: time.Date(2026, 3, 1, 8, 0, 1, 0, time.UTC),
		Items: []Item{syntheticItem(t, "aaaaaaaaaaaaaaaaaaaaaaaaaa"), syntheticItem(t, "bbbbbbbbbbbbbbbbbbbbbbbbbb")}}
	doc, err := is.CopyrightDocument(c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://custos.example/verify?document=" + c.VerifyToken; doc.VerifyURL != want {
		t.Errorf("VerifyURL = %q, want %q", doc.VerifyURL, want)
	}
	if len(doc.Attachments) != 2 || doc.Attachments[0].Name != "receipt-aaaaaaaaaaaaaaaaaaaaaaaaaa.json" {
		t.Errorf("attachments = %d, first %q", len(doc.Attachments), doc.Attachments[0].Name)
	}
	signed, err := is.CopyrightCertificate(t.Context(), c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sig, err := pdfcheck.Verify(signed, roots)
	if err != nil {
		t.Fatalf("pdfcheck.Verify = %v", err)
	}
	if sig.Signer.Subject.CommonName != "张三" || !strings.Contains(sig.Reason, c.Number) {
		t.Errorf("signed by %q for %q", sig.Signer.Subject.CommonName, sig.Reason)
	}
	if _, err := (*Issuer)(nil).CopyrightCertificate(t.Context(), c, time.Now()); err != ErrNoSigner {
		t.Errorf("nil Issuer = %v, want ErrNoSigner", err)
	}
}
