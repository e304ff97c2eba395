package storage

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
)

// syncLog is a fake syncRange that records its calls and, when gated, holds
// every wait until the test opens the gate.
type syncLog struct {
	mu      sync.Mutex
	starts  [][2]int64 // [off, off+n) of each start
	waits   [][2]int64 // [off, off+n) of each wait
	gate    chan struct{}
	failAt  int // the call that fails (1-based; 0: none)
	failErr error
	calls   int
}

func (l *syncLog) sync(off, n int64, wait bool) error {
	l.mu.Lock()
	l.calls++
	fail := l.calls == l.failAt
	if wait {
		l.waits = append(l.waits, [2]int64{off, off + n})
	} else {
		l.starts = append(l.starts, [2]int64{off, off + n})
	}
	l.mu.Unlock()
	if fail {
		return l.failErr
	}
	if wait && l.gate != nil {
		<-l.gate
	}
	return nil
}

// contiguous checks that ranges follow each other from 0 without gap or
// overlap and returns where they end.
func contiguous(t *testing.T, what string, rs [][2]int64) int64 {
	t.Helper()
	var end int64
	for i, r := range rs {
		if r[0] != end || r[1] <= r[0] {
			t.Fatalf("%s[%d] = [%d, %d), want it to start at %d and be non-empty", what, i, r[0], r[1], end)
		}
		end = r[1]
	}
	return end
}

// Every written byte has its writeback started once, in order, and waited
// for once, in order; and the writer never returns from wrote more than the
// limit ahead of the completed writeback, even when the disk (here, a gate
// the test opens one wait at a time) is slow.
func TestWriteBehindOrderAndBound(t *testing.T) {
	const window = 1000
	for _, gated := range []bool{false, true} {
		l := &syncLog{}
		if gated {
			l.gate = make(chan struct{})
		}
		w := goWriteBehind(l.sync, window)
		stopGate := make(chan struct{})
		if gated {
			// The disk completes a writeback only once the writer is past
			// the limit: a writer that did not wait there would return
			// from wrote before the writeback moved.
			go func() {
				for {
					if w.written.Load()-w.synced.Load() <= w.limit {
						select {
						case <-stopGate:
							close(l.gate)
							return
						default:
							runtime.Gosched()
							continue
						}
					}
					select {
					case l.gate <- struct{}{}:
					case <-stopGate:
						close(l.gate)
						return
					}
				}
			}()
		}
		var end int64
		for i := range 200 {
			end += int64(100 + i*37%900) // writes shorter and longer than a window
			if err := w.wrote(end); err != nil {
				t.Fatalf("wrote(%d) = %v", end, err)
			}
			if ahead := end - w.synced.Load(); ahead > w.limit {
				t.Fatalf("gated=%v: wrote(%d) returned %d bytes ahead of the writeback, limit %d", gated, end, ahead, w.limit)
			}
		}
		close(stopGate)
		if err := w.stop(); err != nil {
			t.Fatalf("stop() = %v", err)
		}
		started := contiguous(t, "starts", l.starts)
		waited := contiguous(t, "waits", l.waits)
		if started > end || waited > started || end-started >= window {
			t.Errorf("gated=%v: wrote %d, started %d, waited %d: want everything but the last window started", gated, end, started, waited)
		}
	}
}

// A write error of the kernel's, seen while waiting for writeback, stops the
// write-behind and reaches the writer (wrote, at the latest once it would
// wait) and stop, which Commit calls; an unsupported file system only turns
// the write-behind off.
func TestWriteBehindErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want error
	}{
		{"EIO", syscall.EIO, syscall.EIO},
		{"ENOSPC", syscall.ENOSPC, syscall.ENOSPC},
		{"unsupported", errUnsupportedSync, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := &syncLog{failAt: 2, failErr: tt.err} // the first wait
			w := goWriteBehind(l.sync, 1000)
			var err error
			for end := int64(1000); end <= 100*1000 && err == nil; end += 1000 {
				err = w.wrote(end)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("wrote past the failure = %v, want %v", err, tt.want)
			}
			if err := w.stop(); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("stop() = %v, want %v", err, tt.want)
			}
		})
	}
}

// newSmallFolder is a Folder whose write-behind window is small enough for
// tests to cross many times.
func newSmallFolder(t *testing.T) *Folder {
	t.Helper()
	f, err := NewFolder(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f.writeback = 64 << 10
	return f
}

// Through the real file system: bytes written across many windows, in
// writes of every size, read back the same after Commit; an upload aborted
// mid-stream leaves no staged file and no goroutine behind.
func TestFolderWriteBehind(t *testing.T) {
	f := newSmallFolder(t)
	data := make([]byte, 3<<20+12345)
	for i := range data {
		data[i] = byte(i*131 + i>>11)
	}
	for _, commit := range []bool{true, false} {
		st, err := f.Stage(t.Context(), "wb")
		if err != nil {
			t.Fatal(err)
		}
		s := st.(*folderStaged)
		for off, k := 0, 1; off < len(data); k = k*3 + 1 {
			n := min(k%(256<<10)+1, len(data)-off)
			if !commit && off > len(data)/2 {
				break // the client went away
			}
			if _, err := st.Write(data[off : off+n]); err != nil {
				t.Fatalf("Write at %d = %v", off, err)
			}
			off += n
		}
		if commit {
			if err := st.Commit(); err != nil {
				t.Fatalf("Commit() = %v", err)
			}
			got, err := os.ReadFile(f.stagedPath("wb"))
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("staged file = %d bytes, %v; want the %d written", len(got), err, len(data))
			}
		}
		if err := st.Abort(); err != nil {
			t.Fatalf("Abort() = %v", err)
		}
		if s.behind != nil {
			t.Errorf("commit=%v: write-behind still running after Abort", commit)
		}
		if _, err := os.Stat(f.stagedPath("wb")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("commit=%v: staged file after Abort: Stat = %v, want ErrNotExist", commit, err)
		}
	}
}

// A write error the write-behind sees fails the Write that follows it (at
// the latest once the writer would wait) and Commit: the staged blob is
// never committed, and Abort removes it.
func TestFolderWriteBehindErrorFailsCommit(t *testing.T) {
	f := newSmallFolder(t)
	st, err := f.Stage(t.Context(), "eio")
	if err != nil {
		t.Fatal(err)
	}
	s := st.(*folderStaged)
	if err := s.behind.stop(); err != nil {
		t.Fatal(err)
	}
	l := &syncLog{failAt: 2, failErr: syscall.EIO}
	s.behind = goWriteBehind(l.sync, f.writeback)
	chunk := make([]byte, 32<<10)
	var werr error
	for range 100 { // 3.2 MB, far past the limit
		if _, werr = st.Write(chunk); werr != nil {
			break
		}
	}
	if !errors.Is(werr, syscall.EIO) {
		t.Errorf("Write after the writeback failed = %v, want EIO", werr)
	}
	if err := st.Commit(); !errors.Is(err, syscall.EIO) {
		t.Errorf("Commit() = %v, want EIO", err)
	}
	if err := st.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.stagedPath("eio")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("staged file after a failed Commit and Abort: Stat = %v, want ErrNotExist", err)
	}
}
