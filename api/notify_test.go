package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
)

// outboxNotifier is a TxNotifier that keeps what it is given: an event queued
// within a transaction once that transaction commits; it can be made to
// fail the queueing.
type outboxNotifier struct {
	mu     sync.Mutex
	within []string // org/event, queued in a committed transaction
	after  []string // org/event, published after a commit
	fail   bool
}

func (n *outboxNotifier) Publish(org, event string, _ any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.after = append(n.after, org+"/"+event)
}

func (n *outboxNotifier) PublishWithin(tx *bolt.Tx, org, event string, _ any) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail {
		return errors.New("outbox down")
	}
	tx.OnCommit(func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		n.within = append(n.within, org+"/"+event)
	})
	return nil
}

// TestShareNotifiedInItsTransaction checks that a share's evidence.shared
// deliveries are queued in the share's transaction: a share is never
// committed without them (a crash between two commits lost them), and if
// they cannot be queued, no share is made and the answer is a 500.
func TestShareNotifiedInItsTransaction(t *testing.T) {
	w := newUploadWorld(t)
	n := &outboxNotifier{}
	w.s.hooks = n
	up := w.upload(t, strings.NewReader("shared bytes"), "text/plain")
	var v wire.EvidenceView
	if up.Code != http.StatusCreated || json.Unmarshal(up.Body.Bytes(), &v) != nil {
		t.Fatalf("upload = %d %s", up.Code, up.Body)
	}
	court, err := w.orgs.CreateOrg(access.KindCourt, "Court")
	if err != nil {
		t.Fatal(err)
	}
	share := func() int {
		return w.post(t, "/api/v1/shares", bytes.NewReader([]byte(`{"evidence":"`+v.ID+`","org":"`+court.ID+`"}`)), "application/json").Code
	}
	n.within = nil // the upload's evidence.timestamped
	n.fail = true
	if code := share(); code != http.StatusInternalServerError {
		t.Errorf("share with the outbox failing = %d, want 500", code)
	}
	if shs, _ := w.shares.Shares(t.Context(), w.org, true); len(shs) != 0 {
		t.Errorf("with the outbox failing, a share was made without its deliveries: %+v", shs)
	}
	n.fail = false
	if code := share(); code != http.StatusCreated {
		t.Fatalf("share = %d, want 201", code)
	}
	want := w.org + "/evidence.shared " + court.ID + "/evidence.shared"
	if got := strings.Join(n.within, " "); got != want || len(n.after) != 0 {
		t.Errorf("queued in the share's transaction: %q, after it: %q; want %q and none for the share", got, n.after, want)
	}
	if shs, _ := w.shares.Shares(t.Context(), w.org, true); len(shs) != 1 || shs[0].Kind != evidence.ShareEvidence {
		t.Errorf("shares = %+v, want the one share", shs)
	}
}
