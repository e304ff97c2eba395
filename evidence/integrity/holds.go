package integrity

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
)

// DepositIndex is what the audit of held deposits asks of the
// consortium's digest index (an anchor.Chain): whether it holds a deposit
// of a SHA-256 digest at a log leaf.
type DepositIndex interface {
	DepositedAt(sum [32]byte, leaf uint64) (bool, error)
}

// heldCheck is a held deposit left to look up in the digest index, outside
// the transaction.
type heldCheck struct {
	name  string
	seq   uint64
	local uint64
	sum   [32]byte
}

// auditHolds checks the deposits held off the chain (evidence's
// deposithold.go: depohold, deporelease, depobad). Each entry of depohold
// and deporelease must name the stored created event of an item that
// exists, and what held it (with Options.Holders: a registration that
// lists the item); a release must no longer be held; with
// Options.Deposits, no held deposit may be in the consortium's digest
// index (it would have reached the validators' mempools while its
// registration waited). Every entry of depobad is a finding: a release
// that could not be read, whose item stays out of the digest index.
func (s *coreAudit) auditHolds(ctx context.Context) error {
	var held []heldCheck
	err := s.ev.View(func(tx *bolt.Tx) error {
		return evidence.EachDepositHold(tx, func(e evidence.HoldEntry) error {
			if c, ok := s.auditHold(tx, e); ok {
				held = append(held, c)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	if s.opts.Anchor == nil || s.opts.Deposits == nil {
		return nil
	}
	for _, c := range held {
		if err := ctx.Err(); err != nil {
			return err
		}
		global, ok, err := s.opts.Anchor.Locate(c.local)
		if err != nil || !ok {
			continue // not in the log yet: nor in the index
		}
		if in, err := s.opts.Deposits.DepositedAt(c.sum, global); err == nil && in && s.stillHeld(c) {
			s.badHold(c.name, errors.New("the consortium's digest index holds the deposit while it is held"))
		}
	}
	return nil
}

// stillHeld reports whether c's deposit is held now: one released (and
// submitted) since the holds were read is in the index rightly.
func (s *coreAudit) stillHeld(c heldCheck) bool {
	held := false
	err := s.ev.View(func(tx *bolt.Tx) error {
		var err error
		held, err = evidence.DepositHeld(tx, c.seq)
		return err
	})
	return err == nil && held
}

// auditHold checks one entry of the hold buckets in tx and returns, for a
// held deposit, what is left to look up in the digest index.
func (s *coreAudit) auditHold(tx *bolt.Tx, e evidence.HoldEntry) (heldCheck, bool) {
	name := fmt.Sprintf("%s:%d", e.Bucket, e.Leaf)
	if e.Bucket == "depobad" {
		s.rep.ParkedDeposits = append(s.rep.ParkedDeposits, name)
		s.ev.Log().Debug("integrity: a released deposit parked", "entry", name, "held_by", e.By, "reason", e.Why)
		return heldCheck{}, false
	}
	if e.Bucket == "depohold" {
		s.rep.Held++
	}
	if !e.Created {
		s.badHold(name, errors.New("not the stored created event of an item"))
		return heldCheck{}, false
	}
	r, err := evidence.RecordAt(tx, e.Seq)
	if err != nil {
		s.badHold(name, fmt.Errorf("its item: %w", err))
		return heldCheck{}, false
	}
	name += ":" + r.ID
	switch {
	case e.By == "":
		s.badHold(name, errors.New("names nothing that holds it"))
	case s.opts.Holders != nil && !s.opts.Holders(tx, e.By, r.ID):
		s.badHold(name, fmt.Errorf("held by %q, which does not list the item", e.By))
	case e.Bucket == "deporelease" && e.Held:
		s.badHold(name, errors.New("released and held at once"))
	case e.Bucket == "depohold":
		var c heldCheck
		b, err := hex.DecodeString(r.SHA256)
		if err != nil || len(b) != len(c.sum) {
			return c, false // a bad record: auditRecord reports it
		}
		copy(c.sum[:], b)
		c.name, c.seq, c.local = name, e.Seq, e.Leaf
		return c, true
	}
	return heldCheck{}, false
}

// badHold reports the hold entry name as bad, for why.
func (s *coreAudit) badHold(name string, why error) {
	s.rep.BadHolds = append(s.rep.BadHolds, name)
	s.ev.Log().Debug("integrity: a bad deposit hold", "entry", name, "err", why)
}
