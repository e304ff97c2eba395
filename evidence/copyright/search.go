package copyright

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/imagehash"
)

// Match kinds of a priority search.
const (
	MatchExact   = "exact"   // a file with the same SHA-256
	MatchSimilar = "similar" // an image within imagehash.Threshold of the perceptual hash
)

// Match is one registration found by a priority search.
type Match struct {
	Copyright *Copyright
	Item      string // the evidence ID of the matching file
	Kind      string // MatchExact or MatchSimilar
	Distance  int    // Hamming distance of the perceptual hashes; 0 for exact matches
	// AnchoredAt is when the registration's registered event became final
	// in the chain; zero while it is not anchored.
	AnchoredAt time.Time
}

// SearchCopyrights lists the registrations holding a file with the hex
// SHA-256 digest (exact matches) and, if ph is not nil, an image whose
// perceptual hash is within imagehash.Threshold of it (similar matches),
// one match per registration, the closest. They come in priority order:
// by the anchoring of the registration (its block, then its registration
// time), anchored ones first; unanchored ones, whose place is not yet
// settled, last, by registration time. At most MaxSearchMatches are
// returned; truncated tells whether more matched. The times at which the
// anchored ones became final are left for FillAnchoredAt.
//
// Similar matches scan every image hash of the register: a key of 60
// bytes (the 8-byte hash, the registration ID and the item ID) per image.
func (s *Register) SearchCopyrights(ctx context.Context, sha256Hex string, ph *imagehash.Hash) (ms []Match, truncated bool, err error) {
	var sum []byte
	if sha256Hex != "" {
		if sum, err = evidence.DecodeDigest(sha256Hex); err != nil {
			return nil, false, err
		}
	}
	best := map[string]*Match{}
	err = s.ev.View(func(tx *bolt.Tx) error {
		if sum != nil {
			c := tx.Bucket(bCrSHA256).Cursor()
			for k, _ := c.Seek(sum); k != nil && bytes.HasPrefix(k, sum); k, _ = c.Next() {
				id, item := splitIDs(k[32:])
				offer(best, &Match{Item: item, Kind: MatchExact}, id)
			}
		}
		if ph != nil {
			c := tx.Bucket(bCrPHash).Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				if d := imagehash.Distance(*ph, imagehash.Hash(binary.BigEndian.Uint64(k[:8]))); d <= imagehash.Threshold {
					id, item := splitIDs(k[8:])
					offer(best, &Match{Item: item, Kind: MatchSimilar, Distance: d}, id)
				}
			}
		}
		for id, m := range best {
			c, err := getCopyright(tx, id)
			if err != nil {
				return err
			}
			m.Copyright = c
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	out := make([]Match, 0, len(best))
	for _, m := range best {
		out = append(out, *m)
	}
	slices.SortFunc(out, priority)
	truncated = len(out) > MaxSearchMatches
	if truncated {
		out = out[:MaxSearchMatches]
	}
	return out, truncated, nil
}

// MaxSearchMatches bounds the matches a search returns: the earliest
// ones in priority order.
const MaxSearchMatches = 500

// offer keeps m for registration id unless a better match is kept.
func offer(best map[string]*Match, m *Match, id string) {
	if old, ok := best[id]; ok && (old.Kind == MatchExact || old.Distance <= m.Distance) {
		return
	}
	best[id] = m
}

// splitIDs splits a registration ID and an item ID written one after the
// other.
func splitIDs(b []byte) (id, item string) {
	return string(b[:len(b)/2]), string(b[len(b)/2:])
}

// priority orders matches: anchored by block, unanchored last; then by
// registration time and ID.
func priority(a, b Match) int {
	ha, hb := a.Copyright.AnchoredHeight, b.Copyright.AnchoredHeight
	if (ha == 0) != (hb == 0) {
		return cmp.Compare(hb, ha) // the unanchored (0) one goes last
	}
	return cmp.Or(cmp.Compare(ha, hb), a.Copyright.RegisteredAt.Compare(b.Copyright.RegisteredAt), cmp.Compare(a.Copyright.ID, b.Copyright.ID))
}

// Finality is what FillAnchoredAt needs of the chain (proofs.Prover):
// when the leaves appended at a height became final, ok false on a node
// without a chain.
type Finality interface {
	FinalAt(ctx context.Context, height int64) (t time.Time, ok bool, err error)
}

// FillAnchoredAt sets the time each anchored match of a priority search
// (SearchCopyrights) became final; on a node without a chain it sets none.
func FillAnchoredAt(ctx context.Context, f Finality, ms []Match) error {
	times := map[int64]time.Time{}
	for i := range ms {
		h := ms[i].Copyright.AnchoredHeight
		if h == 0 {
			continue
		}
		if _, ok := times[h]; !ok {
			t, ok, err := f.FinalAt(ctx, h)
			if err != nil || !ok {
				return err
			}
			times[h] = t
		}
		ms[i].AnchoredAt = times[h]
	}
	return nil
}
