package sharing

import (
	"context"
	"errors"
	"time"

	"github.com/custos-project/custos/internal/problem"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
)

// ErrBadShare means a share request is not acceptable (sharing with
// oneself, an expiry in the past).
var ErrBadShare = errors.New("evidence: invalid share")

// ShareTarget shares an evidence item or a matter owned by org with the
// grantee organization. Every affected item gets a "shared" custody event,
// in the same transaction as the share. If target is already shared with
// grantee, the existing active share is returned unchanged, and created is
// false (to change its expiry, revoke it and share again).
func (s *Registry) ShareTarget(ctx context.Context, org, actor, kind, target, grantee string, expires *time.Time) (sh *evidence.Share, created bool, err error) {
	return s.ShareTargetWithin(ctx, org, actor, kind, target, grantee, expires, nil)
}

// ShareTargetWithin shares as ShareTarget does and, if within is not nil
// and a share is made (not found already), calls it in the same
// transaction, after the share and its custody events: an error from
// within undoes the share. Like every function of the group commit it may
// run more than once. The API queues the evidence.shared webhook
// deliveries there, so that the share and its deliveries are committed
// together.
func (s *Registry) ShareTargetWithin(ctx context.Context, org, actor, kind, target, grantee string, expires *time.Time, within func(tx *bolt.Tx, sh *evidence.Share) error) (sh *evidence.Share, created bool, err error) {
	now := s.ev.Now()
	switch {
	case grantee == org:
		return nil, false, problem.Refuse(ErrBadShare, "share.self")
	case expires != nil && !expires.After(now):
		return nil, false, problem.Refuse(ErrBadShare, "share.expired")
	case kind != evidence.ShareEvidence && kind != evidence.ShareMatter:
		return nil, false, problem.Refuse(ErrBadShare, "share.kind", "kind", kind)
	}
	fresh := &evidence.Share{ID: evidence.NewID(), Kind: kind, Target: target, Owner: org, Grantee: grantee, CreatedBy: actor, CreatedAt: now.UTC(), ExpiresAt: expires}
	existing := false
	err = s.ev.Update(func(tx *bolt.Tx) error {
		sh, existing = fresh, false // set afresh: the group commit may run this again
		seqs, err := s.ownedTargets(tx, org, kind, target)
		if err != nil {
			return err
		}
		// At most one active share per target and grantee: sharing again is
		// idempotent, so that revoking "the" share always ends access.
		if old, err := evidence.CurrentShare(tx, target, grantee); err == nil && old.Active(now) {
			sh, existing = old, true
			return nil
		}
		if err := s.ev.PutShare(tx, sh); err != nil {
			return err
		}
		if err := s.ev.AppendEach(tx, seqs, actor, custody.EventShared, "org:"+grantee); err != nil || within == nil {
			return err
		}
		return within(tx, sh)
	})
	if err != nil {
		return nil, false, err
	}
	return sh, !existing, nil
}

// ownedTargets returns the record sequence numbers a share of target
// covers, or evidence.ErrNotFound if org does not own target.
func (s *Registry) ownedTargets(tx *bolt.Tx, org, kind, target string) ([]uint64, error) {
	if kind == evidence.ShareEvidence {
		seq, ok := evidence.ItemSeq(tx, target)
		if !ok {
			return nil, evidence.ErrNotFound
		}
		r, err := evidence.RecordAt(tx, seq)
		if err != nil || s.ev.OwnerIn(tx, r) != org {
			return nil, evidence.ErrNotFound
		}
		return []uint64{seq}, nil
	}
	m, err := getMatter(tx, target)
	if err != nil || m.Org != org {
		return nil, evidence.ErrNotFound
	}
	return evidence.MatterItems(tx, target)
}

// shareRecords returns the record sequence numbers a share covers.
func shareRecords(tx *bolt.Tx, sh *evidence.Share) ([]uint64, error) {
	if sh.Kind == evidence.ShareEvidence {
		seq, ok := evidence.ItemSeq(tx, sh.Target)
		if !ok {
			return nil, evidence.ErrNotFound
		}
		return []uint64{seq}, nil
	}
	return evidence.MatterItems(tx, sh.Target)
}

// RevokeShare ends a share made by org at once; every covered item gets an
// "unshared" custody event.
func (s *Registry) RevokeShare(ctx context.Context, org, actor, id string) (*evidence.Share, error) {
	var sh *evidence.Share
	err := s.ev.Update(func(tx *bolt.Tx) error {
		var err error
		if sh, err = evidence.GetShare(tx, id); err != nil || sh.Owner != org {
			return evidence.ErrNotFound
		}
		if sh.RevokedAt != nil {
			return nil // already revoked: idempotent
		}
		if err := s.ev.EndShare(tx, sh, actor, s.ev.Now().UTC()); err != nil {
			return err
		}
		// Not ownedTargets: the maker may end its share even where it no
		// longer owns the target (a registration transferred before
		// transfers ended shares).
		seqs, err := shareRecords(tx, sh)
		if err != nil {
			return err
		}
		return s.ev.AppendEach(tx, seqs, actor, custody.EventUnshared, "org:"+sh.Grantee)
	})
	if err != nil {
		return nil, err
	}
	return sh, nil
}

// Shares lists the shares org made (made) or received (!made).
func (s *Registry) Shares(ctx context.Context, org string, made bool) ([]evidence.Share, error) {
	var out []evidence.Share
	err := s.ev.View(func(tx *bolt.Tx) (err error) {
		out, err = evidence.SharesOf(tx, org, made)
		return err
	})
	return out, err
}
