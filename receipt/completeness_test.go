package receipt

import (
	"errors"
	"strings"
	"testing"
)

// events returns the fixture's raw events.
func rawEvents(f *fixture) [][]byte {
	out := make([][]byte, len(f.receipt.Events))
	for i, e := range f.receipt.Events {
		out[i] = []byte(e.Event)
	}
	return out
}

func TestCompleteness(t *testing.T) {
	t.Run("complete", func(t *testing.T) {
		f := newFixture(t, fixtureConfig{v2: true})
		res, err := Verify(f.receipt, strings.NewReader(string(f.artifact)), f.trust, Options{})
		if err != nil {
			t.Fatalf("Verify = %v", err)
		}
		if c := res.Custody; !c.Complete || c.Total != 5 || c.Listed != 5 || c.Omitted != nil {
			t.Errorf("Custody = %+v, want complete, 5 of 5", c)
		}
	})
	t.Run("version 1 is not proven complete", func(t *testing.T) {
		f := newFixture(t, fixtureConfig{})
		res, err := Verify(f.receipt, nil, f.trust, Options{})
		if err != nil {
			t.Fatalf("Verify = %v", err)
		}
		if c := res.Custody; c.Complete || !strings.Contains(c.Note, "not proven") {
			t.Errorf("Custody of a version-1 receipt = %+v", c)
		}
	})
	t.Run("some events, each proven", func(t *testing.T) {
		f := newFixture(t, fixtureConfig{v2: true})
		raws := rawEvents(f)
		keep := []int{0, 2, 4}
		var evs []AnchoredEvent
		for _, i := range keep {
			e := f.receipt.Events[i]
			e.ItemProof = itemProof(t, raws, i)
			evs = append(evs, e)
		}
		f.receipt.Events = evs
		res, err := Verify(f.receipt, nil, f.trust, Options{})
		if err != nil {
			t.Fatalf("Verify = %v", err)
		}
		if c := res.Custody; !c.Complete || c.Total != 5 || c.Listed != 3 || c.Omitted["viewed"] != 2 || len(c.Omitted) != 1 {
			t.Errorf("Custody = %+v, want 3 listed and 2 viewed omitted", c)
		}
	})

	t.Run("version 3, head bound to the first event", func(t *testing.T) {
		f := newFixture(t, fixtureConfig{v3: true, since: 2})
		res, err := Verify(f.receipt, nil, f.trust, Options{})
		if err != nil {
			t.Fatalf("Verify = %v", err)
		}
		if c := res.Custody; !c.Complete || c.Total != 5 || res.Version != Version {
			t.Errorf("Custody = %+v, version %d", c, res.Version)
		}
	})
	t.Run("version 3, one event and no head", func(t *testing.T) {
		f := newFixture(t, fixtureConfig{v3: true, absent: true, since: 3})
		res, err := Verify(f.receipt, nil, f.trust, Options{})
		if err != nil {
			t.Fatalf("Verify = %v", err)
		}
		if c := res.Custody; !c.Complete || c.Total != 1 || c.Listed != 1 {
			t.Errorf("Custody = %+v, want complete, 1 of 1", c)
		}
	})

	fails := []struct {
		name   string
		tamper func(t *testing.T, f *fixture)
		step   string
		err    error
	}{
		{"last events cut off", func(t *testing.T, f *fixture) { f.receipt.Events = f.receipt.Events[:3] }, StepComplete, ErrIncomplete},
		{"a middle event left out without proofs", func(t *testing.T, f *fixture) {
			e := f.receipt.Events
			f.receipt.Events = append(append([]AnchoredEvent{}, e[:2]...), e[3:]...)
		}, StepComplete, ErrIncomplete},
		{"item proof on a complete list", func(t *testing.T, f *fixture) {
			f.receipt.Events[1].ItemProof = itemProof(t, rawEvents(f), 1)
		}, StepFormat, ErrMalformed},
		{"a wrong item proof", func(t *testing.T, f *fixture) {
			raws := rawEvents(f)
			e0, e4 := f.receipt.Events[0], f.receipt.Events[4]
			e0.ItemProof, e4.ItemProof = itemProof(t, raws, 0), itemProof(t, raws, 3)
			f.receipt.Events = []AnchoredEvent{e0, e4}
		}, StepComplete, ErrIncomplete},
		{"head with a smaller count", func(t *testing.T, f *fixture) {
			f.receipt.Custody.Head = strings.Replace(f.receipt.Custody.Head, `"count":5`, `"count":4`, 1)
		}, StepComplete, ErrIncomplete},
		{"state proof sibling changed", func(t *testing.T, f *fixture) {
			p := f.receipt.Custody.Proof
			p[len(p)-1] = strings.Repeat("1", 64)
		}, StepComplete, ErrIncomplete},
		{"state root changed", func(t *testing.T, f *fixture) {
			f.receipt.Checkpoint.StateRoot = strings.Repeat("2", 64)
		}, StepComplete, ErrIncomplete},
		{"no custody in version 2", func(t *testing.T, f *fixture) { f.receipt.Custody = nil }, StepFormat, ErrMalformed},
		{"custody in version 1", func(t *testing.T, f *fixture) { f.receipt.Version = Version1 }, StepFormat, ErrMalformed},
	}
	for _, tt := range fails {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, fixtureConfig{v2: true})
			tt.tamper(t, f)
			_, err := Verify(f.receipt, nil, f.trust, Options{})
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Step != tt.step || !errors.Is(err, tt.err) {
				t.Fatalf("Verify() = %v, want step %q and %v", err, tt.step, tt.err)
			}
		})
	}
	v3fails := []struct {
		name   string
		cfg    fixtureConfig
		tamper func(t *testing.T, f *fixture)
		step   string
		err    error
	}{
		{"no head for an item from before version 3", fixtureConfig{v3: true, absent: true, since: 4}, nil, StepComplete, ErrIncomplete},
		{"last events cut off", fixtureConfig{v3: true}, func(t *testing.T, f *fixture) { f.receipt.Events = f.receipt.Events[:2] }, StepComplete, ErrIncomplete},
		{"a head the chain holds, claimed absent", fixtureConfig{v3: true}, func(t *testing.T, f *fixture) {
			f.receipt.Events = f.receipt.Events[:1]
			f.receipt.Custody.Head = ""
		}, StepComplete, ErrIncomplete},
		{"since changed", fixtureConfig{v3: true, absent: true}, func(t *testing.T, f *fixture) {
			s := uint64(1)
			f.receipt.Checkpoint.HeadsSince = &s
		}, StepCheckpoint, ErrCheckpoint},
		{"no heads_since", fixtureConfig{v3: true}, func(t *testing.T, f *fixture) { f.receipt.Checkpoint.HeadsSince = nil }, StepFormat, ErrMalformed},
		{"absent head in version 2", fixtureConfig{v3: true, absent: true}, func(t *testing.T, f *fixture) {
			f.receipt.Version, f.receipt.Checkpoint.HeadsSince = Version2, nil
		}, StepFormat, ErrMalformed},
	}
	for _, tt := range v3fails {
		t.Run("version 3: "+tt.name, func(t *testing.T) {
			f := newFixture(t, tt.cfg)
			if tt.tamper != nil {
				tt.tamper(t, f)
			}
			_, err := Verify(f.receipt, nil, f.trust, Options{})
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Step != tt.step || !errors.Is(err, tt.err) {
				t.Fatalf("Verify() = %v, want step %q and %v", err, tt.step, tt.err)
			}
		})
	}
	t.Run("stop short names the step and says so", func(t *testing.T) {
		f := newFixture(t, fixtureConfig{v2: true})
		f.receipt.Events = f.receipt.Events[:4]
		_, err := Verify(f.receipt, nil, f.trust, Options{})
		if err == nil || !strings.Contains(err.Error(), "stop short of the chain's custody head") {
			t.Errorf("Verify() = %v", err)
		}
	})
	t.Run("the AppHash must carry the state root", func(t *testing.T) {
		// The validators signed the log alone (a version-1 AppHash); the
		// receipt's state root is then unsigned, and step checkpoint says so.
		g := newFixture(t, fixtureConfig{v2: true, v1AppHash: true})
		_, err := Verify(g.receipt, nil, g.trust, Options{})
		var ve *VerifyError
		if !errors.As(err, &ve) || ve.Step != StepCheckpoint || !strings.Contains(ve.Want, "state root") {
			t.Errorf("Verify() = %v, want step checkpoint naming the state root", err)
		}
	})
}

// TestCompletenessMessageDeterministic: a head whose type counts differ
// from its events' in two types is reported the same way every time, at
// the first differing type in byte order, and so are the type checks of a
// partial list; the native verifier, custos-verify and the page then agree
// on the message, not only the step (review of session 17).
func TestCompletenessMessageDeterministic(t *testing.T) {
	for _, c := range []struct{ vector, words string }{
		{"rule-head-types-differ", `expected 2 "downloaded" events; computed 1`},
		{"rule-head-type-over-count", `expected at most 1 "viewed" events; computed 2`},
	} {
		vec := vectorSpec{Name: c.vector, Receipt: "invalid/" + c.vector + ".json", Trust: "trust.json", Evidence: "evidence.txt"}
		seen := map[string]bool{}
		for range 40 {
			_, err := runVector(t, vec)
			if err == nil {
				t.Fatalf("%s verified", c.vector)
			}
			seen[err.Error()] = true
		}
		for msg := range seen {
			if len(seen) != 1 || !strings.Contains(msg, c.words) {
				t.Errorf("%s: %d messages in 40 runs; %q, want one, with %q", c.vector, len(seen), msg, c.words)
			}
		}
	}
}
