package sharing

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
)

// newTestService returns the matters and shares of a new evidence
// service, whose clock is now.
func newTestService(t *testing.T, cfg evidence.Config) (*evidence.Service, *Registry) {
	t.Helper()
	ev := evidencetest.New(t, cfg)
	s, err := New(ev)
	if err != nil {
		t.Fatal(err)
	}
	return ev, s
}

func TestShares(t *testing.T) {
	ctx := context.Background()
	var at time.Time // the clock, once set
	ev, s := newTestService(t, evidence.Config{Now: func() time.Time {
		if at.IsZero() {
			return time.Now()
		}
		return at
	}})
	const firm, court, other = "firmaaaaaaaaaaaaaaaaaaaaa", "courtaaaaaaaaaaaaaaaaaaaa", "otheraaaaaaaaaaaaaaaaaaaa"
	upload := func(meta evidence.Meta) *evidence.Record {
		u, err := ev.NewUpload(ctx, firm+":key")
		if err != nil {
			t.Fatal(err)
		}
		u.ReadFrom(strings.NewReader("exhibit " + meta.Title))
		r, err := u.Finish(ctx, meta)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	m, err := s.CreateMatter(ctx, firm, firm+":key", MatterInput{Title: "Case"})
	if err != nil {
		t.Fatal(err)
	}
	inMatter, loose := upload(evidence.Meta{Title: "a", Matter: m.ID}), upload(evidence.Meta{Title: "b"})
	seen := func(r *evidence.Record, org string) bool {
		ok, err := ev.Visible(ctx, r, org)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !seen(loose, firm) || seen(loose, court) {
		t.Fatalf("before sharing: owner %v, court %v", seen(loose, firm), seen(loose, court))
	}
	// Share the matter: its items become visible to the court, not others.
	sh, _, err := s.ShareTarget(ctx, firm, firm+":key", evidence.ShareMatter, m.ID, court, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !seen(inMatter, court) || seen(loose, court) || seen(inMatter, other) {
		t.Errorf("matter share: court sees item %v, loose %v; other org %v", seen(inMatter, court), seen(loose, court), seen(inMatter, other))
	}
	again, created, err := s.ShareTarget(ctx, firm, firm+":key", evidence.ShareMatter, m.ID, court, nil)
	if err != nil || again.ID != sh.ID || created {
		t.Errorf("sharing again = %v, %v; want the existing share %s", again, err, sh.ID)
	}
	// Only the owner may share or revoke.
	if _, _, err := s.ShareTarget(ctx, other, other+":k", evidence.ShareEvidence, loose.ID, court, nil); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("sharing another org's evidence = %v, want ErrNotFound", err)
	}
	if _, err := s.RevokeShare(ctx, court, court+":k", sh.ID); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("the grantee revoking = %v, want ErrNotFound", err)
	}
	if _, _, err := s.ShareTarget(ctx, firm, firm+":key", evidence.ShareEvidence, loose.ID, firm, nil); !errors.Is(err, ErrBadShare) {
		t.Errorf("sharing with oneself = %v, want ErrBadShare", err)
	}
	// An item filed into the shared matter is shared too, and says so.
	late := upload(evidence.Meta{Title: "late", Matter: m.ID})
	if !seen(late, court) {
		t.Errorf("an item filed into a shared matter is not visible to the grantee")
	}
	if evs, _ := ev.Custody(ctx, late.ID); len(evs) != 2 || evs[1].Type != "shared" || evs[1].Subject != "org:"+court {
		t.Errorf("custody of an item filed into a shared matter = %+v", evs)
	}
	// Revocation ends access at once and is recorded.
	if _, err := s.RevokeShare(ctx, firm, firm+":key", sh.ID); err != nil {
		t.Fatal(err)
	}
	if seen(inMatter, court) {
		t.Errorf("the court still sees the item after revocation")
	}
	evs, _ := ev.Custody(ctx, inMatter.ID)
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	if got := strings.Join(types, ","); got != "created,shared,unshared" {
		t.Errorf("custody of the matter's item = %s", got)
	}
	// An expiring share ends by itself.
	at = time.Now()
	until := at.Add(time.Hour)
	if _, _, err := s.ShareTarget(ctx, firm, firm+":key", evidence.ShareEvidence, loose.ID, court, &until); err != nil {
		t.Fatal(err)
	}
	if !seen(loose, court) {
		t.Errorf("the court does not see a shared item")
	}
	at = until.Add(time.Second)
	if seen(loose, court) {
		t.Errorf("the court still sees the item after the share expired")
	}
}

// TestOnShare: evidence.Config.OnShare is told of each share made and revoked, in
// its transaction; its error fails the share, which then does not exist.
func TestOnShare(t *testing.T) {
	ctx := context.Background()
	var told []evidence.Share
	refuse := errors.New("outbox full")
	var fail bool
	ev, s := newTestService(t, evidence.Config{OnShare: func(tx *bolt.Tx, sh *evidence.Share) error {
		if fail {
			return refuse
		}
		told = append(told, *sh)
		return nil
	}})
	const firm, court = "firmaaaaaaaaaaaaaaaaaaaaa", "courtaaaaaaaaaaaaaaaaaaaa"
	u, _ := ev.NewUpload(ctx, firm+":key")
	u.ReadFrom(strings.NewReader("exhibit"))
	r, err := u.Finish(ctx, evidence.Meta{Title: "a"})
	if err != nil {
		t.Fatal(err)
	}
	fail = true
	if _, _, err := s.ShareTarget(ctx, firm, firm+":key", evidence.ShareEvidence, r.ID, court, nil); !errors.Is(err, refuse) {
		t.Fatalf("ShareTarget with OnShare failing = %v, want its error", err)
	}
	if got, _ := s.Shares(ctx, firm, true); len(got) != 0 {
		t.Fatalf("a share whose OnShare failed was kept: %+v", got)
	}
	fail = false
	sh, _, err := s.ShareTarget(ctx, firm, firm+":key", evidence.ShareEvidence, r.ID, court, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ShareTarget(ctx, firm, firm+":key", evidence.ShareEvidence, r.ID, court, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeShare(ctx, firm, firm+":key", sh.ID); err != nil {
		t.Fatal(err)
	}
	if len(told) != 2 || told[0].ID != sh.ID || told[0].RevokedAt != nil || told[1].ID != sh.ID || told[1].RevokedAt == nil {
		t.Errorf("OnShare told %+v; want the share once made (sharing again tells nothing), then revoked", told)
	}
}

// TestShareTargetWithin: an error of the function run in a share's
// transaction undoes the share and its custody events; sharing again what
// is shared already does not call it.
func TestShareTargetWithin(t *testing.T) {
	ctx := context.Background()
	ev, s := newTestService(t, evidence.Config{})
	const firm, court = "firmaaaaaaaaaaaaaaaaaaaaa", "courtaaaaaaaaaaaaaaaaaaaa"
	u, err := ev.NewUpload(ctx, firm+":key")
	if err != nil {
		t.Fatal(err)
	}
	u.ReadFrom(strings.NewReader("exhibit"))
	r, err := u.Finish(ctx, evidence.Meta{Title: "a"})
	if err != nil {
		t.Fatal(err)
	}
	failed := errors.New("outbox failed")
	if _, _, err := s.ShareTargetWithin(ctx, firm, firm+":key", evidence.ShareEvidence, r.ID, court, nil,
		func(*bolt.Tx, *evidence.Share) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("ShareTargetWithin = %v, want the within error", err)
	}
	if shs, _ := s.Shares(ctx, firm, true); len(shs) != 0 {
		t.Errorf("after the undone share: %+v", shs)
	}
	if ok, _ := ev.Visible(ctx, r, court); ok {
		t.Error("after the undone share the court sees the item")
	}
	calls := 0
	for range 2 {
		if _, _, err := s.ShareTargetWithin(ctx, firm, firm+":key", evidence.ShareEvidence, r.ID, court, nil,
			func(*bolt.Tx, *evidence.Share) error { calls++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if shs, _ := s.Shares(ctx, firm, true); len(shs) != 1 || calls != 1 {
		t.Errorf("after sharing twice: %d shares, within called %d times; want 1 and 1", len(shs), calls)
	}
}
