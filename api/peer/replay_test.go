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
	if n := g.kept(); n != 1 {
		t.Errorf("%d IDs kept after the sweep, want 1", n)
	}
}

// kept is the number of request IDs g keeps, of all members.
func (g *Guard) kept() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, gen := range g.gens {
		n += len(gen.seen)
	}
	return n
}

// TestGuardGenerations: a member that sends requests steadily has each ID
// refused as a replay for as long as its time is fresh (2×Window after it
// was admitted, its time up to Window ahead), its IDs are forgotten by
// 3×Window, at most three generations of IDs are live, and a full member
// is admitted again once its oldest generation is dropped.
func TestGuardGenerations(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := t0
	g := NewGuard(func() time.Time { return clock })
	g.max = 50
	type sent struct {
		h  http.Header
		at time.Time
	}
	var log []sent
	step := Window / 8
	for clock.Before(t0.Add(8 * Window)) {
		h := http.Header{}
		Stamp(h, clock.Add(Window)) // as far ahead as the window allows
		if err := g.Check("m1", h); err != nil {
			t.Fatalf("at %v: a fresh request: %v", clock.Sub(t0), err)
		}
		log = append(log, sent{h, clock})
		for _, s := range log {
			err := g.Check("m1", s.h)
			switch age := clock.Sub(s.at); {
			case age <= 2*Window && !errors.Is(err, ErrReplayed):
				t.Errorf("at %v: a request admitted %v ago, again: %v, want ErrReplayed", clock.Sub(t0), age, err)
			case age > 2*Window && !errors.Is(err, ErrStale):
				t.Errorf("at %v: a request admitted %v ago, again: %v, want ErrStale", clock.Sub(t0), age, err)
			}
		}
		if n := len(g.gens); n > 3 {
			t.Errorf("at %v: %d generations live, want at most 3", clock.Sub(t0), n)
		}
		if n, max := g.kept(), int(3*Window/step)+1; n > max {
			t.Errorf("at %v: %d IDs kept, want at most %d (3×Window of requests)", clock.Sub(t0), n, max)
		}
		clock = clock.Add(step)
	}

	// A member that spent its bound in a burst is busy until the
	// generation that holds the burst is dropped, 2×Window after it.
	clock = clock.Add(3 * Window)
	g = NewGuard(func() time.Time { return clock })
	g.max = 3
	burst := clock
	for i := range 3 {
		h := http.Header{}
		Stamp(h, clock)
		if err := g.Check("m1", h); err != nil {
			t.Fatalf("request %d of the burst: %v", i, err)
		}
	}
	for _, d := range []time.Duration{Window, Window + time.Second, 2 * Window} {
		clock = burst.Add(d)
		h := http.Header{}
		Stamp(h, clock)
		if err := g.Check("m1", h); !errors.Is(err, ErrBusy) {
			t.Errorf("%v after a burst that filled the bound: %v, want ErrBusy", d, err)
		}
	}
	clock = burst.Add(2*Window + time.Nanosecond)
	h := http.Header{}
	Stamp(h, clock)
	if err := g.Check("m1", h); err != nil {
		t.Errorf("just over 2×Window after the burst: %v, want admitted", err)
	}
	if n := g.count["m1"]; n != 1 {
		t.Errorf("m1 has %d IDs counted, want 1", n)
	}
}

// BenchmarkGuardSweep times the one Check that comes a window after a
// member filled its guard with 2^17 request IDs: the Check that finds a
// sweep due, under the lock every peer request of every member takes.
// Run with a fixed count (-benchtime 20x): each round fills a new guard
// with the timer stopped.
func BenchmarkGuardSweep(b *testing.B) {
	const n = 1 << 17
	t0 := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	clock := t0
	hs := make([]http.Header, n)
	for i := range hs {
		hs[i] = http.Header{}
		Stamp(hs[i], t0)
	}
	next := http.Header{}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		clock = t0
		g := NewGuard(func() time.Time { return clock })
		for _, h := range hs {
			if err := g.Check("m1", h); err != nil {
				b.Fatal(err)
			}
		}
		clock = t0.Add(Window + time.Second)
		Stamp(next, clock)
		b.StartTimer()
		if err := g.Check("m2", next); err != nil {
			b.Fatal(err)
		}
	}
}
