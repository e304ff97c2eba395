package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/storage"
)

// newFolderService is a Service over a real storage.Folder, which turns
// inlining on; inlineMax 0 keeps the default.
func newFolderService(t *testing.T, inlineMax, maxSize int64) (*Service, string) {
	t.Helper()
	db, blobs, dir := openFolderStore(t, nil)
	s, err := New(context.Background(), Config{DB: db, Blobs: blobs, TSA: fakeTSA{}, InlineMax: inlineMax, MaxSize: maxSize})
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// openFolderStore opens a fresh bbolt file (with opts) and a blob folder,
// and returns them with the folder's path.
func openFolderStore(t *testing.T, opts *bolt.Options) (*bolt.DB, *storage.Folder, string) {
	t.Helper()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "t.db"), 0o600, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, err := storage.NewFolder(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return db, blobs, filepath.Join(dir, "blobs")
}

// files counts the regular files under dir.
func files(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return nil
	})
	return n
}

func inlineCount(t *testing.T, s *Service) int {
	t.Helper()
	n := 0
	s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bInlSeq).Stats().KeyN + tx.Bucket(bInline).Stats().KeyN
		return nil
	})
	return n
}

func TestInlineMaxDefault(t *testing.T) {
	folder, err := storage.NewFolder(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		cfg   Config
		want  int64
		isErr bool
	}{
		{"folder default", Config{Blobs: folder}, DefaultInlineMax, false},
		{"other store", Config{Blobs: newMemBlobs()}, 0, false},
		{"explicit", Config{Blobs: newMemBlobs(), InlineMax: 100}, 100, false},
		{"off", Config{Blobs: folder, InlineMax: -1}, 0, false},
		{"too large", Config{Blobs: folder, InlineMax: maxInline + 1}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := inlineMax(tt.cfg)
			if got != tt.want || (err != nil) != tt.isErr {
				t.Errorf("inlineMax(%+v) = %d, %v; want %d, error %v", tt.cfg, got, err, tt.want, tt.isErr)
			}
		})
	}
}

// Bodies up to InlineMax go to bbolt, longer ones to the folder; both read
// back, and the audit is clean.
func TestInlineRoundTrip(t *testing.T) {
	const max = 100
	tests := []struct {
		name    string
		size    int
		inline  bool
		wantErr error
	}{
		{"one byte", 1, true, nil},
		{"exactly InlineMax", max, true, nil},
		{"InlineMax+1", max + 1, false, nil},
		{"pipelined", 3 << 20, false, nil},
		{"empty", 0, false, ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, dir := newFolderService(t, max, 0)
			data := strings.Repeat("evidence", tt.size/8+1)[:tt.size]
			rec, err := ingest(t, s, data)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ingest(%d bytes) = %v, want %v", tt.size, err, tt.wantErr)
			}
			if err != nil {
				if n := files(t, dir) + inlineCount(t, s); n != 0 {
					t.Errorf("failed ingest left %d blobs", n)
				}
				return
			}
			waitPromoted(t, s)
			wantInline, wantFiles := 0, 1
			if tt.inline {
				wantInline, wantFiles = 1, 0
			}
			if got := inlineCount(t, s); got != wantInline {
				t.Errorf("%d inline blobs, want %d", got, wantInline)
			}
			if got := files(t, dir); got != wantFiles {
				t.Errorf("%d files in the folder, want %d", got, wantFiles)
			}
			b, err := s.Open(context.Background(), rec)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			got, err := io.ReadAll(b)
			if err != nil || string(got) != data || b.Size() != int64(tt.size) {
				t.Errorf("Open = %d bytes (Size %d), %v; want the %d uploaded", len(got), b.Size(), err, tt.size)
			}
			rep, err := audit(context.Background(), s, true)
			if err != nil || !rep.OK() || rep.Records != 1 || rep.Blobs != 1 {
				t.Errorf("Audit = %+v, %v", rep, err)
			}
		})
	}
}

func TestInlineTooLarge(t *testing.T) {
	s, dir := newFolderService(t, 100, 10)
	if _, err := ingest(t, s, "eleven byte"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("ingest(11 bytes, MaxSize 10) = %v, want ErrTooLarge", err)
	}
	if n := files(t, dir) + inlineCount(t, s); n != 0 {
		t.Errorf("refused ingest left %d blobs", n)
	}
}

