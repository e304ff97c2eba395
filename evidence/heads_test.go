package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/anchor/vmap"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/receipt"
)

// v2Anchor is logAnchor at state version 2: its state map holds the heads
// the service reports for every leaf queued when it was made.
type v2Anchor struct {
	*logAnchor
	state *vmap.Tree
}

func newV2Anchor(t testing.TB, s *Service) *v2Anchor {
	t.Helper()
	la := newLogAnchor(t, s)
	leaves, err := s.LeafHashes(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	heads, err := s.Heads(0, len(leaves), 1)
	if err != nil {
		t.Fatal(err)
	}
	m := vmap.New()
	for _, h := range heads {
		m = m.Set(h.Key, h.Value)
	}
	return &v2Anchor{la, m}
}

func (a *v2Anchor) Checkpoint(ctx context.Context) (*receipt.Checkpoint, error) {
	cp, err := a.logAnchor.Checkpoint(ctx)
	if err == nil {
		r := a.state.Root()
		cp.StateRoot = hex.EncodeToString(r[:])
	}
	return cp, err
}

func (a *v2Anchor) ProveState(key [32]byte, _ int64) (*anchor.StateProof, error) {
	p, err := a.state.Prove(key)
	if err != nil {
		return nil, err
	}
	sp := &anchor.StateProof{Root: a.state.Root(), Siblings: p.Siblings, Found: p.Value != nil}
	if p.Value != nil {
		sp.Value = *p.Value
	}
	return sp, nil
}

func TestHeadsAndBoundedReceipt(t *testing.T) {
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

	prover := NewProver(s, newV2Anchor(t, s))
	r, err := prover.Receipt(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != receipt.Version2 || len(r.Events) != MaxReceiptEvents {
		t.Fatalf("receipt version %d with %d events; want 2 with %d", r.Version, len(r.Events), MaxReceiptEvents)
	}
	head, err := custody.DecodeHead([]byte(r.Custody.Head))
	if err != nil || head.Count != reads+1 || head.Types["downloaded"] != reads/50 {
		t.Fatalf("head = %+v, %v", head, err)
	}
	root, _ := hex.DecodeString(head.Root)
	seen := map[string]int{}
	for i, ae := range r.Events {
		e, err := custody.Decode([]byte(ae.Event))
		if err != nil {
			t.Fatal(err)
		}
		seen[e.Type]++
		if i == 0 && e.Seq != 0 {
			t.Errorf("first listed event has seq %d, want the created event", e.Seq)
		}
		path := make([][]byte, len(ae.ItemProof))
		for j, p := range ae.ItemProof {
			path[j], _ = hex.DecodeString(p)
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(e.Seq), uint64(head.Count), rfc6962.DefaultHasher.HashLeaf([]byte(ae.Event)), path, root); err != nil {
			t.Fatalf("event seq %d: item proof: %v", e.Seq, err)
		}
	}
	// Every material event (the created one and the downloads) is listed;
	// reads fill the rest, newest first.
	if seen["downloaded"] != reads/50 || seen["created"] != 1 {
		t.Errorf("listed by type = %v; want every download and the created event", seen)
	}
	placeholder := "cGxhY2Vob2xkZXI=" // the fake has no signed header
	r.Checkpoint.ChainID, r.Checkpoint.SignedHeader, r.Checkpoint.ValidatorSet = "test-chain", placeholder, placeholder
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 1<<20 {
		t.Errorf("receipt of %d bytes, over 1 MiB", len(b))
	}
	if sum := sha256.Sum256([]byte(r.Custody.Head)); byKey[custody.HeadKey(rec.ID)].Value != sum {
		t.Errorf("the receipt's head is not the one the batch registered")
	}
	t.Logf("receipt of an item with %d events: %d events listed, %d bytes", head.Count, len(r.Events), len(b))

	// A page: seq 0 and [10, 15).
	p, err := prover.ReceiptWith(ctx, rec.ID, ReceiptOptions{From: 10, Limit: 5})
	if err != nil || len(p.Events) != 6 || p.Events[1].ItemProof == nil {
		t.Fatalf("page = %v events, %v", len(p.Events), err)
	}
	// A small item lists all its events, with no item proofs.
	o, err := prover.Receipt(ctx, other.ID)
	if err != nil || len(o.Events) != 1 || o.Events[0].ItemProof != nil {
		t.Fatalf("receipt of a one-event item: %+v, %v", o, err)
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

// BenchmarkReceiptReaders measures the owner's receipt after 100,000 reads
// by 100 organizations (docs/receipt.md §6.2 states the bound): its size
// and the time to build it, beside the receipt of an item with one event
// built in the same run. make bench prints it (scripts/bench.sh).
func BenchmarkReceiptReaders(b *testing.B) {
	const orgs, perOrg = 100, 1000
	ctx := context.Background()
	// The service's clock: the reads happen now; the folds close when
	// the sweeper runs after their window, as a node's sweeper does.
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	db, err := bolt.Open(filepath.Join(b.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s, err := New(ctx, Config{DB: db, Blobs: newMemBlobs(), TSA: fakeTSA{}, Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	if err != nil {
		b.Fatal(err)
	}
	rec, err := ingest(b, s, "read by a hundred courts")
	if err != nil {
		b.Fatal(err)
	}
	lone, err := ingest(b, s, "read by nobody")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, orgs)
	for o := 0; o < orgs; o++ {
		wg.Add(1)
		go func(o int) {
			defer wg.Done()
			for i := 0; i < perOrg; i++ {
				if _, _, err := s.Access(ctx, rec.ID, fmt.Sprintf("org%03d:examiner", o), custody.EventViewed, "content"); err != nil {
					errs <- err
					return
				}
			}
		}(o)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	clock.Add(int64(DefaultReadFoldWindow + time.Minute))
	if _, err := s.SweepReadFolds(ctx); err != nil {
		b.Fatal(err)
	}
	prover := NewProver(s, newV2Anchor(b, s))
	build := func(id string) (time.Duration, int, int) {
		var best time.Duration
		var size, events int
		for i := 0; i < 5; i++ {
			start := time.Now()
			r, err := prover.Receipt(ctx, id)
			if err != nil {
				b.Fatal(err)
			}
			d := time.Since(start)
			placeholder := "cGxhY2Vob2xkZXI="
			r.Checkpoint.ChainID, r.Checkpoint.SignedHeader, r.Checkpoint.ValidatorSet = "bench-chain", placeholder, placeholder
			enc, err := r.Encode()
			if err != nil {
				b.Fatal(err)
			}
			if i == 0 || d < best {
				best = d
			}
			size, events = len(enc), len(r.Events)
		}
		return best, size, events
	}
	d, size, events := build(rec.ID)
	base, baseSize, _ := build(lone.ID)
	head, _ := s.Custody(ctx, rec.ID)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(d.Microseconds())/1000, "build-ms")
	b.ReportMetric(float64(size)/1024, "KiB")
	b.ReportMetric(float64(events), "listed")
	b.ReportMetric(float64(len(head)), "events")
	b.ReportMetric(float64(base.Microseconds())/1000, "one-event-build-ms")
	b.ReportMetric(float64(baseSize)/1024, "one-event-KiB")
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		var l1 float64
		fmt.Sscan(string(la), &l1)
		b.ReportMetric(l1, "load1")
	}
}
