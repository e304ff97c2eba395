package evidence

import (
	"bytes"
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
)

// Held deposits. A register may keep an item's deposit (its digests in
// the consortium's digest index, Deposits) off the chain for a while: the
// copyright register holds the deposits of the files filed with a
// registration in the registration's own request while the registration
// waits for the consortium's register, so that no validator learns the
// files' SHA-256 from a deposit in its mempool before the registration's
// commitment is final (docs/security.md K7, R1). Both buckets are
// node-local, keyed by the local leaf of the item's created event:
//
//	depohold     leaf (8) → what holds it (a registration ID): Deposits
//	             and RegisterDeposits skip the item
//	deporelease  leaf (8) → what held it: released, to be submitted as a
//	             deposit of its own (SubmitReleased), then deleted
//
// A hold is written in the transaction that files the item, a release in
// the transaction that ends the hold, so both are durable with what
// causes them.
var (
	bDepoHold    = []byte("depohold")
	bDepoRelease = []byte("deporelease")
	// bDepoBad holds the released entries SubmitReleased could not read
	// (not an item's created event, a record that does not decode): leaf
	// (8) → what held it ‖ 0x00 ‖ why. Parked there so that one cannot
	// hold back every later release (review of the hold, F2); the
	// integrity audit and an operator find them there.
	bDepoBad = []byte("depobad")
)

// HoldDeposit keeps the deposit of item seq off the chain, for by (what
// holds it), until ReleaseDeposit: in tx, the transaction that files the
// item, before any batch can carry its created event. An unlisted item,
// which has no deposit, is not held.
func HoldDeposit(tx *bolt.Tx, seq uint64, by string) error {
	r, err := getStoredRecord(tx, seq)
	if err != nil {
		return err
	}
	if r.IsUnlisted() {
		return nil
	}
	leaf, err := EventLeaf(tx, seq, 0)
	if err != nil {
		return err
	}
	return tx.Bucket(bDepoHold).Put(u64(leaf), []byte(by))
}

// ReleaseDeposit ends the hold of item seq's deposit, if it is held: in
// tx it leaves the hold and enters the queue that SubmitReleased submits.
// It reports whether the item was held.
func ReleaseDeposit(tx *bolt.Tx, seq uint64) (bool, error) {
	leaf, err := EventLeaf(tx, seq, 0)
	if err != nil {
		return false, err
	}
	k := u64(leaf)
	hold := tx.Bucket(bDepoHold)
	by := hold.Get(k)
	if by == nil {
		return false, nil
	}
	if err := tx.Bucket(bDepoRelease).Put(k, by); err != nil {
		return false, err
	}
	return true, hold.Delete(k)
}

