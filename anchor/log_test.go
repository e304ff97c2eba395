package anchor

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/merkle/testonly"
	bolt "go.etcd.io/bbolt"
)

const testLogBucket = "testlog"

// openDB opens (or reopens) a bbolt file and closes it at the end of the test.
func openDB(t testing.TB, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatalf("bolt.Open(%q) = %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newTestLog returns an initialized, empty log in a fresh database.
func newTestLog(t testing.TB) (*bolt.DB, *Log) {
	t.Helper()
	db := openDB(t, filepath.Join(t.TempDir(), "log.db"))
	l := NewLog(testLogBucket)
	if err := db.Update(l.Init); err != nil {
		t.Fatalf("Init() = %v", err)
	}
	return db, l
}

// testLeaves returns the leaf hashes of entries from, ..., from+n-1.
func testLeaves(from, n uint64) [][]byte {
	leaves := make([][]byte, n)
	for i := range leaves {
		leaves[i] = rfc6962.DefaultHasher.HashLeaf(binary.BigEndian.AppendUint64([]byte("entry "), from+uint64(i)))
	}
	return leaves
}

// appendLeaves appends leaves in one transaction and checks the first index.
func appendLeaves(t testing.TB, db *bolt.DB, l *Log, leaves [][]byte) {
	t.Helper()
	err := db.Update(func(tx *bolt.Tx) error {
		size, err := l.Size(tx)
		if err != nil {
			return err
		}
		first, err := l.Append(tx, leaves)
		if err != nil {
			return err
		}
		if first != size {
			return fmt.Errorf("Append() first = %d, want %d", first, size)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Append(%d leaves) = %v", len(leaves), err)
	}
}

// checkLog compares every root, leaf, inclusion and consistency proof of the
// log with the reference tree, and verifies each proof against RootAt.
func checkLog(t *testing.T, db *bolt.DB, l *Log, ref *testonly.Tree) {
	t.Helper()
	err := db.View(func(tx *bolt.Tx) error {
		size, root, err := l.Root(tx)
		if err != nil || size != ref.Size() || !bytes.Equal(root, ref.Hash()) {
			t.Fatalf("Root() = %d, %x, %v; want %d, %x", size, root, err, ref.Size(), ref.Hash())
		}
		roots := make([][]byte, size+1)
		for s := uint64(0); s <= size; s++ {
			if roots[s], err = l.RootAt(tx, s); err != nil || !bytes.Equal(roots[s], ref.HashAt(s)) {
				t.Fatalf("RootAt(%d) = %x, %v; want %x", s, roots[s], err, ref.HashAt(s))
			}
		}
		for i := uint64(0); i < size; i++ {
			if got, err := l.LeafHash(tx, i); err != nil || !bytes.Equal(got, ref.LeafHash(i)) {
				t.Fatalf("LeafHash(%d) = %x, %v; want %x", i, got, err, ref.LeafHash(i))
			}
		}
		for s := uint64(1); s <= size; s++ {
			for i := uint64(0); i < s; i++ {
				checkInclusion(t, tx, l, ref, i, s, roots[s])
			}
		}
		for s2 := uint64(0); s2 <= size; s2++ {
			for s1 := uint64(0); s1 <= s2; s1++ {
				checkConsistency(t, tx, l, ref, s1, s2, roots[s1], roots[s2])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func checkInclusion(t testing.TB, tx *bolt.Tx, l *Log, ref *testonly.Tree, index, size uint64, root []byte) {
	t.Helper()
	got, err := l.InclusionProof(tx, index, size)
	if err != nil {
		t.Fatalf("InclusionProof(%d, %d) = %v", index, size, err)
	}
	want, _ := ref.InclusionProof(index, size)
	if !equalProofs(got, want) {
		t.Fatalf("InclusionProof(%d, %d) = %x, want %x", index, size, got, want)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, ref.LeafHash(index), got, root); err != nil {
		t.Fatalf("VerifyInclusion(%d, %d) = %v", index, size, err)
	}
}

func checkConsistency(t testing.TB, tx *bolt.Tx, l *Log, ref *testonly.Tree, size1, size2 uint64, root1, root2 []byte) {
	t.Helper()
	got, err := l.ConsistencyProof(tx, size1, size2)
	if err != nil {
		t.Fatalf("ConsistencyProof(%d, %d) = %v", size1, size2, err)
	}
	want, _ := ref.ConsistencyProof(size1, size2)
	if !equalProofs(got, want) {
		t.Fatalf("ConsistencyProof(%d, %d) = %x, want %x", size1, size2, got, want)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, size1, size2, got, root1, root2); err != nil {
		t.Fatalf("VerifyConsistency(%d, %d) = %v", size1, size2, err)
	}
}

func equalProofs(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestLogReference grows a log to 300 leaves in batches of varying sizes,
// one bbolt transaction each, checks the head after every batch, then every
// historical root and every proof between sizes 0 and 300.
func TestLogReference(t *testing.T) {
	const total = 300
	db, l := newTestLog(t)
	ref := testonly.New(rfc6962.DefaultHasher)
	batches := []uint64{0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 1, 0, 64, 7, 30}
	for i := 0; ref.Size() < total; i++ {
		n := min(batches[i%len(batches)], total-ref.Size())
		leaves := testLeaves(ref.Size(), n)
		appendLeaves(t, db, l, leaves)
		ref.Append(leaves...)
		db.View(func(tx *bolt.Tx) error {
			size, root, err := l.Root(tx)
			if err != nil || size != ref.Size() || !bytes.Equal(root, ref.Hash()) {
				t.Fatalf("after %d leaves: Root() = %d, %x, %v; want %x", ref.Size(), size, root, err, ref.Hash())
			}
			return nil
		})
	}
	checkLog(t, db, l, ref)
}

// TestLogVectors checks the roots against the RFC 6962 test vectors that
// transparency-dev/merkle (and Certificate Transparency) use.
func TestLogVectors(t *testing.T) {
	db, l := newTestLog(t)
	var leaves [][]byte
	for _, in := range testonly.LeafInputs() {
		leaves = append(leaves, rfc6962.DefaultHasher.HashLeaf(in))
	}
	appendLeaves(t, db, l, leaves)
	db.View(func(tx *bolt.Tx) error {
		for size, want := range testonly.RootHashes() { // indexed by tree size, from 0
			if got, err := l.RootAt(tx, uint64(size)); err != nil || !bytes.Equal(got, want) {
				t.Errorf("RootAt(%d) = %x, %v; want %x", size, got, err, want)
			}
		}
		return nil
	})
}

func TestLogEmpty(t *testing.T) {
	db, l := newTestLog(t)
	db.View(func(tx *bolt.Tx) error {
		size, root, err := l.Root(tx)
		if err != nil || size != 0 || !bytes.Equal(root, rfc6962.DefaultHasher.EmptyRoot()) {
			t.Errorf("Root() = %d, %x, %v; want 0, %x", size, root, err, rfc6962.DefaultHasher.EmptyRoot())
		}
		return nil
	})
	appendLeaves(t, db, l, nil) // appending nothing is a no-op
	db.View(func(tx *bolt.Tx) error {
		if got, err := l.ConsistencyProof(tx, 0, 0); err != nil || len(got) != 0 {
			t.Errorf("ConsistencyProof(0, 0) = %x, %v; want empty", got, err)
		}
		if size, err := l.Size(tx); err != nil || size != 0 {
			t.Errorf("Size() = %d, %v; want 0", size, err)
		}
		return nil
	})
}

func TestLogReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	l := NewLog(testLogBucket)
	ref := testonly.New(rfc6962.DefaultHasher)
	for round := uint64(0); round < 4; round++ {
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatalf("bolt.Open() = %v", err)
		}
		if err := db.Update(l.Init); err != nil { // idempotent
			t.Fatalf("Init() = %v", err)
		}
		leaves := testLeaves(ref.Size(), 10+round*7)
		appendLeaves(t, db, l, leaves)
		ref.Append(leaves...)
		if err := db.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
	}
	checkLog(t, openDB(t, path), l, ref)
}

func TestLogRollback(t *testing.T) {
	db, l := newTestLog(t)
	ref := testonly.New(rfc6962.DefaultHasher)
	leaves := testLeaves(0, 21)
	appendLeaves(t, db, l, leaves)
	ref.Append(leaves...)

	errAbort := errors.New("abort")
	err := db.Update(func(tx *bolt.Tx) error {
		if _, err := l.Append(tx, testLeaves(21, 100)); err != nil {
			return err
		}
		if size, err := l.Size(tx); err != nil || size != 121 {
			t.Errorf("Size() inside the transaction = %d, %v; want 121", size, err)
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("Update() = %v, want %v", err, errAbort)
	}
	checkLog(t, db, l, ref)

	// The log goes on from where the committed state left it.
	leaves = testLeaves(21, 11)
	appendLeaves(t, db, l, leaves)
	ref.Append(leaves...)
	checkLog(t, db, l, ref)
}

func TestLogBadInput(t *testing.T) {
	db, l := newTestLog(t)
	appendLeaves(t, db, l, testLeaves(0, 10))
	const max = math.MaxUint64
	tests := []struct {
		name string
		call func(tx *bolt.Tx) error
		want error
	}{
		{"LeafHash(size)", func(tx *bolt.Tx) error { _, err := l.LeafHash(tx, 10); return err }, ErrBadIndex},
		{"LeafHash(max)", func(tx *bolt.Tx) error { _, err := l.LeafHash(tx, max); return err }, ErrBadIndex},
		{"RootAt(size+1)", func(tx *bolt.Tx) error { _, err := l.RootAt(tx, 11); return err }, ErrBadSize},
		{"RootAt(max)", func(tx *bolt.Tx) error { _, err := l.RootAt(tx, max); return err }, ErrBadSize},
		{"InclusionProof(size, size)", func(tx *bolt.Tx) error { _, err := l.InclusionProof(tx, 10, 10); return err }, ErrBadIndex},
		{"InclusionProof(5, 3)", func(tx *bolt.Tx) error { _, err := l.InclusionProof(tx, 5, 3); return err }, ErrBadIndex},
		{"InclusionProof(0, 0)", func(tx *bolt.Tx) error { _, err := l.InclusionProof(tx, 0, 0); return err }, ErrBadIndex},
		{"InclusionProof(0, size+1)", func(tx *bolt.Tx) error { _, err := l.InclusionProof(tx, 0, 11); return err }, ErrBadSize},
		{"InclusionProof(max-1, max)", func(tx *bolt.Tx) error { _, err := l.InclusionProof(tx, max-1, max); return err }, ErrBadSize},
		{"ConsistencyProof(3, 2)", func(tx *bolt.Tx) error { _, err := l.ConsistencyProof(tx, 3, 2); return err }, ErrBadSize},
		{"ConsistencyProof(1, size+1)", func(tx *bolt.Tx) error { _, err := l.ConsistencyProof(tx, 1, 11); return err }, ErrBadSize},
		{"ConsistencyProof(max, max)", func(tx *bolt.Tx) error { _, err := l.ConsistencyProof(tx, max, max); return err }, ErrBadSize},
		{"uninitialized", func(tx *bolt.Tx) error { _, err := NewLog("other").Size(tx); return err }, ErrNoLog},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := db.View(tt.call); !errors.Is(err, tt.want) {
				t.Errorf("%s = %v, want %v", tt.name, err, tt.want)
			}
		})
	}
}

func TestLogAppendBadLeaf(t *testing.T) {
	tests := []struct {
		name string
		leaf []byte
	}{
		{"nil", nil},
		{"31 bytes", make([]byte, 31)},
		{"33 bytes", make([]byte, 33)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, l := newTestLog(t)
			leaves := append(testLeaves(0, 5), tt.leaf)
			err := db.Update(func(tx *bolt.Tx) error {
				if _, err := l.Append(tx, leaves); !errors.Is(err, ErrBadLeaf) {
					t.Errorf("Append(%s) = %v, want ErrBadLeaf", tt.name, err)
				}
				// Nothing was written, not even the good leaves before it.
				if size, err := l.Size(tx); err != nil || size != 0 {
					t.Errorf("Size() = %d, %v; want 0", size, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestLogAppendCopies checks that the log keeps no reference to the caller's
// leaf hashes: bbolt holds values until the transaction ends.
func TestLogAppendCopies(t *testing.T) {
	db, l := newTestLog(t)
	leaves := testLeaves(0, 3)
	want := testLeaves(0, 3)
	err := db.Update(func(tx *bolt.Tx) error {
		if _, err := l.Append(tx, leaves); err != nil {
			return err
		}
		for _, h := range leaves {
			clear(h)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.View(func(tx *bolt.Tx) error {
		for i := range want {
			if got, err := l.LeafHash(tx, uint64(i)); err != nil || !bytes.Equal(got, want[i]) {
				t.Errorf("LeafHash(%d) = %x, %v; want %x", i, got, err, want[i])
			}
		}
		return nil
	})
}

// TestLogCorrupt checks that damaged state gives ErrCorrupt, not a panic.
func TestLogCorrupt(t *testing.T) {
	db, l := newTestLog(t)
	appendLeaves(t, db, l, testLeaves(0, 7))
	tests := []struct {
		name   string
		damage func(b *bolt.Bucket) error
	}{
		{"short head", func(b *bolt.Bucket) error { return b.Put(kCompact, []byte{1, 2}) }},
		{"head size mismatch", func(b *bolt.Bucket) error { return b.Put(kCompact, binary.BigEndian.AppendUint64(nil, 8)) }},
		{"missing node", func(b *bolt.Bucket) error { return b.Bucket(bNodes).Delete(nodeKey(nil, compact.NewNodeID(1, 0))) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errAbort := errors.New("abort")
			err := db.Update(func(tx *bolt.Tx) error {
				if err := tt.damage(tx.Bucket([]byte(testLogBucket))); err != nil {
					return err
				}
				_, err1 := l.RootAt(tx, 3)
				_, err2 := l.InclusionProof(tx, 2, 4)
				if !errors.Is(err1, ErrCorrupt) || !errors.Is(err2, ErrCorrupt) {
					t.Errorf("RootAt(3), InclusionProof(2, 4) = %v, %v; want ErrCorrupt", err1, err2)
				}
				return errAbort
			})
			if !errors.Is(err, errAbort) {
				t.Fatal(err)
			}
		})
	}
}

// FuzzLogProofs asks a 1,000-leaf log for roots and proofs at arbitrary
// sizes and indices: out-of-range requests fail with ErrBadIndex or
// ErrBadSize, and every proof given verifies.
func FuzzLogProofs(f *testing.F) {
	const size = 1000
	db, l := newTestLog(f)
	ref := testonly.New(rfc6962.DefaultHasher)
	for ref.Size() < size {
		leaves := testLeaves(ref.Size(), min(137, size-ref.Size()))
		appendLeaves(f, db, l, leaves)
		ref.Append(leaves...)
	}
	f.Add(uint64(0), uint64(1), uint64(1000))
	f.Add(uint64(999), uint64(512), uint64(1000))
	f.Add(uint64(1000), uint64(1000), uint64(1001))
	f.Add(uint64(math.MaxUint64), uint64(3), uint64(2))
	f.Fuzz(func(t *testing.T, index, size1, size2 uint64) {
		db.View(func(tx *bolt.Tx) error {
			root1, err1 := l.RootAt(tx, size1)
			root2, err2 := l.RootAt(tx, size2)
			if (err1 != nil) != (size1 > size) || (err2 != nil) != (size2 > size) {
				t.Fatalf("RootAt(%d), RootAt(%d) = %v, %v", size1, size2, err1, err2)
			}
			p, err := l.InclusionProof(tx, index, size2)
			switch {
			case index >= size2:
				if !errors.Is(err, ErrBadIndex) {
					t.Fatalf("InclusionProof(%d, %d) = %v, want ErrBadIndex", index, size2, err)
				}
			case size2 > size:
				if !errors.Is(err, ErrBadSize) {
					t.Fatalf("InclusionProof(%d, %d) = %v, want ErrBadSize", index, size2, err)
				}
			default:
				if err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, size2, ref.LeafHash(index), p, root2); err != nil {
					t.Fatalf("VerifyInclusion(%d, %d) = %v", index, size2, err)
				}
			}
			p, err = l.ConsistencyProof(tx, size1, size2)
			if size1 > size2 || size2 > size {
				if !errors.Is(err, ErrBadSize) {
					t.Fatalf("ConsistencyProof(%d, %d) = %v, want ErrBadSize", size1, size2, err)
				}
			} else if err := proof.VerifyConsistency(rfc6962.DefaultHasher, size1, size2, p, root1, root2); err != nil {
				t.Fatalf("VerifyConsistency(%d, %d) = %v", size1, size2, err)
			}
			return nil
		})
	})
}

// BenchmarkAppend appends batches of leaves, one bbolt transaction (and one
// fsync) per batch, as the application does once per block.
func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			db, l := newTestLog(b)
			leaves := make([][]byte, batch)
			for i := range leaves {
				sum := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
				leaves[i] = sum[:]
			}
			b.ResetTimer()
			for b.Loop() {
				if err := db.Update(func(tx *bolt.Tx) error { _, err := l.Append(tx, leaves); return err }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "leaves/s")
		})
	}
}

// BenchmarkAppendBlock appends 60,000 new leaves a bbolt transaction to a
// growing log, as a block of 4 MiB of version-7 uploads does.
func BenchmarkAppendBlock(b *testing.B) {
	db, l := newTestLog(b)
	var n uint64
	for b.Loop() {
		leaves := make([][]byte, 60_000)
		for i := range leaves {
			sum := sha256.Sum256(binary.BigEndian.AppendUint64(nil, n))
			leaves[i] = sum[:]
			n++
		}
		if err := db.Update(func(tx *bolt.Tx) error { _, err := l.Append(tx, leaves); return err }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "leaves/s")
}

// BenchmarkInclusionProof proves random leaves of a 2^20-leaf log at its
// full size, one read transaction per proof.
func BenchmarkInclusionProof(b *testing.B) {
	const size = 1 << 20
	db, l := newTestLog(b)
	for from := uint64(0); from < size; from += 1 << 16 {
		appendLeaves(b, db, l, testLeaves(from, 1<<16))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	for b.Loop() {
		err := db.View(func(tx *bolt.Tx) error {
			_, err := l.InclusionProof(tx, rng.Uint64N(size), size)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleLog() {
	dir, _ := os.MkdirTemp("", "custos-example")
	defer os.RemoveAll(dir)
	db, _ := bolt.Open(filepath.Join(dir, "state.db"), 0o600, nil)
	defer db.Close()

	l := NewLog("log")
	leaf := rfc6962.DefaultHasher.HashLeaf([]byte("custody event"))
	err := db.Update(func(tx *bolt.Tx) error {
		if err := l.Init(tx); err != nil {
			return err
		}
		_, err := l.Append(tx, append(testLeaves(0, 4), leaf))
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	db.View(func(tx *bolt.Tx) error {
		size, root, _ := l.Root(tx)
		p, _ := l.InclusionProof(tx, 4, size)
		fmt.Println(size, len(p), proof.VerifyInclusion(rfc6962.DefaultHasher, 4, size, leaf, p, root))
		return nil
	})
	// Output: 5 1 <nil>
}
