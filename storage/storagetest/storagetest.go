// Package storagetest is a conformance suite for the blob stores of package
// storage: every store must pass Run.
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/custos-project/custos/storage"
)

// Store is the method set that storage.Folder and storage.S3 share.
type Store interface {
	Stage(ctx context.Context, name string) (storage.Staged, error)
	Promote(ctx context.Context, name, key string) error
	Discard(ctx context.Context, name string) error
	ListStaged(ctx context.Context) ([]storage.StagedInfo, error)
	Open(ctx context.Context, key string) (storage.Blob, error)
	Stat(ctx context.Context, key string) (int64, error)
	Check(ctx context.Context) error
	Keys(ctx context.Context, fn func(key string, size int64) error) error
}

// Run runs the conformance suite. open is called once per subtest and must
// return an empty store.
func Run(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, Store)
	}{
		{"RoundTripSmall", func(t *testing.T, s Store) { testRoundTrip(t, s, 1000) }},
		{"RoundTripEmpty", func(t *testing.T, s Store) { testRoundTrip(t, s, 0) }},
		{"RoundTrip40MiB", func(t *testing.T, s Store) { testRoundTrip(t, s, 40<<20+12345) }},
		{"SeekAndRange", testSeek},
		{"PromoteExistingSameContent", testPromoteExisting},
		{"PromoteSizeConflict", testPromoteConflict},
		{"PromoteIdempotent", testPromoteIdempotent},
		{"PromoteMissing", testPromoteMissing},
		{"AbortLeavesNothing", testAbort},
		{"AbortAfterCommit", testAbortAfterCommit},
		{"DiscardIdempotent", testDiscard},
		{"OpenMissing", testOpenMissing},
		{"BadKeys", testBadKeys},
		{"ListStagedCommitted", testListStaged},
		{"KeysListsPromotedOnly", testKeys},
		{"Check", func(t *testing.T, s Store) {
			if err := s.Check(t.Context()); err != nil {
				t.Errorf("Check() = %v, want nil", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

// Data returns n deterministic pseudo-random bytes and their key.
func Data(n int, seed uint64) ([]byte, string) {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)})
	r.Read(b)
	return b, Key(b)
}

// Key returns the sha256 key of b.
func Key(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256/" + hex.EncodeToString(sum[:])
}

// Put stages data under name in writes of at most chunk bytes, and commits.
func Put(t *testing.T, s Store, name string, data []byte, chunk int) {
	t.Helper()
	st, err := s.Stage(t.Context(), name)
	if err != nil {
		t.Fatalf("Stage(%q) = %v", name, err)
	}
	for rest := data; len(rest) > 0; {
		n := min(chunk, len(rest))
		if _, err := st.Write(rest[:n]); err != nil {
			st.Abort()
			t.Fatalf("Write() = %v", err)
		}
		rest = rest[n:]
	}
	if err := st.Commit(); err != nil {
		t.Fatalf("Commit() = %v", err)
	}
}

// PutPromote stages, commits and promotes data under its key.
func PutPromote(t *testing.T, s Store, name string, data []byte) string {
	t.Helper()
	key := Key(data)
	Put(t, s, name, data, 32<<10)
	if err := s.Promote(t.Context(), name, key); err != nil {
		t.Fatalf("Promote(%q, %q) = %v", name, key, err)
	}
	return key
}

// ReadAll opens key and returns its bytes, checking Size.
func ReadAll(t *testing.T, s Store, key string) []byte {
	t.Helper()
	b, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open(%q) = %v", key, err)
	}
	defer b.Close()
	got, err := io.ReadAll(b)
	if err != nil {
		t.Fatalf("ReadAll(%q) = %v", key, err)
	}
	if b.Size() != int64(len(got)) {
		t.Errorf("Open(%q).Size() = %d, read %d bytes", key, b.Size(), len(got))
	}
	return got
}

func stagedNames(t *testing.T, s Store) []string {
	t.Helper()
	list, err := s.ListStaged(t.Context())
	if err != nil {
		t.Fatalf("ListStaged() = %v", err)
	}
	var names []string
	for _, i := range list {
		if i.ModTime.IsZero() {
			t.Errorf("ListStaged(): %q has a zero ModTime", i.Name)
		}
		names = append(names, i.Name)
	}
	slices.Sort(names)
	return names
}

func testRoundTrip(t *testing.T, s Store, n int) {
	data, _ := Data(n, uint64(n))
	key := PutPromote(t, s, "rt", data)
	if got := ReadAll(t, s, key); !bytes.Equal(got, data) {
		t.Errorf("Open(%q) read %d bytes (sha256 %s), want %d bytes", key, len(got), Key(got), n)
	}
	if size, err := s.Stat(t.Context(), key); err != nil || size != int64(n) {
		t.Errorf("Stat(%q) = %d, %v, want %d, nil", key, size, err, n)
	}
	if names := stagedNames(t, s); len(names) != 0 {
		t.Errorf("ListStaged() after Promote = %q, want none", names)
	}
}

func testSeek(t *testing.T, s Store) {
	data, _ := Data(3<<20+17, 7)
	key := PutPromote(t, s, "seek", data)
	b, err := s.Open(t.Context(), key)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	defer b.Close()
	for _, r := range []struct {
		off    int64
		whence int
		n      int
		want   int64 // absolute offset
	}{
		{1 << 20, io.SeekStart, 100, 1 << 20},
		{-10, io.SeekEnd, 10, int64(len(data)) - 10},
		{5, io.SeekStart, 1, 5},
		{1000, io.SeekCurrent, 4096, 1006}, // 5 + 1 read + 1000
		{0, io.SeekStart, 64 << 10, 0},
	} {
		pos, err := b.Seek(r.off, r.whence)
		if err != nil || pos != r.want {
			t.Fatalf("Seek(%d, %d) = %d, %v, want %d", r.off, r.whence, pos, err, r.want)
		}
		got := make([]byte, r.n)
		if _, err := io.ReadFull(b, got); err != nil {
			t.Fatalf("ReadFull at %d = %v", pos, err)
		}
		if want := data[pos : pos+int64(r.n)]; !bytes.Equal(got, want) {
			t.Errorf("read %d bytes at %d: wrong bytes", r.n, pos)
		}
	}
	if n, err := b.Seek(0, io.SeekEnd); err != nil || n != int64(len(data)) {
		t.Errorf("Seek(0, SeekEnd) = %d, %v, want %d", n, err, len(data))
	}
	if n, err := b.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read at end = %d, %v, want 0, EOF", n, err)
	}
}

