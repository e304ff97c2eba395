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
// is now. StoredOrg and StoredRegistration give the ID stored; a
// transaction is checked against the member (sameMember, below).

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

// From state version 6 a transaction about a directory entry or a
// registration is checked against the member, not the node member ID the
// record was stored under: the node of a rotated member updates, renames
// and names its organizations recorded under its old key, and revokes its
// registrations filed under it, as it anchors on its batches. On a chain
// where no member's key was rotated this changes nothing (each member has
// one node member ID).

// ownKeys is what memberKeys gives when the member that runs (or ran) key
// is not removed, else key alone: the node member IDs under which a
// transaction signed with key finds its member's records.
func ownKeys(tx *bolt.Tx, key []byte) [][]byte {
	if b := tx.Bucket(bGovVal); b != nil {
		if id := b.Get(key); id != nil {
			if m, ok := getMember(tx, id); ok && m.Removed == 0 {
				return memberKeys(tx, key)
			}
		}
	}
	return [][]byte{key}
}

// sameMember reports whether a record stored under node member ID stored
// (hex) is the member's whose node signs as node (hex): the same ID, or
// two validator keys of one member not removed (ownKeys).
func sameMember(tx *bolt.Tx, node, stored string) bool {
	if node == stored {
		return true
	}
	key, err := memberKeyHex(node)
	if err != nil {
		return false
	}
	for _, k := range ownKeys(tx, key) {
		if hex.EncodeToString(k) == stored {
			return true
		}
	}
	return false
}

// ownRegEntry is the register's entry of registration id of the member
// whose node signs with key, under any key ownKeys gives, with the
// register key it is stored under.
func ownRegEntry(tx *bolt.Tx, key []byte, id string) ([]byte, RegEntry, bool) {
	for _, k := range ownKeys(tx, key) {
		ref := regKey(k, id)
		if e, ok := getRegEntry(tx, ref); ok {
			return ref, e, true
		}
	}
	return nil, RegEntry{}, false
}

// lastApplied is the highest batch number the log holds from the member
// whose node key hashes to member, under that key or any other validator
// key the member ran; 0 if none.
func lastApplied(tx *bolt.Tx, member []byte) uint64 {
	c := tx.Bucket(bApplied).Cursor()
	var last uint64
	for _, k := range append([][]byte{member}, otherMemberKeys(tx, member)...) {
		seek := binary.BigEndian.AppendUint64(bytes.Clone(k), ^uint64(0))
		key, _ := c.Seek(seek)
		if !bytes.Equal(key, seek) {
			key, _ = c.Prev()
		}
		if len(key) == len(k)+8 && bytes.HasPrefix(key, k) {
			last = max(last, binary.BigEndian.Uint64(key[len(k):]))
		}
	}
	return last
}
