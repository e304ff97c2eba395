package copyright

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/imagehash"
	"github.com/custos-project/custos/evidence/proofs"
	"github.com/custos-project/custos/evidence/sharing"
)

func testWork() Work {
	return Work{Title: "西湖晨雾", Type: "image", Authors: []string{"李明"}, Owner: "李明", Created: "2025-06-01",
		FirstPublication: &Publication{Date: "2025-07-01", Place: "杭州"}}
}

func TestParseWork(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, in string
		field    string // "" if valid
	}{
		{"valid", `{"title":"T","type":"text","authors":["A"],"owner":"O","created":"2026-01-01"}`, ""},
		{"with publication", `{"title":"T","type":"software","authors":["A","B"],"owner":"O","created":"2026-01-01","first_publication":{"date":"2026-02-01","place":"北京"}}`, ""},
		{"bad type", `{"title":"T","type":"painting","authors":["A"],"owner":"O","created":"2026-01-01"}`, "type"},
		{"no authors", `{"title":"T","type":"text","authors":[],"owner":"O","created":"2026-01-01"}`, "authors"},
		{"empty author", `{"title":"T","type":"text","authors":[""],"owner":"O","created":"2026-01-01"}`, "authors[0]"},
		{"bad date", `{"title":"T","type":"text","authors":["A"],"owner":"O","created":"2026-13-01"}`, "created"},
		{"future", `{"title":"T","type":"text","authors":["A"],"owner":"O","created":"2027-01-01"}`, "created"},
		{"published before created", `{"title":"T","type":"text","authors":["A"],"owner":"O","created":"2026-01-01","first_publication":{"date":"2025-01-01","place":"P"}}`, "first_publication.date"},
		{"publication without place", `{"title":"T","type":"text","authors":["A"],"owner":"O","created":"2026-01-01","first_publication":{"date":"2026-01-02"}}`, "place"},
		{"unknown field", `{"title":"T","type":"text","authors":["A"],"owner":"O","created":"2026-01-01","number":"X"}`, "body"},
		{"no title", `{"type":"text","authors":["A"],"owner":"O","created":"2026-01-01"}`, "title"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseWork([]byte(tc.in), now)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("ParseWork = %v, want nil", err)
				}
				return
			}
			var me *evidence.MetadataError
			if !errors.As(err, &me) || me.Fields[0].Field != tc.field {
				t.Fatalf("ParseWork = %v, want a evidence.MetadataError on %q", err, tc.field)
			}
		})
	}
}

