package evidence

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The SHA-256 index (bucket sha256: digest ‖ seq → ∅) is written behind the
// records, in batches, instead of in each record's own transaction.
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
// before; its digest goes into digestTail, in memory, as that transaction
// commits (bbolt's OnCommit, on the committer's goroutine, before the next
// group is applied and before the answer is sent). A flusher (flushDigests) puts the tail's entries into the
// index in the group commit, in batches of up to flushMax, and moves the
// watermark (bucket sha256upto, key "upto") in the same transaction: every
// record with seq ≤ upto has its entry. Nothing is lost in a crash: the
// records after upto are read again at start (openDigestTail), and records
// are contiguous in seq, so upto names exactly what is indexed.
//
// Reading. digestSeqs answers "which records have this digest" from one
// bbolt snapshot: the index as of the snapshot plus the tail entries that
// the snapshot's index does not have yet. The tail keeps each entry one
// flush longer than needed, so a snapshot a flush old still finds every
// record in the index or the tail; an older one (a long audit) reads the
// records between its watermark and the tail's from the snapshot itself.
var (
	bSHA256Upto = []byte("sha256upto") // "upto" → seq(8): every record up to seq has its sha256 entry
	keyUpto     = []byte("upto")
)

const (
	// flushMax bounds the entries of one flush transaction.
	flushMax = 4096
	// flushDelay is how long an entry may wait for a fuller batch.
	flushDelay = 250 * time.Millisecond
)

// digestTail is the set of committed records whose SHA-256 entry is not yet
// (or only just) in the index.
type digestTail struct {
	flush   sync.Mutex // one flushDigests at a time
	mu      sync.Mutex // the fields below
	bySeq   map[uint64][32]byte
	bySum   map[[32]byte][]uint64
	indexed uint64 // the durable watermark: records up to here are in the index
	kept    uint64 // entries above kept are in the maps (kept ≤ indexed)
	last    uint64 // the highest sequence number added
	running bool   // a flusher goroutine is running
}

// openDigestTail reads the watermark (setting it on a store that predates
// it, whose records are all indexed) and loads the records above it. A
// record that does not decode is left out (the flusher goes past it, and
// the audit reports it); damaged names them.
func openDigestTail(db *bolt.DB) (t *digestTail, damaged []uint64, err error) {
	t = &digestTail{bySeq: map[uint64][32]byte{}, bySum: map[[32]byte][]uint64{}}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bSHA256Upto)
		v := b.Get(keyUpto)
		if v == nil {
			t.indexed = tx.Bucket(bRecords).Sequence()
			return b.Put(keyUpto, u64(t.indexed))
		}
		t.indexed = u64val(v)
		c := tx.Bucket(bRecords).Cursor()
		for k, v := c.Seek(u64(t.indexed + 1)); k != nil; k, v = c.Next() {
			sum, err := recordDigest(v)
			if err != nil {
				damaged = append(damaged, u64val(k))
				continue
			}
			t.addLocked(u64val(k), sum)
		}
		return nil
	})
	t.kept = t.indexed
	return t, damaged, err
}