func testPromoteExisting(t *testing.T, s Store) {
	data, _ := Data(4096, 1)
	key := PutPromote(t, s, "first", data)
	Put(t, s, "second", data, 1000)
	if err := s.Promote(t.Context(), "second", key); err != nil {
		t.Fatalf("Promote(second, same key) = %v, want nil", err)
	}
	if names := stagedNames(t, s); len(names) != 0 {
		t.Errorf("ListStaged() = %q, want none", names)
	}
	if got := ReadAll(t, s, key); !bytes.Equal(got, data) {
		t.Errorf("content changed after second Promote")
	}
}

func testPromoteConflict(t *testing.T, s Store) {
	data, _ := Data(4096, 1)
	key := PutPromote(t, s, "first", data)
	other, _ := Data(4000, 2)
	Put(t, s, "other", other, 1000)
	if err := s.Promote(t.Context(), "other", key); !errors.Is(err, storage.ErrConflict) {
		t.Fatalf("Promote(other, key of different size) = %v, want ErrConflict", err)
	}
	if got := ReadAll(t, s, key); !bytes.Equal(got, data) {
		t.Errorf("content changed after conflicting Promote")
	}
	if err := s.Discard(t.Context(), "other"); err != nil {
		t.Errorf("Discard(other) = %v", err)
	}
}

func testPromoteIdempotent(t *testing.T, s Store) {
	data, _ := Data(5000, 3)
	key := PutPromote(t, s, "idem", data)
	for i := range 2 {
		if err := s.Promote(t.Context(), "idem", key); err != nil {
			t.Errorf("Promote again #%d = %v, want nil", i+1, err)
		}
	}
	if got := ReadAll(t, s, key); !bytes.Equal(got, data) {
		t.Errorf("content changed")
	}
}

func testPromoteMissing(t *testing.T, s Store) {
	_, key := Data(10, 4)
	if err := s.Promote(t.Context(), "never", key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Promote(never staged) = %v, want ErrNotFound", err)
	}
}

func testAbort(t *testing.T, s Store) {
	st, err := s.Stage(t.Context(), "aborted")
	if err != nil {
		t.Fatalf("Stage() = %v", err)
	}
	data, _ := Data(20<<20, 5) // more than a part
	if _, err := st.Write(data); err != nil {
		t.Fatalf("Write() = %v", err)
	}
	for i := range 2 {
		if err := st.Abort(); err != nil {
			t.Errorf("Abort() #%d = %v, want nil", i+1, err)
		}
	}
	if names := stagedNames(t, s); len(names) != 0 {
		t.Errorf("ListStaged() after Abort = %q, want none", names)
	}
}

