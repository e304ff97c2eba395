package certificates

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A node numbers its notarial certificates with its own counter, one per
// year (bucket certnum), which no other member knows. A node restored from
// a backup older than its last certificates would give their numbers
// again, on other documents. The chain shows such a restore: the log holds
// batches of the node's that its batch records do not (anchor's
// BatcherConfig.OnBehind). The node then holds its numbering (Hold): no
// number is reserved (ErrNumberingHeld) until an operator, having checked
// the office's register, sets the next number of the year (SetNext) with
// the node stopped (custos certificate numbering).

// ErrNumberingHeld means certificate numbering is held after a restore
// (Hold); HeldError says since when and why.
var ErrNumberingHeld = errors.New("evidence: certificate numbering is held")

// HeldError is ErrNumberingHeld with the hold's record.
type HeldError struct {
	Since  time.Time
	Reason string
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("%v since %s: %s", ErrNumberingHeld, e.Since.UTC().Format(time.RFC3339), e.Reason)
}

func (e *HeldError) Is(target error) bool { return target == ErrNumberingHeld }

var keyHeld = []byte("held")

// held is the hold recorded in tx as an error, or nil.
func held(tx *bolt.Tx) error {
	b := tx.Bucket(bCertHold)
	if b == nil {
		return nil
	}
	v := b.Get(keyHeld)
	if len(v) < 8 {
		return nil
	}
	return &HeldError{Since: time.Unix(int64(binary.BigEndian.Uint64(v)), 0).UTC(), Reason: string(v[8:])}
}

// Hold holds certificate numbering for reason, from now until SetNext;
// a hold already in place is kept as it is.
func (s *Register) Hold(reason string, now time.Time) error {
	return s.ev.Update(func(tx *bolt.Tx) error {
		if held(tx) != nil {
			return nil
		}
		v := binary.BigEndian.AppendUint64(nil, uint64(now.Unix()))
		return tx.Bucket(bCertHold).Put(keyHeld, append(v, reason...))
	})
}

// Numbering is the numbering's state in db: the hold (nil if none) and,
// by year, the last number reserved.
func Numbering(db *bolt.DB) (hold *HeldError, last map[int]uint64, err error) {
	last = map[int]uint64{}
	err = db.View(func(tx *bolt.Tx) error {
		if err := held(tx); err != nil {
			hold = err.(*HeldError)
		}
		b := tx.Bucket(bCertNum)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(k) == 4 && len(v) == 8 {
				last[int(binary.BigEndian.Uint32(k))] = u64val(v)
			}
			return nil
		})
	})
	return hold, last, err
}

// SetNext makes next the number the node gives its next certificate of
// year, and lifts the hold. next must be after every number the node has
// reserved that year (a number is never given twice); the numbers between
// stay unused, a gap, as after a failed issue.
func SetNext(db *bolt.DB, year int, next uint64) error {
	if year < 1 || year > 9999 || next < 1 {
		return fmt.Errorf("%w: year %d, next number %d", ErrBadCertificate, year, next)
	}
	y := binary.BigEndian.AppendUint32(nil, uint32(year))
	return db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bCertNum, bCertHold} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		if v := tx.Bucket(bCertNum).Get(y); len(v) == 8 && u64val(v) >= next {
			return fmt.Errorf("%w: this node already reserved number %d of %d; the next must be after it", ErrBadCertificate, u64val(v), year)
		}
		if err := tx.Bucket(bCertNum).Put(y, u64(next-1)); err != nil {
			return err
		}
		return tx.Bucket(bCertHold).Delete(keyHeld)
	})
}
