package records

import (
	"context"
	"crypto"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/ers"
	"github.com/custos-project/custos/evidence"
)

// RFC 4998 evidence records of final items (docs/evidence-records.md).
//
// A batch is one ers.Build over the SHA-256 hashes of up to Config.Batch
// final items, with one time-stamp from the built-in TSA. The store keeps
// the batch's token once and, per item, its reduced hash tree and batch
// number; EvidenceRecord assembles the DER EvidenceRecord when it is
// asked. Records are built behind finality, by RunBuilds, never in
// MarkFinal's transaction: finality does not wait on the TSA, nor fails
// with it.
var (
	bERSBatch = []byte("ersbatch") // batch(8) → DER TimeStampToken (ContentInfo) over the batch's root
	bERSItem  = []byte("ersitem")  // seq(8) → batch(8) ‖ DER SEQUENCE OF PartialHashtree (ers.EncodeTree; nothing in a batch of one)
	bERSNext  = []byte("ersnext")  // "next" → seq(8): every record below it has its evidence record, or is in ersskip (skipped.go)
)

var ersBuckets = [][]byte{bERSBatch, bERSItem, bERSNext, bERSSkip}

var keyNext = []byte("next")

// DefaultBatch is the default number of items one evidence record
// time-stamp covers at most.
const DefaultBatch = 10_000

// ersHash is the hash of the items' evidence records: the SHA-256 of
// their bytes, as in their records.
const ersHash = crypto.SHA256

// ersStampTimeout bounds the built-in TSA's answer for one batch.
const ersStampTimeout = time.Minute

// EvidenceRecord returns the DER RFC 4998 EvidenceRecord of item id: its
// reduced hash tree and its batch's time-stamp, with every renewal made
// since (chains.go): a time-stamp renewal appends to a chain, a
// hash-tree renewal starts a new one. It is evidence.ErrRecordPending
// while the item has none yet (it is not final, or RunBuilds has not
// reached it), evidence.ErrNotFound for an unknown item. It records no
// access: the caller does (api).
func (k *Keeper) EvidenceRecord(ctx context.Context, id string) ([]byte, error) {
	if !evidence.ValidID(id) {
		return nil, evidence.ErrNotFound
	}
	var rec *ers.Record
	err := k.ev.View(func(tx *bolt.Tx) error {
		seq, ok := evidence.ItemSeq(tx, id)
		if !ok {
			return evidence.ErrNotFound
		}
		var err error
		rec, err = loadEvidenceRecord(tx, seq)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rec.Encode(), nil
}

// RunBuilds builds the evidence records of final items until ctx ends: at
// once, then whenever items become final (evidence.Service.Finalized:
// MarkFinal wakes it) and every interval, so that it resumes after a crash
// and retries after a TSA outage. Each pass builds batches until no final
// item is left without a record. A failed batch is logged and retried at
// the next wake.
func (k *Keeper) RunBuilds(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := k.Build(ctx); err != nil && ctx.Err() == nil {
			k.ev.Log().Error("evidence records: batch failed; retried later", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-k.ev.Finalized():
		}
	}
}

// Build builds batches of evidence records for the final items that have
// none, in the order they were filed, until none is left, and returns how
// many items got one. It is idempotent: an item that has
// a record is never given another, and a crash between finality and the
// build (or during it) leaves the items to the next call. Passes are
// serialized. An item whose stored record does not decode is skipped and
// remembered; each call retries the items skipped before (skipped.go).
func (k *Keeper) Build(ctx context.Context) (int, error) {
	k.buildMu.Lock()
	defer k.buildMu.Unlock()
	total := 0
	for {
		todo, err := k.ersTodo()
		if err != nil {
			return total, err
		}
		if len(todo.bad) > 0 {
			k.ev.Log().Error("evidence records: records that do not decode get none until they are repaired; run custos fsck", "seqs", todo.bad[:min(len(todo.bad), 10)], "items", len(todo.bad))
		}
		if len(todo.seqs) == 0 {
			if todo.next != todo.from || len(todo.retried) > 0 {
				now := k.ev.Now()
				err = k.ev.Update(func(tx *bolt.Tx) error {
					if err := putSkipped(tx, todo, now); err != nil {
						return err
					}
					return tx.Bucket(bERSNext).Put(keyNext, u64(todo.next))
				})
			}
			return total, err
		}
		if err := k.buildBatch(ctx, todo); err != nil {
			return total, err
		}
		total += len(todo.seqs)
	}
}

// ersBatch is the items of one batch to build: their sequences, IDs and
// SHA-256 hashes, and where the next scan starts once they are stored.
type ersBatch struct {
	from, next uint64
	seqs       []uint64
	ids        []string
	hashes     [][]byte
	bad        []uint64 // final records passed over: their JSON does not decode (they go to ersskip)
	retried    []uint64 // items skipped before that leave ersskip: in seqs, or with a record already
}

// ersTodo retries the items skipped before (retrySkipped), then scans the
// final records from the cursor (evidence.FinalRecords) for items without
// an evidence record, up to the batch size. The scan stops at the first
// item that is not final yet: the next scan starts there. Otherwise it
// starts after the last record scanned.
func (k *Keeper) ersTodo() (*ersBatch, error) {
	b := &ersBatch{}
	max := k.cfg.Batch
	err := k.ev.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bERSNext).Get(keyNext); len(v) == 8 {
			b.from = u64val(v)
		}
		b.next = b.from
		if retrySkipped(tx, b, max); len(b.seqs) >= max {
			return nil
		}
		items := tx.Bucket(bERSItem)
		b.next = evidence.FinalRecords(tx, b.from, func(seq uint64, v []byte) bool {
			if items.Get(u64(seq)) != nil {
				return true
			}
			if id, sum, ok := k.ev.RecentRecord(seq); ok { // filed lately: no need to decode its JSON
				b.seqs, b.ids, b.hashes = append(b.seqs, seq), append(b.ids, id), append(b.hashes, sum[:])
				return len(b.seqs) < max
			}
			id, h, ok := finalHash(v)
			if !ok { // a damaged record (custos fsck finds it) must not hold back the others
				b.bad = append(b.bad, seq)
				return true
			}
			b.seqs, b.ids, b.hashes = append(b.seqs, seq), append(b.ids, id), append(b.hashes, h)
			return len(b.seqs) < max
		})
		return nil
	})
	return b, err
}

