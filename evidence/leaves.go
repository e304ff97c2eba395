package evidence

import (
	"fmt"

	"github.com/transparency-dev/merkle/rfc6962"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
)

// LeafHashes returns the RFC 6962 leaf hashes (§2.1: SHA-256(0x00 ‖ event))
// of up to max queued custody events from local leaf index from. It is the
// anchor batcher's anchor.LeafSource.
func (s *Service) LeafHashes(from uint64, max int) ([][]byte, error) {
	var out [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bLeaves).Cursor()
		for k, v := c.Seek(u64(from)); k != nil && len(out) < max; k, v = c.Next() {
			ev := eventBytes(tx, v)
			if ev == nil {
				return fmt.Errorf("evidence: leaf %d names a missing event", u64val(k))
			}
			out = append(out, rfc6962.DefaultHasher.HashLeaf(ev))
		}
		return nil
	})
	return out, err
}

// MarkFinal records that batches of local leaves are final in the log:
// every record whose created event is among them becomes "anchored". It is
// idempotent (the batcher may report a batch again after a crash). It
// goes through the group commit, so it shares a transaction and its fsync
// with the uploads of the moment instead of holding bbolt's writer lock
// through a commit of its own while they wait; and it marks at most
// markChunk leaves per transaction, so that a large backlog made final at
// once (a node catching up, a chain resuming after an outage) delays the
// uploads of the moment by one chunk, not by the whole backlog.
func (s *Service) MarkFinal(batches []anchor.Batch) error {
	for _, b := range batches {
		end := b.From + uint64(b.Count)
		for from := b.From; from < end; from += markChunk {
			if err := s.markFinal(from, min(end, from+markChunk), b.Height); err != nil {
				return err
			}
		}
	}
	if len(batches) > 0 {
		s.finalWake() // the builder of their evidence records (Finalized)
	}
	return nil
}

// markChunk bounds the leaves one MarkFinal transaction marks.
const markChunk = 2000

// markFinal marks the local leaves [from, to), final at height: each
// record whose created event is among them gets its height in the anchored
// bucket, an append of 16 bytes. The record itself is not rewritten (its
// JSON stays as created, write-once, with the checksum it was given then).
// OnAnchored, when WantAnchored says someone listens, is told of each
// record in the same transaction, so that what it queues (webhook
// deliveries) is committed with the anchoring.
func (s *Service) markFinal(from, to uint64, height int64) error {
	return s.commits.commit(func(tx *bolt.Tx) error {
		recs, anchored := tx.Bucket(bRecords), sequential(tx.Bucket(bAnchHt))
		tell := s.cfg.OnAnchored != nil && (s.cfg.WantAnchored == nil || s.cfg.WantAnchored())
		created := createdLeaves(tx, from, to)
		h := u64(uint64(height)) // every record's value: bbolt keeps it until the commit, unchanged
		for i := from; i < to; i++ {
			if err := s.leafFinal(tx, i, height); err != nil {
				return err
			}
			if len(created) == 0 || created[0].leaf != i {
				continue
			}
			seq := created[0].seq
			created = created[1:]
			k := u64(seq)
			if anchored.Get(k) != nil {
				continue // reported again (after a crash, say)
			}
			if recs.Get(k) == nil {
				return fmt.Errorf("evidence: leaf %d names record %d, which is missing: %w", i, seq, ErrNotFound)
			}
			if err := anchored.Put(k, h); err != nil {
				return err
			}
			if !tell {
				continue
			}
			r, err := getStoredRecord(tx, seq)
			if err != nil {
				return err
			}
			if r.Status == StatusAnchored {
				continue // anchored and announced before the anchored bucket existed
			}
			r.Status, r.AnchoredHeight = StatusAnchored, height
			if err := s.cfg.OnAnchored(tx, r); err != nil {
				return err
			}
		}
		return nil
	})
}

// createdLeaf is a local leaf that is a record's created event: only those
// anchor a record.
type createdLeaf struct{ leaf, seq uint64 }

// createdLeaves returns the created events among the local leaves
// [from, to), in leaf order. One cursor walk reads them before markFinal
// calls its hooks (which may write in tx), instead of a B+tree lookup per
// leaf.
func createdLeaves(tx *bolt.Tx, from, to uint64) []createdLeaf {
	var out []createdLeaf
	c := tx.Bucket(bLeaves).Cursor()
	for k, key := c.Seek(u64(from)); len(k) == 8 && u64val(k) < to; k, key = c.Next() {
		if len(key) == 12 && u32val(key[8:]) == 0 {
			out = append(out, createdLeaf{leaf: u64val(k), seq: u64val(key[:8])})
		}
	}
	return out
}
