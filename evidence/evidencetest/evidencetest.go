// Package evidencetest builds evidence services for the tests of the
// packages built on evidence (evidence/copyright, evidence/certificates,
// evidence/integrity, evidence/proofs, evidence/records): a real bbolt
// file and a real storage.Folder in the test's temporary directory, or
// blobs in memory (Blobs); and reads and damages their stores as those
// tests need.
package evidencetest

import (
	"context"
	"crypto"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/storage"
)

// New returns an evidence service with cfg, over a new bbolt file in
// t.TempDir(); unless cfg sets them, its blobs go to a storage.Folder
// there and its tokens come from TSA{}. The database closes when the test
// ends.
func New(t testing.TB, cfg evidence.Config) *evidence.Service {
	t.Helper()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg.DB = db
	if cfg.Blobs == nil {
		if cfg.Blobs, err = storage.NewFolder(filepath.Join(dir, "blobs")); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.TSA == nil {
		cfg.TSA = TSA{}
	}
	s, err := evidence.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TSA is a stamper that answers every digest with a recognizable reply
// ("reply:" and the digest), or fails with Err.
type TSA struct{ Err error }

// Stamp answers the digest d.
func (f TSA) Stamp(_ context.Context, _ crypto.Hash, d []byte) (*notary.Token, error) {
	if f.Err != nil {
		return nil, f.Err
	}
	return &notary.Token{TSA: "fake", Time: time.Unix(1700000000, 0), Serial: "1", Reply: append([]byte("reply:"), d...)}, nil
}

// File files data as evidence of org, uploaded by the actor org+":key",
// and returns its record.
func File(t testing.TB, s *evidence.Service, org, data string) *evidence.Record {
	t.Helper()
	u, err := s.NewUpload(context.Background(), org+":key")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Abort()
	if _, err := u.ReadFrom(strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	r, err := u.Finish(context.Background(), evidence.Meta{Title: "work"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