// Identical bytes are stored once, whatever the number of records.
func TestInlineDedupe(t *testing.T) {
	s, _ := newFolderService(t, 0, 0)
	a, err := ingest(t, s, "the same exhibit")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ingest(t, s, "the same exhibit")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == b.ID || a.SHA256 != b.SHA256 {
		t.Fatalf("records %s and %s, digests %s and %s", a.ID, b.ID, a.SHA256, b.SHA256)
	}
	if n := inlineCount(t, s); n != 1 {
		t.Errorf("%d inline blobs for one content, want 1", n)
	}
	rep, err := audit(context.Background(), s, true)
	if err != nil || !rep.OK() || rep.Records != 2 || rep.Blobs != 1 {
		t.Errorf("Audit = %+v, %v", rep, err)
	}
}

// A record commit that fails half-way rolls everything back: no inline
// blob without a record.
func TestInlineFailedCommitLeavesNothing(t *testing.T) {
	s, dir := newFolderService(t, 0, 0)
	data := "doomed exhibit"
	// The next record gets seq 1, so its first token's key is 1 ‖ 0. A
	// nested bucket under that key makes putRecord's Put fail, after its
	// record and ID were put in the same transaction.
	trap := tokenKey(1, 0)
	if err := s.db.Update(func(tx *bolt.Tx) error { _, err := tx.Bucket(bTokens).CreateBucket(trap); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest(t, s, data); !errors.Is(err, bolt.ErrIncompatibleValue) {
		t.Fatalf("ingest = %v, want the trapped commit's error", err)
	}
	if n := inlineCount(t, s); n != 0 {
		t.Errorf("failed commit left %d inline blobs", n)
	}
	if n := files(t, dir); n != 0 {
		t.Errorf("failed commit left %d files", n)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bTokens).DeleteBucket(trap) }); err != nil {
		t.Fatal(err)
	}
	rec, err := ingest(t, s, data)
	if err != nil || inlineCount(t, s) != 1 {
		t.Fatalf("ingest after the trap = %v, %v; want one inline blob", rec, err)
	}
}

// Inline bytes stored under their digest, as before the inlseq bucket,
// stay readable, audit clean, and new uploads of the same bytes use them.
// An orphan there is named by its key.
func TestInlineLegacyBucket(t *testing.T) {
	s, _ := newFolderService(t, 0, 0)
	a, err := ingest(t, s, "an older exhibit")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("an older exhibit"))
	stray := sha256.Sum256([]byte("stray"))
	err = s.db.Update(func(tx *bolt.Tx) error { // move the bytes to the older layout
		in := tx.Bucket(bInline)
		return errors.Join(tx.Bucket(bInlSeq).Delete(u64(a.Seq)),
			in.Put(sum[:], []byte("an older exhibit")), in.Put(stray[:], []byte("stray")))
	})
	if err != nil {
		t.Fatal(err)
	}
	// An older store is one that has those bytes when it is opened: nothing
	// writes the older bucket while a service runs (hasOldInline).
	if s, err = New(context.Background(), s.cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest(t, s, "an older exhibit"); err != nil {
		t.Fatal(err)
	}
	if n := inlineCount(t, s); n != 2 {
		t.Errorf("%d inline blobs, want the older one and the stray", n)
	}
	b, err := s.Open(context.Background(), a)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	if got, _ := io.ReadAll(b); string(got) != "an older exhibit" {
		t.Errorf("Open read %q", got)
	}
	rep, err := audit(context.Background(), s, true)
	wantOrphan := "inline/sha256/" + hex.EncodeToString(stray[:])
	if err != nil || rep.Records != 2 || rep.Blobs != 2 || len(rep.Orphans) != 1 || rep.Orphans[0] != wantOrphan ||
		len(rep.Corrupt)+len(rep.SizeMismatch)+len(rep.Missing) != 0 {
		t.Errorf("Audit = %+v, %v; want only the orphan %s", rep, err, wantOrphan)
	}
}

// putInline is write-once per content: the same bytes under a digest an
// earlier record has are not stored again, other bytes are refused.
func TestPutInlineWriteOnce(t *testing.T) {
	s, _ := newFolderService(t, 0, 0)
	a, err := ingest(t, s, "x")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("x"))
	tests := []struct {
		name string
		body string
		want error
	}{
		{"same bytes", "x", nil},
		{"other bytes", "y", errInlineConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.commits.commit(func(tx *bolt.Tx) error { return s.putInline(tx, a.Seq+1, sum, []byte(tt.body)) })
			if !errors.Is(err, tt.want) {
				t.Errorf("putInline(%q) = %v, want %v", tt.body, err, tt.want)
			}
		})
	}
	if n := inlineCount(t, s); n != 1 {
		t.Errorf("%d inline blobs, want 1", n)
	}
	b, ok, err := s.openInline(&Record{SHA256: hex.EncodeToString(sum[:]), Size: 1})
	if err != nil || !ok {
		t.Fatalf("openInline = %v, %v", ok, err)
	}
	if got, _ := io.ReadAll(b); !bytes.Equal(got, []byte("x")) {
		t.Errorf("openInline read %q, want %q", got, "x")
	}
}

