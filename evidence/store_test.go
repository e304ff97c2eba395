package evidence

import (
	"context"
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"
)

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
	if rep, err := audit(context.Background(), s2, false); err != nil || !rep.OK() || rep.Records != 1 {
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
	if rep, err := audit(context.Background(), s2, false); err != nil || !rep.OK() || rep.Records != 5 {
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
