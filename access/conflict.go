package access

import (
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// bConflicts holds, per organization, the name conflict in the
// consortium's directory it was last told of: org id → NameConflict JSON.
var bConflicts = []byte("orgconflicts")

// bClaimsTold holds the claims to its names a holder organization was told
// of: holder org id ‖ 0x00 ‖ claimant org id → the name claimed.
var bClaimsTold = []byte("orgclaimstold")

// NameConflict is a conflict that keeps an organization out of the
// consortium's directory: another member's organization, Holder, homed on
// HolderMember, registered the name first.
type NameConflict struct {
	Name         string `json:"name"`
	Holder       string `json:"holder"`
	HolderMember string `json:"holder_member"`
}

// ToldConflicts returns, by organization ID, the name conflicts the
// organizations were told of and that stand.
func (s *Store) ToldConflicts() (map[string]*NameConflict, error) {
	out := map[string]*NameConflict{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bConflicts).ForEach(func(k, v []byte) error {
			var c NameConflict
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			out[string(k)] = &c
			return nil
		})
	})
	return out, err
}

// PutToldConflictTx records in tx that org was told of c; a nil c clears
// the record, so that a later conflict is told again.
func PutToldConflictTx(tx *bolt.Tx, org string, c *NameConflict) error {
	if c == nil {
		return tx.Bucket(bConflicts).Delete([]byte(org))
	}
	return put(tx, bConflicts, org, c)
}

// ToldClaimTx reports whether holder was told, in tx, of claimant's claim
// to name.
func ToldClaimTx(tx *bolt.Tx, holder, claimant, name string) bool {
	return string(tx.Bucket(bClaimsTold).Get([]byte(holder+"\x00"+claimant))) == name
}

// PutToldClaimTx records in tx that holder was told of claimant's claim to
// name.
func PutToldClaimTx(tx *bolt.Tx, holder, claimant, name string) error {
	return tx.Bucket(bClaimsTold).Put([]byte(holder+"\x00"+claimant), []byte(name))
}

// ToldClaim reports whether holder was told of claimant's claim to name.
func (s *Store) ToldClaim(holder, claimant, name string) (bool, error) {
	var told bool
	err := s.db.View(func(tx *bolt.Tx) error {
		told = ToldClaimTx(tx, holder, claimant, name)
		return nil
	})
	return told, err
}
