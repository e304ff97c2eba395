package webhooks

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
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
