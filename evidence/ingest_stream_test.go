package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/custos-project/custos/storage"
)

// largeBody is n random bytes and their hex SHA-256: long enough to cross
// the pipeline's chunks and the folder's write-behind windows many times.
func largeBody(n int) ([]byte, string) {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{'l', 'a', 'r', 'g', 'e'}).Read(b)
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

// streamBody feeds data to the upload through a pipe from another
// goroutine, as a network body arrives, then ends it with end (nil: a clean
// EOF).
func streamBody(data []byte, end error) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		for len(data) > 0 {
			n := min(len(data), 61<<10) // socket-sized, unaligned reads
			if _, err := pw.Write(data[:n]); err != nil {
				return
			}
			data = data[n:]
		}
		pw.CloseWithError(end)
	}()
	return pr
}

// A large upload into a real folder store: the digest is of exactly the
// bytes stored, and nothing is left in staging.
func TestLargeIngestFolder(t *testing.T) {
	s, dir := newFolderService(t, 0, 0)
	data, sum := largeBody(40<<20 + 12345)
	u, err := s.NewUpload(t.Context(), "tester")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Abort()
	if n, err := u.ReadFrom(streamBody(data, nil)); err != nil || n != int64(len(data)) {
		t.Fatalf("ReadFrom(%d bytes) = %d, %v", len(data), n, err)
	}
	rec, err := u.Finish(t.Context(), Meta{Title: "large"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.SHA256 != sum || rec.Size != int64(len(data)) {
		t.Errorf("record = sha256 %s, size %d; want %s, %d", rec.SHA256, rec.Size, sum, len(data))
	}
	waitPromoted(t, s)
	b, err := s.Open(t.Context(), rec)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	stored, err := io.ReadAll(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := sha256.Sum256(stored); hex.EncodeToString(got[:]) != sum || len(stored) != len(data) {
		t.Errorf("stored blob = %d bytes with SHA-256 %x; want %d bytes, %s", len(stored), got, len(data), sum)
	}
	if n := files(t, filepath.Join(dir, "staging")); n != 0 {
		t.Errorf("%d staged files left after the upload", n)
	}
}

// failingFolder is a real folder store whose staged blobs fail to write
// after a number of bytes, as a full or failing disk does.
type failingFolder struct {
	*storage.Folder
	after int
}

func (f failingFolder) Stage(ctx context.Context, name string) (storage.Staged, error) {
	st, err := f.Folder.Stage(ctx, name)
	return &failingStaged{Staged: st, left: f.after}, err
}

type failingStaged struct {
	storage.Staged
	left int
}

func (s *failingStaged) Write(p []byte) (int, error) {
	if len(p) > s.left {
		n, _ := s.Staged.Write(p[:s.left])
		s.left = 0
		return n, errDisk
	}
	s.left -= len(p)
	return s.Staged.Write(p)
}

// An upload that breaks off mid-stream, whose body is short, whose disk
// fails or that is too large leaves no visible object: no record, no
// promoted blob and, once aborted, no staged file.
func TestLargeIngestFailuresLeaveNothing(t *testing.T) {
	reset := errors.New("connection reset by peer")
	tests := []struct {
		name    string
		size    int
		end     error // how the body ends after size bytes
		failAt  int   // the disk fails after this many bytes (0: never)
		maxSize int64
		want    error
	}{
		{"client gone mid-stream", 20 << 20, reset, 0, 0, reset},
		{"short body", 20<<20 + 1, io.ErrUnexpectedEOF, 0, 0, io.ErrUnexpectedEOF},
		{"write error", 30 << 20, nil, 9<<20 + 3, 0, errDisk},
		{"too large", 20 << 20, nil, 0, 17 << 20, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, folder, dir := openFolderStore(t, nil)
			var blobs Blobs = folder
			if tt.failAt > 0 {
				blobs = failingFolder{folder, tt.failAt}
			}
			s, err := New(t.Context(), Config{DB: db, Blobs: blobs, TSA: fakeTSA{}, MaxSize: tt.maxSize})
			if err != nil {
				t.Fatal(err)
			}
			data, _ := largeBody(tt.size)
			u, err := s.NewUpload(t.Context(), "tester")
			if err != nil {
				t.Fatal(err)
			}
			_, err = u.ReadFrom(streamBody(data, tt.end))
			if !errors.Is(err, tt.want) {
				t.Errorf("ReadFrom = %v, want %v", err, tt.want)
			}
			if _, err := u.Finish(t.Context(), Meta{Title: "t"}); !errors.Is(err, ErrUploadState) {
				t.Errorf("Finish after a failed ReadFrom = %v, want %v", err, ErrUploadState)
			}
			u.Abort()
			if n := files(t, dir); n != 0 {
				t.Errorf("%d files left in the folder store", n)
			}
			rep, err := audit(t.Context(), s, false)
			if err != nil || rep.Records != 0 {
				t.Errorf("failed upload left records: %+v, %v", rep, err)
			}
		})
	}
}
