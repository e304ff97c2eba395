package peer

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestGuard(t *testing.T) {
	clock := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	stamped := func(at time.Time) http.Header {
		h := http.Header{}
		Stamp(h, at)
		return h
	}
	g := NewGuard(now)
	h := stamped(clock)
	if err := g.Check("m1", h); err != nil {
		t.Fatalf("a fresh request: %v", err)
	}
	if err := g.Check("m1", h); !errors.Is(err, ErrReplayed) {
		t.Errorf("the same request again: %v, want ErrReplayed", err)
	}
	if err := g.Check("m2", h); err != nil {
		t.Errorf("the same ID from another member: %v, want admitted (IDs are per member)", err)
	}
	for name, at := range map[string]time.Time{
		"older than the window": clock.Add(-Window - time.Second),
		"ahead of the window":   clock.Add(Window + time.Second),
	} {
		if err := g.Check("m1", stamped(at)); !errors.Is(err, ErrStale) {
			t.Errorf("%s: %v, want ErrStale", name, err)
		}
	}
	bad := stamped(clock)
	bad.Set(HeaderRequestID, "not-hex-not-hex-not-hex-not-hex!")
	if err := g.Check("m1", bad); !errors.Is(err, ErrStale) {
		t.Errorf("a request ID that is not hex: %v, want ErrStale", err)
	}
	// One spelling per ID: the same ID in capitals is not a new request.
	upper := stamped(clock)
	if err := g.Check("m1", upper); err != nil {
		t.Fatalf("a fresh request: %v", err)
	}
	upper.Set(HeaderRequestID, strings.ToUpper(upper.Get(HeaderRequestID)))
	if err := g.Check("m1", upper); err == nil {
		t.Errorf("a seen request ID again, in capitals: admitted, want refused")
	}

	// The node restarts a minute later: its new guard has forgotten h, and
	// refuses it because it was stamped before the guard was made, though
	// it is still inside the window.
	clock = clock.Add(time.Minute)
	restarted := NewGuard(now)
	if err := restarted.Check("m1", h); !errors.Is(err, ErrStale) {
		t.Errorf("a request from before the restart, replayed after it: %v, want ErrStale", err)
	}
	if err := restarted.Check("m1", stamped(clock)); err != nil {
		t.Errorf("a fresh request after the restart: %v", err)
	}
	// Requests made after the restart are remembered as before.
	clock = clock.Add(time.Second)
	h2 := stamped(clock)
	if err := restarted.Check("m1", h2); err != nil {
		t.Fatalf("fresh: %v", err)
	}
	clock = clock.Add(Window / 2)
	if err := restarted.Check("m1", h2); !errors.Is(err, ErrReplayed) {
		t.Errorf("replayed within the window: %v, want ErrReplayed", err)
	}
}

// TestGuardBounded: the IDs kept for one member are bounded; beyond the
// bound its requests are refused (ErrBusy) until old IDs expire, and
// other members are not affected.
func TestGuardBounded(t *testing.T) {
	clock := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	g := NewGuard(func() time.Time { return clock })
	g.max = 3
	stamped := func() http.Header {
		h := http.Header{}
		Stamp(h, clock)
		return h
	}
	for i := 0; i < 3; i++ {
		if err := g.Check("m1", stamped()); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if err := g.Check("m1", stamped()); !errors.Is(err, ErrBusy) {
		t.Errorf("a request past the bound: %v, want ErrBusy", err)
	}
	if err := g.Check("m2", stamped()); err != nil {
		t.Errorf("another member's request: %v, want admitted", err)
	}
	clock = clock.Add(2*Window + time.Second)
	if err := g.Check("m1", stamped()); err != nil {
		t.Errorf("once the old IDs expired: %v, want admitted", err)
	}
	if n := len(g.seen); n != 1 {
		t.Errorf("%d IDs kept after the sweep, want 1", n)
	}
}
