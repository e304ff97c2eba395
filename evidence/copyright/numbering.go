package copyright

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/imagehash"
)

// Numbering by the consortium. On a node whose chain keeps the
// consortium's copyright register (anchor state version 5), a new
// registration is stored "pending", without a number: the chain numbers
// it when the registration's transaction is final, the same number on
// every member, once. Every registration, numbered here before the chain
// kept the register (a legacy number) or pending, waits in crtodo, with
// its files' fingerprints, until the register holds it: a loop of the
// node's (cmd/custos) lists them in the order they were registered
// (Unregistered), files them in the register, and hands each entry back
// (Numbered).
//
//	crtodo    id → the files' fingerprints (JSON []Fingerprint)
//	crtodoat  crtodo in the order of registration (todoorder.go)
//	crrevoke  id → ∅: a revocation the register has not learned yet

// CopyrightPending is the status of a registration the chain has not
// numbered yet.
const CopyrightPending = "pending"

var (
	bCrTodo   = []byte("crtodo")
	bCrRevoke = []byte("crrevoke")
)

// Fingerprint is what the consortium's register holds of one file.
type Fingerprint struct {
	SHA256 string          `json:"sha256"`
	PHash  *imagehash.Hash `json:"phash,omitempty"`
}

// Unregistered is a registration the consortium's register does not hold
// yet (Files set), or a revocation it has not learned (Revoked, no Files).
type Unregistered struct {
	ID      string
	Org     string // the registrant organization
	Number  string // a legacy number, or "" for a pending registration
	Revoked bool
	Files   []Fingerprint
	// RegisteredAt is when it was registered at this node: the register
	// must enter a member's pending registrations in this order, as its
	// order is their priority.
	RegisteredAt time.Time
}

// initTodo creates crtodo, entering every registration of a store from
// before it: the register learns them with their numbers as legacy
// numbers; it indexes crtodo in the order of registration (indexTodo);
// and it releases the held deposits of registrations that no longer wait
// (holdDeposits).
func (s *Register) initTodo() error {
	return s.ev.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bCrRevoke); err != nil {
			return err
		}
		if tx.Bucket(bCrTodo) == nil {
			if err := fillTodo(tx); err != nil {
				return err
			}
		}
		if err := indexTodo(tx); err != nil {
			return err
		}
		// A hold whose registration no longer waits (numbered by a
		// release that did not release it) is released now.
		_, err := evidence.ReleaseHoldsUnless(tx, func(id string) bool { return tx.Bucket(bCrTodo).Get([]byte(id)) != nil })
		return err
	})
}

// fillTodo creates crtodo and its index, entering every registration.
func fillTodo(tx *bolt.Tx) error {
	if _, err := tx.CreateBucket(bCrTodo); err != nil {
		return err
	}
	if _, err := tx.CreateBucketIfNotExists(bCrTodoAt); err != nil {
		return err
	}
	phash := map[string]imagehash.Hash{} // registration ID ‖ item ID → hash
	err := tx.Bucket(bCrPHash).ForEach(func(k, _ []byte) error {
		phash[string(k[8:])] = imagehash.Hash(binary.BigEndian.Uint64(k[:8]))
		return nil
	})
	if err != nil {
		return err
	}
	return tx.Bucket(bCopyrights).ForEach(func(k, v []byte) error {
		var c Copyright
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("evidence: registration %s is corrupt: %w", k, err)
		}
		fps, err := fingerprints(tx, &c, func(item string) *imagehash.Hash {
			if h, ok := phash[c.ID+item]; ok {
				return &h
			}
			return nil
		})
		if err != nil {
			return err
		}
		return putTodo(tx, &c, fps)
	})
}

// fingerprints are the fingerprints of c's files, the perceptual hash of
// each from ph.
func fingerprints(tx *bolt.Tx, c *Copyright, ph func(item string) *imagehash.Hash) ([]Fingerprint, error) {
	fps := make([]Fingerprint, len(c.Items))
	for i, item := range c.Items {
		seq, ok := evidence.ItemSeq(tx, item)
		if !ok {
			return nil, fmt.Errorf("evidence: registration %s names missing item %s", c.ID, item)
		}
		r, err := evidence.RecordAt(tx, seq)
		if err != nil {
			return nil, err
		}
		fps[i] = Fingerprint{SHA256: r.SHA256, PHash: ph(item)}
	}
	return fps, nil
}

// Unregistered lists up to limit registrations the consortium's register
// does not hold yet, the earliest registered: those with legacy numbers
// first, then the pending ones, each in the order they were registered
// (RegisteredAt, then ID); then the revocations it has not learned of
// registrations it holds.
func (s *Register) Unregistered(ctx context.Context, limit int) ([]Unregistered, error) {
	var out []Unregistered
	err := s.ev.View(func(tx *bolt.Tx) error {
		todo := tx.Bucket(bCrTodo)
		c := tx.Bucket(bCrTodoAt).Cursor()
		for at, _ := c.First(); at != nil && len(out) < limit; at, _ = c.Next() {
			k := at[min(len(at), todoAtLen):]
			v := todo.Get(k)
			if v == nil {
				continue // not waiting: the audit reports it, the next open drops it
			}
			cr, err := getCopyright(tx, string(k))
			if err != nil {
				return err
			}
			u := Unregistered{ID: cr.ID, Org: cr.RegistrantOrg, Number: cr.Number, Revoked: cr.Status == CopyrightRevoked, RegisteredAt: cr.RegisteredAt}
			if err := json.Unmarshal(v, &u.Files); err != nil {
				return fmt.Errorf("evidence: fingerprints of registration %s are corrupt: %w", k, err)
			}
			out = append(out, u)
		}
		c = tx.Bucket(bCrRevoke).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if todo.Get(k) != nil {
				continue // filed revoked with its files, or waiting for that
			}
			cr, err := getCopyright(tx, string(k))
			if err != nil {
				return err
			}
			out = append(out, Unregistered{ID: cr.ID, Org: cr.RegistrantOrg, Number: cr.Number, Revoked: true, RegisteredAt: cr.RegisteredAt})
		}
		return nil
	})
	return out, err
}

