package storage

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"
)

// errUnsupportedSync is syncRange's error where the file system cannot
// start or wait for the writeback of a range.
var errUnsupportedSync = errors.New("sync_file_range unsupported")

// writeBehind has the kernel write a staged file's bytes back to the disk
// while the upload is still arriving, on a goroutine of its own, so that
// the disk works at the same time as the hashing in front of the writer,
// and Commit's fdatasync finds little left to flush.
//
// Each time window more bytes have been written, the goroutine starts their
// writeback (sync_file_range SYNC_FILE_RANGE_WRITE), then waits for the
// writeback it started the time before. The writer never waits for the disk
// unless it gets more than limit bytes ahead of the completed writeback: then
// it waits in wrote, which bounds an upload's dirty pages whatever its size,
// and slows the upload to the disk's pace (which Commit would wait for
// anyway).
//
// Waiting for writeback consumes a write error that fdatasync would
// otherwise report (the file's error sequence is advanced), so an error
// here is kept: wrote and stop return it, and a staged blob whose bytes may
// not be on disk is never committed.
type writeBehind struct {
	sync   func(off, n int64, wait bool) error // syncRange on the file
	window int64
	limit  int64
	// written is the writer's count of bytes in the file; synced, the goroutine's
	// count of bytes whose writeback has completed.
	written, synced atomic.Int64
	kick            chan struct{} // capacity 1: the writer wrote more
	moved           chan struct{} // capacity 1: synced moved
	done            chan struct{} // closed when the goroutine has returned
	err             error         // the kernel's write error; read after done
}

// writeBehindLimit is how many windows of written bytes may wait for their
// writeback before the writer waits.
const writeBehindLimit = 4

// startWriteBehind starts the goroutine for f, which is empty.
func startWriteBehind(f *os.File, window int64) *writeBehind {
	return goWriteBehind(func(off, n int64, wait bool) error { return syncRange(f, off, n, wait) }, window)
}

// goWriteBehind starts the goroutine with sync as syncRange.
func goWriteBehind(sync func(off, n int64, wait bool) error, window int64) *writeBehind {
	w := &writeBehind{
		sync: sync, window: window, limit: writeBehindLimit * window,
		kick: make(chan struct{}, 1), moved: make(chan struct{}, 1), done: make(chan struct{}),
	}
	go w.run()
	return w
}

// wrote records that f now holds end bytes. It waits only while the
// writer is more than limit bytes ahead of the writeback, and returns the
// write error the goroutine saw, if any.
func (w *writeBehind) wrote(end int64) error {
	select {
	case <-w.done:
		return w.err
	default:
	}
	w.written.Store(end)
	signal(w.kick)
	for end-w.synced.Load() > w.limit {
		select {
		case <-w.moved:
		case <-w.done:
			return w.err
		}
	}
	return nil
}

// stop ends the goroutine, waits for it and returns the write error it
// saw, if any. After stop, f may be synced and closed. It must be called
// once, by the goroutine that calls wrote.
func (w *writeBehind) stop() error {
	close(w.kick)
	<-w.done
	return w.err
}

// run starts the writeback of [started, end) once it is a window long, and
// waits for [synced, started), the range started the time before. It does
// the wait alone, without a new window, when the writer is waiting for it.
func (w *writeBehind) run() {
	defer close(w.done)
	var synced, started int64
	for {
		end := w.written.Load()
		if end-started < w.window && end-synced <= w.limit {
			if _, ok := <-w.kick; !ok {
				return
			}
			continue
		}
		if end > started {
			if err := w.sync(started, end-started, false); err != nil {
				w.fail(err)
				return
			}
		}
		if started > synced {
			if err := w.sync(synced, started-synced, true); err != nil {
				w.fail(err)
				return
			}
			synced = started
			w.synced.Store(synced)
			signal(w.moved)
		}
		started = end
	}
}

// fail keeps a write error for wrote and stop. Where the file system cannot
// do sync_file_range (errUnsupportedSync), the upload only loses the head
// start: Commit's fdatasync still makes the bytes durable.
func (w *writeBehind) fail(err error) {
	if !errors.Is(err, errUnsupportedSync) {
		w.err = fmt.Errorf("storage: writeback: %w", err)
	}
}

// signal makes a pending wake-up on c, a channel of capacity 1, without
// blocking: one pending wake-up is enough, the woken side reads the
// current counts.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
