package evidence

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
)

var (
	bByOrg    = []byte("byorg")    // owner org ‖ seq(8) → ∅
	bByMatter = []byte("bymatter") // matter ‖ seq(8) → ∅
)

// indexRecord adds a new record to the per-organization and per-matter
// indexes, in the record's own transaction, after its created event. Filed
// into a matter that is shared, the record gets a "shared" custody event
// for each organization the matter is shared with, as the matter's other
// items did when it was shared.
func indexRecord(tx *bolt.Tx, r *Record, now string) error {
	org := OwnerOrg(r)
	key := binary.BigEndian.AppendUint64(append(make([]byte, 0, len(org)+8), org...), r.Seq)
	if err := sequential(tx.Bucket(bByOrg)).Put(key, nil); err != nil {
		return err
	}
	if r.Matter == "" {
		return nil
	}
	if err := tx.Bucket(bByMatter).Put(append([]byte(r.Matter), u64(r.Seq)...), nil); err != nil {
		return err
	}
	at, err := time.Parse(custody.TimeFormat, now)
	if err != nil {
		return err
	}
	c := tx.Bucket(bShareIdx).Cursor()
	for k, v := c.Seek([]byte(r.Matter)); k != nil && bytes.HasPrefix(k, []byte(r.Matter)); k, v = c.Next() {
		sh, err := getShare(tx, string(v))
		if err != nil || !sh.Active(at) {
			continue
		}
		e := &custody.Event{V: custody.EventVersion, Evidence: r.ID, Type: custody.EventShared, Time: now, Actor: sh.CreatedBy, Subject: "org:" + sh.Grantee}
		if err := appendEvent(tx, r.Seq, e); err != nil {
			return err
		}
	}
	return nil
}

// Query selects evidence an organization may see. Zero fields match all.
type Query struct {
	Matter string
	SHA256 string
	Title  string // case-insensitive substring
	From   time.Time
	To     time.Time
	// Cursor continues a listing (Page.Next); Limit caps a page (default
	// 50, at most 500).
	Cursor string
	Limit  int
}

// Page is one page of a listing, newest first.
type Page struct {
	Items []*Record
	Next  string // "" on the last page
	// Shared counts the items on the page that the organization sees
	// through a share rather than as their owner.
	Shared int
}

