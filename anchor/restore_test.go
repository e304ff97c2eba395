package anchor

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/storage"
)

// restoredSource is the leaf queue of a node restored from a backup: the
// leaves before cut are those it had when the backup was taken, the
// leaves from cut on are new uploads, unlike the ones the lost copy filed
// under the same local indexes.
type restoredSource struct {
	before, after synthSource
	cut           uint64
}

func (s restoredSource) pick(from uint64) synthSource {
	if from < s.cut {
		return s.before
	}
	return s.after
}

func (s restoredSource) LeafHashes(from uint64, max int) ([][]byte, error) {
	if from < s.cut {
		max = min(max, int(s.cut-from))
	}
	return s.pick(from).LeafHashes(from, max)
}

func (s restoredSource) Heads(from uint64, count int, minEvents uint64) ([]HeadUpdate, error) {
	return s.pick(from).Heads(from, count, minEvents)
}

func (s restoredSource) Deposits(from uint64, count int) ([]Deposit, error) {
	return s.pick(from).Deposits(from, count)
}

// restoreChain is a one-validator chain for the restore tests: its app,
// a folder, and ways to make a batcher of its node and to run one until
// leaves are final.
type restoreChain struct {
	c   *Chain
	dir string
	new func(db *bolt.DB, src LeafSource) *Batcher
	// final runs b until every leaf below n is in a final batch, and
	// returns the batches.
	final func(b *Batcher, n uint64) map[uint64]Batch
	open  func(name string) *bolt.DB
}

