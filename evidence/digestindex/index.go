// Package digestindex is the node's local index of the evidence records
// by SHA-256: which records hold the bytes with a given digest. Lookups by
// digest, a listing filtered by digest and ingest's search for the inline
// bytes of identical content all ask it (Index.Seqs).
//
// It owns two bbolt buckets, sha256 (digest(32) ‖ seq(8) → ∅) and
// sha256upto ("upto" → seq(8)), and reads the records it indexes only
// through its caller's Records: the records are numbered from 1 without
// gaps, in the order they commit, and each states its SHA-256.
//
// The index is written behind the records, in batches, instead of in each
// record's own transaction.
//
// Why. Its keys are digests, so every new record's entry lands in a random
// leaf of the B+tree. In the group commit of a record, that entry cost a
// random leaf and its branch pages: about 8 KiB of bbolt pages per upload,
// rewritten and fsynced, and the CPU to read, grow and spill those nodes
// (BenchmarkSmallIngest: 12-14% of the uploads per second). Written for a
// batch of a few thousand records in one transaction, the entries share
// leaves and, above all, the branch pages on their paths: each branch page
// is written once per batch instead of once per group commit.
//
// How. A record is acknowledged when its group commit is durable, as
// before; its digest goes into the tail, in memory, as that transaction
// commits (Index.Committed, called from bbolt's OnCommit, on the
// committer's goroutine, before the next group is applied and before the
// answer is sent). A flusher (Index.Flush) puts the tail's entries into the
// index in the caller's group commit (Config.Commit), in batches of up to
// flushMax, and moves the watermark (bucket sha256upto, key "upto") in the
// same transaction: every record with seq ≤ upto has its entry. Nothing is
// lost in a crash: the records after upto are read again at start (Open),
// and records are contiguous in seq, so upto names exactly what is
// indexed.
//
// Reading. Seqs answers "which records have this digest" from one bbolt
// snapshot: the index as of the snapshot plus the tail entries that the
// snapshot's index does not have yet. The tail keeps each entry one flush
// longer than needed, so a snapshot a flush old still finds every record
// in the index or the tail; an older one (a long audit) reads the records
// between its watermark and the tail's from the snapshot itself.
package digestindex

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bSHA256     = []byte("sha256")     // digest(32) ‖ seq(8) → ∅
	bSHA256Upto = []byte("sha256upto") // "upto" → seq(8): every record up to seq has its sha256 entry
	keyUpto     = []byte("upto")
)

const (
	// flushMax bounds the entries of one flush transaction.
	flushMax = 4096
	// flushDelay is how long an entry may wait for a fuller batch.
	flushDelay = 250 * time.Millisecond
)

// Records is what the index reads of the records it indexes. Records are
// numbered from 1 without gaps, in the order their transactions commit.
type Records interface {
	// Last returns the highest sequence number given to a record in tx.
	Last(tx *bolt.Tx) uint64
	// Scan calls fn, in order, with the sequence number and SHA-256 of
	// each record of tx numbered from from through upto; err is set, and
	// sum zero, for a record whose digest does not decode.
	Scan(tx *bolt.Tx, from, upto uint64, fn func(seq uint64, sum [32]byte, err error))
}

// Config is what Open needs.
type Config struct {
	// DB is the store of the index and of the records.
	DB *bolt.DB
	// Records reads the records (required).
	Records Records
	// Commit runs fn in a write transaction of DB, the caller's group
	// commit; like a bbolt Batch function, fn may run more than once.
	Commit func(fn func(*bolt.Tx) error) error
	// Log receives the flusher's errors.
	Log *slog.Logger
}

// Index is the SHA-256 index with its tail: the committed records whose
// entry is not yet (or only just) in the index.
type Index struct {
	cfg     Config
	flush   sync.Mutex // one Flush at a time
	mu      sync.Mutex // the fields below
	bySeq   map[uint64][32]byte
	bySum   map[[32]byte][]uint64
	indexed uint64 // the durable watermark: records up to here are in the index
	kept    uint64 // entries above kept are in the maps (kept ≤ indexed)
	last    uint64 // the highest sequence number added
	running bool   // a flusher goroutine is running
}

