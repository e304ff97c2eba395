package evidence

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
)

// gatedWriter holds every Write until gate is closed, as a slow disk holds
// the pipeline's buffers, then writes into buf.
type gatedWriter struct {
	gate <-chan struct{}
	buf  bytes.Buffer
}

func (w *gatedWriter) Write(p []byte) (int, error) {
	<-w.gate
	return w.buf.Write(p)
}

// breakingReader serves data, then closes gate and fails with err: the
// body breaks off while the writer still holds buffers.
type breakingReader struct {
	data []byte
	gate chan struct{}
	err  error
}

func (r *breakingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		close(r.gate)
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// A body that breaks off while the writer (and SM3) still hold buffers:
// the pipeline waits for them before it returns, so no buffer is reused
// while in flight (the race detector watches), and the writer has written
// exactly the bytes read and hashed before the break.
func TestPipelineBreakWhileWriting(t *testing.T) {
	for _, withSM3 := range []bool{false, true} {
		data, _ := largeBody(headSize + 2*chunkSize + 777)
		gate := make(chan struct{})
		w := &gatedWriter{gate: gate}
		hs := newHashes(withSM3)
		n, err := hashCopy(w, &breakingReader{data: data, gate: gate, err: io.ErrUnexpectedEOF}, hs, 1<<40, nil)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("sm3=%v: hashCopy = %d, %v; want %v", withSM3, n, err, io.ErrUnexpectedEOF)
		}
		if got := w.buf.Bytes(); !bytes.Equal(got, data[:len(got)]) {
			t.Errorf("sm3=%v: the writer wrote %d bytes that are not a prefix of the body", withSM3, len(got))
		}
		if d, want := sumDigests(hs).SHA256, sha256.Sum256(w.buf.Bytes()); d != want {
			t.Errorf("sm3=%v: SHA-256 = %x, want that of the %d bytes written, %x", withSM3, d, w.buf.Len(), want)
		}
	}
}

// A write error ends the upload with that error, with SM3 on or off, and
// the pipeline returns (every consumer releases what it holds).
func TestPipelineWriteError(t *testing.T) {
	for _, withSM3 := range []bool{false, true} {
		data, _ := largeBody(headSize + 6*chunkSize)
		for _, after := range []int{0, headSize, headSize + 3*chunkSize + 5} {
			_, err := hashCopy(&failWriter{after: after}, bytes.NewReader(data), newHashes(withSM3), 1<<40, nil)
			if !errors.Is(err, errDisk) {
				t.Errorf("sm3=%v: hashCopy into a writer failing after %d bytes = %v, want %v", withSM3, after, err, errDisk)
			}
		}
	}
}
