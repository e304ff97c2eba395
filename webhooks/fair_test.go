package webhooks

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestSlowOrgLeavesWorkers: an organization whose receiver never answers
// (or answers only at the time limit) holds at most Workers-1 of the
// delivery workers, so another organization's deliveries still go out.
// Before, the workers took due deliveries in due order whoever's they
// were, and one organization's backlog to a stalled receiver held them
// all.
func TestSlowOrgLeavesWorkers(t *testing.T) {
	s := newService(t, Config{Workers: 2, Timeout: time.Minute})
	stalled := make(chan struct{}, 100)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stalled <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	fast := newReceiver(t, 200)
	create(t, s, orgA, slow.URL, EventTimestamped)
	b, _ := create(t, s, orgB, fast.URL, EventTimestamped)
	for i := range 5 {
		s.Publish(orgA, EventTimestamped, i)
	}
	run(t, s)
	<-stalled // A's receiver holds a worker
	s.Publish(orgB, EventTimestamped, "b")
	waitState(t, s, orgB, b.ID, StateDelivered)
	if n := len(stalled); n > 0 {
		t.Errorf("%d more of A's deliveries in flight, want 1 (Workers-1)", n)
	}
}

// TestOldOutboxMoved: deliveries pending in the outbox as kept before
// session 14 (webhooks.due, in due order whoever's they were) are moved to
// the outbox by organization at the next start, and made.
func TestOldOutboxMoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	db := openDB(t, path)
	s := newService(t, Config{DB: db})
	rcv := newReceiver(t, 200)
	h, _ := create(t, s, orgA, rcv.URL, EventTimestamped)
	s.Publish(orgA, EventTimestamped, 1)
	s.Publish(orgA, EventTimestamped, 2)
	// Write the outbox back as the earlier version kept it.
	err := db.Update(func(tx *bolt.Tx) error {
		old, err := tx.CreateBucket(bOldDue)
		if err != nil {
			return err
		}
		var keys [][]byte
		tx.Bucket(bDue).ForEach(func(k, _ []byte) error { keys = append(keys, bytes.Clone(k)); return nil })
		for _, k := range keys {
			at := k[len(orgA)+1 : len(orgA)+9]
			if err := old.Put(append(bytes.Clone(at), k[len(orgA)+9:]...), nil); err != nil {
				return err
			}
			if err := tx.Bucket(bDue).Delete(k); err != nil {
				return err
			}
		}
		if len(keys) != 2 {
			t.Errorf("outbox held %d deliveries, want 2", len(keys))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	s2 := newService(t, Config{DB: db})
	db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bOldDue) != nil {
			t.Error("the old outbox is still there after New")
		}
		return nil
	})
	run(t, s2)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds, err := s2.Deliveries(orgA, h.ID, 0)
		if err == nil && len(ds) == 2 && ds[0].State == StateDelivered && ds[1].State == StateDelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries after the move = %+v, %v; want 2 delivered", ds, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(rcv.requests()); n != 2 {
		t.Errorf("receiver got %d requests, want 2", n)
	}
}

