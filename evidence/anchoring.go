package evidence

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/evidence/receipt"
)

// Anchor is what the service needs from the anchoring side (anchor.Anchorer).
type Anchor interface {
	// Locate returns the log index of a local leaf, if its batch is in the log.
	Locate(local uint64) (global uint64, ok bool, err error)
	// Checkpoint returns the latest final checkpoint.
	Checkpoint(ctx context.Context) (*receipt.Checkpoint, error)
	// InclusionProof proves leaf index into the tree of the given size.
	InclusionProof(index, size uint64) ([][]byte, error)
	// BlockTime is the time of a committed block.
	BlockTime(ctx context.Context, height int64) (time.Time, error)
}

// ErrNotAnchored means the item's created event is not yet in a final
// checkpoint, so no receipt can be made yet.
var ErrNotAnchored = errors.New("evidence: not anchored yet")

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
		leaves, recs, anchored := tx.Bucket(bLeaves), tx.Bucket(bRecords), sequential(tx.Bucket(bAnchHt))
		tell := s.cfg.OnAnchored != nil && (s.cfg.WantAnchored == nil || s.cfg.WantAnchored())
		for i := from; i < to; i++ {
			if err := markCopyrightAnchored(tx, i, height); err != nil {
				return err
			}
			key := leaves.Get(u64(i))
			if len(key) != 12 || u32val(key[8:]) != 0 { // only created events anchor a record
				continue
			}
			seq := u64val(key[:8])
			if anchored.Get(u64(seq)) != nil {
				continue // reported again (after a crash, say)
			}
			if recs.Get(u64(seq)) == nil {
				return fmt.Errorf("evidence: leaf %d names record %d, which is missing: %w", i, seq, ErrNotFound)
			}
			if err := anchored.Put(u64(seq), u64(uint64(height))); err != nil {
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

// Receipt builds the item's receipt against the latest final checkpoint:
// the digests, tokens, and every custody event that checkpoint covers, each
// with its inclusion proof. ErrNotAnchored if even the created event is not
// covered yet.
func (s *Service) Receipt(ctx context.Context, id string) (*receipt.Receipt, error) {
	if s.cfg.Anchor == nil {
		return nil, ErrNotAnchored
	}
	rec, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	cp, err := s.cfg.Anchor.Checkpoint(ctx)
	if errors.Is(err, anchor.ErrNoCheckpoint) {
		return nil, ErrNotAnchored
	}
	if err != nil {
		return nil, err
	}
	var raws [][]byte
	var locals []uint64
	if err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bEvents).Cursor()
		prefix := u64(rec.Seq)
		for k, v := c.Seek(prefix); k != nil && len(k) == 12 && u64val(k) == rec.Seq; k, v = c.Next() {
			li := tx.Bucket(bEvLeaf).Get(k)
			if len(li) != 8 {
				return fmt.Errorf("evidence: event %x has no leaf index", k)
			}
			raws = append(raws, append([]byte(nil), v...))
			locals = append(locals, u64val(li))
		}
		return nil
	}); err != nil {
		return nil, err
	}
	r := &receipt.Receipt{
		Version:    receipt.Version,
		Evidence:   receipt.Evidence{ID: rec.ID, SHA256: rec.SHA256, SM3: rec.SM3, Size: rec.Size, MediaType: rec.MediaType},
		Checkpoint: *cp,
	}
	for i := range rec.Tokens {
		der, err := s.Token(ctx, rec, i)
		if err != nil {
			return nil, err
		}
		r.Timestamps = append(r.Timestamps, base64.StdEncoding.EncodeToString(der))
	}
	for i, raw := range raws {
		global, ok, err := s.cfg.Anchor.Locate(locals[i])
		if err != nil {
			return nil, err
		}
		if !ok || global >= cp.TreeSize {
			break // this event and the later ones are not in the checkpoint yet
		}
		proof, err := s.cfg.Anchor.InclusionProof(global, cp.TreeSize)
		if err != nil {
			return nil, err
		}
		hexes := make([]string, len(proof))
		for j, p := range proof {
			hexes[j] = fmt.Sprintf("%x", p)
		}
		r.Events = append(r.Events, receipt.AnchoredEvent{Event: string(raw), LeafIndex: global, Proof: hexes})
	}
	if len(r.Events) == 0 {
		return nil, ErrNotAnchored
	}
	return r, nil
}

// Lookup is what the public lookup reveals of a digest: whether and when a
// created event carrying it was first anchored; nothing about its owner.
type Lookup struct {
	SHA256     string    `json:"sha256"`
	Anchored   bool      `json:"anchored"`
	AnchoredAt time.Time `json:"anchored_at,omitzero"` // time of the block that made it final
	Height     int64     `json:"height,omitempty"`
}

// LookupSHA256 answers the public lookup for a hex SHA-256 digest.
func (s *Service) LookupSHA256(ctx context.Context, hexDigest string) (*Lookup, error) {
	out := &Lookup{SHA256: hexDigest}
	sum, err := decodeHex32(hexDigest)
	if err != nil {
		return nil, err
	}
	var first int64
	err = s.db.View(func(tx *bolt.Tx) error {
		for _, seq := range s.digestSeqs(tx, sum) {
			r, err := getRecord(tx, seq)
			if err != nil {
				return err
			}
			if r.Status == StatusAnchored && (first == 0 || r.AnchoredHeight < first) {
				first = r.AnchoredHeight
			}
		}
		return nil
	})
	if err != nil || first == 0 || s.cfg.Anchor == nil {
		return out, err
	}
	t, err := s.anchoredAt(ctx, first)
	if err != nil {
		return nil, err
	}
	out.Anchored, out.Height, out.AnchoredAt = true, first, t
	return out, nil
}

// anchoredAt is the time at which leaves appended at height became final.
// The block that appended them carries the time of the block before
// (CometBFT's header time comes from the previous votes); the next block's
// time, when it made the anchoring final, is the honest one.
func (s *Service) anchoredAt(ctx context.Context, height int64) (time.Time, error) {
	t, err := s.cfg.Anchor.BlockTime(ctx, height+1)
	if err != nil {
		if t, err = s.cfg.Anchor.BlockTime(ctx, height); err != nil {
			return time.Time{}, err
		}
	}
	return t.UTC(), nil
}

// AttachAnchor connects the anchoring side: a, to locate events and build
// receipts, and onLeaves, called whenever custody events are queued. Call it
// once, before serving.
func (s *Service) AttachAnchor(a Anchor, onLeaves func()) {
	s.cfg.Anchor, s.cfg.OnLeaves = a, onLeaves
	if onLeaves != nil {
		onLeaves() // anything queued before the anchor started
	}
}
