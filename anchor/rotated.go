package anchor

import (
	"bytes"
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

// A member's node whose validator key was rotated (ActRotate) signs with
// the new key, under a new node member ID (Tx.Member), while its batches
// from before the rotation are recorded under the old one; its local batch
// numbers go on. From state version 6 the chain therefore finds a member's
// batch under any validator key the member ran (govval): a head or a
// deposit that names a batch from before the rotation is found, and a
// batch resubmitted under the new key after it landed under the old one is
// a duplicate, not a second copy of its leaves.

// appliedBatch is the bApplied record (first ‖ count ‖ height) of batch
// seq of the member whose node key hashes to member, or nil.
func appliedBatch(tx *bolt.Tx, member []byte, seq uint64) []byte {
	applied := tx.Bucket(bApplied)
	if v := applied.Get(binary.BigEndian.AppendUint64(bytes.Clone(member), seq)); len(v) == 20 {
		return v
	}
	for _, k := range otherMemberKeys(tx, member) {
		if v := applied.Get(binary.BigEndian.AppendUint64(k, seq)); len(v) == 20 {
			return v
		}
	}
	return nil
}

// otherMemberKeys lists the node member IDs (MemberOfKey) of the other
// validator keys of the member that key belongs to, in key order; none
// before state version 6 or for a key no member ran.
func otherMemberKeys(tx *bolt.Tx, key []byte) [][]byte {
	b := tx.Bucket(bGovVal)
	if b == nil {
		return nil
	}
	id := b.Get(key)
	if id == nil {
		return nil
	}
	var out [][]byte
	b.ForEach(func(k, v []byte) error {
		if bytes.Equal(v, id) && !bytes.Equal(k, key) {
			out = append(out, bytes.Clone(k))
		}
		return nil
	})
	return out
}