func testAbortAfterCommit(t *testing.T, s Store) {
	data, _ := Data(1000, 6)
	st, err := s.Stage(t.Context(), "committed")
	if err != nil {
		t.Fatalf("Stage() = %v", err)
	}
	st.Write(data)
	if err := st.Commit(); err != nil {
		t.Fatalf("Commit() = %v", err)
	}
	if err := st.Abort(); err != nil {
		t.Errorf("Abort() after Commit = %v, want nil", err)
	}
	if names := stagedNames(t, s); len(names) != 0 {
		t.Errorf("ListStaged() after Commit+Abort = %q, want none", names)
	}
	if err := s.Promote(t.Context(), "committed", Key(data)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Promote() after Abort = %v, want ErrNotFound", err)
	}
}

func testDiscard(t *testing.T, s Store) {
	data, _ := Data(1000, 8)
	Put(t, s, "gone", data, 100)
	for i := range 2 {
		if err := s.Discard(t.Context(), "gone"); err != nil {
			t.Errorf("Discard() #%d = %v, want nil", i+1, err)
		}
	}
	if err := s.Discard(t.Context(), "never-staged"); err != nil {
		t.Errorf("Discard(never staged) = %v, want nil", err)
	}
	if names := stagedNames(t, s); len(names) != 0 {
		t.Errorf("ListStaged() after Discard = %q, want none", names)
	}
}

func testOpenMissing(t *testing.T, s Store) {
	_, key := Data(10, 9)
	if _, err := s.Open(t.Context(), key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Open(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.Stat(t.Context(), key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat(missing) = %v, want ErrNotFound", err)
	}
	if err := s.Promote(t.Context(), "x", key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Promote(missing staged) = %v, want ErrNotFound", err)
	}
}

func testBadKeys(t *testing.T, s Store) {
	good := Key(nil)
	Put(t, s, "bad", []byte("x"), 1)
	for _, key := range []string{
		"", "../x", "sha256/XYZ", "sha256/../../../etc/passwd",
		"sha256/" + good[7:71] + "/..", // too long
		"SHA256/" + good[7:],
		"sha256/" + string(bytes.ToUpper([]byte(good[7:]))),
		"sha256/" + good[8:],    // 63 digits
		"md5/" + good[7:],       // unknown algorithm
		"sha256//" + good[8:],   // empty segment
		"staging/bad",           // a staged name is not a key
		"/sha256/" + good[7:70], // absolute
	} {
		if _, err := s.Open(t.Context(), key); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("Open(%q) = %v, want ErrBadKey", key, err)
		}
		if _, err := s.Stat(t.Context(), key); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("Stat(%q) = %v, want ErrBadKey", key, err)
		}
		if err := s.Promote(t.Context(), "bad", key); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("Promote(bad, %q) = %v, want ErrBadKey", key, err)
		}
	}
	for _, name := range []string{"", "../x", "a/b", "a.b", string(make([]byte, 65))} {
		if _, err := s.Stage(t.Context(), name); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("Stage(%q) = %v, want ErrBadKey", name, err)
		}
		if err := s.Discard(t.Context(), name); !errors.Is(err, storage.ErrBadKey) {
			t.Errorf("Discard(%q) = %v, want ErrBadKey", name, err)
		}
	}
	if got := stagedNames(t, s); !slices.Equal(got, []string{"bad"}) {
		t.Errorf("ListStaged() = %q, want [bad]", got)
	}
	// sm3 keys are valid (for later).
	if _, err := s.Stat(t.Context(), "sm3/"+good[7:]); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat(sm3 key) = %v, want ErrNotFound", err)
	}
}

func testListStaged(t *testing.T, s Store) {
	data, _ := Data(2000, 10)
	Put(t, s, "crash-1", data, 500)
	Put(t, s, "crash-2", nil, 1)
	if got, want := stagedNames(t, s), []string{"crash-1", "crash-2"}; !slices.Equal(got, want) {
		t.Fatalf("ListStaged() = %q, want %q", got, want)
	}
	// The recovery sweep can still promote it.
	if err := s.Promote(t.Context(), "crash-1", Key(data)); err != nil {
		t.Fatalf("Promote(crash-1) = %v", err)
	}
	if got, want := stagedNames(t, s), []string{"crash-2"}; !slices.Equal(got, want) {
		t.Errorf("ListStaged() after Promote = %q, want %q", got, want)
	}
}

func testKeys(t *testing.T, s Store) {
	a, ka := Data(3000, 41)
	b, kb := Data(10, 42)
	PutPromote(t, s, "ka", a)
	PutPromote(t, s, "kb", b)
	Put(t, s, "staged-only", []byte("not promoted"), 4)
	got := map[string]int64{}
	if err := s.Keys(t.Context(), func(key string, size int64) error { got[key] = size; return nil }); err != nil {
		t.Fatalf("Keys() = %v", err)
	}
	want := map[string]int64{ka: 3000, kb: 10}
	if len(got) != len(want) || got[ka] != 3000 || got[kb] != 10 {
		t.Errorf("Keys() = %v, want %v", got, want)
	}
}
