package evidence

import (
	"context"
	"fmt"
	"testing"

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
