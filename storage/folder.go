package storage

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
	"unsafe"

	"github.com/custos-project/custos/internal/atomicfile"
)

// Folder is a blob store in a local directory:
//
//	DIR/staging/<name>               staged blobs (created 0444, see Stage)
//	DIR/<alg>/<h0h1>/<h2h3>/<hex>    promoted blobs, read-only (0444)
//
// where <alg> is "sha256" or "sm3" and h0h1, h2h3 are the first two bytes of
// the digest in hex. Two levels of 256 directories keep directories small (a
// few hundred entries per leaf directory at ten million blobs) while a blob's
// path still names its full digest. Staging lives on the same file system, so
// promotion is a hard link, never a copy.
//
// A Folder is safe for concurrent use; a Staged is not.
type Folder struct {
	dir     string
	staging string

	// Tuning, unexported for the benchmarks: writeback is the window of
	// a Staged's write-behind (see writeBehind; 0 disables it); bufSize is
	// the size of the Staged's write buffer (0 disables buffering).
	writeback int64
	bufSize   int
	direct    bool // write aligned, aligned-size chunks with O_DIRECT
}

// Default Folder tuning, measured with BenchmarkFolderStage and the large
// ingest of `make bench` (docs/performance.md, "Large ingest: the disk
// baseline and write-behind"): the write-behind starts the writeback of
// every 16 MiB as it is written and lets at most four such windows wait for
// the disk, so the disk works while the upload is hashed, Commit's
// fdatasync is short and an upload's dirty pages stay under 64 MiB. A 1 MiB
// write buffer made writes slower (an extra copy out of cache), so the
// buffer is only 32 KiB: io.Copy-sized writes go straight to the file and
// only smaller writes are coalesced. O_DIRECT is off: its writes, one at a
// time and each waiting for the disk, reached about half the throughput of
// the page cache with write-behind on this virtio disk (400–490 against
// 700–880 MB/s, 256 MiB in 1 MiB writes).
const (
	defaultWriteback = 16 << 20
	defaultBufSize   = 32 << 10
)

// NewFolder opens the blob store in dir, creating dir and its subdirectories
// if needed.
func NewFolder(dir string) (*Folder, error) {
	f := &Folder{
		dir:       dir,
		staging:   filepath.Join(dir, "staging"),
		writeback: defaultWriteback,
		bufSize:   defaultBufSize,
	}
	for _, d := range []string{dir, f.staging, filepath.Join(dir, "sha256"), filepath.Join(dir, "sm3")} {
		if err := mkdirSync(d); err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
	}
	return f, nil
}

func (f *Folder) stagedPath(name string) string { return filepath.Join(f.staging, name) }

func (f *Folder) keyPath(key string) string {
	alg, hex := splitKey(key)
	return filepath.Join(f.dir, alg, hex[0:2], hex[2:4], hex)
}

// Stage creates the staged blob name, which must not exist yet.
//
// The file is created read-only (0444), the mode its promoted key must
// have: open(2) still returns a writable descriptor when it creates the
// file, and the mode is then made durable with the file's directory entry at
// Commit, so Promote needs no chmod (nor a second fdatasync).
func (f *Folder) Stage(ctx context.Context, name string) (Staged, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := f.stagedPath(name)
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, promotedMode)
	if err != nil {
		return nil, fmt.Errorf("storage: stage: %w", err)
	}
	s := &folderStaged{f: file, path: path, dir: f.staging, direct: f.direct}
	if f.writeback > 0 {
		s.behind = startWriteBehind(file, f.writeback)
	}
	s.w = s
	if f.bufSize > 0 {
		s.w = bufio.NewWriterSize(fileWriter{s}, f.bufSize)
	}
	return s, nil
}

// folderStaged writes a staged file. Writes go through an optional buffer
// (large writes pass through it unbuffered) to writeFile, whose bytes the
// write-behind goroutine has the kernel write back as they come, so that
// Commit's fdatasync only waits for the tail.
type folderStaged struct {
	f         *os.File
	path, dir string
	w         io.Writer    // s itself, or a bufio.Writer over fileWriter{s}
	behind    *writeBehind // nil without write-behind, and once stopped
	written   int64        // bytes written to the file
	done      bool         // committed or aborted
	err       error        // sticky write error
	direct    bool         // O_DIRECT may be used (off for good once refused)
	isDirect  bool         // O_DIRECT is set on f
}

