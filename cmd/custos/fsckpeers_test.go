package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/receipt"
)

// TestComparePeer checks fsck's verdict on a peer's checkpoints against a
// stored application state of three leaves after block 5.
func TestComparePeer(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "app.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := anchor.NewLog("log")
	var leaves [][]byte
	for i := range 3 {
		h := sha256.Sum256([]byte{0, byte(i)})
		leaves = append(leaves, h[:])
	}
	var root, root2 []byte
	err = db.Update(func(tx *bolt.Tx) error {
		if err := log.Init(tx); err != nil {
			return err
		}
		if _, err := log.Append(tx, leaves); err != nil {
			return err
		}
		var err error
		if _, root, err = log.Root(tx); err != nil {
			return err
		}
		if root2, err = log.RootAt(tx, 2); err != nil {
			return err
		}
		m, err := tx.CreateBucketIfNotExists([]byte("app"))
		if err != nil {
			return err
		}
		if err := m.Put([]byte("height"), binary.BigEndian.AppendUint64(nil, 5)); err != nil {
			return err
		}
		return m.Put([]byte("apphash"), anchor.AppHash(3, root))
	})
	if err != nil {
		t.Fatal(err)
	}
	height, hash, err := anchor.StoredState(db)
	if err != nil || height != 5 {
		t.Fatalf("StoredState = %d, %v", height, err)
	}
	local, err := anchor.SplitAppHash(hash)
	if err != nil {
		t.Fatal(err)
	}
	other := sha256.Sum256([]byte("another log"))
	cp := func(h int64, size uint64, r []byte) receipt.Checkpoint {
		return receipt.Checkpoint{Height: h, TreeSize: size, Root: hex.EncodeToString(r)}
	}
	for _, c := range []struct {
		name   string
		latest receipt.Checkpoint
		next   receipt.Checkpoint // the checkpoint at height 6
		want   string
	}{
		{"the peer signs the state in the next block", cp(6, 3, root), cp(6, 3, root), "same"},
		{"the peer has later blocks", cp(9, 4, other[:]), cp(6, 3, root), "behind"},
		{"the peer's next block signs another state", cp(6, 3, other[:]), cp(6, 3, other[:]), "DIFFERENT"},
		{"another tree size", cp(7, 4, root), cp(6, 4, root), "DIFFERENT"},
		{"the peer is at the same block", cp(5, 3, root), receipt.Checkpoint{}, "same"},
		{"the peer lags, on a prefix", cp(4, 2, root2), receipt.Checkpoint{}, "ahead"},
		{"the peer lags, on another log", cp(4, 2, other[:]), receipt.Checkpoint{}, "DIFFERENT"},
		{"the peer's log is longer at an earlier block", cp(4, 9, root), receipt.Checkpoint{}, "DIFFERENT"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				out := c.latest
				if h := r.URL.Query().Get("height"); h != "" {
					if n, _ := strconv.ParseInt(h, 10, 64); n != 6 || c.next.Height == 0 {
						http.Error(w, "no checkpoint", http.StatusNotFound)
						return
					}
					out = c.next
				}
				json.NewEncoder(w).Encode(out)
			}))
			defer srv.Close()
			got := comparePeer(context.Background(), client.DefaultTimeouts(), db, height, local, srv.URL)
			if got.Status != c.want || got.LocalHeight != 5 || got.PeerHeight != c.latest.Height {
				t.Errorf("comparePeer = %+v, want %s", got, c.want)
			}
		})
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	if got := comparePeer(context.Background(), client.DefaultTimeouts(), db, height, local, srv.URL); got.Status != "unreachable" || got.Error == "" {
		t.Errorf("comparePeer of a closed server = %+v, want unreachable", got)
	}
}
