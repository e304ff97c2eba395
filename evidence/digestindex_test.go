package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// The sha256 index is written behind the records. Whatever the flusher has
// done, a record is found by its digest from the moment it is committed:
// by a new snapshot, by one taken before later flushes, and by a service
// reopened on the store; identical bytes are stored once; and once flushed,
// every record is in the index under the watermark.
func TestDigestIndexBehindRecords(t *testing.T) {
	// A large initial mmap: this test holds a read transaction open while
	// it commits, and bbolt cannot grow its mmap under an open reader.
	db, blobs, _ := openFolderStore(t, &bolt.Options{InitialMmapSize: 64 << 20})
	open := func() *Service {
		s, err := New(context.Background(), Config{DB: db, Blobs: blobs, TSA: fakeTSA{}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	seqsOf := func(s *Service, tx *bolt.Tx, body string) []uint64 {
		sum := sha256.Sum256([]byte(body))
		return s.digestSeqs(tx, sum[:])
	}
	a1, b, a2 := put1(t, s, "a"), put1(t, s, "b"), put1(t, s, "a")
	if n := inlineCount(t, s); n != 2 {
		t.Errorf("%d inline blobs for two contents, want 2 (identical bytes once)", n)
	}
	old, err := db.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, tx *bolt.Tx, s *Service) {
		t.Helper()
		if got, want := seqsOf(s, tx, "a"), []uint64{a1.Seq, a2.Seq}; !slices.Equal(got, want) {
			t.Errorf("%s: records with the digest of a = %v, want %v", what, got, want)
		}
		if got, want := seqsOf(s, tx, "b"), []uint64{b.Seq}; !slices.Equal(got, want) {
			t.Errorf("%s: records with the digest of b = %v, want %v", what, got, want)
		}
	}
	db.View(func(tx *bolt.Tx) error { check("before any flush", tx, s); return nil })
	// Two flushes with records in between move the tail's horizon past
	// everything the old snapshot's index lacks.
	put1(t, s, "c")
	if _, err := s.flushDigests(); err != nil {
		t.Fatal(err)
	}
	put1(t, s, "d")
	if _, err := s.flushDigests(); err != nil {
		t.Fatal(err)
	}
	check("a snapshot from before the flushes", old, s)
	old.Rollback()
	db.View(func(tx *bolt.Tx) error { check("after the flushes", tx, s); return nil })

	// Reopened with a record not yet indexed: the tail is read back.
	e := put1(t, s, "e")
	s2 := open()
	db.View(func(tx *bolt.Tx) error {
		check("reopened", tx, s2)
		if got := seqsOf(s2, tx, "e"); !slices.Equal(got, []uint64{e.Seq}) {
			t.Errorf("reopened: records with the digest of e = %v, want [%d]", got, e.Seq)
		}
		return nil
	})
	flushAll(t, s2)
	db.View(func(tx *bolt.Tx) error {
		if upto := u64val(tx.Bucket(bSHA256Upto).Get(keyUpto)); upto != e.Seq {
			t.Errorf("watermark %d after flushing all, want %d", upto, e.Seq)
		}
		if n := tx.Bucket(bSHA256).Stats().KeyN; n != int(e.Seq) {
			t.Errorf("%d index entries, want one per record (%d)", n, e.Seq)
		}
		return nil
	})
}

// The flusher indexes a committed record that never reached the tail (a
// commit that reported an error after reaching the disk), and goes past a
// record that does not decode instead of stalling behind it.
func TestDigestIndexGapsAndDamage(t *testing.T) {
	s := newTestService(t, newMemBlobs())
	a := put1(t, s, "a")
	sumB := sha256.Sum256([]byte("b"))
	if err := s.db.Update(func(tx *bolt.Tx) error {
		recs := tx.Bucket(bRecords)
		for _, val := range []string{`{"sha256":"` + hex.EncodeToString(sumB[:]) + `"}`, `not JSON`} {
			seq, err := recs.NextSequence()
			if err != nil {
				return err
			}
			if err := recs.Put(u64(seq), []byte(val)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c := put1(t, s, "c")
	// A node restarted now reads the damaged record above the watermark:
	// it starts, and leaves that record out.
	if _, err := New(context.Background(), Config{DB: s.db, Blobs: newMemBlobs(), TSA: fakeTSA{}}); err != nil {
		t.Fatalf("New with a damaged record above the watermark = %v", err)
	}
	flushAll(t, s)
	s.db.View(func(tx *bolt.Tx) error {
		if upto := u64val(tx.Bucket(bSHA256Upto).Get(keyUpto)); upto != c.Seq {
			t.Errorf("watermark %d, want %d (past the damaged record)", upto, c.Seq)
		}
		if n := tx.Bucket(bSHA256).Stats().KeyN; n != 3 {
			t.Errorf("%d index entries, want 3 (a, b and c; not the damaged record)", n)
		}
		if got := s.digestSeqs(tx, sumB[:]); !slices.Equal(got, []uint64{a.Seq + 1}) {
			t.Errorf("records with the digest of b = %v, want [%d]", got, a.Seq+1)
		}
		return nil
	})
}

func put1(t *testing.T, s *Service, body string) *Record {
	t.Helper()
	r, err := ingest(t, s, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// flushAll flushes the digest tail until nothing is left to index.
func flushAll(t *testing.T, s *Service) {
	t.Helper()
	for {
		n, err := s.flushDigests()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}