// recordDigest decodes the SHA-256 of a record's JSON.
func recordDigest(val []byte) ([32]byte, error) {
	var r struct {
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal(val, &r); err != nil {
		return [32]byte{}, err
	}
	sum, err := decodeHex32(r.SHA256)
	if err != nil {
		return [32]byte{}, err
	}
	return [32]byte(sum), nil
}

func (t *digestTail) addLocked(seq uint64, sum [32]byte) {
	if _, ok := t.bySeq[seq]; ok {
		return
	}
	t.bySeq[seq] = sum
	t.bySum[sum] = append(t.bySum[sum], seq)
	t.last = max(t.last, seq)
}

// digestCommitted adds a committed record to the tail and makes sure a
// flusher will index it.
func (s *Service) digestCommitted(seq uint64, sum [32]byte) {
	t := s.digests
	t.mu.Lock()
	if seq <= t.indexed {
		t.mu.Unlock()
		return // the flusher found it in the store first, and indexed it
	}
	t.addLocked(seq, sum)
	start := !t.running
	t.running = true
	t.mu.Unlock()
	if start {
		go s.runDigestFlusher()
	}
}

// runDigestFlusher flushes the tail until every entry in it is indexed:
// at once while a full batch is waiting, else after flushDelay.
func (s *Service) runDigestFlusher() {
	t := s.digests
	for {
		t.mu.Lock()
		var pending uint64 // records added and not yet indexed past
		if t.last > t.indexed {
			pending = t.last - t.indexed
		}
		if pending == 0 {
			t.running = false
			t.mu.Unlock()
			return
		}
		t.mu.Unlock()
		if pending < flushMax {
			time.Sleep(flushDelay)
		}
		n, err := s.flushDigests()
		switch {
		case errors.Is(err, bolt.ErrDatabaseNotOpen):
			t.mu.Lock()
			t.running = false // the node is shutting down; the next start reads the tail back
			t.mu.Unlock()
			return
		case err != nil:
			s.log.Error("sha256 index", "err", err)
			time.Sleep(time.Second)
		case n == 0:
			time.Sleep(flushDelay) // the next record is not committed yet
		}
	}
}

// flushDigests puts the tail's next run of contiguous records (up to
// flushMax) into the index, in key order, and moves the watermark. It
// returns how many records it moved the watermark by.
func (s *Service) flushDigests() (int, error) {
	t := s.digests
	t.flush.Lock()
	defer t.flush.Unlock()
	type entry struct {
		sum [32]byte
		seq uint64
	}
	t.mu.Lock()
	from := t.indexed
	upto := from
	var batch []entry
	for seq := from + 1; seq <= from+flushMax; seq++ {
		sum, ok := t.bySeq[seq]
		if !ok {
			// Not committed yet; or committed an instant ago, its OnCommit
			// not yet run; or committed although the commit reported an
			// error (after its transaction reached the disk), so it was
			// never added. Ask the store.
			t.mu.Unlock()
			var err error
			sum, ok, err = s.storedDigest(seq)
			t.mu.Lock()
			if errors.Is(err, bolt.ErrDatabaseNotOpen) {
				t.mu.Unlock()
				return 0, err
			}
			if err != nil {
				// A record whose JSON does not decode: the audit reports
				// it; the index goes on without it.
				s.log.Error("sha256 index: record skipped", "err", err)
				upto = seq
				continue
			}
			if !ok {
				break
			}
			t.addLocked(seq, sum)
		}
		batch = append(batch, entry{sum, seq})
		upto = seq
	}
	t.mu.Unlock()
	if upto == from {
		return 0, nil
	}
	slices.SortFunc(batch, func(a, b entry) int {
		return cmp.Or(bytes.Compare(a.sum[:], b.sum[:]), cmp.Compare(a.seq, b.seq))
	})
	err := s.commits.commit(func(tx *bolt.Tx) error {
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
	t.mu.Lock()
	defer t.mu.Unlock()
	// Drop what the previous flush indexed; keep this flush's entries one
	// more round for snapshots taken before it.
	for seq := t.kept + 1; seq <= from; seq++ {
		sum, ok := t.bySeq[seq]
		if !ok {
			continue // a record skipped as undecodable
		}
		delete(t.bySeq, seq)
		seqs := slices.DeleteFunc(t.bySum[sum], func(s uint64) bool { return s == seq })
		if len(seqs) == 0 {
			delete(t.bySum, sum)
		} else {
			t.bySum[sum] = seqs
		}
	}
	t.kept, t.indexed = from, max(t.indexed, upto)
	return int(upto - from), nil
}

// storedDigest reads the SHA-256 of the committed record seq, if it exists.
func (s *Service) storedDigest(seq uint64) (sum [32]byte, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bRecords).Get(u64(seq))
		if v == nil {
			return nil
		}
		sum, err = recordDigest(v)
		if err != nil {
			return fmt.Errorf("record %d: %w", seq, err)
		}
		ok = true
		return nil
	})
	return sum, ok, err
}

// digestSeqs returns the sequence numbers of the records with SHA-256 sum
// in the snapshot tx, in ascending order.
func (s *Service) digestSeqs(tx *bolt.Tx, sum []byte) []uint64 {
	var out []uint64
	c := tx.Bucket(bSHA256).Cursor()
	for k, _ := c.Seek(sum); len(k) == len(sum)+8 && bytes.HasPrefix(k, sum); k, _ = c.Next() {
		out = append(out, u64val(k[len(sum):]))
	}
	if len(sum) != 32 {
		return out
	}
	upto := u64val(tx.Bucket(bSHA256Upto).Get(keyUpto))
	last := tx.Bucket(bRecords).Sequence()
	t := s.digests
	t.mu.Lock()
	for _, seq := range t.bySum[[32]byte(sum)] {
		if seq > upto && seq <= last {
			out = append(out, seq)
		}
	}
	kept := t.kept
	t.mu.Unlock()
	// A snapshot older than the tail's horizon: read the records between
	// its watermark and the tail's from the snapshot.
	if upto < kept {
		c := tx.Bucket(bRecords).Cursor()
		for k, v := c.Seek(u64(upto + 1)); k != nil && u64val(k) <= kept; k, v = c.Next() {
			if d, err := recordDigest(v); err == nil && d == [32]byte(sum) {
				out = append(out, u64val(k))
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