type fileWriter struct{ s *folderStaged }

func (w fileWriter) Write(p []byte) (int, error) { return w.s.writeFile(p) }

func (s *folderStaged) Write(p []byte) (int, error) {
	if s.done {
		return 0, errors.New("storage: write to a committed or aborted staged blob")
	}
	if s.err != nil {
		return 0, s.err
	}
	if s.w == io.Writer(s) {
		return s.writeFile(p)
	}
	n, err := s.w.Write(p)
	if err != nil {
		s.err = err
	}
	return n, err
}

func (s *folderStaged) writeFile(p []byte) (int, error) {
	s.setDirect(s.direct && len(p)%directAlign == 0 && s.written%directAlign == 0 &&
		uintptr(unsafe.Pointer(unsafe.SliceData(p)))%directAlign == 0)
	n, err := s.f.Write(p)
	if err != nil && s.isDirect && n == 0 {
		s.direct = false // refused after all: write through the page cache
		s.setDirect(false)
		n, err = s.f.Write(p)
	}
	s.written += int64(n)
	if err != nil {
		s.err = fmt.Errorf("storage: stage: %w", err)
		return n, s.err
	}
	if s.behind != nil {
		if err := s.behind.wrote(s.written); err != nil {
			s.err = err
			return n, err
		}
	}
	return n, nil
}

// directAlign is the alignment O_DIRECT needs of buffers, offsets and sizes.
const directAlign = 4096

// setDirect turns O_DIRECT on or off if needed; a refusal turns it off for
// good (tmpfs has no direct I/O).
func (s *folderStaged) setDirect(on bool) {
	if on == s.isDirect {
		return
	}
	if err := setDirect(s.f, on); err != nil {
		s.direct = false
		return
	}
	s.isDirect = on
}

// Commit flushes the buffer, stops the write-behind (failing on a write
// error it saw), fdatasyncs and closes the file, and fsyncs the staging
// directory, so the staged blob survives a crash.
func (s *folderStaged) Commit() error {
	if s.done {
		return errors.New("storage: commit of a committed or aborted staged blob")
	}
	if s.err != nil {
		return s.err
	}
	if bw, ok := s.w.(*bufio.Writer); ok {
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	if err := s.stopBehind(); err != nil {
		s.err = err
		return err
	}
	if err := fdatasync(s.f); err != nil {
		return fmt.Errorf("storage: commit: %w", err)
	}
	s.done = true
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("storage: commit: %w", err)
	}
	return syncDir(s.dir)
}

// stopBehind stops the write-behind goroutine, if it runs, and returns the
// write error it saw.
func (s *folderStaged) stopBehind() error {
	if s.behind == nil {
		return nil
	}
	err := s.behind.stop()
	s.behind = nil
	return err
}

// Abort closes and removes the staged file. It is idempotent, and safe after
// Commit (and after Promote, when the staged file is already gone).
func (s *folderStaged) Abort() error {
	if !s.done {
		s.done = true
		_ = s.stopBehind() // before Close: the goroutine uses the descriptor
		s.f.Close()
	}
	if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: abort: %w", err)
	}
	return nil
}

// Promote makes the committed staged blob name durable under key, write-once:
//
//  1. the staged file, which Commit made durable, is checked to be 0444
//     (Stage creates it so; a file staged by an older version is chmodded);
//  2. it is hard-linked to the key's path: link(2) never replaces an
//     existing file, so the key's first content wins;
//  3. the key's directory is fsynced, then the staged name is removed.
//
// The removal is not fsynced: if a crash undoes it, the staged name comes
// back beside its promoted key, and the caller's recovery discards it (the
// evidence service discards a staged blob that no pending marker names; see
// evidence.Service.Recover) or promotes it again, which is idempotent.
//
// If the key exists, its size must equal the staged size (else ErrConflict,
// and the staged blob is kept); the existing file is kept and the staged one
// removed. If the staged blob is gone and the key exists, Promote has already
// succeeded and returns nil.
func (f *Folder) Promote(ctx context.Context, name, key string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	src, dst := f.stagedPath(name), f.keyPath(key)
	size, err := prepareStaged(src)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(dst); serr == nil {
			return nil // already promoted
		}
		return fmt.Errorf("%w: staged blob %q", ErrNotFound, name)
	}
	if err != nil {
		return fmt.Errorf("storage: promote: %w", err)
	}
	if err := mkdirAllSync(filepath.Dir(dst), f.dir); err != nil {
		return fmt.Errorf("storage: promote: %w", err)
	}
	err = os.Link(src, dst)
	if errors.Is(err, fs.ErrExist) {
		fi, serr := os.Stat(dst)
		if serr != nil {
			return fmt.Errorf("storage: promote: %w", serr)
		}
		if fi.Size() != size {
			return fmt.Errorf("%w: %s has %d bytes, staged %q has %d", ErrConflict, key, fi.Size(), name, size)
		}
	} else if err != nil {
		return fmt.Errorf("storage: promote: %w", err)
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("storage: promote: %w", err)
	}
	return f.remove(src)
}

