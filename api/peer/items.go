package peer

import (
	"bytes"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Items of shared matters. A notice names a matter, not its items, so the
// grantee's node learns which member holds an item of a shared matter
// from the matter's listing at its home member (the member whose notice
// shared the matter): that member claims the items it lists. The reads
// of an item are then relayed to the member that claimed it, and to no
// other. As with notices (route), an item that two members claim for the
// same grantee is disputed for good and relayed to neither.
var bItems = []byte("peer.items") // item ‖ 0 ‖ grantee → member ID, or disputedTarget

// ClaimItems records that the listings of the matters members shared with
// org named the items in claims (member → items), all in one transaction:
// a pass's claims are taken together or not at all. An item already claimed
// for org by another member, or by two members here, is disputed from then
// on (Disputed); one claimed again by the same member is unchanged.
func (n *Node) ClaimItems(org string, claims map[string][]string) error {
	type dispute struct{ item, member string }
	var disputed []dispute
	err := n.cfg.DB.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bItems)
		for _, member := range slices.Sorted(maps.Keys(claims)) {
			for _, item := range claims[member] {
				k := targetKey(item, org)
				switch cur := b.Get(k); {
				case cur == nil:
					if err := b.Put(k, []byte(member)); err != nil {
						return err
					}
				case bytes.Equal(cur, disputedTarget):
				case n.cfg.Current(string(cur)) != n.cfg.Current(member):
					if err := b.Put(k, disputedTarget); err != nil {
						return err
					}
					disputed = append(disputed, dispute{item, member})
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range disputed {
		n.cfg.Log.Warn("peer: two members list the same item in matters shared with an organization; its reads are relayed to neither",
			"item", d.item, "grantee", org, "member", d.member)
	}
	return nil
}

// ItemHome is the member that listed item in a matter it shared with org
// (ClaimItems), by its current member ID; not ok if none did, or if it is
// disputed.
func (n *Node) ItemHome(org, item string) (member string, ok bool) {
	n.cfg.DB.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bItems).Get(targetKey(item, org))
		if v != nil && !bytes.Equal(v, disputedTarget) {
			member, ok = n.cfg.Current(string(v)), true
		}
		return nil
	})
	return member, ok
}

// itemDisputed reports whether two members listed item for org.
func itemDisputed(tx *bolt.Tx, org, item string) bool {
	return bytes.Equal(tx.Bucket(bItems).Get(targetKey(item, org)), disputedTarget)
}
