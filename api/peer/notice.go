package peer

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/internal/strictjson"
)

// Notice tells the grantee's home node of a share made, or revoked, on the
// item's home node (version 1). It names no more than the grantee's node
// needs to list the share and to ask for the item.
type Notice struct {
	V           int        `json:"v"`            // 1
	Share       string     `json:"share"`        // the share's ID at the home node
	Kind        string     `json:"kind"`         // evidence or matter
	Target      string     `json:"target"`       // the evidence or matter ID
	Grantor     string     `json:"grantor"`      // the sharing organization's ID
	GrantorName string     `json:"grantor_name"` // its name in the directory
	Grantee     string     `json:"grantee"`      // the organization it is shared with
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
}

// Inbound is a share another member made with one of this node's
// organizations, as its notices told it: the latest state, with the home
// member it came from.
type Inbound struct {
	Notice
	Member string `json:"member"` // the home member's ID, which made the share
	// Seq orders the shares as this node first stored them (the inbox
	// bucket's sequence; 0 for one stored before session 24): the share
	// sync revokes a share missing from the home node's list only if it was
	// stored here before the sync asked (sync.go). A counter, not a clock,
	// so that a clock stepped back cannot make a later share look earlier.
	Seq uint64 `json:"seq,omitempty"`
	// Withdrawn marks a revocation made here by the share sync (the home
	// node's list no longer had the share), not told by the home node: if
	// the home node lists the share again (a restore that lost it, then a
	// newer one that has it), it is active again, never told back to the
	// home node as revoked.
	Withdrawn bool `json:"withdrawn,omitempty"`
}

// Active reports whether the share grants access at now, as far as this
// node knows (the home node decides on every read).
func (in *Inbound) Active(now time.Time) bool {
	return in.RevokedAt == nil && (in.ExpiresAt == nil || now.Before(*in.ExpiresAt))
}

// ErrBadNotice means a notice is malformed.
var ErrBadNotice = errors.New("peer: malformed share notice")

const maxID = 64

// DecodeNotice parses a notice strictly. Its errors wrap ErrBadNotice,
// and strictjson.ErrNotObject too for a document that is not an object.
func DecodeNotice(b []byte) (*Notice, error) {
	var nt Notice
	if err := strictjson.Decode(b, &nt); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadNotice, err)
	}
	if err := nt.check(); err != nil {
		return nil, err
	}
	return &nt, nil
}

// check applies the rules of a version-1 notice; its errors wrap
// ErrBadNotice.
func (nt *Notice) check() error {
	switch {
	case nt.V != 1:
		return fmt.Errorf("%w: version %d, want 1", ErrBadNotice, nt.V)
	case nt.Kind != "evidence" && nt.Kind != "matter":
		return fmt.Errorf("%w: kind %q", ErrBadNotice, nt.Kind)
	case !okID(nt.Share) || !okID(nt.Target) || !okID(nt.Grantor) || !okID(nt.Grantee):
		return fmt.Errorf("%w: share, target, grantor and grantee are IDs of 1 to %d printable ASCII characters", ErrBadNotice, maxID)
	case len(nt.GrantorName) > 800 || nt.CreatedAt.IsZero():
		return fmt.Errorf("%w: grantor_name too long or created_at missing", ErrBadNotice)
	}
	return nil
}