// TestBacklogBounded: an organization's outbox holds at most 10,000
// pending deliveries (MaxPending). Past that, a delivery is kept in the
// log as failed at once, with the reason "backlog full" and without its
// payload, so that receivers that never answer cannot make the outbox
// (and the disk under it) grow without bound, nor keep the workers busy
// for ever. Before, every event was queued whatever the backlog.
func TestBacklogBounded(t *testing.T) {
	s := newService(t, Config{})
	rcv := newReceiver(t, 200)
	h, _ := create(t, s, orgA, rcv.URL, EventTimestamped)
	hb, _ := create(t, s, orgB, rcv.URL, EventTimestamped)
	const limit = 10_000
	err := s.db.Update(func(tx *bolt.Tx) error {
		for i := range limit + 2 {
			if err := s.PublishWithin(tx, orgA, EventTimestamped, i); err != nil {
				return err
			}
		}
		return s.PublishWithin(tx, orgB, EventTimestamped, "b")
	})
	if err != nil {
		t.Fatal(err)
	}
	pending, failed := 0, 0
	s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bDeliveries).ForEach(func(k, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil || r.Org != orgA {
				return err
			}
			switch r.State {
			case StatePending:
				pending++
			case StateFailed:
				failed++
				if len(r.Attempts) != 1 || r.Attempts[0].Reason != ReasonBacklog || r.Attempts[0].Status != 0 || r.NextAttemptAt != nil || len(r.Payload) != 0 {
					t.Errorf("delivery over the limit = %+v, payload %q; want failed once, %q, no payload", r.Delivery, r.Payload, ReasonBacklog)
				}
			}
			return nil
		})
	})
	if pending != limit || failed != 2 {
		t.Errorf("A's deliveries: %d pending, %d failed; want %d pending, 2 failed (backlog full)", pending, failed, limit)
	}
	// B's outbox is its own.
	if db, err := s.Deliveries(orgB, hb.ID, 0); err != nil || len(db) != 1 || db[0].State != StatePending {
		t.Errorf("B's deliveries = %+v, %v; want 1 pending", db, err)
	}
	if limit != MaxPending {
		t.Fatalf("MaxPending = %d, the test assumes %d", MaxPending, limit)
	}

	// The counts: kept as deliveries leave the outbox, and made again from
	// the outbox by a version that did not keep them.
	counts := func() (a, b uint64) {
		s.db.View(func(tx *bolt.Tx) error { a, b = pendingOf(tx, orgA), pendingOf(tx, orgB); return nil })
		return a, b
	}
	if a, b := counts(); a != limit || b != 1 {
		t.Errorf("pending counts = %d, %d; want %d, 1", a, b, limit)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bPending) }); err != nil {
		t.Fatal(err)
	}
	s = newService(t, Config{DB: s.db})
	if a, b := counts(); a != limit || b != 1 {
		t.Errorf("pending counts made again = %d, %d; want %d, 1", a, b, limit)
	}
	if _, err := s.Delete(orgA, h.ID); err != nil {
		t.Fatal(err)
	}
	run(t, s)
	waitState(t, s, orgB, hb.ID, StateDelivered)
	if a, b := counts(); a != 0 || b != 0 {
		t.Errorf("pending counts after A's webhook deleted and B's delivered = %d, %d; want 0, 0", a, b)
	}
	h2, _ := create(t, s, orgA, rcv.URL, EventTimestamped)
	s.Publish(orgA, EventTimestamped, "again")
	waitState(t, s, orgA, h2.ID, StateDelivered)
}

// TestLogHidesURLSecrets: the server log of a failed attempt names the
// receiver by scheme and host, not by its whole URL, whose path or query
// often holds the receiver's own secret (chat robots' access_token=,
// key=, or a secret path). Before, the dial error logged the whole URL.
func TestLogHidesURLSecrets(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), nil))
	s := newService(t, Config{MaxAttempts: 1, Log: log})
	rcv := newReceiver(t, 200)
	url := rcv.URL
	rcv.Close() // nothing listens there any more
	h, _ := create(t, s, orgA, url+"/robot/PATHSECRET/send?access_token=QUERYSECRET", EventShared)
	run(t, s)
	s.Publish(orgA, EventShared, nil)
	waitState(t, s, orgA, h.ID, StateFailed)
	logged := func() string {
		mu.Lock()
		defer mu.Unlock()
		return buf.String()
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logged(), "webhook attempt") { // logged just after the attempt is recorded
		if time.Now().After(deadline) {
			t.Fatalf("log = %s, want the attempt", logged())
		}
		time.Sleep(5 * time.Millisecond)
	}
	out := logged()
	for _, secret := range []string{"QUERYSECRET", "PATHSECRET"} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows the URL's %s: %s", secret, out)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
