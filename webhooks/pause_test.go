package webhooks

import (
	"errors"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// keys stands for the key store: the actors that are active
// (Config.CreatorActive).
type keys struct {
	mu     sync.Mutex
	active map[string]bool
	asked  int
}

func (k *keys) set(actor string, active bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.active[actor] = active
}

func (k *keys) creatorActive(actor string, _ time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.asked++
	return k.active[actor]
}

func (k *keys) calls() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.asked
}

// waitParked waits until n deliveries of hook are parked.
func waitParked(t *testing.T, s *Service, hook string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		got := 0
		s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bParked).Cursor()
			for k, _ := c.Seek([]byte(hook)); k != nil && string(k[:idLen]) == hook; k, _ = c.Next() {
				got++
			}
			return nil
		})
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries of %s parked, want %d", got, hook, n)
		}
	}
}

// TestPausedWhileCreatorInactive (A6 in docs/security.md): a webhook whose
// creator key is not active gets no request; its deliveries stay pending,
// parked, with ReasonPaused in their log and no attempt counted, and the
// webhook says it is paused. Adopting it by an active key resumes them,
// signed with the new secret only. Before, the webhook kept receiving
// every event.
func TestPausedWhileCreatorInactive(t *testing.T) {
	k := &keys{active: map[string]bool{orgA + ":key": true, orgA + ":other": true}}
	s := newService(t, Config{CreatorActive: k.creatorActive, MaxAttempts: 2})
	rcv := newReceiver(t, 200, 500, 200) // the first resumed attempt fails once
	h, oldSecret := create(t, s, orgA, rcv.URL, EventTimestamped)
	run(t, s)

	s.Publish(orgA, EventTimestamped, map[string]string{"id": "before"})
	waitState(t, s, orgA, h.ID, StateDelivered)

	k.set(orgA+":key", false) // revoked
	if ws, _ := s.List(orgA); len(ws) != 1 || !ws[0].Paused || ws[0].PausedReason != PausedCreatorInactive {
		t.Errorf("List after the revocation = %+v, want paused (%q)", ws, PausedCreatorInactive)
	}
	for i := range 3 { // more than MaxAttempts
		s.Publish(orgA, EventTimestamped, map[string]int{"while paused": i})
	}
	waitParked(t, s, h.ID, 3)
	time.Sleep(50 * time.Millisecond) // ≫ the backoff: no retry either
	if n := len(rcv.requests()); n != 1 {
		t.Fatalf("receiver got %d requests, want 1 (none while paused)", n)
	}
	ds, _ := s.Deliveries(orgA, h.ID, 0)
	for _, d := range ds[:3] {
		if d.State != StatePending || d.NextAttemptAt != nil || len(d.Attempts) != 1 ||
			d.Attempts[0].Reason != ReasonPaused || d.Attempts[0].Status != 0 {
			t.Errorf("paused delivery = %+v, want pending, no next attempt, one entry %q", d, ReasonPaused)
		}
	}
	assertEmpty(t, s.db, bDue) // nothing left for due to read

	// Another key adopts it: a new secret, the old one no longer signs.
	w, secret, err := s.Adopt(orgA, h.ID, orgA+":other")
	if err != nil || w.CreatedBy != orgA+":other" || w.Paused || secret == oldSecret || len(secret) != 43 {
		t.Fatalf("Adopt = %+v, %q, %v; want created by %s:other, not paused, a new secret", w, secret, err, orgA)
	}
	for deadline := time.Now().Add(10 * time.Second); len(rcv.requests()) < 5; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("receiver got %d requests after Adopt, want 5 (3 deliveries, one retried)", len(rcv.requests()))
		}
	}
	for _, r := range rcv.requests()[1:] {
		if err := Verify(secret, r.header.Get(HeaderSignature), r.body, time.Now(), time.Minute); err != nil {
			t.Errorf("a resumed delivery does not verify with the new secret: %v", err)
		}
		if err := Verify(oldSecret, r.header.Get(HeaderSignature), r.body, time.Now(), time.Minute); !errors.Is(err, ErrSignature) {
			t.Errorf("a resumed delivery verifies with the old secret: %v", err)
		}
	}
	for _, d := range mustDeliveries(t, s, h.ID)[:3] {
		// With MaxAttempts 2, a paused entry counted as an attempt would
		// fail the delivery whose first real attempt got a 500.
		if d.State != StateDelivered || d.Attempts[0].Reason != ReasonPaused {
			t.Errorf("resumed delivery = %+v, want delivered, after the paused entry", d)
		}
	}
	assertEmpty(t, s.db, bParked)
}