// buildBatch time-stamps one batch with the built-in TSA and stores its
// token, each item's tree and the next cursor in one transaction.
func (k *Keeper) buildBatch(ctx context.Context, b *ersBatch) error {
	sctx, cancel := context.WithTimeout(ctx, ersStampTimeout)
	defer cancel()
	batch, err := ers.Build(sctx, ersHash, b.hashes, k.ersStamper)
	if err != nil {
		return fmt.Errorf("%d items from %s: %w", len(b.seqs), b.ids[0], err)
	}
	// In the group commit, with the uploads of the moment: the batch's
	// writes share their transaction's page writes and fdatasyncs instead
	// of a commit of their own. The function may run more than once
	// (evidence.Service.Update): num is set afresh on every run.
	var num uint64
	now := k.ev.Now()
	err = k.ev.Update(func(tx *bolt.Tx) error {
		var err error
		if num, err = putBatch(tx, batch.Token()); err != nil {
			return err
		}
		if err := putSkipped(tx, b, now); err != nil {
			return err
		}
		items := sequential(tx.Bucket(bERSItem))
		for i, seq := range b.seqs {
			if items.Get(u64(seq)) != nil {
				return fmt.Errorf("evidence: record %d already has an evidence record", seq) // passes are serialized
			}
			v := binary.BigEndian.AppendUint64(nil, num)
			if tree := batch.ArchiveTimeStamp(i).Tree; tree != nil {
				v = append(v, ers.EncodeTree(tree)...)
			}
			if err := items.Put(u64(seq), v); err != nil {
				return err
			}
		}
		return tx.Bucket(bERSNext).Put(keyNext, u64(b.next))
	})
	if err != nil {
		return err
	}
	k.ev.Log().Info("evidence records: batch time-stamped", "batch", num, "items", len(b.seqs),
		"first", b.ids[0], "last", b.ids[len(b.ids)-1], "time", batch.Time().UTC().Format(time.RFC3339))
	if len(b.retried) > 0 {
		k.ev.Log().Info("evidence records: items skipped before get theirs: their records decode again", "batch", num, "seqs", b.retried[:min(len(b.retried), 10)], "items", len(b.retried))
	}
	return nil
}

// putBatch stores token as a new batch's and returns its number.
func putBatch(tx *bolt.Tx, token []byte) (uint64, error) {
	batches := sequential(tx.Bucket(bERSBatch))
	num, err := batches.NextSequence()
	if err != nil {
		return 0, err
	}
	return num, batches.Put(u64(num), token)
}

// ersStamper is the built-in TSA as an ers.Stamper.
func (k *Keeper) ersStamper(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
	tok, err := k.cfg.TSA.Stamp(ctx, h, digest)
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, errors.New("the TSA returned no token")
	}
	return tok.Reply, nil
}

// sequential returns b, a bucket whose keys are written in increasing
// order (a batch or sequence number leads them), set to fill its pages,
// as evidence's own such buckets are (FillPercent is not stored: every
// transaction that writes sets it).
func sequential(b *bolt.Bucket) *bolt.Bucket {
	b.FillPercent = 1.0
	return b
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func u64val(b []byte) uint64 { return binary.BigEndian.Uint64(b) }