func TestRegisterCopyright(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	a1, a2 := fileAs(t, s, orgA, "photo bytes"), fileAs(t, s, orgA, "second file")
	h := imagehash.Hash(0xf0f0f0f0f0f0f0f0)
	c, err := s.RegisterCopyright(ctx, orgA, orgA+":key", testWork(), []RegisterItem{{ID: a1.ID, PHash: &h}, {ID: a2.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "CUS-(" + c.RegisteredAt.In(cst).Format("2006") + ")-作登字-000001"; c.Number != want {
		t.Errorf("first number = %q, want %q", c.Number, want)
	}
	for _, id := range []string{a1.ID, a2.ID} {
		evs, _ := s.Custody(ctx, id)
		if last := evs[len(evs)-1]; last.Type != EventCopyrightRegistered || last.Subject != "copyright:"+c.ID {
			t.Errorf("custody of %s ends with %+v, want %s", id, last, EventCopyrightRegistered)
		}
	}
	// Files must be the registrant's own, and registered once.
	b1 := fileAs(t, s, orgB, "photo bytes")
	for name, items := range map[string][]RegisterItem{
		"another org's file": {{ID: b1.ID}},
		"already registered": {{ID: a1.ID}},
		"no files":           nil,
	} {
		if _, err := s.RegisterCopyright(ctx, orgA, orgA+":key", testWork(), items); !errors.Is(err, ErrBadRegistration) {
			t.Errorf("%s: RegisterCopyright = %v, want ErrBadRegistration", name, err)
		}
	}
	// A failed registration takes no number.
	c2, err := s.RegisterCopyright(ctx, orgB, orgB+":key", testWork(), []RegisterItem{{ID: b1.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(c2.Number, "-000002") {
		t.Errorf("second number = %q, want ...-000002", c2.Number)
	}
	if page, _ := s.Copyrights(ctx, orgA, "", 0); len(page.Items) != 1 || page.Items[0].ID != c.ID || page.Next != "" {
		t.Errorf("Copyrights(A) = %+v", page)
	}
}

func TestCopyrightTransferRevoke(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	a1 := fileAs(t, s, orgA, "novel text")
	c, err := s.RegisterCopyright(ctx, orgA, orgA+":key", testWork(), []RegisterItem{{ID: a1.ID}})
	if err != nil {
		t.Fatal(err)
	}
	seen := seer(t, s, a1)
	if seen(orgB) {
		t.Fatal("B sees A's file before any transfer")
	}
	if _, err := s.OfferTransfer(ctx, c.ID, orgB, orgB+":key", orgC, 0); !errors.Is(err, ErrNotOwner) {
		t.Errorf("transfer by a non-owner = %v, want ErrNotOwner", err)
	}
	c = transfer(t, s, c.ID, orgA, orgB)
	if c.OwnerOrg != orgB || len(c.Transfers) != 1 || !seen(orgB) {
		t.Errorf("after transfer: owner %s, transfers %v, B sees the file %v", c.OwnerOrg, c.Transfers, seen(orgB))
	}
	if page, _ := s.List(ctx, orgB, orgB+":key", evidence.Query{}); len(page.Items) != 1 || page.Items[0].ID != a1.ID {
		t.Errorf("B's listing after transfer = %v", page.Items)
	}
	if _, err := s.RevokeCopyright(ctx, c.ID, orgA, orgA+":key", "x"); !errors.Is(err, ErrNotOwner) {
		t.Errorf("revoke by the former owner = %v, want ErrNotOwner", err)
	}
	if c, err = s.RevokeCopyright(ctx, c.ID, orgB, orgB+":key", "registered in error"); err != nil || c.Status != CopyrightRevoked {
		t.Fatalf("revoke = %v, %v", c, err)
	}
	if _, err := s.RevokeCopyright(ctx, c.ID, orgB, orgB+":key", "again"); err != nil {
		t.Errorf("revoking again = %v, want nil", err)
	}
	if _, err := s.OfferTransfer(ctx, c.ID, orgB, orgB+":key", orgC, 0); !errors.Is(err, ErrRevoked) {
		t.Errorf("transfer of a revoked registration = %v, want ErrRevoked", err)
	}
	evs, types := custodyTypes(t, s, a1.ID)
	want := []string{custody.EventCreated, EventCopyrightRegistered, EventTransferOffered, EventCopyrightTransferred, custody.EventListed, EventCopyrightRevoked}
	if strings.Join(types, " ") != strings.Join(want, " ") {
		t.Errorf("custody types = %v, want %v", types, want)
	}
	if evs[3].Subject != "org:"+orgB {
		t.Errorf("transferred subject = %q, want org:%s", evs[2].Subject, orgB)
	}
	if _, err := custody.CheckChain(evs); err != nil {
		t.Errorf("chain: %v", err)
	}
}

// fakeAnchor gives every height a block time of height minutes past noon.
type fakeAnchor struct{ proofs.Anchor }

func (fakeAnchor) BlockTime(_ context.Context, h int64) (time.Time, error) {
	return time.Date(2026, 3, 1, 12, int(h), 0, 0, time.UTC), nil
}

func TestSearchCopyrightsPriority(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	near, far := imagehash.Hash(0xffff0000ffff0000), imagehash.Hash(0x00ff00ff00ff00ff)
	nearCopy := near ^ 0b1011 // 3 bits off
	register := func(org, data string, ph *imagehash.Hash) *Copyright {
		r := fileAs(t, s, org, data)
		c, err := s.RegisterCopyright(ctx, org, org+":key", testWork(), []RegisterItem{{ID: r.ID, PHash: ph}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first := register(orgA, "the photo", &near)
	second := register(orgB, "the photo", &near)
	late := register(orgC, "the photo", &near) // never anchored
	similar := register(orgC, "a re-encoded copy", &nearCopy)
	register(orgC, "an unrelated picture", &far)
	// Anchor the first registration at block 5, the second and the similar
	// one at 7; the third stays unanchored.
	leafOf := func(c *Copyright) uint64 {
		var leaf uint64
		s.View(func(tx *bolt.Tx) error {
			c2 := tx.Bucket(bCrLeaf).Cursor()
			for k, v := c2.First(); k != nil; k, v = c2.Next() {
				if string(v) == c.ID {
					leaf = binary.BigEndian.Uint64(k)
				}
			}
			return nil
		})
		return leaf
	}
	var batches []anchor.Batch
	for c, h := range map[*Copyright]int64{first: 5, second: 7, similar: 7} {
		batches = append(batches, anchor.Batch{From: leafOf(c), Count: 1, Height: h, Final: true})
	}
	if err := s.MarkFinal(batches); err != nil {
		t.Fatal(err)
	}
	ms, truncated, err := s.SearchCopyrights(ctx, sha256Hex("the photo"), &near)
	if err == nil {
		err = FillAnchoredAt(ctx, proofs.New(s.Service, fakeAnchor{}), ms)
	}
	if err != nil || truncated {
		t.Fatal(truncated, err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Copyright.ID+" "+m.Kind)
	}
	want := []string{first.ID + " exact", second.ID + " exact", similar.ID + " similar", late.ID + " exact"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("SearchCopyrights order = %v, want %v", got, want)
	}
	if len(ms) == 4 {
		if ms[2].Distance != 3 || !ms[3].AnchoredAt.IsZero() || ms[0].AnchoredAt.Minute() != 6 {
			t.Errorf("similar distance %d, unanchored time %v, first anchored %v", ms[2].Distance, ms[3].AnchoredAt, ms[0].AnchoredAt)
		}
	}
	if _, _, err := s.SearchCopyrights(ctx, "XYZ", nil); !errors.Is(err, evidence.ErrBadDigest) {
		t.Errorf("SearchCopyrights(bad digest) = %v, want ErrBadDigest", err)
	}
}

func TestCopyrightDocumentWriteOnce(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	r := fileAs(t, s, orgA, "a song")
	c, err := s.RegisterCopyright(ctx, orgA, orgA+":key", testWork(), []RegisterItem{{ID: r.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CopyrightDocument(ctx, c.ID, LangZH); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("CopyrightDocument before issue = %v, want ErrNotFound", err)
	}
	d1, p1, err := s.SaveCopyrightDocument(ctx, c.ID, orgA+":key", &CopyrightDocument{Office: "first"}, []byte("%PDF-1 first"))
	if err != nil {
		t.Fatal(err)
	}
	d2, p2, err := s.SaveCopyrightDocument(ctx, c.ID, orgA+":key", &CopyrightDocument{Office: "second"}, []byte("%PDF-1 second"))
	if err != nil || d2.Office != "first" || string(p2) != string(p1) || d2.PDFSHA256 != d1.PDFSHA256 {
		t.Errorf("second save = %+v %q %v, want the first kept", d2, p2, err)
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestShareFollowsCopyrightOwner: once a registration is transferred, its
// new owner may share its files and the former owner may not; the former
// owner's shares of them end with the transfer, with an unshared event.
func TestShareFollowsCopyrightOwner(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	a1 := fileAs(t, s, orgA, "photograph")
	c, err := s.RegisterCopyright(ctx, orgA, orgA+":key", testWork(), []RegisterItem{{ID: a1.ID}})
	if err != nil {
		t.Fatal(err)
	}
	seen := seer(t, s, a1)
	shares, err := sharing.New(s.Service)
	if err != nil {
		t.Fatal(err)
	}
	old, _, err := shares.ShareTarget(ctx, orgA, orgA+":key", evidence.ShareEvidence, a1.ID, orgC, nil)
	if err != nil || !seen(orgC) {
		t.Fatalf("A shares its file with C = %v; C sees it %v", err, seen(orgC))
	}
	transfer(t, s, c.ID, orgA, orgB)
	if seen(orgC) {
		t.Error("C still sees the file through A's share after the transfer")
	}
	if made, _ := shares.Shares(ctx, orgA, true); len(made) != 1 || made[0].ID != old.ID || made[0].RevokedAt == nil {
		t.Errorf("A's shares after the transfer = %+v, want %s revoked", made, old.ID)
	}
	if _, _, err := shares.ShareTarget(ctx, orgA, orgA+":key", evidence.ShareEvidence, a1.ID, orgC, nil); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("the former owner sharing = %v, want ErrNotFound", err)
	}
	sh, created, err := shares.ShareTarget(ctx, orgB, orgB+":key", evidence.ShareEvidence, a1.ID, orgC, nil)
	if err != nil || !created || !seen(orgC) {
		t.Fatalf("the new owner sharing = %v, %v; C sees it %v", created, err, seen(orgC))
	}
	if _, err := shares.RevokeShare(ctx, orgB, orgB+":key", sh.ID); err != nil || seen(orgC) {
		t.Errorf("the new owner revoking its share = %v; C sees it %v", err, seen(orgC))
	}
	_, types := custodyTypes(t, s, a1.ID)
	want := []string{custody.EventCreated, EventCopyrightRegistered, custody.EventShared, EventTransferOffered, custody.EventUnshared, EventCopyrightTransferred, custody.EventShared, custody.EventUnshared}
	if strings.Join(types, " ") != strings.Join(want, " ") {
		t.Errorf("custody types = %v, want %v", types, want)
	}
}

// seer reports whether an organization may see r.
func seer(t *testing.T, s *world, r *evidence.Record) func(org string) bool {
	return func(org string) bool {
		t.Helper()
		ok, err := s.Visible(context.Background(), r, org)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
}

// custodyTypes returns an item's custody events and their types.
func custodyTypes(t *testing.T, s *world, id string) ([]*custody.Event, []string) {
	t.Helper()
	evs, err := s.Custody(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	return evs, types
}

// TestCopyrightDocumentCustody: issuing a registration's certificate
// writes a copyright.certified event on every file, once; each PDF read
// by the registrant or the owner writes a viewed event, and one by another
// organization is refused (ErrNotVisible) and writes none; a registration
// revoked before its certificate is stored gets none (ErrRevoked), checked
// in the storing transaction.
func TestCopyrightDocumentCustody(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	f1, f2 := fileAs(t, s, orgA, "verse one"), fileAs(t, s, orgA, "verse two")
	c, err := s.RegisterCopyright(ctx, orgA, orgA+":key", testWork(), []RegisterItem{{ID: f1.ID}, {ID: f2.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CopyrightPDF(ctx, c.ID, "", orgA, orgA+":key"); !errors.Is(err, evidence.ErrNotFound) || errors.Is(err, evidence.ErrNotVisible) {
		t.Errorf("CopyrightPDF before issue = %v, want ErrNotFound", err)
	}
	for range 2 { // a second save keeps the first and records nothing
		if _, _, err := s.SaveCopyrightDocument(ctx, c.ID, orgA+":key", &CopyrightDocument{Office: "o"}, []byte("%PDF-1 c")); err != nil {
			t.Fatal(err)
		}
	}
	// Neither registrant nor owner: refused in the reading transaction,
	// and nothing recorded (the types below have one viewed event).
	if pdf, err := s.CopyrightPDF(ctx, c.ID, "", orgB, orgB+":key"); !errors.Is(err, evidence.ErrNotVisible) || pdf != nil {
		t.Errorf("CopyrightPDF by another organization = %q, %v; want ErrNotVisible", pdf, err)
	}
	if pdf, err := s.CopyrightPDF(ctx, c.ID, "", orgA, orgA+":reader"); err != nil || string(pdf) != "%PDF-1 c" {
		t.Fatalf("CopyrightPDF = %q, %v", pdf, err)
	}
	want := []string{custody.EventCreated, EventCopyrightRegistered, EventCopyrightCertified, custody.EventViewed}
	for _, f := range []*evidence.Record{f1, f2} {
		evs, types := custodyTypes(t, s, f.ID)
		if strings.Join(types, " ") != strings.Join(want, " ") {
			t.Errorf("custody types of %s = %v, want %v", f.ID, types, want)
			continue
		}
		if e := evs[2]; e.Subject != "copyright:"+c.ID || e.Actor != orgA+":key" {
			t.Errorf("certified event = %+v", e)
		}
		if e := evs[3]; e.Subject != "copyright:"+c.ID || e.Actor != orgA+":reader" {
			t.Errorf("viewed event = %+v", e)
		}
	}

	f3 := fileAs(t, s, orgA, "withdrawn")
	c3, err := s.RegisterCopyright(ctx, orgA, orgA+":key", testWork(), []RegisterItem{{ID: f3.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeCopyright(ctx, c3.ID, orgA, orgA+":key", "withdrawn"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SaveCopyrightDocument(ctx, c3.ID, orgA+":key", &CopyrightDocument{}, []byte("%PDF-1 r")); !errors.Is(err, ErrRevoked) {
		t.Errorf("SaveCopyrightDocument(revoked) = %v, want ErrRevoked", err)
	}
	if _, _, err := s.CopyrightDocument(ctx, c3.ID, ""); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("CopyrightDocument(revoked) = %v, want ErrNotFound", err)
	}
}

// TestCopyrightAnchoredByLastLeaf: a registration whose files' registered
// events fall into two batches is anchored only when the later batch is
// final, at that batch's block.
func TestCopyrightAnchoredByLastLeaf(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	f1, f2 := fileAs(t, s, orgA, "page one"), fileAs(t, s, orgA, "page two")
	c, err := s.RegisterCopyright(ctx, orgA, orgA+":key", testWork(), []RegisterItem{{ID: f1.ID}, {ID: f2.ID}})
	if err != nil {
		t.Fatal(err)
	}
	leafOf := func(r *evidence.Record) uint64 { // of its registered event, seq 1
		var leaf uint64
		s.View(func(tx *bolt.Tx) error {
			var err error
			leaf, err = evidence.EventLeaf(tx, r.Seq, 1)
			return err
		})
		return leaf
	}
	l1, l2 := leafOf(f1), leafOf(f2)
	if l1 >= l2 {
		t.Fatalf("leaves %d, %d: want the second file's later", l1, l2)
	}
	height := func() int64 {
		got, err := s.Copyright(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.AnchoredHeight
	}
	if err := s.MarkFinal([]anchor.Batch{{From: l1, Count: int(l2 - l1), Height: 5, Final: true}}); err != nil {
		t.Fatal(err)
	}
	if h := height(); h != 0 {
		t.Errorf("anchored height with the first file's batch final = %d, want 0", h)
	}
	if err := s.MarkFinal([]anchor.Batch{{From: l2, Count: 1, Height: 6, Final: true}}); err != nil {
		t.Fatal(err)
	}
	if h := height(); h != 6 {
		t.Errorf("anchored height with both batches final = %d, want 6", h)
	}
}

// TestCopyrightsPaged: an organization's registrations come in pages of
// limit, each continuing after the last ID of the one before, every
// registration once.
func TestCopyrightsPaged(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	want := map[string]bool{}
	for i := range 5 {
		f := fileAs(t, s, orgA, fmt.Sprintf("work %d", i))
		c, err := s.RegisterCopyright(ctx, orgA, orgA+":key", testWork(), []RegisterItem{{ID: f.ID}})
		if err != nil {
			t.Fatal(err)
		}
		want[c.ID] = true
	}
	var sizes []int
	cursor := ""
	for {
		page, err := s.Copyrights(ctx, orgA, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page.Items))
		for _, c := range page.Items {
			if !want[c.ID] {
				t.Errorf("Copyrights returned %s twice, or one not A's", c.ID)
			}
			delete(want, c.ID)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if fmt.Sprint(sizes) != "[2 2 1]" || len(want) != 0 {
		t.Errorf("page sizes %v, %d registrations not listed; want [2 2 1], 0", sizes, len(want))
	}
	if _, err := s.Copyrights(ctx, orgA, "not-a-cursor", 2); !errors.Is(err, evidence.ErrBadCursor) {
		t.Errorf("Copyrights(bad cursor) = %v, want ErrBadCursor", err)
	}
	// A cursor is opaque: not the last ID, and good for orgA only.
	first, _ := s.Copyrights(ctx, orgA, "", 2)
	if strings.Contains(first.Next, first.Items[1].ID) {
		t.Errorf("cursor %q shows the last ID %s", first.Next, first.Items[1].ID)
	}
	for _, bad := range []string{first.Items[1].ID, first.Next[1:]} {
		if _, err := s.Copyrights(ctx, orgA, bad, 2); !errors.Is(err, evidence.ErrBadCursor) {
			t.Errorf("Copyrights(%q) = %v, want ErrBadCursor", bad, err)
		}
	}
	if _, err := s.Copyrights(ctx, orgB, first.Next, 2); !errors.Is(err, evidence.ErrBadCursor) {
		t.Errorf("Copyrights(orgB, orgA's cursor) = %v, want ErrBadCursor", err)
	}
}
