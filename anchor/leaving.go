package anchor

import (
	"encoding/hex"
	"maps"

	bolt "go.etcd.io/bbolt"
)

// Leaving (docs/governance.md, "Leaving the consortium"). A removed
// member's records stay in the chain as they were: its log leaves, custody
// heads, deposits, directory entries and registrations keep their place in
// the state map, so every receipt and proof made with them stays valid.
// Nothing is rewritten when a member leaves; whether a record belongs to a
// former member is read from the member list at the time it is asked
// (FormerMembers), so the chain state keeps its version.

// FormerMembers maps the node member ID (Tx.Member) of every validator key
// a removed member's node ran (the govval bucket: its first key and any it
// rotated to) to that member, whose Removed is the height it was removed
// at. Directory entries, deposits and shares recorded under one of these
// IDs belong to a former member. Empty before state version 6. The map is
// the caller's.
func (a *App) FormerMembers() (map[string]Member, error) {
	l, err := a.memberLists()
	return maps.Clone(l.former), err
}

// readFormerMembers reads FormerMembers' map from the database.
func (a *App) readFormerMembers() (map[string]Member, error) {
	out := map[string]Member{}
	err := a.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bGovVal)
		if b == nil {
			return nil
		}
		return b.ForEach(func(node, id []byte) error {
			if m, ok := getMember(tx, id); ok && m.Removed != 0 {
				out[hex.EncodeToString(node)] = m
			}
			return nil
		})
	})
	return out, err
}