// promotedMode is the mode of staged and promoted blobs: read-only.
const promotedMode = 0o444

// prepareStaged returns the committed staged file's size, making it
// read-only first if it is not (a file staged before Stage created 0444).
// The bytes need no sync here: Commit fdatasynced them.
func prepareStaged(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if fi.Mode().Perm() != promotedMode {
		if err := os.Chmod(path, promotedMode); err != nil {
			return 0, err
		}
	}
	return fi.Size(), nil
}

// remove removes a staged file; missing is fine. The staging directory is
// not fsynced: a staged name that a crash brings back is discarded again by
// recovery (see Promote).
func (f *Folder) remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: %w", err)
	}
	return nil
}

// Discard removes the staged blob name. A missing blob is not an error;
// the removal is not fsynced (see remove).
func (f *Folder) Discard(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	return f.remove(f.stagedPath(name))
}

// StagedInfo describes a staged blob left behind, for the recovery sweep.
type StagedInfo struct {
	Name    string
	ModTime time.Time
}

// ListStaged lists the staged blobs, committed or not.
func (f *Folder) ListStaged(ctx context.Context) ([]StagedInfo, error) {
	entries, err := os.ReadDir(f.staging)
	if err != nil {
		return nil, fmt.Errorf("storage: list staged: %w", err)
	}
	var out []StagedInfo
	for _, e := range entries {
		if checkName(e.Name()) != nil || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // promoted or discarded meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("storage: list staged: %w", err)
		}
		out = append(out, StagedInfo{Name: e.Name(), ModTime: fi.ModTime()})
	}
	return out, nil
}

// Open opens the blob under key.
func (f *Folder) Open(ctx context.Context, key string) (Blob, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	file, err := os.Open(f.keyPath(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: open: %w", err)
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("storage: open: %w", err)
	}
	return &fileBlob{f: file, size: fi.Size()}, nil
}

// Stat returns the size of the blob under key.
func (f *Folder) Stat(ctx context.Context, key string) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	fi, err := os.Stat(f.keyPath(key))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return 0, fmt.Errorf("storage: stat: %w", err)
	}
	return fi.Size(), nil
}

// Check reports whether the store's directories are present.
func (f *Folder) Check(ctx context.Context) error {
	fi, err := os.Stat(f.staging)
	if err != nil {
		return fmt.Errorf("storage: check: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("storage: check: %s is not a directory", f.staging)
	}
	return nil
}

// fileBlob is an open promoted file. It exposes reading only.
type fileBlob struct {
	f    *os.File
	size int64
}

func (b *fileBlob) Read(p []byte) (int, error)              { return b.f.Read(p) }
func (b *fileBlob) ReadAt(p []byte, off int64) (int, error) { return b.f.ReadAt(p, off) }
func (b *fileBlob) Seek(off int64, whence int) (int64, error) {
	return b.f.Seek(off, whence)
}
func (b *fileBlob) Close() error { return b.f.Close() }
func (b *fileBlob) Size() int64  { return b.size }

// mkdirSync creates dir if it is missing and then fsyncs its parent.
func mkdirSync(dir string) error {
	err := os.Mkdir(dir, 0o750)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// mkdirAllSync creates dir and its missing parents below root, fsyncing each
// new directory's parent.
func mkdirAllSync(dir, root string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if parent := filepath.Dir(dir); parent != root && len(parent) > len(root) {
		if err := mkdirAllSync(parent, root); err != nil {
			return err
		}
	}
	return mkdirSync(dir)
}

// syncDir fsyncs a directory, making the entries created or removed in it
// durable; a variable so that the tests see every call.
var syncDir = atomicfile.SyncDir
