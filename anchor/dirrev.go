package anchor

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Organization revisions (state version 8): each directory registration
// of transaction version 8 gives every organization it names a revision,
// which must be one more than the one the directory holds, so that the
// registration's bytes apply once (chain review finding 5).
//
//	dirrev  org ID → revision (8)
//
// committed in the state map under OrgRevKey(ID).

// OrgRevKey is the state-map key of an organization's revision (state
// version 8); its value is the revision, 8 bytes big-endian, after 24
// zero bytes.
func OrgRevKey(id string) [32]byte {
	return sha256.Sum256(append([]byte("custos/state/v8/orgrev\x00"), id...))
}

func orgRevValue(rev uint64) [32]byte {
	var v [32]byte
	binary.BigEndian.PutUint64(v[24:], rev)
	return v
}

// orgRevision is the revision the directory holds for an organization: 0
// if no version-8 registration named it.
func orgRevision(tx *bolt.Tx, id string) uint64 {
	if v := tx.Bucket(bDirRev).Get([]byte(id)); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// OrgRevision is the revision the directory holds for an organization (0
// if none): its next registration, of transaction version 8, carries one
// more.
func (a *App) OrgRevision(id string) (uint64, error) {
	var rev uint64
	err := a.db.View(func(tx *bolt.Tx) error {
		rev = orgRevision(tx, id)
		return nil
	})
	return rev, err
}

// checkRevision checks, from state version 8, that an organization's
// revision is one more than the directory holds (chain review finding 5:
// a registration without one could be put in a later block by anyone and
// undo what its member registered since). A stale, repeated or skipped
// one is code 4.
func checkRevision(tx *bolt.Tx, o OrgEntry) (uint32, string) {
	if cur := orgRevision(tx, o.ID); o.Revision != cur+1 {
		return CodeStale, fmt.Sprintf("organization %s: revision %d, the directory holds %d: want %d", o.ID, o.Revision, cur, cur+1)
	}
	return CodeOK, ""
}

// putRevision stores an organization's revision and queues its
// state-map entry (state version 8).
func (a *App) putRevision(tx *bolt.Tx, o OrgEntry, fail func(error)) {
	if err := tx.Bucket(bDirRev).Put([]byte(o.ID), binary.BigEndian.AppendUint64(nil, o.Revision)); err != nil {
		fail(err)
	}
	a.queuePair(OrgRevKey(o.ID), orgRevValue(o.Revision))
}
