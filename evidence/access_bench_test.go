package evidence

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
)

// BenchmarkAccessAs: the cost of deciding the reader's right inside the
// read's transaction (AccessAs) against recording the read alone (Access,
// the path before), for the owner and for a grantee (a share to look up),
// with 16 readers a core in parallel through the group commit, fsync on, reads
// folded as on a node (default window), each reader its own actor.
func BenchmarkAccessAs(b *testing.B) {
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "b.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s, err := New(ctx, Config{DB: db, Blobs: newMemBlobs(), TSA: fakeTSA{}, Now: time.Now})
	if err != nil {
		b.Fatal(err)
	}
	rec := uploadAs(b, s, foldFirm+":k", "exhibit")
	sh := &Share{ID: NewID(), Kind: ShareEvidence, Target: rec.ID, Owner: foldFirm, Grantee: foldCourt, CreatedBy: foldFirm + ":k", CreatedAt: time.Now().UTC()}
	if err := s.Update(func(tx *bolt.Tx) error { return s.PutShare(tx, sh) }); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		read func(actor string) error
	}{
		{"Access", func(actor string) error {
			_, _, err := s.Access(ctx, rec.ID, actor, custody.EventViewed, "metadata")
			return err
		}},
		{"AccessAs/owner", func(actor string) error {
			_, _, err := s.AccessAs(ctx, rec.ID, foldFirm, actor, custody.EventViewed, "metadata")
			return err
		}},
		{"AccessAs/grantee", func(actor string) error {
			_, _, err := s.AccessAs(ctx, rec.ID, foldCourt, actor, custody.EventViewed, "metadata")
			return err
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var n atomic.Int64
			b.SetParallelism(16) // readers enough to fill group commits
			b.RunParallel(func(pb *testing.PB) {
				actor := fmt.Sprintf("%s:r%d", strings.ReplaceAll(bc.name, "/", "-"), n.Add(1))
				for pb.Next() {
					if err := bc.read(actor); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
