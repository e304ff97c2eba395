package receipt

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/custos-project/custos/custody"

	"github.com/transparency-dev/merkle/rfc6962"
)

// TestLogHasher checks that the reused-state hasher of checkInclusion
// hashes leaves and nodes as rfc6962.DefaultHasher does, call after call.
func TestLogHasher(t *testing.T) {
	h := newLogHasher()
	ref := rfc6962.DefaultHasher
	for i, leaf := range []string{"", "a", `{"v":1}`, string(bytes.Repeat([]byte{0xfe}, 300))} {
		if got, want := h.leaf(leaf), ref.HashLeaf([]byte(leaf)); !bytes.Equal(got, want) {
			t.Errorf("leaf %d: %x, want %x", i, got, want)
		}
		l := sha256.Sum256([]byte(leaf))
		r := sha256.Sum256(l[:])
		if got, want := h.HashChildren(l[:], r[:]), ref.HashChildren(l[:], r[:]); !bytes.Equal(got, want) {
			t.Errorf("children %d: %x, want %x", i, got, want)
		}
	}
}

// TestIsHexOf checks isHexOf against hex.EncodeToString's lowercase.
func TestIsHexOf(t *testing.T) {
	b := []byte{0x00, 0x9f, 0xa0, 0xff}
	for s, want := range map[string]bool{"009fa0ff": true, "009FA0FF": false, "009fa0f": false, "009fa0ff00": false, "": false, "109fa0ff": false} {
		if got := isHexOf(s, b); got != want {
			t.Errorf("isHexOf(%q) = %v, want %v", s, got, want)
		}
	}
	if !isHexOf("", nil) {
		t.Error(`isHexOf("", nil) = false`)
	}
}

// TestCheckChainAsCustody checks that checkChain for version 1 gives
// custody.CheckChain's answer, index and error text, on the golden events
// and on copies with one event changed, dropped or moved.
func TestCheckChainAsCustody(t *testing.T) {
	r, _, _ := golden(t)
	var base []*custody.Event
	for _, ae := range r.Events {
		e, err := custody.Decode([]byte(ae.Event))
		check(t, err)
		base = append(base, e)
	}
	variants := [][]*custody.Event{base}
	for i := range base {
		drop := append(slices.Clone(base[:i]), base[i+1:]...)
		variants = append(variants, drop)
		e := *base[i]
		e.Seq++
		variants = append(variants, withEvent(base, i, &e))
		e = *base[i]
		e.Evidence = "another"
		variants = append(variants, withEvent(base, i, &e))
		e = *base[i]
		e.Type = custody.AuditOrgCreated
		variants = append(variants, withEvent(base, i, &e))
		if i > 0 {
			e = *base[i]
			e.Prev = strings.Repeat("0", 64)
			variants = append(variants, withEvent(base, i, &e))
			moved := slices.Clone(base)
			moved[i-1], moved[i] = moved[i], moved[i-1]
			variants = append(variants, moved)
		}
	}
	checked, refused := 0, 0
variants:
	for n, events := range variants {
		hashes := make([][sha256.Size]byte, len(events))
		for i, e := range events {
			b, err := e.Encode()
			if err != nil { // not an event Decode would give
				continue variants
			}
			hashes[i] = sha256.Sum256(b)
		}
		checked++
		wi, werr := custody.CheckChain(events)
		if werr != nil {
			refused++
		}
		gi, gerr := checkChain(events, hashes, false)
		if wi != gi || fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Errorf("variant %d: checkChain = %d, %v; custody.CheckChain = %d, %v", n, gi, gerr, wi, werr)
		}
	}
	if checked < len(variants)/2 || refused < checked/2 {
		t.Errorf("only %d of %d variants were events, %d of them refused", checked, len(variants), refused)
	}
}

func withEvent(events []*custody.Event, i int, e *custody.Event) []*custody.Event {
	out := slices.Clone(events)
	out[i] = e
	return out
}

// TestCheckpointKey checks that changing any field of a checkpoint, or
// moving bytes between two adjacent strings, changes its cache key.
func TestCheckpointKey(t *testing.T) {
	r, _, _ := golden(t)
	base := r.Checkpoint
	hs, hs2 := uint64(0), uint64(1)
	changes := []func(*Checkpoint){
		func(c *Checkpoint) { c.ChainID += "x" },
		func(c *Checkpoint) { c.Height++ },
		func(c *Checkpoint) { c.TreeSize++ },
		func(c *Checkpoint) { c.Root = c.Root[1:] },
		func(c *Checkpoint) { c.StateRoot = "00" },
		func(c *Checkpoint) { c.HeadsSince = &hs },
		func(c *Checkpoint) { c.HeadsSince = &hs2 },
		func(c *Checkpoint) { c.SignedHeader = c.SignedHeader[:len(c.SignedHeader)-4] },
		func(c *Checkpoint) { c.ValidatorSet += "AAAA" },
		func(c *Checkpoint) { c.Root, c.StateRoot = c.Root[:10], c.Root[10:] },
	}
	seen := map[[sha256.Size]byte]int{checkpointKey(&base): -1}
	for i, change := range changes {
		c := base
		change(&c)
		k := checkpointKey(&c)
		if j, ok := seen[k]; ok {
			t.Errorf("change %d has the key of change %d", i, j)
		}
		seen[k] = i
	}
	if c := base; checkpointKey(&c) != checkpointKey(&base) {
		t.Error("equal checkpoints have different keys")
	}
}

// TestVerifierConcurrent verifies the golden receipt from several
// goroutines with one Verifier, whose caches (checkpoints, TSA chains,
// certificates and their hashes) they share; run with -race.
func TestVerifierConcurrent(t *testing.T) {
	r, tr, _ := golden(t)
	v, err := NewVerifier(tr)
	check(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 4*20)
	for range 4 {
		wg.Go(func() {
			for range 20 {
				if _, err := v.Verify(r, nil, Options{}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