// List pages through the evidence org may see: its own and what is shared
// with it, newest first. The cursor seals the position (record sequence) of
// the last item returned, so pages are stable while new evidence arrives;
// it is opaque and good only for org's evidence listing (cursor.go).
// Each listed item gets a "listed" custody event (or, repeated inside its
// fold window, is counted in one; see readfold.go): seeing metadata in a
// list is a view too.
func (s *Service) List(ctx context.Context, org, actor string, q Query) (*Page, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	before := uint64(1<<63 - 1)
	if q.Cursor != "" {
		var err error
		if before, err = s.cursors.parseSeq(listEvidence, org, q.Cursor); err != nil {
			return nil, err
		}
	}
	page := &Page{}
	err := s.db.View(func(tx *bolt.Tx) error {
		seqs := s.candidates(tx, org, q, before)
		now := s.cfg.Now()
		for _, seq := range seqs {
			r, err := getRecord(tx, seq)
			if err != nil {
				return err
			}
			if !s.visible(tx, r, org, now) || !q.matches(r) {
				continue
			}
			if len(page.Items) == limit {
				last := page.Items[len(page.Items)-1].Seq
				page.Next = s.cursors.formatSeq(listEvidence, org, last)
				return nil
			}
			page.Items = append(page.Items, r)
			if !s.owns(tx, r, org) {
				page.Shared++
			}
		}
		return nil
	})
	if err != nil || len(page.Items) == 0 {
		return page, err
	}
	if afterListViewHook != nil {
		afterListViewHook()
	}
	// The right to see each item is decided again in the transaction that
	// records the reads: an item whose share was revoked, or expired,
	// since the page was chosen leaves the page unrecorded. (Next stays:
	// the page still ends where it was cut.)
	chosen := page.Items
	var listed []*Record
	var shared int
	err = s.commits.commit(func(tx *bolt.Tx) error {
		listed, shared = listed[:0], 0 // the group commit may run this more than once
		now := s.cfg.Now()
		for _, r := range chosen {
			if !s.visible(tx, r, org, now) {
				continue
			}
			if _, err := s.appendRead(tx, r.Seq, r.ID, actor, custody.EventListed, "", now); err != nil {
				return err
			}
			listed = append(listed, r)
			if !s.owns(tx, r, org) {
				shared++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	page.Items, page.Shared = listed, shared
	s.leavesQueued()
	return page, nil
}

// afterListViewHook, set by tests, runs in List between the transaction
// that chose the page and the one that records its reads: a test revokes
// a share there to race the listing against the revocation.
var afterListViewHook func()

func (q *Query) matches(r *Record) bool {
	switch {
	case q.Matter != "" && r.Matter != q.Matter,
		q.SHA256 != "" && r.SHA256 != q.SHA256,
		q.Title != "" && !strings.Contains(strings.ToLower(r.Title), strings.ToLower(q.Title)),
		!q.From.IsZero() && r.CreatedAt.Before(q.From),
		!q.To.IsZero() && !r.CreatedAt.Before(q.To):
		return false
	}
	return true
}

// candidates returns, newest first, the sequence numbers (below before)
// of records that might be visible to org: its own, those in matters
// shared with it, and those shared with it one by one. A query by digest
// or by matter starts from that index instead.
func (s *Service) candidates(tx *bolt.Tx, org string, q Query, before uint64) []uint64 {
	set := map[uint64]bool{}
	add := func(bucket []byte, prefix []byte) {
		c := tx.Bucket(bucket).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if seq := u64val(k[len(k)-8:]); seq < before {
				set[seq] = true
			}
		}
	}
	switch {
	case q.SHA256 != "":
		if sum, err := decodeHex32(q.SHA256); err == nil {
			for _, seq := range s.digests.Seqs(tx, sum) {
				if seq < before {
					set[seq] = true
				}
			}
		}
	case q.Matter != "":
		add(bByMatter, []byte(q.Matter))
	default:
		add(bByOrg, []byte(org))
		c := tx.Bucket(bGranted).Cursor()
		for k, _ := c.Seek([]byte(org)); k != nil && bytes.HasPrefix(k, []byte(org)); k, _ = c.Next() {
			sh, err := getShare(tx, string(k[len(org):]))
			if err != nil || !sh.Active(s.cfg.Now()) {
				continue
			}
			if sh.Kind == ShareMatter {
				add(bByMatter, []byte(sh.Target))
			} else if seq, ok := getSeq(tx, sh.Target); ok && seq < before {
				set[seq] = true
			}
		}
	}
	out := make([]uint64, 0, len(set))
	for seq := range set {
		out = append(out, seq)
	}
	slices.Sort(out)
	slices.Reverse(out) // newest first
	return out
}

// ListShared records that org saw, in a list, the items ids name that are
// shared with it (not its own) and that it may see now: a "listed" custody
// event each (folded as List's are), in one transaction, which also
// decides again whether each is still visible. It returns their records by
// ID; an item not found, org's own, or no longer visible to org is not
// recorded and not returned. The list of shares an organization received
// names each item through it (docs/security.md, finding A7).
func (s *Service) ListShared(ctx context.Context, org, actor string, ids []string) (map[string]*Record, error) {
	out := map[string]*Record{}
	if len(ids) == 0 {
		return out, nil
	}
	err := s.commits.commit(func(tx *bolt.Tx) error {
		clear(out) // the group commit may run this more than once
		now := s.cfg.Now()
		for _, id := range ids {
			seq, ok := getSeq(tx, id)
			if !ok || out[id] != nil {
				continue
			}
			r, err := getRecord(tx, seq)
			if err != nil {
				return err
			}
			if s.owns(tx, r, org) || !s.visible(tx, r, org, now) {
				continue
			}
			if _, err := s.appendRead(tx, r.Seq, r.ID, actor, custody.EventListed, "", now); err != nil {
				return err
			}
			out[id] = r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) > 0 {
		s.leavesQueued()
	}
	return out, nil
}