func okID(s string) bool {
	if s == "" || len(s) > maxID {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Buckets of the outbox (on the home node) and the inbox (on the
// grantee's node).
var (
	bOutbox  = []byte("peer.outbox")  // seq(8) → outgoing JSON
	bInbox   = []byte("peer.inbox")   // share ID → Inbound JSON
	bGranted = []byte("peer.granted") // grantee ‖ share ID → ∅
	bTarget  = []byte("peer.target")  // target ‖ 0 ‖ grantee → share ID (the newest), or disputedTarget
)

type outgoing struct {
	Member string `json:"member"`
	Notice Notice `json:"notice"`
}

func createBuckets(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bOutbox, bRefused, bInbox, bGranted, bTarget, bItems} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
}

// enqueue records, inside tx, a notice owed to member.
func enqueue(tx *bolt.Tx, member string, nt Notice) error {
	b := tx.Bucket(bOutbox)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	v, err := json.Marshal(outgoing{Member: member, Notice: nt})
	if err != nil {
		return err
	}
	return b.Put(binary.BigEndian.AppendUint64(nil, seq), v)
}

// receive merges a notice from member into the inbox and returns the
// share as now known, and whether it is new here. It is idempotent:
// redelivering a notice changes nothing, and a share the home node
// revoked stays revoked whatever arrives after; one the share sync
// withdrew here takes the home node's word (withdraw). current
// (Config.Current) makes a member's node after a rotation of its key the
// sender of the shares its node noticed before.
func receive(tx *bolt.Tx, member string, nt *Notice, current func(string) string) (*Inbound, bool, error) {
	in := Inbound{Notice: *nt, Member: member}
	box := tx.Bucket(bInbox)
	v := box.Get([]byte(nt.Share))
	isNew := v == nil
	if v != nil {
		var old Inbound
		if err := json.Unmarshal(v, &old); err != nil {
			return nil, false, err
		}
		in.Seq = old.Seq
		if current(old.Member) != current(member) || old.Grantee != nt.Grantee || old.Target != nt.Target || old.Kind != nt.Kind {
			return nil, false, fmt.Errorf("%w: share %s is known with other parties", ErrBadNotice, nt.Share)
		}
		if old.RevokedAt != nil && !old.Withdrawn {
			in.RevokedAt = old.RevokedAt
		}
	} else {
		seq, err := box.NextSequence()
		if err != nil {
			return nil, false, err
		}
		in.Seq = seq
	}
	b, err := json.Marshal(in)
	if err != nil {
		return nil, false, err
	}
	if bytes.Equal(v, b) {
		return &in, false, nil
	}
	if err := box.Put([]byte(nt.Share), b); err != nil {
		return nil, false, err
	}
	if err := tx.Bucket(bGranted).Put([]byte(nt.Grantee+nt.Share), nil); err != nil {
		return nil, false, err
	}
	if err := route(tx, member, &in, current); err != nil {
		return nil, false, err
	}
	return &in, isNew, nil
}

// route keeps in's share, if active, as the one whose home member the
// reads of (target, grantee) are relayed to. Evidence and matter IDs are
// random and held by one member: a target that two members claim for the
// same grantee is disputed for good (disputedTarget) and relayed to
// neither, so that a member that learned another's item ID cannot take
// over its reads by a notice of its own, before or after the true home's.
func route(tx *bolt.Tx, member string, in *Inbound, current func(string) string) error {
	b, k := tx.Bucket(bTarget), targetKey(in.Target, in.Grantee)
	switch cur := b.Get(k); {
	case bytes.Equal(cur, disputedTarget):
		return nil
	case cur != nil && string(cur) != in.Share:
		other, err := getInbound(tx, string(cur))
		if err != nil {
			return err
		}
		if other != nil && current(other.Member) != current(member) {
			return b.Put(k, disputedTarget)
		}
	}
	if in.RevokedAt != nil {
		return nil
	}
	return b.Put(k, []byte(in.Share))
}

// disputedTarget marks a target two members claimed for one grantee:
// no share ID (printable ASCII) is a zero byte.
var disputedTarget = []byte{0}

func targetKey(target, grantee string) []byte {
	return append(append([]byte(target), 0), grantee...)
}

func getInbound(tx *bolt.Tx, share string) (*Inbound, error) {
	v := tx.Bucket(bInbox).Get([]byte(share))
	if v == nil {
		return nil, nil
	}
	var in Inbound
	return &in, json.Unmarshal(v, &in)
}
