package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/sharing"
	"github.com/custos-project/custos/webhooks"
)

// shareWorld is an uploadWorld with a second organization (the grantee)
// and an exhibit of the first, to share.
type shareWorld struct {
	*uploadWorld
	court    string // the grantee organization's ID
	courtKey string // its actor
	item     string // the exhibit's ID
}

func newShareWorld(t *testing.T) *shareWorld {
	t.Helper()
	w := &shareWorld{uploadWorld: newUploadWorld(t)}
	p, err := w.orgs.Authenticate(newKey(t, w.orgs, "Court"))
	if err != nil {
		t.Fatal(err)
	}
	w.court, w.courtKey = p.Org.ID, p.Actor()
	r := w.upload(t, bytes.NewReader([]byte("exhibit to share\n")), "text/plain")
	var v wire.EvidenceView
	if r.Code != http.StatusCreated || json.Unmarshal(r.Body.Bytes(), &v) != nil {
		t.Fatalf("upload = %d %s", r.Code, r.Body)
	}
	w.item = v.ID
	return w
}

func (w *shareWorld) share(t *testing.T, body string) *httptest.ResponseRecorder {
	t.Helper()
	return w.post(t, "/api/v1/shares", strings.NewReader(body), "application/json")
}

// withinNotifier passes PublishWithin on to a webhooks.Service, checking
// that the share it reports is in the transaction it is given, and stands
// for a crash after the act's commit in Publish.
type withinNotifier struct {
	svc    *webhooks.Service
	within int
	fail   error // PublishWithin fails with it, if set
}

func (n *withinNotifier) Publish(org, event string, _ any) {
	panic(fmt.Sprintf("crash after the commit, before %s was queued for %s", event, org))
}

func (n *withinNotifier) PublishWithin(tx *bolt.Tx, org, event string, data any) error {
	if n.fail != nil {
		return n.fail
	}
	if sh, ok := data.(*evidence.Share); ok {
		if _, err := evidence.GetShare(tx, sh.ID); err != nil || !tx.Writable() {
			return fmt.Errorf("%s for share %s outside the share's transaction: %v", event, sh.ID, err)
		}
	}
	n.within++
	return n.svc.PublishWithin(tx, org, event, data)
}

// A share (of an item or of a matter) queues its evidence.shared
// deliveries, to both organizations, in the share's own transaction:
// nothing is published after the commit, where a crash would lose the
// event (the notifier's Publish panics, as a crash there would end the
// process). Before the fix the share was committed and then published.
func TestSharePublishesWithinCommit(t *testing.T) {
	w := newShareWorld(t)
	svc, err := webhooks.New(webhooks.Config{DB: w.db, Sealer: testSealer(t), AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	hooks := map[string]string{} // org → its webhook's ID
	for _, org := range []string{w.org, w.court} {
		h, _, err := svc.Create(org, org+":k", webhooks.Input{URL: "https://hooks.example.com/" + org, Events: []string{webhooks.EventShared}})
		if err != nil {
			t.Fatal(err)
		}
		hooks[org] = h.ID
	}
	n := &withinNotifier{svc: svc}
	w.s.hooks = n
	m, err := w.shares.CreateMatter(context.Background(), w.org, w.actor, sharing.MatterInput{Title: "Case"})
	if err != nil {
		t.Fatal(err)
	}
	for i, body := range []string{
		`{"evidence":"` + w.item + `","org":"` + w.court + `"}`,
		`{"matter":"` + m.ID + `","org":"` + w.court + `"}`,
	} {
		var r *httptest.ResponseRecorder
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("share %s: %v", body, p)
				}
			}()
			r = w.share(t, body)
		}()
		var sh evidence.Share
		if r.Code != http.StatusCreated || json.Unmarshal(r.Body.Bytes(), &sh) != nil {
			t.Fatalf("share %s = %d %s", body, r.Code, r.Body)
		}
		for org, id := range hooks {
			ds, err := svc.Deliveries(org, id, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != i+1 || ds[0].Event != webhooks.EventShared || ds[0].State != webhooks.StatePending {
				t.Errorf("after share %d, %s's deliveries = %+v; want %d, the last a pending %s", i+1, org, ds, i+1, webhooks.EventShared)
			}
		}
	}
	if n.within != 4 {
		t.Errorf("PublishWithin called %d times, want 4 (two shares, two organizations each)", n.within)
	}
	// Sharing again is the existing share, unchanged: no new event.
	if r := w.share(t, `{"evidence":"`+w.item+`","org":"`+w.court+`"}`); r.Code != http.StatusOK || n.within != 4 {
		t.Errorf("sharing again = %d, %d publications; want 200 and still 4", r.Code, n.within)
	}
}

// If its deliveries cannot be queued, the share is not made: the answer
// is the documented 500 internal problem, and there is no share, no
// "shared" custody event and no access for the grantee (nothing
// half-applied). Before the fix the share was committed first.
func TestShareNotMadeIfPublishFails(t *testing.T) {
	w := newShareWorld(t)
	svc, err := webhooks.New(webhooks.Config{DB: w.db, Sealer: testSealer(t), AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	w.s.hooks = &withinNotifier{svc: svc, fail: errors.New("outbox write failed")}
	var r *httptest.ResponseRecorder
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("share: %v", p)
			}
		}()
		r = w.share(t, `{"evidence":"`+w.item+`","org":"`+w.court+`"}`)
	}()
	wantProblem(t, r, http.StatusInternalServerError, "internal")
	ctx := context.Background()
	if made, err := w.shares.Shares(ctx, w.org, true); err != nil || len(made) != 0 {
		t.Errorf("shares after the failed publication = %+v, %v; want none", made, err)
	}
	rec, err := w.ev.Get(ctx, w.item)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := w.ev.Visible(ctx, rec, w.court); ok || err != nil {
		t.Errorf("the grantee sees the item: %v, %v", ok, err)
	}
	evs, err := w.ev.Custody(ctx, w.item)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == custody.EventShared {
			t.Errorf("custody event %+v of a share that was not made", e)
		}
	}
}
