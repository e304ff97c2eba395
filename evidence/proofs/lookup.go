package proofs

import (
	"context"
	"encoding/hex"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
)

// Lookup is what the public lookup reveals of a digest: whether and when a
// created event carrying it was first anchored, and, from the
// consortium's digest index (chain state version 4), which member's node
// filed it and how many deposits carry it; nothing about its owner or
// metadata.
type Lookup struct {
	SHA256     string    `json:"sha256"`
	SM3        string    `json:"sm3,omitempty"` // when asked by SM3
	Anchored   bool      `json:"anchored"`
	AnchoredAt time.Time `json:"anchored_at,omitzero"` // time of the block that made it final; absent while this node does not hold that block yet
	Height     int64     `json:"height,omitempty"`
	// Member is the member ID (anchor.Tx.Member) of the node that filed
	// the first deposit, and MemberName its name in the trust bundle.
	Member     string `json:"member,omitempty"`
	MemberName string `json:"member_name,omitempty"`
	Deposits   uint64 `json:"deposits,omitempty"` // deposits in the index that carry the digest
}

// LookupSHA256 answers the lookup for a hex SHA-256 digest: from this
// node's own records, and from the consortium's digest index, which knows
// every member's deposits; the earlier anchoring wins. An unlisted record
// (Meta.Unlisted) counts only for reader, an organization that may read
// it; reader "" is the public lookup.
func (p *Prover) LookupSHA256(ctx context.Context, hexDigest, reader string) (*Lookup, error) {
	out := &Lookup{SHA256: hexDigest}
	sum, err := evidence.DecodeDigest(hexDigest)
	if err != nil {
		return nil, err
	}
	var first int64
	now := p.s.Now()
	err = p.s.View(func(tx *bolt.Tx) error {
		for _, seq := range p.s.DigestItems(tx, sum) {
			r, err := evidence.RecordAt(tx, seq)
			if err != nil {
				return err
			}
			if r.IsUnlisted() && (reader == "" || !p.s.VisibleIn(tx, r, reader, now)) {
				continue
			}
			if r.Status == evidence.StatusAnchored && (first == 0 || r.AnchoredHeight < first) {
				first = r.AnchoredHeight
			}
		}
		return nil
	})
	if err != nil || p.a == nil {
		return out, err
	}
	if di, ok := p.a.(DigestIndex); ok {
		d, found, err := di.Deposit([32]byte(sum))
		if err != nil {
			return nil, err
		}
		if found {
			out.Member, out.MemberName, out.Deposits = d.Member, p.members[d.Member], d.Count
			if first == 0 || d.Height < first {
				first = d.Height
			}
		}
	}
	if first == 0 {
		return out, nil
	}
	// A node still fetching the blocks it missed (after a restore, say)
	// may know the height from its records before it holds the block: the
	// answer then has no time.
	t, _ := p.anchoredAt(ctx, first)
	out.Anchored, out.Height, out.AnchoredAt = true, first, t
	return out, nil
}

// LookupSM3 answers the public lookup for a hex SM3 digest, which only the
// consortium's digest index knows (a node that computes SM3 deposits it):
// as LookupSHA256 for the SHA-256 of the first deposit with that SM3.
func (p *Prover) LookupSM3(ctx context.Context, hexDigest, reader string) (*Lookup, error) {
	sum, err := evidence.DecodeDigest(hexDigest)
	if err != nil {
		return nil, err
	}
	out := &Lookup{SM3: hexDigest}
	di, ok := p.a.(DigestIndex)
	if !ok {
		return out, nil
	}
	d, found, err := di.DepositSM3([32]byte(sum))
	if err != nil || !found {
		return out, err
	}
	if out, err = p.LookupSHA256(ctx, hex.EncodeToString(d.SHA256[:]), reader); err != nil {
		return nil, err
	}
	out.SM3 = hexDigest
	return out, nil
}

// anchoredAt is the time at which leaves appended at height became final.
// The block that appended them carries the time of the block before
// (CometBFT's header time comes from the previous votes); the next block's
// time, when it made the anchoring final, is the honest one.
func (p *Prover) anchoredAt(ctx context.Context, height int64) (time.Time, error) {
	t, err := p.a.BlockTime(ctx, height+1)
	if err != nil {
		if t, err = p.a.BlockTime(ctx, height); err != nil {
			return time.Time{}, err
		}
	}
	return t.UTC(), nil
}

// FinalAt returns when the leaves appended at height became final in the
// chain (see anchoredAt); ok is false on a node without a chain.
func (p *Prover) FinalAt(ctx context.Context, height int64) (t time.Time, ok bool, err error) {
	if p.a == nil {
		return time.Time{}, false, nil
	}
	t, err = p.anchoredAt(ctx, height)
	return t, err == nil, err
}
