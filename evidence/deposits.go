package evidence

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
)

// Deposits gives the consortium's digest index (chain state version 4)
// the items whose created events are among the local leaves [from,
// from+count): each item's SHA-256, and its SM3 when this node computes
// it. It is part of the anchor's LeafSource. Nothing else of an item
// leaves its home node: neither its owner nor any of its metadata; and an
// unlisted item (Meta.Unlisted) has no deposit at all, and a held one
// (HoldDeposit, deposithold.go) none until it is released: a batch built
// again after the release carries it too, which the chain counts once, as
// it does SubmitReleased's deposit of it.
func (s *Service) Deposits(from uint64, count int) ([]anchor.Deposit, error) {
	var out []anchor.Deposit
	err := s.db.View(func(tx *bolt.Tx) error {
		held := heldSet(tx)
		c := tx.Bucket(bLeaves).Cursor()
		end := from + uint64(count)
		for k, v := c.Seek(u64(from)); k != nil && u64val(k) < end; k, v = c.Next() {
			if len(v) != 12 || u32val(v[8:]) != 0 {
				continue // not an item's created event
			}
			if held != nil && held.Get(k) != nil {
				continue // held: SubmitReleased submits it once released
			}
			f, err := s.storedFacts(tx, u64val(v[:8]))
			if err != nil {
				return err
			}
			if f.unlisted {
				continue // its filer kept it out of the index
			}
			out = append(out, anchor.Deposit{FirstLocal: u64val(k), SHA256: f.sha256, SM3: f.sm3, HasSM3: f.hasSM3})
		}
		return nil
	})
	return out, err
}

// depositOf is r's deposit, its created event queued at local leaf local.
func depositOf(r *Record, local uint64) (anchor.Deposit, error) {
	d := anchor.Deposit{FirstLocal: local}
	sum, err := decodeHex32(r.SHA256)
	if err != nil {
		return d, fmt.Errorf("evidence: record %s: sha256: %w", r.ID, err)
	}
	copy(d.SHA256[:], sum)
	if r.SM3 != "" {
		sm3, err := decodeHex32(r.SM3)
		if err != nil {
			return d, fmt.Errorf("evidence: record %s: sm3: %w", r.ID, err)
		}
		copy(d.SM3[:], sm3)
		d.HasSM3 = true
	}
	return d, nil
}

// depositsMark is RegisterDeposits's key in bHeadsReg: 0x00 ‖ the last
// record submitted (its seq), or 0x01 once done.
var depositsMark = []byte("deposits")

// RegisterDeposits submits the deposit of every item this node holds, in
// batches of deposits only, once the chain state has the digest index
// (version 4): items anchored before it get into the index; a held item
// (deposithold.go) is left to SubmitReleased. It is
// idempotent (the chain counts a created event once) and resumes where it
// stopped.
func (s *Service) RegisterDeposits(ctx context.Context, submit func(context.Context, []anchor.Deposit) error) (int, error) {
	total := 0
	for ctx.Err() == nil {
		var batch []anchor.Deposit
		var last []byte
		done := false
		err := s.db.View(func(tx *bolt.Tx) error {
			mark := tx.Bucket(bHeadsReg).Get(depositsMark)
			if len(mark) == 1 && mark[0] == 1 {
				done = true
				return nil
			}
			c := tx.Bucket(bRecords).Cursor()
			k, _ := c.First()
			if len(mark) == 9 {
				if k, _ = c.Seek(mark[1:]); k != nil && string(k) == string(mark[1:]) {
					k, _ = c.Next()
				}
			}
			for ; k != nil && len(batch) < 2000; k, _ = c.Next() {
				seq := u64val(k)
				li := tx.Bucket(bEvLeaf).Get(eventKey(seq, 0))
				if len(li) != 8 {
					return fmt.Errorf("evidence: record %d has no created event leaf", seq)
				}
				r, err := getStoredRecord(tx, seq)
				if err != nil {
					return err
				}
				last = append([]byte(nil), k...)
				if r.IsUnlisted() || tx.Bucket(bDepoHold).Get(li) != nil {
					continue
				}
				d, err := depositOf(r, u64val(li))
				if err != nil {
					return err
				}
				batch = append(batch, d)
			}
			done = k == nil
			return nil
		})
		if err != nil {
			return total, err
		}
		if len(batch) > 0 {
			if err := submit(ctx, batch); err != nil {
				return total, err
			}
			total += len(batch)
		}
		mark := append([]byte{0}, last...)
		if done {
			mark = []byte{1}
		}
		if len(last) > 0 || done {
			if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bHeadsReg).Put(depositsMark, mark) }); err != nil {
				return total, err
			}
		}
		if done {
			return total, nil
		}
	}
	return total, ctx.Err()
}