// ReleaseHoldsUnless releases, in tx, every held deposit whose holder
// (HoldDeposit's by) still is not true of: what a register runs when it
// opens, so that no hold outlives what made it (a store written meanwhile
// by a release that ended a hold without knowing of it). It returns how
// many it released.
func ReleaseHoldsUnless(tx *bolt.Tx, still func(by string) bool) (int, error) {
	hold := tx.Bucket(bDepoHold)
	var keys, bys [][]byte
	err := hold.ForEach(func(k, v []byte) error {
		if !still(string(v)) {
			keys, bys = append(keys, append([]byte(nil), k...)), append(bys, append([]byte(nil), v...))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for i, k := range keys {
		if err := tx.Bucket(bDepoRelease).Put(k, bys[i]); err != nil {
			return 0, err
		}
		if err := hold.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// DepositHeld reports whether item seq's deposit is held.
func DepositHeld(tx *bolt.Tx, seq uint64) (bool, error) {
	leaf, err := EventLeaf(tx, seq, 0)
	if err != nil {
		return false, err
	}
	return tx.Bucket(bDepoHold).Get(u64(leaf)) != nil, nil
}

// heldSet is the hold bucket of tx if it holds anything, else nil: the
// common case (nothing held) costs Deposits one seek.
func heldSet(tx *bolt.Tx) *bolt.Bucket {
	b := tx.Bucket(bDepoHold)
	if k, _ := b.Cursor().First(); k == nil {
		return nil
	}
	return b
}

// SubmitReleased submits the deposits of the released items (deporelease)
// with submit (anchor.Chain.SubmitDeposits: a batch of deposits only, as
// RegisterDeposits does for items anchored before the digest index), in
// batches, and deletes each batch's entries once submit has taken it. It
// is idempotent: after a crash between the two it submits them again, and
// the chain counts a created event once. A deposit whose created event no
// batch has taken yet is dropped by the batcher: that batch carries it,
// as the item is no longer held. It returns how many deposits it
// submitted.
func (s *Service) SubmitReleased(ctx context.Context, submit func(context.Context, []anchor.Deposit) error) (int, error) {
	total := 0
	for ctx.Err() == nil {
		var batch []anchor.Deposit
		var keys [][]byte
		bad := map[string]string{} // key → why it could not be read
		err := s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bDepoRelease).Cursor()
			for k, _ := c.First(); k != nil && len(keys) < 2000; k, _ = c.Next() {
				keys = append(keys, append([]byte(nil), k...))
				v := tx.Bucket(bLeaves).Get(k)
				if len(v) != 12 || u32val(v[8:]) != 0 {
					bad[string(k)] = "not an item's created event"
					continue
				}
				r, err := getStoredRecord(tx, u64val(v[:8]))
				if err != nil {
					bad[string(k)] = err.Error()
					continue
				}
				if r.IsUnlisted() {
					continue
				}
				d, err := depositOf(r, u64val(k))
				if err != nil {
					bad[string(k)] = err.Error()
					continue
				}
				batch = append(batch, d)
			}
			return nil
		})
		if err != nil || len(keys) == 0 {
			return total, err
		}
		if len(batch) > 0 {
			if err := submit(ctx, batch); err != nil {
				return total, err
			}
			total += len(batch)
		}
		err = s.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bDepoRelease)
			parked, err := tx.CreateBucketIfNotExists(bDepoBad)
			if err != nil {
				return err
			}
			for _, k := range keys {
				if why, ok := bad[string(k)]; ok {
					if err := parked.Put(k, append(append(b.Get(k), 0), why...)); err != nil {
						return err
					}
				}
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		for k, why := range bad {
			s.cfg.Log.Error("a released deposit could not be read and is parked (bucket depobad); the item stays out of the consortium's digest index", "leaf", u64val([]byte(k)), "reason", why)
		}
	}
	return total, ctx.Err()
}

// ReleasedDeposits is how many released deposits wait for SubmitReleased.
func (s *Service) ReleasedDeposits() (int, error) {
	h, err := s.DepositHolds()
	return h.Released, err
}

// DepositHolds counts the entries of the hold buckets: what an operator
// watches (GET /api/v1/admin/chain, custos consortium status). Held
// deposits that only grow tell of registrations the chain does not take;
// released ones that stay, of deposits the batcher cannot submit; any
// unreadable one, of a damaged entry (review of the hold, F7).
type DepositHolds struct {
	Held       int `json:"held"`       // depohold: kept off the chain while their registrations wait
	Released   int `json:"released"`   // deporelease: released, for SubmitReleased to submit
	Unreadable int `json:"unreadable"` // depobad: released entries SubmitReleased could not read, parked
	// HeldSince is when the earliest held file was filed (its record's
	// CreatedAt; the smallest leaf held is the earliest): nil when
	// nothing is held. A registration is numbered within a few blocks, so
	// a time minutes old tells of one the chain does not take.
	HeldSince *time.Time `json:"held_since,omitempty"`
}

// heldSince is when the earliest held file was filed, nil if nothing is
// held or its record cannot be read (the integrity audit reports that).
func heldSince(tx *bolt.Tx) *time.Time {
	k, _ := tx.Bucket(bDepoHold).Cursor().First()
	if k == nil {
		return nil
	}
	v := tx.Bucket(bLeaves).Get(k)
	if len(v) != 12 {
		return nil
	}
	r, err := getStoredRecord(tx, u64val(v[:8]))
	if err != nil {
		return nil
	}
	return &r.CreatedAt
}

// DepositHolds counts the hold buckets' entries in one read transaction.
// It reads each bucket's page statistics (bolt.Bucket.Stats), which walk
// the bucket's pages: a few for what a node holds between two blocks,
// about 0.2 ms for 100,000 held (BenchmarkDepositHolds), and no counter to
// keep in step in every transaction that holds, releases or parks, nor to
// check.
func (s *Service) DepositHolds() (DepositHolds, error) {
	var h DepositHolds
	err := s.db.View(func(tx *bolt.Tx) error {
		h.Held = tx.Bucket(bDepoHold).Stats().KeyN
		h.HeldSince = heldSince(tx)
		h.Released = tx.Bucket(bDepoRelease).Stats().KeyN
		if b := tx.Bucket(bDepoBad); b != nil { // made at the first entry parked
			h.Unreadable = b.Stats().KeyN
		}
		return nil
	})
	return h, err
}

// HoldEntry is one entry of the hold buckets, as the integrity audit
// reads it (EachDepositHold).
type HoldEntry struct {
	Bucket string // "depohold", "deporelease" or "depobad"
	Leaf   uint64 // its key: the local leaf of the item's created event
	By     string // what held it (a registration ID)
	Why    string // depobad: why SubmitReleased could not read it
	// Seq is the item whose created event is queued at Leaf, if Created:
	// the leaf is event 0 of an item and the event is stored.
	Seq     uint64
	Created bool
	// Held: the leaf is in depohold too (of interest for the others).
	Held bool
}

// EachDepositHold calls fn with every entry of the hold buckets in tx:
// depohold, then deporelease, then depobad, each in leaf order.
func EachDepositHold(tx *bolt.Tx, fn func(HoldEntry) error) error {
	hold := tx.Bucket(bDepoHold)
	for _, name := range [][]byte{bDepoHold, bDepoRelease, bDepoBad} {
		b := tx.Bucket(name)
		if b == nil {
			continue // depobad: made at the first entry parked
		}
		err := b.ForEach(func(k, v []byte) error {
			e := HoldEntry{Bucket: string(name), By: string(v), Held: hold.Get(k) != nil}
			if len(k) == 8 {
				e.Leaf = u64val(k)
			}
			if by, why, ok := bytes.Cut(v, []byte{0}); ok && bytes.Equal(name, bDepoBad) {
				e.By, e.Why = string(by), string(why)
			}
			if l := tx.Bucket(bLeaves).Get(k); len(l) == 12 && u32val(l[8:]) == 0 {
				e.Seq = u64val(l[:8])
				e.Created = tx.Bucket(bEvents).Get(eventKey(e.Seq, 0)) != nil
			}
			return fn(e)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
