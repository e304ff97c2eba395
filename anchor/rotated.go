package anchor

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

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

// A rotated member's directory entries, registrations, deposits and
// claims keep the node member ID they were recorded under (the chain
// state is not rewritten). The read methods (Org, OrgByName, Orgs,
// Claims, Deposit, DepositSM3, Registration, RegistrationsByNumber,
// SearchRegister) give the member's current node member ID instead, so
// that a reader comparing them with a node's member ID (its TLS
// certificate, Chain.Member) or naming the member finds the member as it
// is now. A transaction is still checked against the ID stored
// (StoredOrg, StoredRegistration).

// currentNode is the node member ID (hex) of the current validator key of
// the member that ran the node whose member ID is node (hex): node itself
// before state version 6, for a key no member ran, or for the member's
// current key; a removed member's last key.
func currentNode(tx *bolt.Tx, node string) string {
	b := tx.Bucket(bGovVal)
	if b == nil || len(node) != 2*sha256.Size {
		return node
	}
	key, err := hex.DecodeString(node)
	if err != nil {
		return node
	}
	id := b.Get(key)
	if id == nil {
		return node
	}
	m, ok := getMember(tx, id)
	if !ok {
		return node
	}
	if cur := MemberOfKey(m.ValidatorKey); cur != "" {
		return cur
	}
	return node
}

// CurrentNode is the node member ID of the current validator key of the
// member that ran the node whose member ID is node, and whether node is
// one a member ran (state version 6 on: the govval bucket). A removed
// member's is that of its last key.
func (a *App) CurrentNode(node string) (cur string, ok bool, err error) {
	err = a.db.View(func(tx *bolt.Tx) error {
		cur = currentNode(tx, node)
		if b := tx.Bucket(bGovVal); b != nil {
			if key, err := hex.DecodeString(node); err == nil {
				ok = b.Get(key) != nil
			}
		}
		return nil
	})
	if !ok {
		cur = node
	}
	return cur, ok, err
}

// memberKeys lists key and the node member IDs of the member's other
// validator keys (otherMemberKeys), key first.
func memberKeys(tx *bolt.Tx, key []byte) [][]byte {
	return append([][]byte{key}, otherMemberKeys(tx, key)...)
}
