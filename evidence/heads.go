package evidence

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/custody"
)

// Custody heads (docs/custody-events.md, "Custody heads"). Each anchoring
// batch carries, for every custody chain with an event in it, the chain's
// head after its last event there: its event count, counts by type and the
// RFC 6962 root of its events' leaf hashes. The chain's state map commits
// to SHA-256 of the head under custody.HeadKey(chain ID), so a receipt can
// prove how many events an item had at its checkpoint.

var rangeFactory = compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// chainOf splits a leaf-queue key into its chain's key prefix, the bucket
// its events are in, and the event's seq.
func chainOf(key []byte) (prefix []byte, bucket []byte, seq uint32, ok bool) {
	switch len(key) {
	case 12:
		return key[:8], bEvents, u32val(key[8:]), true
	case auditKeyLen:
		return key[:26], bAudit, u32val(key[26:]), true
	}
	return nil, nil, 0, false
}

// Heads returns the custody heads after the local leaves [from,
// from+count): for each chain with an event there, its head as of the last
// one (anchor.LeafSource).
func (s *Service) Heads(from uint64, count int, minEvents uint64) ([]anchor.HeadUpdate, error) {
	var out []anchor.HeadUpdate
	err := s.db.View(func(tx *bolt.Tx) error {
		last := map[string]uint32{}
		var order []string
		c := tx.Bucket(bLeaves).Cursor()
		end := from + uint64(count)
		for k, v := c.Seek(u64(from)); k != nil && u64val(k) < end; k, v = c.Next() {
			prefix, _, seq, ok := chainOf(v)
			if !ok {
				return fmt.Errorf("evidence: leaf %d has a key of %d bytes", u64val(k), len(v))
			}
			p := string(prefix)
			if n, seen := last[p]; !seen {
				order = append(order, p)
				last[p] = seq
			} else if seq > n {
				last[p] = seq
			}
		}
		out = make([]anchor.HeadUpdate, 0, len(order))
		for _, p := range order {
			if uint64(last[p])+1 < minEvents {
				continue
			}
			h, err := headOf(tx, []byte(p), last[p]+1)
			if err != nil {
				return err
			}
			u, err := headUpdate(h)
			if err != nil {
				return err
			}
			if u.FirstLocal, err = firstLeaf(tx, []byte(p)); err != nil {
				return err
			}
			out = append(out, u)
		}
		return nil
	})
	return out, err
}

// firstLeaf is the local leaf of the first event of the chain with key
// prefix.
func firstLeaf(tx *bolt.Tx, prefix []byte) (uint64, error) {
	v := tx.Bucket(bEvLeaf).Get(append(bytes.Clone(prefix), 0, 0, 0, 0))
	if len(v) != 8 {
		return 0, fmt.Errorf("evidence: chain %x has no leaf for its first event", prefix)
	}
	return u64val(v), nil
}

func headUpdate(h *custody.Head) (anchor.HeadUpdate, error) {
	v, err := h.Value()
	if err != nil {
		return anchor.HeadUpdate{}, err
	}
	return anchor.HeadUpdate{Key: custody.HeadKey(h.Evidence), Events: uint64(h.Count), Value: v}, nil
}

// chainBucket is the bucket of a chain's events, by the length of its key
// prefix.
func chainBucket(prefix []byte) []byte {
	if len(prefix) == 8 {
		return bEvents
	}
	return bAudit
}

// headOf computes the head of the chain with key prefix after its first n
// events.
func headOf(tx *bolt.Tx, prefix []byte, n uint32) (*custody.Head, error) {
	h, _, err := headAndLeaves(tx, prefix, n)
	return h, err
}

// headAndLeaves computes the head of a chain after its first n events, and
// returns their leaf hashes.
func headAndLeaves(tx *bolt.Tx, prefix []byte, n uint32) (*custody.Head, [][]byte, error) {
	b := tx.Bucket(chainBucket(prefix))
	c := b.Cursor()
	h := &custody.Head{V: custody.HeadVersion, Types: map[string]uint32{}}
	cr := rangeFactory.NewEmptyRange(0)
	leaves := make([][]byte, 0, n)
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+4 && h.Count < n; k, v = c.Next() {
		if u32val(k[len(prefix):]) != h.Count {
			return nil, nil, fmt.Errorf("evidence: chain %x has event %d where %d belongs: %w", prefix, u32val(k[len(prefix):]), h.Count, ErrNotFound)
		}
		typ := eventType(v)
		if h.Count == 0 {
			h.Evidence = eventField(v, `{"v":1,"evidence":"`)
		}
		if typ == "" {
			return nil, nil, fmt.Errorf("evidence: chain %x event %d has no type", prefix, h.Count)
		}
		leaf := rfc6962.DefaultHasher.HashLeaf(v)
		if err := cr.Append(leaf, nil); err != nil {
			return nil, nil, err
		}
		leaves = append(leaves, leaf)
		h.Types[typ]++
		h.Count++
	}
	if h.Count != n {
		return nil, nil, fmt.Errorf("evidence: chain %x has %d events, not %d: %w", prefix, h.Count, n, ErrNotFound)
	}
	root, err := cr.GetRootHash(nil)
	if err != nil {
		return nil, nil, err
	}
	h.Root = hex.EncodeToString(root)
	return h, leaves, nil
}

