package evidence

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/receipt"
)

// logAnchor anchors every queued leaf at once into an anchor.Log of its
// own: local leaf i is global leaf i, and the checkpoint is the whole log.
type logAnchor struct {
	db  *bolt.DB
	log *anchor.Log
}

func newLogAnchor(t testing.TB, s *Service) *logAnchor {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "log.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a := &logAnchor{db: db, log: anchor.NewLog("log")}
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

func (a *logAnchor) Locate(local uint64) (uint64, bool, error) { return local, true, nil }

func (a *logAnchor) Checkpoint(context.Context) (*receipt.Checkpoint, error) {
	var cp receipt.Checkpoint
	err := a.db.View(func(tx *bolt.Tx) error {
		size, root, err := a.log.Root(tx)
		cp = receipt.Checkpoint{Height: 2, TreeSize: size, Root: hex.EncodeToString(root)}
		return err
	})
	return &cp, err
}

func (a *logAnchor) InclusionProof(index, size uint64) ([][]byte, error) {
	var p [][]byte
	err := a.db.View(func(tx *bolt.Tx) (err error) {
		p, err = a.log.InclusionProof(tx, index, size)
		return err
	})
	return p, err
}

func (a *logAnchor) BlockTime(context.Context, int64) (time.Time, error) { return time.Time{}, nil }

// ProveState is never asked: the fake's checkpoints are of state version 1.
func (a *logAnchor) ProveState([32]byte, int64) (*anchor.StateProof, error) {
	return nil, anchor.ErrStateGone
}

// flip changes one byte of the value under key in bucket, as damage at rest
// would, and returns the value it had.
func flip(t *testing.T, s *Service, bucket, key []byte, at func(v []byte) int) []byte {
	t.Helper()
	var old []byte
	if err := s.db.Update(func(tx *bolt.Tx) error {
		v := bytes.Clone(tx.Bucket(bucket).Get(key))
		old = bytes.Clone(v)
		v[at(v)] ^= 0x01
		return tx.Bucket(bucket).Put(key, v)
	}); err != nil {
		t.Fatal(err)
	}
	return old
}

func restore(t *testing.T, s *Service, bucket, key, v []byte) {
	t.Helper()
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(key, v) }); err != nil {
		t.Fatal(err)
	}
}

// TestAuditFindsDamageAtRest flips one byte at a time in each kind of
// stored bytes a receipt or a download is built from, and checks that the
// audit reports it under the right kind, and that it is clean again once
// the byte is restored.
func TestAuditFindsDamageAtRest(t *testing.T) {
	s := newTestService(t, newMemBlobs())
	rec, err := ingest(t, s, "an exhibit")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Access(context.Background(), rec.ID, "tester", "viewed", ""); err != nil {
		t.Fatal(err)
	}
	waitPromoted(t, s)
	anch := newLogAnchor(t, s)
	middle := func(v []byte) int { return len(v) / 2 }
	quote := func(v []byte) int { return bytes.IndexByte(v, '"') } // breaks the JSON
	lastEvent := eventKey(rec.Seq, 1)
	for _, tc := range []struct {
		name           string
		bucket, key    []byte
		at             func([]byte) int
		kind           func(*AuditReport) []string
		keepsOtherKind bool
	}{
		{"record byte", bRecords, u64(rec.Seq), middle, func(r *AuditReport) []string { return r.BadRecords }, false},
		{"record syntax", bRecords, u64(rec.Seq), quote, func(r *AuditReport) []string { return r.BadRecords }, false},
		{"token", bTokens, tokenKey(rec.Seq, 0), middle, func(r *AuditReport) []string { return r.BadTokens }, false},
		{"last event", bEvents, lastEvent, func(v []byte) int { return bytes.Index(v, []byte("viewed")) }, func(r *AuditReport) []string { return r.BadProofs }, true},
		{"first event", bEvents, eventKey(rec.Seq, 0), func(v []byte) int { return bytes.Index(v, []byte("tester")) }, func(r *AuditReport) []string { return r.BrokenChains }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := flip(t, s, tc.bucket, tc.key, tc.at)
			rep, err := s.Audit(context.Background(), AuditOptions{Deep: true, Anchor: anch})
			if err != nil {
				t.Fatalf("Audit = %v; damage must be reported, not fail the audit", err)
			}
			if got := tc.kind(rep); !slices.Equal(got, []string{rec.ID}) {
				t.Errorf("Audit after flipping a byte of the %s = %+v; want %s reported", tc.name, rep, rec.ID)
			}
			if !tc.keepsOtherKind && rep.Findings() != 1 {
				t.Errorf("Audit found %d faults, want 1: %+v", rep.Findings(), rep)
			}
			restore(t, s, tc.bucket, tc.key, old)
			if rep, err := s.Audit(context.Background(), AuditOptions{Deep: true, Anchor: anch}); err != nil || !rep.OK() || rep.Proven != 2 {
				t.Errorf("Audit after restoring = %+v, %v; want clean with 2 events proven", rep, err)
			}
		})
	}
}

// TestAuditOfOldStoreSumsRecords: a store whose records predate checksums
// gets them when it is opened, and audits clean.
func TestAuditOfOldStoreSumsRecords(t *testing.T) {
	blobs := newMemBlobs()
	s := newTestService(t, blobs)
	if _, err := ingest(t, s, "old"); err != nil {
		t.Fatal(err)
	}
	waitPromoted(t, s)
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bRecSum) }); err != nil {
		t.Fatal(err)
	}
	s2, err := New(context.Background(), Config{DB: s.db, Blobs: blobs, TSA: fakeTSA{}})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := s2.Audit(context.Background(), AuditOptions{}); err != nil || !rep.OK() || rep.Records != 1 {
		t.Errorf("Audit = %+v, %v; want one clean record", rep, err)
	}
}

// TestRecordSumMigrationResumes: the migration sums in batches, and one
// interrupted after its first batch (the checksum bucket and the resume
// point committed, later records not summed) finishes on the next open.
func TestRecordSumMigrationResumes(t *testing.T) {
	defer func(n int) { sumBatch = n }(sumBatch)
	sumBatch = 2
	blobs := newMemBlobs()
	s := newTestService(t, blobs)
	for i := range 5 {
		if _, err := ingest(t, s, fmt.Sprintf("old %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitPromoted(t, s)
	// The state a crash leaves after the first batch: records 1 and 2
	// summed, the resume point at 3.
	err := s.db.Update(func(tx *bolt.Tx) error {
		sums := tx.Bucket(bRecSum)
		for seq := uint64(3); seq <= 5; seq++ {
			if err := sums.Delete(u64(seq)); err != nil {
				return err
			}
		}
		todo, err := tx.CreateBucket(bRecSumTodo)
		if err != nil {
			return err
		}
		return todo.Put([]byte("next"), u64(3))
	})
	if err != nil {
		t.Fatal(err)
	}
	s2, err := New(context.Background(), Config{DB: s.db, Blobs: blobs, TSA: fakeTSA{}})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := s2.Audit(context.Background(), AuditOptions{}); err != nil || !rep.OK() || rep.Records != 5 {
		t.Errorf("Audit = %+v, %v; want five clean records", rep, err)
	}
	_ = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bRecSumTodo) != nil {
			t.Error("the migration's resume point is still there after it finished")
		}
		if n := tx.Bucket(bRecSum).Stats().KeyN; n != 5 {
			t.Errorf("%d checksums, want 5", n)
		}
		return nil
	})
}