// Concurrent uploads of mixed sizes, some with the same bytes, all land
// (inline or in the folder) and audit clean.
func TestInlineConcurrentIngest(t *testing.T) {
	s, _ := newFolderService(t, 64, 0)
	const n = 64
	recs := make([]*Record, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			size := 1 + (i%8)*20 // 1..141 bytes: both sides of InlineMax 64
			data := strings.Repeat(string(rune('a'+i%5)), size)
			var err error
			if recs[i], err = ingest(t, s, data); err != nil {
				t.Errorf("ingest(%d) = %v", i, err)
			}
		})
	}
	wg.Wait()
	waitPromoted(t, s)
	rep, err := audit(context.Background(), s, true)
	if err != nil || !rep.OK() || rep.Records != n {
		t.Errorf("Audit = %+v, %v", rep, err)
	}
	for i, r := range recs {
		if r == nil {
			continue
		}
		b, err := s.Open(context.Background(), r)
		if err != nil {
			t.Errorf("Open(%d) = %v", i, err)
			continue
		}
		got, _ := io.ReadAll(b)
		b.Close()
		if sum := sha256.Sum256(got); hex.EncodeToString(sum[:]) != r.SHA256 {
			t.Errorf("Open(%d) read other bytes", i)
		}
	}
}

// Identical bytes uploaded at the same moment, so that several land in one
// group commit, are still stored once.
func TestInlineConcurrentIdenticalStoredOnce(t *testing.T) {
	s, _ := newFolderService(t, 0, 0)
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			if _, err := ingest(t, s, "the same exhibit, filed by everyone at once"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if c := inlineCount(t, s); c != 1 {
		t.Errorf("%d inline copies of one content uploaded %d times at once, want 1", c, n)
	}
}

// Within one group transaction, a second body with the same digest finds
// the first one put (it is in neither the sha256 index nor its tail yet).
func TestInlineSameTransactionStoredOnce(t *testing.T) {
	s, _ := newFolderService(t, 0, 0)
	body := []byte("one content, two records, one transaction")
	sum := sha256.Sum256(body)
	err := s.commits.commit(func(tx *bolt.Tx) error {
		if err := s.putInline(tx, 1000, sum, body); err != nil {
			return err
		}
		return s.putInline(tx, 1001, sum, body)
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := inlineCount(t, s); c != 1 {
		t.Errorf("%d inline copies, want 1", c)
	}
}

// A body longer than one page-sized part keeps its leading parts in
// inlpages and the rest in inlseq; every size reads back whole, audits
// clean and deduplicates.
func TestInlineParts(t *testing.T) {
	s, dir := newFolderService(t, 0, 0)
	part := inlinePart(s.db.Info().PageSize)
	for _, size := range []int{part - 1, part, part + 1, 2 * part, 2*part + 1, 3*part + 7} {
		data := strings.Repeat(fmt.Sprintf("%d|", size), size)[:size]
		rec, err := ingest(t, s, data)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Open(context.Background(), rec)
		if err != nil {
			t.Fatalf("Open(%d bytes) = %v", size, err)
		}
		if got, _ := io.ReadAll(b); string(got) != data {
			t.Errorf("Open(%d bytes) read %d bytes, not the body", size, len(got))
		}
		var parts, rest int
		s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bInlPages).Cursor()
			for k, _ := c.Seek(u64(rec.Seq)); k != nil && bytes.HasPrefix(k, u64(rec.Seq)); k, _ = c.Next() {
				parts++
			}
			rest = len(tx.Bucket(bInlSeq).Get(u64(rec.Seq)))
			return nil
		})
		if wantParts := (size - 1) / part; parts != wantParts || rest != size-wantParts*part {
			t.Errorf("%d bytes stored as %d parts and %d bytes, want %d parts", size, parts, rest, wantParts)
		}
		again, err := ingest(t, s, data)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := s.Open(context.Background(), again); err != nil {
			t.Errorf("Open(second upload of %d bytes) = %v", size, err)
		} else if got, _ := io.ReadAll(b); string(got) != data {
			t.Errorf("Open(second upload of %d bytes) read %d bytes, not the body", size, len(got))
		}
	}
	if n := inlineCount(t, s); n != 6 {
		t.Errorf("%d inline blobs, want 6 (each content once)", n)
	}
	if n := files(t, dir); n != 0 {
		t.Errorf("%d files in the blob folder, want none", n)
	}
	rep, err := audit(context.Background(), s, true)
	if err != nil || !rep.OK() || rep.Blobs != 6 {
		t.Errorf("Audit = %+v, %v; want clean with 6 blobs", rep, err)
	}
}
