package anchor

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// TreeHead is what an AppHash commits to: the log's size and root, and
// from state version 2 the state map's root (hex) and from version 3 the
// log size at which version 3 began.
type TreeHead struct {
	Size       uint64
	Root       []byte
	StateRoot  string
	HeadsSince *uint64
}

// SplitAppHash decodes an AppHash (AppHash, AppHashV2 or AppHashV3).
func SplitAppHash(h []byte) (TreeHead, error) {
	var th TreeHead
	head := h
	switch {
	case len(h) == 40:
	case len(h) == 73 && h[0] == StateV2:
		th.StateRoot, head = hex.EncodeToString(h[41:]), h[1:41]
	case len(h) == 81 && h[0] == StateV3:
		th.StateRoot, head = hex.EncodeToString(h[41:73]), h[1:41]
		s := binary.BigEndian.Uint64(h[73:])
		th.HeadsSince = &s
	default:
		return th, fmt.Errorf("a %d-byte AppHash, want 40, 73 or 81", len(h))
	}
	th.Size, th.Root = binary.BigEndian.Uint64(head[:8]), head[8:]
	return th, nil
}

// StoredState reads the last committed height and AppHash from a stopped
// node's application state (its app.db), as Info reports them to
// CometBFT.
func StoredState(db *bolt.DB) (height int64, appHash []byte, err error) {
	err = db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bAppMeta)
		if m == nil {
			return nil
		}
		if v := m.Get([]byte("height")); len(v) == 8 {
			height = int64(binary.BigEndian.Uint64(v))
		}
		appHash = append([]byte(nil), m.Get([]byte("apphash"))...)
		return nil
	})
	return height, appHash, err
}

// StoredRootAt returns the root the stored log had at size leaves (it
// fails with ErrBadSize past the log's end).
func StoredRootAt(db *bolt.DB, size uint64) (root []byte, err error) {
	err = db.View(func(tx *bolt.Tx) error {
		root, err = NewLog(logBucket).RootAt(tx, size)
		return err
	})
	return root, err
}
