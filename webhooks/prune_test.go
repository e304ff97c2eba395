package webhooks

import (
	"sync/atomic"
	"testing"
	"time"
)

// Prune deletes finished deliveries older than the retention, and keeps
// pending ones whatever their age and finished ones that are younger.
func TestPrune(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(t0.UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	s := newService(t, Config{Retention: 24 * time.Hour, Now: now})
	ok := newReceiver(t, 200)
	h, _ := create(t, s, orgA, ok.URL, EventShared)
	s.Publish(orgA, EventShared, 1)
	s.Publish(orgA, EventShared, 2)
	if n, err := s.Prune(t0.Add(48 * time.Hour)); err != nil || n != 0 {
		t.Fatalf("Prune of pending deliveries = %d, %v; want 0 (pending stay)", n, err)
	}
	run(t, s)
	waitDelivered := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			ds, err := s.Deliveries(orgA, h.ID, 0)
			if err != nil {
				t.Fatal(err)
			}
			done := 0
			for _, d := range ds {
				if d.State == StateDelivered {
					done++
				}
			}
			if done == want && len(ds) == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("deliveries = %+v, want %d delivered", ds, want)
			}
		}
	}
	waitDelivered(2)
	clock.Store(t0.Add(20 * time.Hour).UnixNano()) // a third one, 20 hours later
	s.Publish(orgA, EventShared, 3)
	waitDelivered(3)
	if n, err := s.Prune(t0.Add(23 * time.Hour)); err != nil || n != 0 {
		t.Errorf("Prune within the retention = %d, %v; want 0", n, err)
	}
	// One deletion per transaction: the loop must go on.
	if n, err := s.prune(t0.Add(25*time.Hour), 1); err != nil || n != 2 {
		t.Errorf("Prune after the retention = %d, %v; want the 2 older ones", n, err)
	}
	ds, err := s.Deliveries(orgA, h.ID, 0)
	if err != nil || len(ds) != 1 || !ds[0].CreatedAt.Equal(t0.Add(20*time.Hour)) {
		t.Errorf("delivery log after pruning = %+v, %v; want the newest only", ds, err)
	}
}