func newRestoreChain(t *testing.T) *restoreChain {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a CometBFT node")
	}
	dir := t.TempDir()
	root, org, home, cert := courtHome(t, dir, "custos-restore")
	open := func(name string) *bolt.DB {
		db, err := storage.OpenDB(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	appDB, localDB := open("app.db"), open("anchor-chain.db")
	c, err := Start(context.Background(), ChainConfig{Home: home, StateDB: appDB, LocalDB: localDB, ChainID: "custos-restore",
		Root: root.Cert, NodeCert: cert, OrgCA: org.Cert, Source: synthSource{limit: new(atomic.Uint64)}, Moniker: "court",
		TimeoutCommit: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })

	ctx := context.Background()
	newBatcher := func(db *bolt.DB, src LeafSource) *Batcher {
		b, err := NewBatcher(BatcherConfig{DB: db, Node: c.Node, App: c.App, ChainID: "custos-restore", NodeCert: cert, OrgCA: org.Cert,
			Source: src, MaxLeaves: 10, Window: time.Millisecond, Resubmit: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// final runs b until every leaf below n is in a final batch, and
	// returns the batches.
	final := func(b *Batcher, n uint64) map[uint64]Batch {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if err := b.step(ctx); err != nil {
				t.Fatal(err)
			}
			got := map[uint64]Batch{}
			done := uint64(0)
			b.cfg.DB.View(func(tx *bolt.Tx) error {
				return tx.Bucket(bBatches).ForEach(func(k, v []byte) error {
					bt, err := decodeBatch(binary.BigEndian.Uint64(k), v)
					if err == nil && bt.Final {
						got[bt.Seq] = *bt
						done = max(done, bt.From+uint64(bt.Count))
					}
					return nil
				})
			})
			if done >= n {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("leaves below %d not final after 60 s: %v", n, got)
			}
		}
	}

	return &restoreChain{c: c, dir: dir, new: newBatcher, final: final, open: open}
}

// TestBatcherAfterRestore: a node whose batch records (anchor.db) come
// back from a backup older than the chain, as after a restore, resumes
// numbering its batches after the last one the chain holds from it: the
// lost copy's batches after the backup are in the log under the numbers
// the backup would give next, and a new batch under one of them would be
// refused as a duplicate and then taken for the lost one (same number,
// same count), its leaves never appended and their receipts not proving
// them. The new uploads' leaves are in the log, where the node says.
func TestBatcherAfterRestore(t *testing.T) {
	rc := newRestoreChain(t)
	c, dir, newBatcher, final, open := rc.c, rc.dir, rc.new, rc.final, rc.open
	batches := open("anchor.db")
	limit := new(atomic.Uint64)
	limit.Store(10)
	lost := newBatcher(batches, synthSource{node: 1, limit: limit})
	final(lost, 10)
	backup := filepath.Join(dir, "anchor-backup.db")
	if err := batches.View(func(tx *bolt.Tx) error { return tx.CopyFile(backup, 0o600) }); err != nil {
		t.Fatal(err)
	}
	limit.Store(30) // the lost copy files 20 more leaves after the backup: batches 2 and 3
	if got := final(lost, 30); len(got) != 3 {
		t.Fatalf("the lost copy's batches: %v, want 3", got)
	}

	// The restore: the backup's batch records, the backup's 10 leaves and
	// 15 new ones from local index 10 on.
	restoredLimit := new(atomic.Uint64)
	restoredLimit.Store(25)
	restored := newBatcher(open("anchor-backup.db"), restoredSource{before: synthSource{node: 1, limit: restoredLimit}, after: synthSource{node: 2, limit: restoredLimit}, cut: 10})
	var told [][2]uint64
	restored.cfg.OnBehind = func(records, log uint64) { told = append(told, [2]uint64{records, log}) }
	got := final(restored, 25)
	if len(told) != 1 || told[0] != [2]uint64{1, 3} {
		t.Errorf("OnBehind told %v, want once: records end at batch 1, the log at 3", told)
	}
	// And a batch of the lost copy's is never taken for one of the
	// restored node's: same number and count, other leaves; other count.
	inc, ok, err := c.App.Applied(restored.member, 2)
	if err != nil || !ok {
		t.Fatalf("the lost copy's batch 2: %v %v", ok, err)
	}
	if err := restored.sameBatch(&Batch{Seq: 2, From: 10, Count: inc.Count}, inc); err == nil || !strings.Contains(err.Error(), "not this node's batch 2") {
		t.Errorf("the lost copy's batch 2 taken for new leaves of the same count: %v", err)
	}
	if err := restored.sameBatch(&Batch{Seq: 2, From: 10, Count: inc.Count - 1}, inc); err == nil || !strings.Contains(err.Error(), "not this node's batch 2") {
		t.Errorf("the lost copy's batch 2 taken for a batch of another count: %v", err)
	}
	if err := lost.sameBatch(&Batch{Seq: 2, From: 10, Count: inc.Count}, inc); err != nil {
		t.Errorf("the lost copy's own batch 2: %v", err)
	}
	for _, bt := range got {
		if bt.From < 10 {
			continue
		}
		if bt.Seq <= 3 {
			t.Errorf("a new batch (leaves %d to %d) numbered %d, which the lost copy's batch holds in the log", bt.From, bt.From+uint64(bt.Count)-1, bt.Seq)
		}
		if err := c.App.View(func(l *Log, tx *bolt.Tx) error {
			for i := range bt.Count {
				leaf, err := l.LeafHash(tx, bt.First+uint64(i))
				if err != nil {
					return err
				}
				if want := synthLeaf(2, bt.From+uint64(i)); !bytes.Equal(leaf, want) {
					return fmt.Errorf("batch %d: log leaf %d is %x, not the new upload's %x", bt.Seq, bt.First+uint64(i), leaf, want)
				}
			}
			return nil
		}); err != nil {
			t.Error(err)
		}
	}
}

// TestBatcherRenumbers: a restored node that cut a batch before its
// state showed the lost copy's batch under the same number (CometBFT
// leaves block sync a block or two before the peers' height, and at once
// on a node with a third of the power) does not take the lost batch for
// its own: the pending batch moves to a number after the log's, is
// submitted again, and its leaves are in the log where the node says.
func TestBatcherRenumbers(t *testing.T) {
	rc := newRestoreChain(t)
	batches := rc.open("anchor.db")
	limit := new(atomic.Uint64)
	limit.Store(10)
	lost := rc.new(batches, synthSource{node: 1, limit: limit})
	rc.final(lost, 10)
	backup := filepath.Join(rc.dir, "anchor-backup.db")
	if err := batches.View(func(tx *bolt.Tx) error { return tx.CopyFile(backup, 0o600) }); err != nil {
		t.Fatal(err)
	}
	// The restored node cuts its batch 2 (new uploads) while the log has
	// no batch 2 yet ...
	restoredLimit := new(atomic.Uint64)
	restoredLimit.Store(20)
	restored := rc.new(rc.open("anchor-backup.db"), restoredSource{before: synthSource{node: 1, limit: restoredLimit}, after: synthSource{node: 2, limit: restoredLimit}, cut: 10})
	bt, _, err := restored.cut()
	if err != nil || bt == nil || bt.Seq != 2 {
		t.Fatalf("the restored node's cut = %+v, %v; want batch 2", bt, err)
	}
	// ... and then the lost copy's batch 2 (its uploads after the backup)
	// reaches the log first.
	limit.Store(20)
	rc.final(lost, 20)
	got := rc.final(restored, 20)
	var mine *Batch
	for _, b := range got {
		if b.From == 10 {
			mine = &b
		}
	}
	if mine == nil || mine.Seq <= 2 {
		t.Fatalf("the restored node's batch of leaves 10 to 19: %+v, want it renumbered after 2 (batches %v)", mine, got)
	}
	if err := rc.c.App.View(func(l *Log, tx *bolt.Tx) error {
		for i := range mine.Count {
			leaf, err := l.LeafHash(tx, mine.First+uint64(i))
			if err != nil {
				return err
			}
			if want := synthLeaf(2, mine.From+uint64(i)); !bytes.Equal(leaf, want) {
				return fmt.Errorf("batch %d: log leaf %d is not the new upload's", mine.Seq, mine.First+uint64(i))
			}
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	if err := restored.cfg.DB.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bBatches).Get(binary.BigEndian.AppendUint64(nil, 2)) != nil || tx.Bucket(bOpen).Get(binary.BigEndian.AppendUint64(nil, 2)) != nil {
			return errors.New("the old number 2 is still recorded")
		}
		if seq := tx.Bucket(bByFrom).Get(binary.BigEndian.AppendUint64(nil, 10)); binary.BigEndian.Uint64(seq) != mine.Seq {
			return fmt.Errorf("byfrom names batch %d for leaf 10, want %d", binary.BigEndian.Uint64(seq), mine.Seq)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}

// TestLastApplied: the highest batch number of a member, under its key
// or a key it ran before a rotation (bGovVal maps both to the member),
// whatever is stored before and after it; 0 for a member with none.
func TestLastApplied(t *testing.T) {
	db, err := storage.OpenDB(filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
	err = db.Update(func(tx *bolt.Tx) error {
		applied, err := tx.CreateBucket(bApplied)
		if err != nil {
			return err
		}
		for member, seqs := range map[byte][]uint64{0x10: {1, 2, 5}, 0x20: {1, 2, 3}, 0x30: {7}, 0x40: {9}} {
			for _, s := range seqs {
				if err := applied.Put(binary.BigEndian.AppendUint64(key(member), s), make([]byte, 20)); err != nil {
					return err
				}
			}
		}
		govval, err := tx.CreateBucket(bGovVal) // 0x30 and 0x40: one member's keys before and after a rotation
		if err != nil {
			return err
		}
		for _, k := range [][]byte{key(0x30), key(0x40)} {
			if err := govval.Put(k, []byte("member-c")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bolt.Tx) error {
		for member, want := range map[byte]uint64{0x10: 5, 0x20: 3, 0x30: 9, 0x40: 9, 0x05: 0, 0x25: 0, 0x50: 0} {
			if got := lastApplied(tx, key(member)); got != want {
				t.Errorf("lastApplied(%x…) = %d, want %d", member, got, want)
			}
		}
		return nil
	})
}