// Open creates the index's buckets if they do not exist, reads the
// watermark (setting it on a store that predates it, whose records are
// all indexed) and loads the records above it into the tail. A record that
// does not decode is left out (the flusher goes past it, and the audit
// reports it); damaged names them. Call Resume once the caller is ready
// for the flusher to commit.
func Open(cfg Config) (ix *Index, damaged []uint64, err error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	ix = &Index{cfg: cfg, bySeq: map[uint64][32]byte{}, bySum: map[[32]byte][]uint64{}}
	err = cfg.DB.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bSHA256); err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(bSHA256Upto)
		if err != nil {
			return err
		}
		v := b.Get(keyUpto)
		if v == nil {
			ix.indexed = cfg.Records.Last(tx)
			return b.Put(keyUpto, u64(ix.indexed))
		}
		ix.indexed = u64val(v)
		cfg.Records.Scan(tx, ix.indexed+1, math.MaxUint64, func(seq uint64, sum [32]byte, err error) {
			if err != nil {
				damaged = append(damaged, seq)
				return
			}
			ix.addLocked(seq, sum)
		})
		return nil
	})
	ix.kept = ix.indexed
	return ix, damaged, err
}

// Resume starts the flusher if Open read records back into the tail.
func (ix *Index) Resume() {
	ix.mu.Lock()
	start := len(ix.bySeq) > 0 && !ix.running
	if start {
		ix.running = true
	}
	ix.mu.Unlock()
	if start {
		go ix.runFlusher()
	}
}

func (ix *Index) addLocked(seq uint64, sum [32]byte) {
	if _, ok := ix.bySeq[seq]; ok {
		return
	}
	ix.bySeq[seq] = sum
	ix.bySum[sum] = append(ix.bySum[sum], seq)
	ix.last = max(ix.last, seq)
}

// Committed adds a committed record to the tail and makes sure a flusher
// will index it. Call it as the record's transaction commits (bbolt's
// OnCommit), before a later transaction may look for the same digest.
func (ix *Index) Committed(seq uint64, sum [32]byte) {
	ix.mu.Lock()
	if seq <= ix.indexed {
		ix.mu.Unlock()
		return // the flusher found it in the store first, and indexed it
	}
	ix.addLocked(seq, sum)
	start := !ix.running
	ix.running = true
	ix.mu.Unlock()
	if start {
		go ix.runFlusher()
	}
}

// runFlusher flushes the tail until every entry in it is indexed: at once
// while a full batch is waiting, else after flushDelay.
func (ix *Index) runFlusher() {
	for {
		ix.mu.Lock()
		var pending uint64 // records added and not yet indexed past
		if ix.last > ix.indexed {
			pending = ix.last - ix.indexed
		}
		if pending == 0 {
			ix.running = false
			ix.mu.Unlock()
			return
		}
		ix.mu.Unlock()
		if pending < flushMax {
			time.Sleep(flushDelay)
		}
		n, err := ix.Flush()
		switch {
		case errors.Is(err, bolt.ErrDatabaseNotOpen):
			ix.mu.Lock()
			ix.running = false // the node is shutting down; the next start reads the tail back
			ix.mu.Unlock()
			return
		case err != nil:
			ix.cfg.Log.Error("sha256 index", "err", err)
			time.Sleep(time.Second)
		case n == 0:
			time.Sleep(flushDelay) // the next record is not committed yet
		}
	}
}

