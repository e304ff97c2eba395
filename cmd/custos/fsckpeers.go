package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/client"
)

// peerCheck is fsck's comparison of a stopped member's chain state (its
// app.db) with one peer's, through the peer's public API.
//
// The local state is the one after block Height (the AppHash it stores);
// a peer's checkpoint at Height+1 carries the same AppHash in its signed
// header. Status is "same" (the states agree), "behind" (they agree, and
// the peer has blocks this member lacks beyond the next one: it catches up
// at its next start), "ahead" (the peer's log is a prefix of this member's,
// the peer lags), "DIFFERENT" (the states disagree at ComparedHeight) or
// "unreachable" (Error says why).
type peerCheck struct {
	Peer           string `json:"peer"`
	Status         string `json:"status"`
	LocalHeight    int64  `json:"local_height"`
	PeerHeight     int64  `json:"peer_height,omitempty"`
	ComparedHeight int64  `json:"compared_height,omitempty"` // the peer checkpoint's height compared
	LocalTreeSize  uint64 `json:"local_tree_size"`
	PeerTreeSize   uint64 `json:"peer_tree_size,omitempty"`
	Error          string `json:"error,omitempty"`
}

// checkPeers compares the member's stored chain state with each peer's.
func checkPeers(ctx context.Context, cfg Config, peers []string) ([]peerCheck, error) {
	path := filepath.Join(cfg.chainHome(), "app.db")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no chain state in %s: %w", cfg.chainHome(), err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w (is the node still running? fsck needs it stopped)", path, err)
	}
	defer db.Close()
	height, hash, err := anchor.StoredState(db)
	if err != nil {
		return nil, err
	}
	var local anchor.TreeHead
	if height > 0 {
		if local, err = anchor.SplitAppHash(hash); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	t, err := cliTimeouts(os.Getenv) // $CUSTOS_TIMEOUT bounds each call
	if err != nil {
		return nil, err
	}
	out := make([]peerCheck, 0, len(peers))
	for _, p := range peers {
		out = append(out, comparePeer(ctx, t, db, height, local, p))
	}
	return out, nil
}

func comparePeer(ctx context.Context, t client.Timeouts, db *bolt.DB, height int64, local anchor.TreeHead, peer string) peerCheck {
	pc := peerCheck{Peer: peer, LocalHeight: height, LocalTreeSize: local.Size}
	c := client.New(peer, "")
	c.HTTP = t.HTTPClient()
	latest, err := c.Checkpoint(ctx, 0)
	if err != nil {
		pc.Status, pc.Error = "unreachable", err.Error()
		return pc
	}
	pc.PeerHeight = latest.Height
	if latest.Height > height {
		// The peer's checkpoint at height+1 signs the state this member
		// stored after block height.
		cp, err := c.Checkpoint(ctx, height+1)
		if err != nil {
			pc.Status, pc.Error = "unreachable", err.Error()
			return pc
		}
		pc.ComparedHeight, pc.PeerTreeSize = cp.Height, cp.TreeSize
		switch {
		case cp.TreeSize != local.Size || cp.Root != hex.EncodeToString(local.Root) || cp.StateRoot != local.StateRoot:
			pc.Status = "DIFFERENT"
		case latest.Height > height+1:
			pc.Status = "behind"
		default:
			pc.Status = "same"
		}
		return pc
	}
	// The peer has no block after this member's last: its latest
	// checkpoint signs an older state, whose log must be a prefix of this
	// member's.
	pc.ComparedHeight, pc.PeerTreeSize = latest.Height, latest.TreeSize
	root, err := anchor.StoredRootAt(db, latest.TreeSize)
	switch {
	case err != nil || hex.EncodeToString(root) != latest.Root:
		pc.Status = "DIFFERENT"
	case latest.Height < height:
		pc.Status = "ahead"
	default:
		pc.Status = "same"
	}
	return pc
}
