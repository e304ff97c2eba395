package proofs_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/anchor/vmap"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/evidence/proofs"
	"github.com/custos-project/custos/receipt"
)

// v2Anchor is evidencetest.LogAnchor at state version 2: its state map
// holds the heads the service reports for every leaf queued when it was
// made.
type v2Anchor struct {
	*evidencetest.LogAnchor
	state *vmap.Tree
}

func newV2Anchor(t testing.TB, s *evidence.Service) *v2Anchor {
	t.Helper()
	la := evidencetest.NewLogAnchor(t, s)
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
	cp, err := a.LogAnchor.Checkpoint(ctx)
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

// TestBoundedReceipt checks the receipt of an item with a long custody
// chain (evidence's TestHeads checks the heads it is proven against): at
// most MaxReceiptEvents events, each proven in the head's event tree, the
// material ones first; a page of the history; and a one-event item's
// receipt, which lists its event without an item proof.
func TestBoundedReceipt(t *testing.T) {
	ctx := context.Background()
	// Every read an event: a long chain (evidence/readfold.go).
	s := evidencetest.New(t, evidence.Config{Blobs: evidencetest.NewBlobs(), ReadFoldWindow: -1})
	rec := evidencetest.File(t, s, "tester", "many readers")
	other := evidencetest.File(t, s, "tester", "another item")
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
	a := newV2Anchor(t, s)
	prover := proofs.New(s, a)
	r, err := prover.Receipt(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != receipt.Version2 || len(r.Events) != proofs.MaxReceiptEvents {
		t.Fatalf("receipt version %d with %d events; want 2 with %d", r.Version, len(r.Events), proofs.MaxReceiptEvents)
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
	registered, err := a.ProveState(custody.HeadKey(rec.ID), r.Checkpoint.Height)
	if err != nil || !registered.Found || registered.Value != sha256.Sum256([]byte(r.Custody.Head)) {
		t.Errorf("the receipt's head is not the one the batch registered (%v)", err)
	}
	t.Logf("receipt of an item with %d events: %d events listed, %d bytes", head.Count, len(r.Events), len(b))

	// A page: seq 0 and [10, 15).
	p, err := prover.ReceiptWith(ctx, rec.ID, proofs.ReceiptOptions{From: 10, Limit: 5})
	if err != nil || len(p.Events) != 6 || p.Events[1].ItemProof == nil {
		t.Fatalf("page = %v events, %v", len(p.Events), err)
	}
	// A small item lists all its events, with no item proofs.
	o, err := prover.Receipt(ctx, other.ID)
	if err != nil || len(o.Events) != 1 || o.Events[0].ItemProof != nil {
		t.Fatalf("receipt of a one-event item: %+v, %v", o, err)
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
	s := evidencetest.New(b, evidence.Config{Blobs: evidencetest.NewBlobs(), Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	rec := evidencetest.File(b, s, "tester", "read by a hundred courts")
	lone := evidencetest.File(b, s, "tester", "read by nobody")
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
	clock.Add(int64(evidence.DefaultReadFoldWindow + time.Minute))
	if _, err := s.SweepReadFolds(ctx); err != nil {
		b.Fatal(err)
	}
	prover := proofs.New(s, newV2Anchor(b, s))
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

// noCheckpoint is a chain too young to have a checkpoint.
type noCheckpoint struct{ *evidencetest.LogAnchor }

func (noCheckpoint) Checkpoint(context.Context) (*receipt.Checkpoint, error) {
	return nil, anchor.ErrNoCheckpoint
}

// TestReceiptNoCheckpoint: a chain with no checkpoint yet gives
// ErrNotAnchored, the one error certify and the API's receipt wait look
// for (neither imports anchor for its ErrNoCheckpoint).
func TestReceiptNoCheckpoint(t *testing.T) {
	s := evidencetest.New(t, evidence.Config{Blobs: evidencetest.NewBlobs()})
	rec := evidencetest.File(t, s, "tester", "young chain")
	_, err := proofs.New(s, noCheckpoint{evidencetest.NewLogAnchor(t, s)}).Receipt(context.Background(), rec.ID)
	if !errors.Is(err, proofs.ErrNotAnchored) {
		t.Fatalf("Receipt = %v, want ErrNotAnchored", err)
	}
}

// missingBlocks is a chain that does not hold the blocks yet, as a node
// still fetching the ones it missed.
type missingBlocks struct{ *evidencetest.LogAnchor }

func (missingBlocks) BlockTime(_ context.Context, height int64) (time.Time, error) {
	return time.Time{}, fmt.Errorf("anchor: no block at height %d", height)
}

// TestLookupWithoutBlock: an item this node recorded as anchored at a
// height whose block it does not hold yet (catching up after a restore) is
// looked up as anchored at that height, without a time, not as an error.
func TestLookupWithoutBlock(t *testing.T) {
	s := evidencetest.New(t, evidence.Config{Blobs: evidencetest.NewBlobs()})
	rec := evidencetest.File(t, s, "tester", "anchored before the restore")
	if err := s.MarkFinal([]anchor.Batch{{From: 0, Count: 1, Height: 7, Final: true}}); err != nil {
		t.Fatal(err)
	}
	got, err := proofs.New(s, missingBlocks{evidencetest.NewLogAnchor(t, s)}).LookupSHA256(context.Background(), rec.SHA256, "tester")
	if err != nil || !got.Anchored || got.Height != 7 || !got.AnchoredAt.IsZero() {
		t.Fatalf("LookupSHA256 = %+v, %v; want anchored at height 7 without a time", got, err)
	}
}