// Flush puts the tail's next run of contiguous records (up to flushMax)
// into the index, in key order, and moves the watermark. It returns how
// many records it moved the watermark by. The flusher calls it; so may a
// caller that wants the index written now (tests).
func (ix *Index) Flush() (int, error) {
	ix.flush.Lock()
	defer ix.flush.Unlock()
	type entry struct {
		sum [32]byte
		seq uint64
	}
	ix.mu.Lock()
	from := ix.indexed
	upto := from
	var batch []entry
	for seq := from + 1; seq <= from+flushMax; seq++ {
		sum, ok := ix.bySeq[seq]
		if !ok {
			// Not committed yet; or committed an instant ago, its OnCommit
			// not yet run; or committed although the commit reported an
			// error (after its transaction reached the disk), so it was
			// never added. Ask the store.
			ix.mu.Unlock()
			var err error
			sum, ok, err = ix.storedDigest(seq)
			ix.mu.Lock()
			if errors.Is(err, bolt.ErrDatabaseNotOpen) {
				ix.mu.Unlock()
				return 0, err
			}
			if err != nil {
				// A record whose digest does not decode: the audit reports
				// it; the index goes on without it.
				ix.cfg.Log.Error("sha256 index: record skipped", "err", err)
				upto = seq
				continue
			}
			if !ok {
				break
			}
			ix.addLocked(seq, sum)
		}
		batch = append(batch, entry{sum, seq})
		upto = seq
	}
	ix.mu.Unlock()
	if upto == from {
		return 0, nil
	}
	slices.SortFunc(batch, func(a, b entry) int {
		return cmp.Or(bytes.Compare(a.sum[:], b.sum[:]), cmp.Compare(a.seq, b.seq))
	})
	err := ix.cfg.Commit(func(tx *bolt.Tx) error {
		idx := tx.Bucket(bSHA256)
		for _, e := range batch {
			if err := idx.Put(append(e.sum[:len(e.sum):len(e.sum)], u64(e.seq)...), nil); err != nil {
				return err
			}
		}
		w := tx.Bucket(bSHA256Upto)
		if v := w.Get(keyUpto); v != nil && u64val(v) >= upto {
			return nil
		}
		return w.Put(keyUpto, u64(upto))
	})
	if err != nil {
		return 0, err
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	// Drop what the previous flush indexed; keep this flush's entries one
	// more round for snapshots taken before it.
	for seq := ix.kept + 1; seq <= from; seq++ {
		sum, ok := ix.bySeq[seq]
		if !ok {
			continue // a record skipped as undecodable
		}
		delete(ix.bySeq, seq)
		seqs := slices.DeleteFunc(ix.bySum[sum], func(s uint64) bool { return s == seq })
		if len(seqs) == 0 {
			delete(ix.bySum, sum)
		} else {
			ix.bySum[sum] = seqs
		}
	}
	ix.kept, ix.indexed = from, max(ix.indexed, upto)
	return int(upto - from), nil
}

// storedDigest reads the SHA-256 of the committed record seq, if it exists.
func (ix *Index) storedDigest(seq uint64) (sum [32]byte, ok bool, err error) {
	err = ix.cfg.DB.View(func(tx *bolt.Tx) error {
		var derr error
		ix.cfg.Records.Scan(tx, seq, seq, func(_ uint64, d [32]byte, err error) {
			sum, ok, derr = d, err == nil, err
		})
		if derr != nil {
			return fmt.Errorf("record %d: %w", seq, derr)
		}
		return nil
	})
	return sum, ok, err
}

// Seqs returns the sequence numbers of the records with SHA-256 sum in
// the snapshot tx, in ascending order, the committed records whose entry
// the index does not hold yet included.
func (ix *Index) Seqs(tx *bolt.Tx, sum []byte) []uint64 {
	var out []uint64
	c := tx.Bucket(bSHA256).Cursor()
	for k, _ := c.Seek(sum); len(k) == len(sum)+8 && bytes.HasPrefix(k, sum); k, _ = c.Next() {
		out = append(out, u64val(k[len(sum):]))
	}
	if len(sum) != 32 {
		return out
	}
	upto := u64val(tx.Bucket(bSHA256Upto).Get(keyUpto))
	last := ix.cfg.Records.Last(tx)
	ix.mu.Lock()
	for _, seq := range ix.bySum[[32]byte(sum)] {
		if seq > upto && seq <= last {
			out = append(out, seq)
		}
	}
	kept := ix.kept
	ix.mu.Unlock()
	// A snapshot older than the tail's horizon: read the records between
	// its watermark and the tail's from the snapshot.
	if upto < kept {
		ix.cfg.Records.Scan(tx, upto+1, kept, func(seq uint64, d [32]byte, err error) {
			if err == nil && d == [32]byte(sum) {
				out = append(out, seq)
			}
		})
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func u64val(b []byte) uint64 { return binary.BigEndian.Uint64(b) }
