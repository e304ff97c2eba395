package evidence

import (
	"bytes"
	crand "crypto/rand"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"testing"

	"github.com/emmansun/gmsm/sm3"
)

func TestHashCopy(t *testing.T) {
	sizes := []int{1, 511, headSize - 1, headSize, headSize + 1, headSize + chunkSize, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + 17, 9 * chunkSize}
	for _, n := range sizes {
		for _, withSM3 := range []bool{false, true} {
			data := make([]byte, n)
			crand.Read(data)
			var dst bytes.Buffer
			hs := newHashes(withSM3)
			var head []byte
			got, err := hashCopy(&dst, iotestHalfReader(data), hs, int64(n), func(b []byte) { head = append(head, b...) })
			if err != nil || got != int64(n) {
				t.Fatalf("hashCopy(%d bytes) = %d, %v", n, got, err)
			}
			if !bytes.Equal(dst.Bytes(), data) {
				t.Fatalf("hashCopy(%d bytes): copy differs", n)
			}
			d := sumDigests(hs)
			if d.SHA256 != sha256.Sum256(data) {
				t.Errorf("hashCopy(%d bytes): SHA-256 differs", n)
			}
			if withSM3 {
				want := sm3.Sum(data)
				if !bytes.Equal(d.SM3, want[:]) {
					t.Errorf("hashCopy(%d bytes): SM3 differs", n)
				}
			} else if d.SM3 != nil {
				t.Errorf("hashCopy(%d bytes): SM3 computed while off", n)
			}
			if len(head) == 0 || !bytes.HasPrefix(data, head) {
				t.Errorf("hashCopy(%d bytes): head is not a prefix of the data", n)
			}
		}
	}
}

// iotestHalfReader returns short reads, as a network body does.
func iotestHalfReader(b []byte) io.Reader { return &shortReader{b: b} }

type shortReader struct{ b []byte }

func (r *shortReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), 1+len(p)/3, len(r.b))
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

func TestHashCopyLimit(t *testing.T) {
	for _, n := range []int{10, 5 * chunkSize} {
		data := make([]byte, n)
		_, err := hashCopy(io.Discard, bytes.NewReader(data), []hash.Hash{sha256.New()}, int64(n-1), nil)
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("hashCopy(%d bytes, limit %d) = %v, want ErrTooLarge", n, n-1, err)
		}
		if _, err := hashCopy(io.Discard, bytes.NewReader(data), []hash.Hash{sha256.New()}, int64(n), nil); err != nil {
			t.Errorf("hashCopy(%d bytes, limit %d) = %v, want nil", n, n, err)
		}
	}
}

type failWriter struct{ after int }

var errDisk = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, errDisk
	}
	return len(p), nil
}

func TestHashCopyWriteError(t *testing.T) {
	for _, n := range []int{100, 6 * chunkSize} {
		data := make([]byte, n)
		_, err := hashCopy(&failWriter{after: n / 2}, bytes.NewReader(data), []hash.Hash{sha256.New()}, int64(n), nil)
		if !errors.Is(err, errDisk) {
			t.Errorf("hashCopy(%d bytes into failing writer) = %v, want %v", n, err, errDisk)
		}
	}
}

type errReader struct{ n int }

func (r *errReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	k := min(len(p), r.n)
	r.n -= k
	return k, nil
}

// A body that breaks mid-stream is an error, not a short success. (The HTTP
// server reports a truncated Content-Length body as io.ErrUnexpectedEOF.)
func TestHashCopyReadError(t *testing.T) {
	for _, n := range []int{100, 3 * chunkSize} {
		_, err := hashCopy(io.Discard, &errReader{n: n}, []hash.Hash{sha256.New()}, 1<<40, nil)
		if err == nil {
			t.Errorf("hashCopy(reader failing after %d bytes) = nil error", n)
		}
	}
}

func BenchmarkHashCopy(b *testing.B) {
	data := make([]byte, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := hashCopy(io.Discard, bytes.NewReader(data), newHashes(false), 1<<40, nil); err != nil {
			b.Fatal(err)
		}
	}
}
