package evidence

import (
	"context"
	"fmt"
	"testing"

	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/custody"
)

// TestHeads checks the custody heads the batcher submits; the bounded
// receipt proven against them is evidence/proofs' TestBoundedReceipt.
func TestHeads(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t, newMemBlobs())
	s.foldWindow = 0 // every read an event: a long chain (readfold.go)
	rec, err := ingest(t, s, "many readers")
	if err != nil {
		t.Fatal(err)
	}
	other, err := ingest(t, s, "another item")
	if err != nil {
		t.Fatal(err)
	}
	const reads = 260
	for i := 0; i < reads; i++ {
		typ := custody.EventViewed
		if i%50 == 49 {
			typ = custody.EventDownloaded
		}
		if _, _, err := s.Access(ctx, rec.ID, fmt.Sprintf("org%d:key", i%7), typ, ""); err != nil {
			t.Fatal(err)
		}
	}
	leaves, _ := s.LeafHashes(0, 1<<20)
	heads, err := s.Heads(0, len(leaves), 1)
	if err != nil || len(heads) != 2 {
		t.Fatalf("Heads = %d heads, %v; want one per chain", len(heads), err)
	}
	// The head of a range is the head after its last event: a range that
	// ends before the reads have the item at 1 event.
	early, _ := s.Heads(0, 1, 1)
	if len(early) != 1 || early[0].Events != 1 || early[0].Key != custody.HeadKey(rec.ID) {
		t.Fatalf("Heads(0, 1) = %+v", early)
	}
	byKey := map[[32]byte]anchor.HeadUpdate{}
	for _, h := range heads {
		byKey[h.Key] = h
	}
	if h := byKey[custody.HeadKey(rec.ID)]; h.Events != reads+1 {
		t.Errorf("head of the read item covers %d events, want %d", h.Events, reads+1)
	}
	if h := byKey[custody.HeadKey(other.ID)]; h.Events != 1 {
		t.Errorf("head of the other item covers %d events, want 1", h.Events)
	}
	// At state version 3 the batcher asks only for chains of two events
	// or more: the other item (one event) has none, and nothing is computed
	// for it.
	if v3, err := s.Heads(0, len(leaves), 2); err != nil || len(v3) != 1 || v3[0].Key != custody.HeadKey(rec.ID) || v3[0].FirstLocal != 0 {
		t.Errorf("Heads(minEvents 2) = %+v, %v; want the read item's alone, its first event at local leaf 0", v3, err)
	}
}

func TestRegisterHeads(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t, newMemBlobs())
	var ids []string
	for i := 0; i < 5; i++ {
		r, err := ingest(t, s, fmt.Sprint("item ", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	s.Access(ctx, ids[2], "org:key", custody.EventViewed, "")
	var got []anchor.HeadUpdate
	calls := 0
	submit := func(_ context.Context, hs []anchor.HeadUpdate) error {
		calls++
		got = append(got, hs...)
		return nil
	}
	n, err := s.RegisterHeads(ctx, anchor.StateV2, submit)
	if err != nil || n != 5 || len(got) != 5 {
		t.Fatalf("RegisterHeads = %d, %v; %d heads", n, err, len(got))
	}
	want := map[[32]byte]uint64{}
	for i, id := range ids {
		want[custody.HeadKey(id)] = 1
		if i == 2 {
			want[custody.HeadKey(id)] = 2
		}
	}
	for _, h := range got {
		if want[h.Key] != h.Events {
			t.Errorf("head %x: %d events, want %d", h.Key, h.Events, want[h.Key])
		}
	}
	// Done: a second run submits nothing.
	got, calls = nil, 0
	if n, err := s.RegisterHeads(ctx, anchor.StateV2, submit); err != nil || n != 0 || calls != 0 {
		t.Errorf("second RegisterHeads = %d, %v, %d calls; want nothing", n, err, calls)
	}
}

// syntheticEvents are n stored events of item id, of three types, with
// their leaf hashes: enough for heads (eventType reads the type).
func syntheticEvents(id string, n int) (raws, leaves [][]byte) {
	types := []string{"created", "viewed", "shared"}
	for i := range n {
		raw := fmt.Appendf(nil, `{"v":1,"evidence":"%s","seq":%d,"type":"%s"}`, id, i, types[min(i, 1+i%2)])
		raws = append(raws, raw)
		leaves = append(leaves, rfc6962.DefaultHasher.HashLeaf(raw))
	}
	return raws, leaves
}

// TestEachPrefixHead: the one-pass heads are the heads HeadOfEvents
// computes afresh for each prefix, and fn's false stops the pass.
func TestEachPrefixHead(t *testing.T) {
	const id = "agrfftfzrl2aai33q72qmcgsqq"
	raws, leaves := syntheticEvents(id, 40)
	calls := 0
	err := EachPrefixHead(id, raws, leaves, func(n int, v [32]byte) bool {
		calls++
		want, err := HeadOfEvents(id, raws[:n], leaves[:n]).Value()
		if err != nil || v != want {
			t.Errorf("head after %d events = %x, want %x (%v)", n, v, want, err)
		}
		return n < 30
	})
	if err != nil || calls != 30 {
		t.Errorf("EachPrefixHead = %v after %d calls, want nil after 30 (stopped by fn)", err, calls)
	}
}

// BenchmarkDivergedHead is the integrity audit's search for a custody
// head among an item's prefixes when none matches (custody_diverged), for
// an item of 20,000 events: afresh for each prefix (the first version) or
// in one pass (EachPrefixHead).
func BenchmarkDivergedHead(b *testing.B) {
	const id = "agrfftfzrl2aai33q72qmcgsqq"
	raws, leaves := syntheticEvents(id, 20_000)
	var none [32]byte
	b.Run("one-pass", func(b *testing.B) {
		for b.Loop() {
			EachPrefixHead(id, raws, leaves, func(_ int, v [32]byte) bool { return v != none })
		}
	})
	b.Run("afresh-each-prefix-of-2000", func(b *testing.B) { // 20,000 would take a minute an op
		for b.Loop() {
			for n := 2000; n >= 1; n-- {
				if v, _ := HeadOfEvents(id, raws[:n], leaves[:n]).Value(); v == none {
					b.Fatal("matched")
				}
			}
		}
	})
}