func mustDeliveries(t *testing.T, s *Service, hook string) []Delivery {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		ds, err := s.Deliveries(orgA, hook, 0)
		if err != nil {
			t.Fatal(err)
		}
		pending := false
		for _, d := range ds {
			pending = pending || d.State == StatePending
		}
		if !pending || time.Now().After(deadline) {
			return ds
		}
	}
}

// TestPausedBacklogCostsLittle: the many queued deliveries of a paused
// webhook are read once each, when parked, and never again by the worker;
// another webhook of the organization is delivered meanwhile.
func TestPausedBacklogCostsLittle(t *testing.T) {
	k := &keys{active: map[string]bool{orgA + ":live": true}}
	s := newService(t, Config{CreatorActive: k.creatorActive})
	rcv := newReceiver(t, 200)
	paused, _ := create(t, s, orgA, rcv.URL+"/paused", EventTimestamped)
	live, _, err := s.Create(orgA, orgA+":live", Input{URL: rcv.URL + "/live", Events: []string{EventShared}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := range n {
		s.Publish(orgA, EventTimestamped, i)
	}
	run(t, s)
	waitParked(t, s, paused.ID, n)
	s.Publish(orgA, EventShared, "x")
	waitState(t, s, orgA, live.ID, StateDelivered)
	asked := k.calls()
	time.Sleep(100 * time.Millisecond)
	if got := k.calls(); got != asked || asked > n+5 {
		t.Errorf("CreatorActive asked %d times for %d parked deliveries, %d more while idle; want about one each, none idle", asked, n, got-asked)
	}
	for _, r := range rcv.requests() {
		if r.header.Get(HeaderWebhookID) == paused.ID {
			t.Fatal("the paused webhook got a request")
		}
	}
}

// TestResumeActive: a webhook parked while its creator looked inactive
// (a failed read of the key store, a key restored) resumes at Run's
// hourly check once the creator is active again; the others stay parked.
func TestResumeActive(t *testing.T) {
	k := &keys{active: map[string]bool{}}
	s := newService(t, Config{CreatorActive: k.creatorActive})
	rcv := newReceiver(t, 200)
	h, secret := create(t, s, orgA, rcv.URL, EventTimestamped)
	other, _, err := s.Create(orgA, orgA+":gone", Input{URL: rcv.URL + "/other", Events: []string{EventTimestamped}})
	if err != nil {
		t.Fatal(err)
	}
	s.Publish(orgA, EventTimestamped, 1)
	for _, id := range []string{h.ID, other.ID} {
		r, hook, err := s.load(firstDelivery(t, s, id))
		if err != nil {
			t.Fatal(err)
		}
		if parked, err := s.park(r.ID, hook); !parked || err != nil {
			t.Fatalf("park = %v, %v", parked, err)
		}
	}
	k.set(orgA+":key", true)
	if n, err := s.resumeActive(); n != 1 || err != nil {
		t.Fatalf("resumeActive = %d, %v; want 1 webhook", n, err)
	}
	waitParked(t, s, other.ID, 1)
	run(t, s)
	d := waitState(t, s, orgA, h.ID, StateDelivered)
	if got := rcv.requests(); len(got) != 1 || Verify(secret, got[0].header.Get(HeaderSignature), got[0].body, time.Now(), time.Minute) != nil {
		t.Errorf("receiver got %d requests; want the resumed delivery, signed with the webhook's secret", len(got))
	}
	if len(d.Attempts) != 2 || d.Attempts[0].Reason != ReasonPaused || !d.Attempts[1].OK() {
		t.Errorf("attempts = %+v, want paused then delivered", d.Attempts)
	}
}

func firstDelivery(t *testing.T, s *Service, hook string) string {
	t.Helper()
	ds, err := s.Deliveries(orgA, hook, 1)
	if err != nil || len(ds) != 1 {
		t.Fatalf("Deliveries(%s) = %v, %v", hook, ds, err)
	}
	return ds[0].ID
}

// TestAdoptScopedAndUndone: Adopt finds only the organization's own
// webhook; an error from within undoes it, secret and creator included;
// Delete takes the parked deliveries with it.
func TestAdoptScopedAndUndone(t *testing.T) {
	k := &keys{active: map[string]bool{}}
	s := newService(t, Config{CreatorActive: k.creatorActive})
	rcv := newReceiver(t, 200)
	h, _ := create(t, s, orgA, rcv.URL, EventTimestamped)
	if _, _, err := s.Adopt(orgB, h.ID, orgB+":key"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Adopt by another organization = %v, want ErrNotFound", err)
	}
	if _, _, err := s.Adopt(orgA, "not-an-id", orgA+":key"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Adopt of a malformed ID = %v, want ErrNotFound", err)
	}
	run(t, s)
	s.Publish(orgA, EventTimestamped, 1)
	waitParked(t, s, h.ID, 1)
	var before storedHook
	s.db.View(func(tx *bolt.Tx) error { return getHook(tx, orgA, h.ID, &before) })
	failed := errors.New("audit failed")
	if _, _, err := s.AdoptWithin(orgA, h.ID, orgA+":other", func(*bolt.Tx, *Webhook) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("AdoptWithin = %v, want the within error", err)
	}
	var after storedHook
	s.db.View(func(tx *bolt.Tx) error { return getHook(tx, orgA, h.ID, &after) })
	if after.CreatedBy != before.CreatedBy || string(after.Sealed) != string(before.Sealed) {
		t.Errorf("after the undone adoption the webhook changed: %+v", after)
	}
	waitParked(t, s, h.ID, 1)
	if _, err := s.Delete(orgA, h.ID); err != nil {
		t.Fatal(err)
	}
	assertEmpty(t, s.db, bDue, bDeliveries, bLog, bParked, bPending)
	if n := len(rcv.requests()); n != 0 {
		t.Errorf("receiver got %d requests", n)
	}
}

// TestParkedOutOfBacklog (session review of A6): parked deliveries leave
// the organization's count of pending ones (MaxPending), so that a webhook
// left paused cannot fill it and have the organization's other webhooks'
// events refused; adopting counts them again, and deleting a paused
// webhook does not take them off twice.
func TestParkedOutOfBacklog(t *testing.T) {
	k := &keys{active: map[string]bool{orgA + ":new": true}}
	s := newService(t, Config{CreatorActive: k.creatorActive})
	rcv := newReceiver(t, 503) // nothing is delivered: the counts stay
	pending := func() int {
		var n int
		s.db.View(func(tx *bolt.Tx) error { n = int(pendingOf(tx, orgA)); return nil })
		return n
	}
	h, _ := create(t, s, orgA, rcv.URL, EventTimestamped)
	const n = 5
	for i := range n {
		s.Publish(orgA, EventTimestamped, i)
	}
	if got := pending(); got != n {
		t.Fatalf("pending before the worker = %d, want %d", got, n)
	}
	run(t, s)
	waitParked(t, s, h.ID, n)
	if got := pending(); got != 0 {
		t.Errorf("pending with %d parked = %d, want 0", n, got)
	}
	if _, _, err := s.Adopt(orgA, h.ID, orgA+":new"); err != nil {
		t.Fatal(err)
	}
	if got := pending(); got != n {
		t.Errorf("pending after the adoption = %d, want %d", got, n)
	}
	if _, err := s.Delete(orgA, h.ID); err != nil {
		t.Fatal(err)
	}
	if got := pending(); got != 0 {
		t.Fatalf("pending after deleting the adopted webhook = %d, want 0", got)
	}
	h2, _, err := s.Create(orgA, orgA+":gone", Input{URL: rcv.URL + "/2", Events: []string{EventShared}})
	if err != nil {
		t.Fatal(err)
	}
	s.Publish(orgA, EventShared, "x")
	waitParked(t, s, h2.ID, 1)
	if _, err := s.Delete(orgA, h2.ID); err != nil {
		t.Fatal(err)
	}
	if got := pending(); got != 0 {
		t.Errorf("pending after deleting a paused webhook = %d, want 0 (its parked delivery was not counted, nor taken off twice)", got)
	}
}
