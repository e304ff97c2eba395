package evidence

import (
	"context"
	"crypto/sha256"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// The core's side of the digest index (its own tests are in
// evidence/digestindex): a record is found by its digest from the moment
// ingest commits it, before and after the flushes and by a service
// reopened on the store; identical bytes are stored once; and a service
// starts on a store with a record whose JSON does not decode above the
// watermark, its flusher going past it.
func TestDigestIndexWiring(t *testing.T) {
	db, blobs, _ := openFolderStore(t, nil)
	open := func() *Service {
		s, err := New(context.Background(), Config{DB: db, Blobs: blobs, TSA: fakeTSA{}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	seqsOf := func(s *Service, body string) (out []uint64) {
		sum := sha256.Sum256([]byte(body))
		db.View(func(tx *bolt.Tx) error { out = s.DigestItems(tx, sum[:]); return nil })
		return out
	}
	a1, b, a2 := put1(t, s, "a"), put1(t, s, "b"), put1(t, s, "a")
	if n := inlineCount(t, s); n != 2 {
		t.Errorf("%d inline blobs for two contents, want 2 (identical bytes once)", n)
	}
	check := func(what string, s *Service) {
		t.Helper()
		if got, want := seqsOf(s, "a"), []uint64{a1.Seq, a2.Seq}; !slices.Equal(got, want) {
			t.Errorf("%s: records with the digest of a = %v, want %v", what, got, want)
		}
		if got, want := seqsOf(s, "b"), []uint64{b.Seq}; !slices.Equal(got, want) {
			t.Errorf("%s: records with the digest of b = %v, want %v", what, got, want)
		}
	}
	check("before any flush", s)
	flushAll(t, s)
	check("after the flushes", s)

	// A record whose JSON does not decode, committed without ingest.
	if err := db.Update(func(tx *bolt.Tx) error {
		recs := tx.Bucket(bRecords)
		seq, err := recs.NextSequence()
		if err != nil {
			return err
		}
		return recs.Put(u64(seq), []byte(`not JSON`))
	}); err != nil {
		t.Fatal(err)
	}
	e := put1(t, s, "e")
	s2 := open()
	check("reopened", s2)
	if got := seqsOf(s2, "e"); !slices.Equal(got, []uint64{e.Seq}) {
		t.Errorf("reopened: records with the digest of e = %v, want [%d]", got, e.Seq)
	}
	flushAll(t, s2)
	if got := seqsOf(s2, "e"); !slices.Equal(got, []uint64{e.Seq}) {
		t.Errorf("flushed past the damaged record: records with the digest of e = %v, want [%d]", got, e.Seq)
	}
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
		n, err := s.digests.Flush()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}
