package evidence

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// The facts remembered of the records just filed are those of their
// stored JSON: Deposits and the evidence records' scan give the same with
// them as after a restart, when they are decoded (with SM3, unlisted
// items included).
func TestFactsAsDecoded(t *testing.T) {
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := New(ctx, Config{DB: db, Blobs: newMemBlobs(), TSA: fakeTSA{}, SM3: true})
	if err != nil {
		t.Fatal(err)
	}
	unlisted := true
	for i, meta := range []Meta{{Title: "a"}, {Title: "b", Unlisted: &unlisted}, {Title: "c"}} {
		u, err := s.NewUpload(ctx, "tester")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.ReadFrom(strings.NewReader(strings.Repeat("x", i+1))); err != nil {
			t.Fatal(err)
		}
		if _, err := u.Finish(ctx, meta); err != nil {
			t.Fatal(err)
		}
		u.Abort()
	}
	var seqs []uint64
	s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bRecords).ForEach(func(k, _ []byte) error { seqs = append(seqs, u64val(k)); return nil })
	})
	if len(seqs) != 3 {
		t.Fatalf("%d records, want 3", len(seqs))
	}
	facts := func() ([]recordFacts, []recordFacts) {
		var kept, decoded []recordFacts
		err := s.db.View(func(tx *bolt.Tx) error {
			for _, seq := range seqs {
				f, ok := s.facts.lookup(seq)
				if ok {
					kept = append(kept, f)
				}
				r, err := getStoredRecord(tx, seq)
				if err != nil {
					return err
				}
				d, err := decodedFacts(r)
				if err != nil {
					return err
				}
				decoded = append(decoded, d)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return kept, decoded
	}
	kept, decoded := facts()
	if !reflect.DeepEqual(kept, decoded) {
		t.Fatalf("facts kept at commit = %+v\nwant the stored records' = %+v", kept, decoded)
	}
	if !decoded[0].hasSM3 || decoded[0].unlisted || !decoded[1].unlisted {
		t.Errorf("facts = %+v; want SM3 throughout and the second unlisted", decoded)
	}
	leaves, err := s.LeafHashes(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	before, err := s.Deposits(0, len(leaves))
	if err != nil || len(before) != 2 {
		t.Fatalf("Deposits = %+v, %v; want the two listed items'", before, err)
	}
	s.facts = &recentFacts{} // as after a restart
	if kept, _ := facts(); len(kept) != 0 {
		t.Fatalf("facts kept after the reset: %+v", kept)
	}
	after, err := s.Deposits(0, len(leaves))
	if err != nil || !reflect.DeepEqual(after, before) {
		t.Errorf("Deposits from the stored records = %+v, %v; want %+v as from the facts", after, err, before)
	}
}

// A slot holds the last record put in it: an older sequence number that
// shares it is not found.
func TestFactsRing(t *testing.T) {
	var rf recentFacts
	rf.put(recordFacts{seq: 5, id: "five"})
	rf.put(recordFacts{seq: 5 + factsRing, id: "later"})
	if f, ok := rf.lookup(5); ok {
		t.Errorf("lookup(5) = %+v, found; want overwritten", f)
	}
	if f, ok := rf.lookup(5 + factsRing); !ok || f.id != "later" {
		t.Errorf("lookup(5+ring) = %+v, %v", f, ok)
	}
	if _, ok := rf.lookup(0); ok {
		t.Error("lookup(0) found a record")
	}
}
