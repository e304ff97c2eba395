package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
)

// The grants: the share records every read path checks (who may see an
// item: its owner, and the organizations it or its matter is shared
// with). The acts of sharing (making, revoking and listing shares) and
// the matters are evidence/sharing's; it writes the records through the
// kernel (PutShare, EndShare). The core keeps the records because it reads
// them on every read (visible, the listing's candidates, an item filed
// into a shared matter) and ends shares itself when a register moves an
// item's ownership (GiveItem).

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

var (
	bShares   = []byte("shares")   // id → Share JSON
	bShareIdx = []byte("shareidx") // target ‖ grantee → share id (the newest share of target with grantee)
	bGranted  = []byte("granted")  // grantee ‖ share id → ∅
	bMadeBy   = []byte("madeby")   // owner org ‖ share id → ∅
	bAudit    = []byte("audit")    // org ‖ n(4) → canonical audit event
)

var accessBuckets = [][]byte{bShares, bShareIdx, bGranted, bMadeBy, bAudit, bByOrg, bByMatter}

// sharer is the organization that may share r: the current owner of the
// copyright registration r is a file of, or else the organization that
// filed it.
func (s *Service) sharer(tx *bolt.Tx, r *Record) string {
	if o := s.itemOwner(tx, r.ID); o != "" {
		return o
	}
	return OwnerOrg(r)
}

// putNewShare stores a new share and its indexes, and tells Config.OnShare.
func (s *Service) putNewShare(tx *bolt.Tx, sh *Share) error {
	if err := putShare(tx, sh); err != nil {
		return err
	}
	if err := tx.Bucket(bGranted).Put([]byte(sh.Grantee+sh.ID), nil); err != nil {
		return err
	}
	if err := tx.Bucket(bMadeBy).Put([]byte(sh.Owner+sh.ID), nil); err != nil {
		return err
	}
	if err := tx.Bucket(bShareIdx).Put([]byte(sh.Target+sh.Grantee), []byte(sh.ID)); err != nil {
		return err
	}
	return s.shareNotice(tx, sh)
}

// endShare revokes sh at now, as actor, and tells Config.OnShare.
func (s *Service) endShare(tx *bolt.Tx, sh *Share, actor string, now time.Time) error {
	sh.RevokedAt, sh.RevokedBy = &now, actor
	if err := putShare(tx, sh); err != nil {
		return err
	}
	return s.shareNotice(tx, sh)
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
		if err := s.endShare(tx, sh, actor, now); err != nil {
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

// sharesOf lists the shares org made (made) or received (!made).
func sharesOf(tx *bolt.Tx, org string, made bool) ([]Share, error) {
	idx := bGranted
	if made {
		idx = bMadeBy
	}
	var out []Share
	c := tx.Bucket(idx).Cursor()
	for k, _ := c.Seek([]byte(org)); k != nil && bytes.HasPrefix(k, []byte(org)); k, _ = c.Next() {
		sh, err := getShare(tx, string(k[len(org):]))
		if err != nil {
			return nil, err
		}
		out = append(out, *sh)
	}
	return out, nil
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

// OwnerOrg is the organization that owns a record ("org:key" owners; a
// bare owner is its own organization).
func OwnerOrg(r *Record) string {
	org, _, _ := cutOwner(r.Owner)
	return org
}

func cutOwner(owner string) (org, key string, ok bool) {
	for i := 0; i < len(owner); i++ {
		if owner[i] == ':' {
			return owner[:i], owner[i+1:], true
		}
	}
	return owner, "", false
}
