package evidencetest

import (
	"context"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/receipt"
)

// LogAnchor is a proofs.Anchor (and an integrity.Anchor) that anchors, when made, every leaf the
// service queued into a real anchor.Log of its own: local leaf i is global
// leaf i, and the checkpoint (height 2, state version 1) is the whole log.
type LogAnchor struct {
	db  *bolt.DB
	log *anchor.Log
}

// NewLogAnchor anchors every leaf s has queued so far.
func NewLogAnchor(t testing.TB, s *evidence.Service) *LogAnchor {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "log.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a := &LogAnchor{db: db, log: anchor.NewLog("log")}
	leaves, err := s.LeafHashes(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		if err := a.log.Init(tx); err != nil {
			return err
		}
		_, err := a.log.Append(tx, leaves)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return a
}

// Locate returns local, in the log.
func (a *LogAnchor) Locate(local uint64) (uint64, bool, error) { return local, true, nil }

// Checkpoint is the whole log at height 2, unsigned.
func (a *LogAnchor) Checkpoint(context.Context) (*receipt.Checkpoint, error) {
	var cp receipt.Checkpoint
	err := a.db.View(func(tx *bolt.Tx) error {
		size, root, err := a.log.Root(tx)
		cp = receipt.Checkpoint{Height: 2, TreeSize: size, Root: hex.EncodeToString(root)}
		return err
	})
	return &cp, err
}

// InclusionProof proves leaf index into the log of the given size.
func (a *LogAnchor) InclusionProof(index, size uint64) ([][]byte, error) {
	var p [][]byte
	err := a.db.View(func(tx *bolt.Tx) (err error) {
		p, err = a.log.InclusionProof(tx, index, size)
		return err
	})
	return p, err
}

// BlockTime is the zero time.
func (a *LogAnchor) BlockTime(context.Context, int64) (time.Time, error) { return time.Time{}, nil }

// ProveState is never asked: the checkpoints are of state version 1.
func (a *LogAnchor) ProveState([32]byte, int64) (*anchor.StateProof, error) {
	return nil, anchor.ErrStateGone
}
