package records

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
)

// Items skipped by a pass. A final record whose stored JSON does not
// decode (damage that custos fsck reports) cannot hold back the items
// filed after it, so the cursor (ersnext) moves past it; but it must not
// be forgotten either, or the item would never get its evidence record once
// its record is repaired (restored from a backup). So the pass that moves
// the cursor past it remembers it in ersskip, in the same transaction,
// and every later pass first retries the items remembered there: one whose
// record decodes again joins the batch, and leaves ersskip in the batch's
// transaction. RenewalStatus reports the items still skipped.
var bERSSkip = []byte("ersskip") // seq(8) → skipV1 ‖ unix nanoseconds(8) of the pass that first skipped it

// skipV1 is the version of an ersskip value.
const skipV1 = 1

// maxSkippedNames bounds the items RenewalStatus names.
const maxSkippedNames = 100

// Skipped are the final items that have no evidence record because their
// stored record did not decode when a pass reached them. Every pass
// retries them; each gets its record once its stored record decodes again.
type Skipped struct {
	Items int `json:"items"`
	// Names names the first maxSkippedNames (100) of them, in the order
	// they were filed: the evidence ID of the item's created event, or
	// "record:<seq>" (as custos fsck names them).
	Names []string `json:"names"`
	// Since is when the pass that skipped the first of them ran.
	Since time.Time `json:"since"`
}

// addSkippedBefore fills ersskip when it is created in a store whose
// passes ran before it existed: those passes moved the cursor past the
// items whose record did not decode and kept them nowhere. Every item
// below the cursor was final when a pass passed it, so the items below
// it without an evidence record are exactly those; they are added, at
// now, for the next pass to retry. It runs once, before the bucket is
// created (New); a store without a cursor has none.
func addSkippedBefore(ev *evidence.Service, now time.Time) error {
	var seqs []uint64
	err := ev.View(func(tx *bolt.Tx) error {
		next := tx.Bucket(bERSNext)
		if tx.Bucket(bERSSkip) != nil || next == nil || len(next.Get(keyNext)) != 8 {
			return nil
		}
		cursor, items := u64val(next.Get(keyNext)), tx.Bucket(bERSItem)
		evidence.StoredRecords(tx, 0, func(seq uint64, _ []byte) bool {
			if seq >= cursor {
				return false
			}
			if items.Get(u64(seq)) == nil {
				seqs = append(seqs, seq)
			}
			return true
		})
		return nil
	})
	if err != nil || len(seqs) == 0 {
		return err
	}
	ev.Log().Warn("evidence records: items passed over before this version get theirs once their records are repaired", "seqs", seqs[:min(len(seqs), 10)], "items", len(seqs))
	return ev.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bERSSkip); err != nil {
			return err
		}
		return putSkipped(tx, &ersBatch{bad: seqs}, now)
	})
}

// finalHash returns the ID and SHA-256 of the final record whose stored
// JSON is v, ok false if it does not decode.
func finalHash(v []byte) (id string, sum []byte, ok bool) {
	var r struct{ ID, SHA256 string } // of the record's JSON, only what a batch needs
	if v == nil || json.Unmarshal(v, &r) != nil {
		return "", nil, false
	}
	sum, err := evidence.DecodeDigest(r.SHA256)
	return r.ID, sum, err == nil
}

// retrySkipped adds to b, up to max items, the skipped items whose stored
// record decodes now, and notes in b.retried every skipped item that
// leaves ersskip with b's transaction (those and any that has a record).
func retrySkipped(tx *bolt.Tx, b *ersBatch, max int) {
	items := tx.Bucket(bERSItem)
	c := tx.Bucket(bERSSkip).Cursor()
	for k, _ := c.First(); k != nil && len(b.seqs) < max; k, _ = c.Next() {
		seq := u64val(k)
		if items.Get(k) != nil {
			b.retried = append(b.retried, seq)
			continue
		}
		id, sum, ok := finalHash(evidence.StoredRecord(tx, seq))
		if !ok {
			continue
		}
		b.retried = append(b.retried, seq)
		b.seqs, b.ids, b.hashes = append(b.seqs, seq), append(b.ids, id), append(b.hashes, sum)
	}
}

// putSkipped records in tx what the pass b learned of skipped items: the
// items it passed over (kept with the time they were first skipped; the
// write is idempotent) and those that leave ersskip.
func putSkipped(tx *bolt.Tx, b *ersBatch, now time.Time) error {
	skip := tx.Bucket(bERSSkip)
	for _, seq := range b.retried {
		if err := skip.Delete(u64(seq)); err != nil {
			return err
		}
	}
	v := binary.BigEndian.AppendUint64([]byte{skipV1}, uint64(now.UnixNano()))
	for _, seq := range b.bad {
		if skip.Get(u64(seq)) != nil {
			continue
		}
		if err := skip.Put(u64(seq), v); err != nil {
			return err
		}
	}
	return nil
}

// skipped reports the items in ersskip, nil if there is none.
func (k *Keeper) skipped() (*Skipped, error) {
	var out *Skipped
	err := k.ev.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bERSSkip).ForEach(func(key, v []byte) error {
			if len(key) != 8 || len(v) != 9 || v[0] != skipV1 {
				return fmt.Errorf("evidence records: ersskip entry %x: value %x is not version %d", key, v, skipV1)
			}
			if out == nil {
				out = &Skipped{Names: []string{}}
			}
			if since := time.Unix(0, int64(u64val(v[1:]))).UTC(); out.Since.IsZero() || since.Before(out.Since) {
				out.Since = since
			}
			out.Items++
			if len(out.Names) < maxSkippedNames {
				out.Names = append(out.Names, skippedName(tx, u64val(key)))
			}
			return nil
		})
	})
	return out, err
}

// skippedName names the item seq: its created event's evidence ID, else
// "record:<seq>".
func skippedName(tx *bolt.Tx, seq uint64) string {
	if e, err := custody.Decode(evidence.EventAt(tx, seq, 0)); err == nil && evidence.ValidID(e.Evidence) {
		return e.Evidence
	}
	return "record:" + strconv.FormatUint(seq, 10)
}