// Unrevoked lists the registrations this node holds that it does not hold
// revoked: their IDs and owner organizations, in the order of the IDs.
// After a restore from a backup, one of them may be revoked in the
// consortium's register (RevokeCopyright again: cmd/custos, numbering.go).
func (s *Register) Unrevoked(ctx context.Context) (ids, owners []string, err error) {
	err = s.ev.View(func(tx *bolt.Tx) error {
		ids, owners = ids[:0], owners[:0]
		return tx.Bucket(bCopyrights).ForEach(func(k, v []byte) error {
			var c struct {
				Status   string `json:"status"`
				OwnerOrg string `json:"owner_org"`
			}
			// One that does not decode is the audit's (bad_documents).
			if json.Unmarshal(v, &c) == nil && c.Status != CopyrightRevoked {
				ids, owners = append(ids, string(k)), append(owners, c.OwnerOrg)
			}
			return nil
		})
	})
	return ids, owners, err
}

// RevocationFiled records that the consortium's register has learned that
// registration id is revoked.
func (s *Register) RevocationFiled(ctx context.Context, id string) error {
	return s.ev.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bCrRevoke).Delete([]byte(id))
	})
}

// Numbered records that the consortium's register holds registration id,
// under number (the chain's, or the legacy number it already had),
// entered by the block at height: a pending registration takes the number
// and becomes registered (or stays revoked), and Config.OnNumbered is told
// in the same transaction. Once the register holds it, nothing changes
// again. The deposits of its files, held while it was pending
// (holdDeposits), are released in the same transaction, for the node's
// loop to submit (evidence.Service.SubmitReleased).
func (s *Register) Numbered(ctx context.Context, id, number string, height int64) (*Copyright, error) {
	var out *Copyright
	err := s.ev.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bCrTodo).Get([]byte(id)) == nil {
			return nil
		}
		c, err := getCopyright(tx, id)
		if err != nil {
			return err
		}
		if err := deleteTodo(tx, c); err != nil {
			return err
		}
		if err := releaseDeposits(tx, c); err != nil {
			return err
		}
		if c.Number != "" {
			return nil // a legacy number: the register knows it now
		}
		c.Number, c.NumberedHeight = number, height
		if c.Status == CopyrightPending {
			c.Status = CopyrightRegistered
		}
		if err := putCopyright(tx, c); err != nil {
			return err
		}
		out = c
		if s.cfg.OnNumbered != nil {
			return s.cfg.OnNumbered(tx, c)
		}
		return nil
	})
	return out, err
}

// pending reports whether new registrations wait for the chain's number.
func (s *Register) pending() bool {
	return s.cfg.ChainNumbers != nil && s.cfg.ChainNumbers()
}

func (s *Register) queued() {
	if s.cfg.Queued != nil {
		s.cfg.Queued()
	}
}

// enqueue enters c (just put in tx) in crtodo, and its index, with its
// files' fingerprints.
func enqueue(tx *bolt.Tx, c *Copyright, items []RegisterItem) error {
	fps, err := fingerprints(tx, c, func(item string) *imagehash.Hash {
		i := slices.IndexFunc(items, func(it RegisterItem) bool { return it.ID == item })
		if i < 0 {
			return nil
		}
		return items[i].PHash
	})
	if err != nil {
		return err
	}
	return putTodo(tx, c, fps)
}

// holdDeposits holds, in tx, the deposits of c's files, just filed with
// it by FileCopyright, while c is pending: until the consortium's
// register holds c (Numbered releases them), no batch carries their
// digests to the validators' mempools, where another member could copy
// them into a registration of its own before c's commitment is final
// (docs/security.md K7, R1). A registration the register numbers is
// always released so: one revoked while pending is still filed, revoked
// with its files, and numbered.
func holdDeposits(tx *bolt.Tx, c *Copyright) error {
	if c.Status != CopyrightPending {
		return nil
	}
	for _, item := range c.Items {
		seq, ok := evidence.ItemSeq(tx, item)
		if !ok {
			return fmt.Errorf("evidence: registration %s names missing item %s", c.ID, item)
		}
		if err := evidence.HoldDeposit(tx, seq, c.ID); err != nil {
			return err
		}
	}
	return nil
}

// releaseDeposits releases, in tx, the held deposits of c's files.
func releaseDeposits(tx *bolt.Tx, c *Copyright) error {
	for _, item := range c.Items {
		seq, ok := evidence.ItemSeq(tx, item)
		if !ok {
			return fmt.Errorf("evidence: registration %s names missing item %s", c.ID, item)
		}
		if _, err := evidence.ReleaseDeposit(tx, seq); err != nil {
			return err
		}
	}
	return nil
}
