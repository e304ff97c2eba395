package api

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/textproto"
	"strconv"
	"strings"

	"github.com/custos-project/custos/evidence"
)

// verifier re-hashes a full download as it streams. If the stored bytes do
// not match the recorded SHA-256, it withholds the last chunk and aborts the
// response, so the client never receives a complete copy of altered
// evidence (its Content-Length is then not met).
type verifier struct {
	r         io.ReadSeeker
	h         hash.Hash
	want      string
	size, n   int64
	wrongSize bool
	mismatch  func(got string)
}

func newVerifier(r io.ReadSeeker, rec *evidence.Record, mismatch func(string)) *verifier {
	return &verifier{r: r, h: sha256.New(), want: rec.SHA256, size: rec.Size, mismatch: mismatch}
}

// errCorrupt stops the copy; http.ServeContent then ends the response short.
var errCorrupt = errors.New("api: stored bytes do not match the recorded digest")

func (v *verifier) Read(p []byte) (int, error) {
	if v.wrongSize {
		v.mismatch("size differs from the record")
		return 0, errCorrupt
	}
	k, err := v.r.Read(p)
	v.h.Write(p[:k])
	v.n += int64(k)
	if v.n > v.size || (v.n == v.size && hex.EncodeToString(v.h.Sum(nil)) != v.want) ||
		(errors.Is(err, io.EOF) && v.n < v.size) {
		v.mismatch(hex.EncodeToString(v.h.Sum(nil)))
		// Withhold this chunk: the response ends short of its
		// Content-Length and net/http closes the connection.
		return 0, errCorrupt
	}
	return k, err
}

// Seek is used by http.ServeContent to learn the size and rewind; hashing
// restarts whenever the stream goes back to the start. The size reported is
// always the recorded one, so that a stored blob of another size cannot set
// the Content-Length: Read then fails before the body is complete.
func (v *verifier) Seek(off int64, whence int) (int64, error) {
	pos, err := v.r.Seek(off, whence)
	if err != nil {
		return pos, err
	}
	if whence == io.SeekEnd {
		if pos != v.size+off {
			v.wrongSize = true
		}
		pos = v.size + off
	}
	if pos == 0 {
		v.h.Reset()
		v.n = 0
	}
	return pos, nil
}

// rangeSatisfiable reports whether a Range header (RFC 9110 §14.1.2)
// selects at least one byte of a size-byte representation; a malformed
// header is unsatisfiable, as net/http treats it.
func rangeSatisfiable(h string, size int64) bool {
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok {
		return false
	}
	some := false
	for _, r := range strings.Split(spec, ",") {
		r = textproto.TrimString(r)
		if r == "" {
			continue
		}
		first, last, ok := strings.Cut(r, "-")
		if !ok {
			return false
		}
		first, last = textproto.TrimString(first), textproto.TrimString(last)
		if first == "" { // suffix range: the last N bytes
			if strings.HasPrefix(last, "-") { // net/http refuses "--N" (a negative length)
				return false
			}
			n, err := strconv.ParseInt(last, 10, 64)
			if err != nil || n < 0 {
				return false
			}
			some = some || (n > 0 && size > 0)
			continue
		}
		i, err := strconv.ParseInt(first, 10, 64)
		if err != nil || i < 0 {
			return false
		}
		if last != "" {
			if j, err := strconv.ParseInt(last, 10, 64); err != nil || j < i {
				return false
			}
		}
		some = some || i < size
	}
	return some
}
