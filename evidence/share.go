package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence/custody"
)

// Share kinds.
const (
	ShareEvidence = "evidence"
	ShareMatter   = "matter"
)

// Share grants an organization read access to an evidence item or a whole
// matter, until it expires or is revoked.
type Share struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`   // evidence or matter
	Target    string     `json:"target"` // the evidence or matter ID
	Owner     string     `json:"owner"`  // the sharing organization
	Grantee   string     `json:"grantee"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedBy string     `json:"revoked_by,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Active reports whether the share grants access at now.
func (sh *Share) Active(now time.Time) bool {
	return sh.RevokedAt == nil && (sh.ExpiresAt == nil || now.Before(*sh.ExpiresAt))
}

// ErrBadShare means a share request is not acceptable (sharing with
// oneself, an expiry in the past).
var ErrBadShare = errors.New("evidence: invalid share")

// ShareTarget shares an evidence item or a matter owned by org with the
// grantee organization. Every affected item gets a "shared" custody event,
// in the same transaction as the share. If target is already shared with
// grantee, the existing active share is returned unchanged, and created is
// false (to change its expiry, revoke it and share again).
func (s *Service) ShareTarget(ctx context.Context, org, actor, kind, target, grantee string, expires *time.Time) (sh *Share, created bool, err error) {
	now := s.cfg.Now()
	switch {
	case grantee == org:
		return nil, false, fmt.Errorf("%w: an organization cannot share with itself", ErrBadShare)
	case expires != nil && !expires.After(now):
		return nil, false, fmt.Errorf("%w: expires_at is in the past", ErrBadShare)
	case kind != ShareEvidence && kind != ShareMatter:
		return nil, false, fmt.Errorf("%w: kind %q", ErrBadShare, kind)
	}
	sh = &Share{ID: NewID(), Kind: kind, Target: target, Owner: org, Grantee: grantee, CreatedBy: actor, CreatedAt: now.UTC(), ExpiresAt: expires}
	existing := false
	err = s.db.Update(func(tx *bolt.Tx) error {
		seqs, err := s.ownedTargets(tx, org, kind, target)
		if err != nil {
			return err
		}
		// At most one active share per target and grantee: sharing again is
		// idempotent, so that revoking "the" share always ends access.
		if id := tx.Bucket(bShareIdx).Get([]byte(target + grantee)); id != nil {
			if old, err := getShare(tx, string(id)); err == nil && old.Active(now) {
				sh, existing = old, true
				return nil
			}
		}
		if err := putShare(tx, sh); err != nil {
			return err
		}
		if err := tx.Bucket(bGranted).Put([]byte(grantee+sh.ID), nil); err != nil {
			return err
		}
		if err := tx.Bucket(bMadeBy).Put([]byte(org+sh.ID), nil); err != nil {
			return err
		}
		if err := tx.Bucket(bShareIdx).Put([]byte(target+grantee), []byte(sh.ID)); err != nil {
			return err
		}
		if err := s.shareNotice(tx, sh); err != nil {
			return err
		}
		return s.appendEach(tx, seqs, actor, custody.EventShared, "org:"+grantee)
	})
	if err != nil {
		return nil, false, err
	}
	if !existing {
		s.leavesQueued()
	}
	return sh, !existing, nil
}

// ownedTargets returns the record sequence numbers a share of target
// covers, or ErrNotFound if org does not own target.
func (s *Service) ownedTargets(tx *bolt.Tx, org, kind, target string) ([]uint64, error) {
	if kind == ShareEvidence {
		seq, ok := getSeq(tx, target)
		if !ok {
			return nil, ErrNotFound
		}
		r, err := getRecord(tx, seq)
		if err != nil || s.sharer(tx, r) != org {
			return nil, ErrNotFound
		}
		return []uint64{seq}, nil
	}
	m, err := getMatter(tx, target)
	if err != nil || m.Org != org {
		return nil, ErrNotFound
	}
	return matterRecords(tx, target)
}

// sharer is the organization that may share r: the current owner of the
// copyright registration r is a file of, or else the organization that
// filed it.
func (s *Service) sharer(tx *bolt.Tx, r *Record) string {
	if o := s.itemOwner(tx, r.ID); o != "" {
		return o
	}
	return OwnerOrg(r)
}

// endShares revokes, as actor, the active shares of the item at seq that
// org made, each with an "unshared" custody event: a transfer of a
// registration ends its former owner's shares of the files.
func (s *Service) endShares(tx *bolt.Tx, seq uint64, item, org, actor string) error {
	now := s.cfg.Now().UTC()
	c := tx.Bucket(bShareIdx).Cursor()
	var ended []*Share
	for k, v := c.Seek([]byte(item)); k != nil && bytes.HasPrefix(k, []byte(item)); k, v = c.Next() {
		sh, err := getShare(tx, string(v))
		if err != nil {
			return err
		}
		if sh.Kind == ShareEvidence && sh.Owner == org && sh.Active(now) {
			ended = append(ended, sh)
		}
	}
	for _, sh := range ended {
		sh.RevokedAt, sh.RevokedBy = &now, actor
		if err := putShare(tx, sh); err != nil {
			return err
		}
		if err := s.shareNotice(tx, sh); err != nil {
			return err
		}
		if err := s.appendEach(tx, []uint64{seq}, actor, custody.EventUnshared, "org:"+sh.Grantee); err != nil {
			return err
		}
	}
	return nil
}

// shareNotice tells Config.OnShare of a share made or revoked, inside its
// transaction.
func (s *Service) shareNotice(tx *bolt.Tx, sh *Share) error {
	if s.cfg.OnShare == nil {
		return nil
	}
	return s.cfg.OnShare(tx, sh)
}

// shareRecords returns the record sequence numbers a share covers.
func shareRecords(tx *bolt.Tx, sh *Share) ([]uint64, error) {
	if sh.Kind == ShareEvidence {
		seq, ok := getSeq(tx, sh.Target)
		if !ok {
			return nil, ErrNotFound
		}
		return []uint64{seq}, nil
	}
	return matterRecords(tx, sh.Target)
}

// matterRecords lists the records filed into a matter.
func matterRecords(tx *bolt.Tx, matter string) ([]uint64, error) {
	var out []uint64
	c := tx.Bucket(bByMatter).Cursor()
	for k, _ := c.Seek([]byte(matter)); k != nil && bytes.HasPrefix(k, []byte(matter)); k, _ = c.Next() {
		out = append(out, u64val(k[len(matter):]))
	}
	return out, nil
}

func putShare(tx *bolt.Tx, sh *Share) error {
	b, err := json.Marshal(sh)
	if err != nil {
		return err
	}
	return tx.Bucket(bShares).Put([]byte(sh.ID), b)
}

func getShare(tx *bolt.Tx, id string) (*Share, error) {
	v := tx.Bucket(bShares).Get([]byte(id))
	if v == nil {
		return nil, ErrNotFound
	}
	var sh Share
	return &sh, json.Unmarshal(v, &sh)
}

// appendEach appends one custody event to each record; a read inside its
// fold window is counted instead (appendRead).
func (s *Service) appendEach(tx *bolt.Tx, seqs []uint64, actor, typ, subject string) error {
	for _, seq := range seqs {
		r, err := getRecord(tx, seq)
		if err != nil {
			return err
		}
		if _, err := s.appendRead(tx, seq, r.ID, actor, typ, subject, s.cfg.Now()); err != nil {
			return err
		}
	}
	return nil
}

// RevokeShare ends a share made by org at once; every covered item gets an
// "unshared" custody event.
func (s *Service) RevokeShare(ctx context.Context, org, actor, id string) (*Share, error) {
	var sh *Share
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if sh, err = getShare(tx, id); err != nil || sh.Owner != org {
			return ErrNotFound
		}
		if sh.RevokedAt != nil {
			return nil // already revoked: idempotent
		}
		now := s.cfg.Now().UTC()
		sh.RevokedAt, sh.RevokedBy = &now, actor
		if err := putShare(tx, sh); err != nil {
			return err
		}
		if err := s.shareNotice(tx, sh); err != nil {
			return err
		}
		// Not ownedTargets: the maker may end its share even where it no
		// longer owns the target (a registration transferred before
		// transfers ended shares).
		seqs, err := shareRecords(tx, sh)
		if err != nil {
			return err
		}
		return s.appendEach(tx, seqs, actor, custody.EventUnshared, "org:"+sh.Grantee)
	})
	if err != nil {
		return nil, err
	}
	s.leavesQueued()
	return sh, nil
}

// Shares lists the shares org made (made) or received (!made).
func (s *Service) Shares(ctx context.Context, org string, made bool) ([]Share, error) {
	idx := bGranted
	if made {
		idx = bMadeBy
	}
	var out []Share
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(idx).Cursor()
		for k, _ := c.Seek([]byte(org)); k != nil && bytes.HasPrefix(k, []byte(org)); k, _ = c.Next() {
			sh, err := getShare(tx, string(k[len(org):]))
			if err != nil {
				return err
			}
			out = append(out, *sh)
		}
		return nil
	})
	return out, err
}

// activeShare reports whether target is shared with org at now.
func activeShare(tx *bolt.Tx, target, org string, now time.Time) bool {
	id := tx.Bucket(bShareIdx).Get([]byte(target + org))
	if id == nil {
		return false
	}
	sh, err := getShare(tx, string(id))
	return err == nil && sh.Active(now)
}

// owns reports whether org sees r as its owner: it filed r, or r is a file
// of a copyright registration it now owns.
func (s *Service) owns(tx *bolt.Tx, r *Record, org string) bool {
	return OwnerOrg(r) == org || s.itemOwner(tx, r.ID) == org
}

// Owns reports whether org sees the record as its owner (it filed it, or
// owns the copyright registration it is a file of), rather than through a
// share.
func (s *Service) Owns(ctx context.Context, r *Record, org string) (bool, error) {
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		ok = s.owns(tx, r, org)
		return nil
	})
	return ok, err
}

// visible reports whether org may see r: it owns it (it filed it, or r is
// a file of a copyright registration it now owns), or r (or its matter) is
// shared with org.
func (s *Service) visible(tx *bolt.Tx, r *Record, org string, now time.Time) bool {
	if s.owns(tx, r, org) {
		return true
	}
	return activeShare(tx, r.ID, org, now) || (r.Matter != "" && activeShare(tx, r.Matter, org, now))
}

// Visible reports whether org may see the record.
func (s *Service) Visible(ctx context.Context, r *Record, org string) (bool, error) {
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		ok = s.visible(tx, r, org, s.cfg.Now())
		return nil
	})
	return ok, err
}
