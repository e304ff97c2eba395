package digestindex

import (
	"crypto/sha256"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// The records of these tests: bucket records, seq(8) → the record's
// SHA-256, or any other value for a record that does not decode.
var bRecords = []byte("records")

type testRecords struct{}

func (testRecords) Last(tx *bolt.Tx) uint64 { return tx.Bucket(bRecords).Sequence() }

func (testRecords) Scan(tx *bolt.Tx, from, upto uint64, fn func(uint64, [32]byte, error)) {
	c := tx.Bucket(bRecords).Cursor()
	for k, v := c.Seek(u64(from)); k != nil && u64val(k) <= upto; k, v = c.Next() {
		if len(v) != 32 {
			fn(u64val(k), [32]byte{}, errors.New("not a digest"))
			continue
		}
		fn(u64val(k), [32]byte(v), nil)
	}
}

func openDB(t *testing.T, opts *bolt.Options) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "db"), 0o600, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bRecords)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return db
}

func open(t *testing.T, db *bolt.DB) (*Index, []uint64) {
	t.Helper()
	ix, damaged, err := Open(Config{DB: db, Records: testRecords{}, Commit: db.Update})
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	return ix, damaged
}

// putRecord commits a record with value v, telling ix (if not nil) as
// the transaction commits, as the evidence core does.
func putRecord(t *testing.T, db *bolt.DB, ix *Index, v []byte) uint64 {
	t.Helper()
	var seq uint64
	if err := db.Update(func(tx *bolt.Tx) error {
		recs := tx.Bucket(bRecords)
		var err error
		if seq, err = recs.NextSequence(); err != nil {
			return err
		}
		if ix != nil && len(v) == 32 {
			tx.OnCommit(func() { ix.Committed(seq, [32]byte(v)) })
		}
		return recs.Put(u64(seq), v)
	}); err != nil {
		t.Fatal(err)
	}
	return seq
}

func sumOf(body string) []byte { s := sha256.Sum256([]byte(body)); return s[:] }

// flushAll flushes the tail until nothing is left to index.
func flushAll(t *testing.T, ix *Index) {
	t.Helper()
	for {
		n, err := ix.Flush()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// watermark returns the watermark and the number of index entries.
func watermark(db *bolt.DB) (upto uint64, entries int) {
	db.View(func(tx *bolt.Tx) error {
		upto = u64val(tx.Bucket(bSHA256Upto).Get(keyUpto))
		entries = tx.Bucket(bSHA256).Stats().KeyN
		return nil
	})
	return upto, entries
}

// The index is written behind the records. Whatever the flusher has done,
// a record is found by its digest from the moment it is committed: by a
// new snapshot, by one taken before later flushes, and by an index
// reopened on the store; and once flushed, every record is in the index
// under the watermark.
func TestBehindRecords(t *testing.T) {
	// A large initial mmap: this test holds a read transaction open while
	// it commits, and bbolt cannot grow its mmap under an open reader.
	db := openDB(t, &bolt.Options{InitialMmapSize: 64 << 20})
	ix, _ := open(t, db)
	put := func(body string) uint64 { return putRecord(t, db, ix, sumOf(body)) }
	a1, b, a2 := put("a"), put("b"), put("a")
	old, err := db.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, tx *bolt.Tx, ix *Index) {
		t.Helper()
		if got, want := ix.Seqs(tx, sumOf("a")), []uint64{a1, a2}; !slices.Equal(got, want) {
			t.Errorf("%s: Seqs(a) = %v, want %v", what, got, want)
		}
		if got, want := ix.Seqs(tx, sumOf("b")), []uint64{b}; !slices.Equal(got, want) {
			t.Errorf("%s: Seqs(b) = %v, want %v", what, got, want)
		}
	}
	db.View(func(tx *bolt.Tx) error { check("before any flush", tx, ix); return nil })
	// Two flushes with records in between move the tail's horizon past
	// everything the old snapshot's index lacks.
	put("c")
	if _, err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	put("d")
	if _, err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	check("a snapshot from before the flushes", old, ix)
	old.Rollback()
	db.View(func(tx *bolt.Tx) error { check("after the flushes", tx, ix); return nil })

	// Reopened with a record not yet indexed: the tail is read back.
	e := put("e")
	ix2, _ := open(t, db)
	db.View(func(tx *bolt.Tx) error {
		check("reopened", tx, ix2)
		if got := ix2.Seqs(tx, sumOf("e")); !slices.Equal(got, []uint64{e}) {
			t.Errorf("reopened: Seqs(e) = %v, want [%d]", got, e)
		}
		return nil
	})
	flushAll(t, ix2)
	if upto, n := watermark(db); upto != e || n != int(e) {
		t.Errorf("after flushing all: watermark %d with %d entries, want %d with one per record", upto, n, e)
	}
}

// The flusher indexes a committed record that never reached the tail (a
// commit that reported an error after reaching the disk), and goes past a
// record that does not decode instead of stalling behind it; Open names
// that record and leaves it out.
func TestGapsAndDamage(t *testing.T) {
	db := openDB(t, nil)
	ix, _ := open(t, db)
	a := putRecord(t, db, ix, sumOf("a"))
	putRecord(t, db, nil, sumOf("b"))                    // never told
	bad := putRecord(t, db, nil, []byte("not a digest")) // does not decode
	c := putRecord(t, db, ix, sumOf("c"))
	if _, damaged := open(t, db); !slices.Equal(damaged, []uint64{bad}) {
		t.Errorf("Open with a damaged record above the watermark: damaged = %v, want [%d]", damaged, bad)
	}
	flushAll(t, ix)
	if upto, n := watermark(db); upto != c || n != 3 {
		t.Errorf("watermark %d with %d entries, want %d (past the damaged record) with 3 (a, b and c)", upto, n, c)
	}
	db.View(func(tx *bolt.Tx) error {
		if got := ix.Seqs(tx, sumOf("b")); !slices.Equal(got, []uint64{a + 1}) {
			t.Errorf("Seqs(b) = %v, want [%d]", got, a+1)
		}
		return nil
	})
}

// A store that predates the watermark has all its records indexed: Open
// sets the watermark to the last record and reads nothing back.
func TestOpenSetsWatermark(t *testing.T) {
	db := openDB(t, nil)
	putRecord(t, db, nil, sumOf("a"))
	last := putRecord(t, db, nil, sumOf("b"))
	ix, _ := open(t, db)
	if upto, _ := watermark(db); upto != last {
		t.Errorf("Open on a store without a watermark: watermark %d, want %d", upto, last)
	}
	if n, err := ix.Flush(); n != 0 || err != nil {
		t.Errorf("Flush() = %d, %v, want 0, nil", n, err)
	}
}
