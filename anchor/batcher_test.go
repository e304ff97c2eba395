package anchor

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/storage"
)

// countingSource counts how often a batch's leaves are read.
type countingSource struct {
	synthSource
	reads *atomic.Int64
}

func (s countingSource) LeafHashes(from uint64, max int) ([][]byte, error) {
	out, err := s.synthSource.LeafHashes(from, max)
	if len(out) > 0 {
		s.reads.Add(1)
	}
	return out, err
}

// A pending batch is resubmitted with the bytes it was first sent with:
// while the mempool has them, or after it lost them, nothing is read or
// signed again; only bytes that CheckTx refuses make the batch be built
// anew. The chain has two validators and only one runs, so no block ever
// includes the batch. The running one holds a quarter of the power, under
// the third with which CometBFT leaves block sync to make blocks itself,
// so it waits in block sync for a peer for good and cuts no batch at all:
// the steps below are the batcher's work once it takes part in consensus
// (cycle).
func TestBatcherResubmitsSameBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a CometBFT node")
	}
	dir := t.TempDir()
	other, _, err := InitHome(filepath.Join(dir, "absent"))
	if err != nil {
		t.Fatal(err)
	}
	root, org, home, cert := courtHome(t, dir, "custos-resubmit", GenesisValidator{Name: "absent", PubKey: other, Power: 30})
	var dbs [3]*bolt.DB
	for i, name := range []string{"app.db", "anchor.db", "batcher.db"} {
		if dbs[i], err = storage.OpenDB(filepath.Join(home, name)); err != nil {
			t.Fatal(err)
		}
		db := dbs[i]
		t.Cleanup(func() { db.Close() })
	}
	c, err := Start(context.Background(), ChainConfig{Home: home, StateDB: dbs[0], LocalDB: dbs[1], ChainID: "custos-resubmit",
		Root: root.Cert, NodeCert: cert, OrgCA: org.Cert, Source: synthSource{limit: new(atomic.Uint64)}, Moniker: "court",
		TimeoutCommit: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })

	limit, reads := new(atomic.Uint64), new(atomic.Int64)
	limit.Store(10)
	b, err := NewBatcher(BatcherConfig{DB: dbs[2], Node: c.Node, App: c.App, ChainID: "custos-resubmit", NodeCert: cert, OrgCA: org.Cert,
		Source: countingSource{synthSource{node: 1, limit: limit}, reads}, Resubmit: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	mp := c.Node.node.Mempool()
	ctx := context.Background()
	if err := b.step(ctx); err != nil {
		t.Fatal(err)
	}
	if !c.Node.Syncing() || reads.Load() != 0 || mp.Size() != 0 {
		t.Fatalf("a node waiting for block sync (syncing %v): %d reads of the leaves, %d transactions in the mempool; want none", c.Node.Syncing(), reads.Load(), mp.Size())
	}
	if err := b.SubmitHeads(ctx, []HeadUpdate{{Events: 2}}); !errors.Is(err, ErrSyncing) {
		t.Errorf("SubmitHeads while syncing = %v, want ErrSyncing", err)
	}
	if err := b.SubmitDeposits(ctx, []Deposit{{FirstLocal: 0}}); !errors.Is(err, ErrSyncing) {
		t.Errorf("SubmitDeposits while syncing = %v, want ErrSyncing", err)
	}
	step := func() {
		t.Helper()
		time.Sleep(5 * time.Millisecond) // past Resubmit
		if err := b.cycle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	step() // cuts and submits the batch
	if got := reads.Load(); got != 1 || mp.Size() != 1 {
		t.Fatalf("after the first step: %d reads of the leaves, %d transactions in the mempool; want 1, 1", got, mp.Size())
	}
	step()
	step()
	if got := reads.Load(); got != 1 || mp.Size() != 1 {
		t.Errorf("resubmitted while in the mempool: %d reads of the leaves, %d transactions in the mempool; want 1, 1", got, mp.Size())
	}
	mp.Flush() // the mempool and its cache lose it, as after a restart of CometBFT alone
	step()
	if got := reads.Load(); got != 1 || mp.Size() != 1 {
		t.Errorf("resubmitted after the mempool lost it: %d reads, %d transactions in the mempool; want 1, 1", got, mp.Size())
	}
	// Bytes that CheckTx refuses are built anew.
	mp.Flush()
	b.mu.Lock()
	s := b.sent[1]
	s.raw = append([]byte(nil), s.raw...)
	s.raw[len(s.raw)-1] ^= 1 // the signature no longer verifies
	b.sent[1] = s
	b.mu.Unlock()
	step()
	if got := reads.Load(); got != 2 || mp.Size() != 1 {
		t.Errorf("resubmitted after CheckTx refused the kept bytes: %d reads, %d transactions in the mempool; want 2, 1", got, mp.Size())
	}
	if c.Node.Height() != 0 {
		t.Errorf("the chain is at height %d, want 0 (one of two validators)", c.Node.Height())
	}
}

// TestErrorLog: a failure is logged at once, the same one again only a
// minute later (standing for every one in between), another at once.
func TestErrorLog(t *testing.T) {
	var l errorLog
	at := time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)
	for i, c := range []struct {
		msg  string
		secs int
		n    int
		ok   bool
	}{
		{"a", 0, 1, true}, {"a", 1, 0, false}, {"a", 30, 0, false}, {"a", 61, 3, true},
		{"b", 62, 1, true}, {"b", 63, 0, false}, {"a", 64, 2, true},
	} {
		n, ok := l.due(c.msg, at.Add(time.Duration(c.secs)*time.Second))
		if n != c.n || ok != c.ok {
			t.Errorf("failure %d (%s at %ds): due = %d, %v; want %d, %v", i, c.msg, c.secs, n, ok, c.n, c.ok)
		}
	}
}