// headOfLeaves is the head of a chain's first len(raws) events, given
// their bytes and leaf hashes.
func headOfLeaves(id string, raws, leaves [][]byte) *custody.Head {
	h := &custody.Head{V: custody.HeadVersion, Evidence: id, Count: uint32(len(raws)), Types: map[string]uint32{}}
	cr := rangeFactory.NewEmptyRange(0)
	for i, raw := range raws {
		h.Types[eventType(raw)]++
		cr.Append(leaves[i], nil) // cannot fail on an empty range grown one leaf at a time
	}
	root, _ := cr.GetRootHash(nil)
	h.Root = hex.EncodeToString(root)
	return h
}

// prefixHeads calls fn with the value of the head of the first n events,
// for n from 1 to len(raws), until fn returns false: in one pass, each
// head's range grown by one leaf (O(n log n), where computing each head
// afresh is quadratic).
func prefixHeads(id string, raws, leaves [][]byte, fn func(n int, v [32]byte) bool) error {
	h := &custody.Head{V: custody.HeadVersion, Evidence: id, Types: map[string]uint32{}}
	cr := rangeFactory.NewEmptyRange(0)
	for i, raw := range raws {
		h.Types[eventType(raw)]++
		h.Count++
		if err := cr.Append(leaves[i], nil); err != nil {
			return err
		}
		root, err := cr.GetRootHash(nil)
		if err != nil {
			return err
		}
		h.Root = hex.EncodeToString(root)
		v, err := h.Value()
		if err != nil {
			return err
		}
		if !fn(i+1, v) {
			return nil
		}
	}
	return nil
}

// eventType reads the type of a stored event: its canonical encoding has
// `,"type":"` after the seq, and types need no escaping. Stored events
// were encoded, and so checked, by this node; the head's own encoding
// (custody.Head.Encode) checks the ID and types again.
func eventType(raw []byte) string { return eventField(raw, `,"type":"`) }

// eventField reads the string after marker in a stored event, up to the
// next quote (IDs and types need no escaping); "" if it is not there.
func eventField(raw []byte, marker string) string {
	i := bytes.Index(raw, []byte(marker))
	if i < 0 {
		return ""
	}
	rest := raw[i+len(marker):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// RegisterHeads submits the custody head of every chain of this node (each
// evidence item's and each organization's audit chain), in batches of heads
// only, once the chain state has heads (state version 2): chains that
// existed before an upgrade get a head even if they never get another
// event. It is idempotent (the chain skips a head it already holds, or a
// later one) and resumes where it stopped: bucket headsreg keeps, per
// events bucket and state version, 0x00 ‖ the last chain submitted, or
// 0x01 once done. State version 3 keys heads anew (custody.BoundHeadKey),
// so a node registers its chains once more after that upgrade.
func (s *Service) RegisterHeads(ctx context.Context, version int, submit func(context.Context, []anchor.HeadUpdate) error) (int, error) {
	total := 0
	for _, bucket := range [][]byte{bEvents, bAudit} {
		markKey := bucket
		if version >= anchor.StateV3 {
			markKey = append(bytes.Clone(bucket), 3)
		}
		for ctx.Err() == nil {
			heads, last, done, err := s.nextHeads(bucket, markKey, 2000)
			if err != nil {
				return total, err
			}
			if len(heads) > 0 {
				if err := submit(ctx, heads); err != nil {
					return total, err
				}
				total += len(heads)
			}
			mark := append([]byte{0}, last...)
			if done {
				mark = []byte{1}
			}
			if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bHeadsReg).Put(markKey, mark) }); err != nil {
				return total, err
			}
			if done {
				break
			}
		}
	}
	return total, ctx.Err()
}

// bHeadsReg records how far RegisterHeads got (see there).
var bHeadsReg = []byte("headsreg")

// nextHeads reads the heads of up to max chains after the one RegisterHeads
// stopped at; last is the key prefix of the last of them, done whether no
// chain is left.
func (s *Service) nextHeads(bucket, markKey []byte, max int) (out []anchor.HeadUpdate, last []byte, done bool, err error) {
	plen := 8
	if bytes.Equal(bucket, bAudit) {
		plen = auditKeyLen - 4
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		mark := tx.Bucket(bHeadsReg).Get(markKey)
		if len(mark) == 1 && mark[0] == 1 {
			done = true
			return nil
		}
		c := tx.Bucket(bucket).Cursor()
		k, _ := c.First()
		if len(mark) == plen+1 {
			k, _ = c.Seek(after(mark[1:]))
		}
		for ; k != nil && len(out) < max; k, _ = c.Seek(after(k[:plen])) {
			if len(k) != plen+4 {
				return fmt.Errorf("evidence: %s key of %d bytes", bucket, len(k))
			}
			prefix := bytes.Clone(k[:plen])
			h, err := headOf(tx, prefix, chainLen(tx, bucket, prefix))
			if err != nil {
				return err
			}
			u, err := headUpdate(h)
			if err != nil {
				return err
			}
			if u.FirstLocal, err = firstLeaf(tx, prefix); err != nil {
				return err
			}
			out, last = append(out, u), prefix
		}
		done = k == nil
		return nil
	})
	return out, last, done, err
}

// after is the smallest key past every key that starts with prefix and
// has a 4-byte seq after it.
func after(prefix []byte) []byte {
	return append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff)
}

// chainLen is the number of events of the chain with key prefix.
func chainLen(tx *bolt.Tx, bucket, prefix []byte) uint32 {
	c := tx.Bucket(bucket).Cursor()
	k, _ := c.Seek(after(prefix))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+4 {
		return 0
	}
	return u32val(k[len(prefix):]) + 1
}
