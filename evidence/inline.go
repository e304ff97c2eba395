package evidence

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/storage"
)

// Inline blobs. An upload of at most Config.InlineMax bytes keeps its bytes
// in bbolt's inlseq bucket, under its record's sequence number, and they are
// committed in the same group transaction as the record, its tokens and its
// created event. Keyed by sequence, a group commit appends its bodies at the
// end of the B+tree (keyed by SHA-256, every body landed in a random leaf of
// several others, which the commit rewrote whole). Identical bytes are still
// stored once: the sha256 index finds an earlier record's. It
// has no staged file, no promotion and no pending marker, so a small upload
// costs no file creation, link, directory or fsync of its own: its share of
// one group commit is all. A crash before that commit leaves nothing, and
// after it the bytes are as durable as the record.
const (
	// DefaultInlineMax is the inline threshold used with a storage.Folder
	// when Config.InlineMax is 0.
	DefaultInlineMax = 64 << 10
	// maxInline bounds Config.InlineMax: bbolt values are copied into every
	// transaction that rewrites their page, so large values belong in files.
	// Open looks for inline bytes only for records up to this size, whatever
	// the current threshold, so lowering InlineMax keeps old blobs readable.
	maxInline = 1 << 20
)

// inlineMax resolves Config.InlineMax: 0 means DefaultInlineMax for a local
// Folder and no inlining for any other store (an S3 store keeps every blob
// under Object Lock); a negative value turns inlining off.
func inlineMax(cfg Config) (int64, error) {
	switch {
	case cfg.InlineMax > maxInline:
		return 0, fmt.Errorf("evidence: Config.InlineMax %d is above %d", cfg.InlineMax, maxInline)
	case cfg.InlineMax < 0:
		return 0, nil
	case cfg.InlineMax > 0:
		return cfg.InlineMax, nil
	}
	if _, ok := cfg.Blobs.(*storage.Folder); ok {
		return DefaultInlineMax, nil
	}
	return 0, nil
}

// readInline reads an upload whose size is not yet known. It buffers up to
// InlineMax+1 bytes in a pooled buffer; a body that ends within InlineMax
// stays there for Finish. A longer one gets a staged blob, which receives
// the buffered head first and then the rest of the stream.
func (u *Upload) readInline(r io.Reader) (int64, error) {
	bp := u.s.heads.Get().(*[]byte)
	n, eof, err := fill(r, *bp)
	if err != nil {
		u.s.heads.Put(bp)
		return int64(n), err
	}
	if !eof {
		defer u.s.heads.Put(bp)
		return u.readStaged(io.MultiReader(bytes.NewReader((*bp)[:n]), r))
	}
	if int64(n) > u.s.cfg.MaxSize {
		u.s.heads.Put(bp)
		return int64(n), ErrTooLarge
	}
	body := (*bp)[:n]
	for _, h := range u.hashes {
		h.Write(body)
	}
	u.sniff = http.DetectContentType(body)
	u.body = bp
	return int64(n), nil
}

// readStaged stages the upload's blob and streams r into it.
func (u *Upload) readStaged(r io.Reader) (int64, error) {
	if u.staged == nil {
		st, err := u.s.cfg.Blobs.Stage(u.ctx, u.id)
		if err != nil {
			return 0, err
		}
		u.staged = st
	}
	return hashCopy(u.staged, r, u.hashes, u.s.cfg.MaxSize, func(head []byte) {
		u.sniff = http.DetectContentType(head)
	})
}

// releaseBody returns an inline upload's buffer to the pool.
func (u *Upload) releaseBody() {
	if u.body != nil {
		u.s.heads.Put(u.body)
		u.body = nil
	}
}

// newHeadPool returns the pool of inline read buffers: max+1 bytes, so that
// a full buffer means the body is too large to inline.
func newHeadPool(max int64) *sync.Pool {
	return &sync.Pool{New: func() any { b := make([]byte, max+1); return &b }}
}

// errInlineConflict is a broken invariant made visible: different bytes
// under one SHA-256.
var errInlineConflict = errors.New("evidence: different inline bytes under the same SHA-256")

// putInline stores the body of record seq, whose SHA-256 is sum, once per
// content: if an earlier record's bytes with this digest are inline, they
// must be the same bytes, and they are not stored again. An earlier record
// is found through s.digests.Seqs (the sha256 index and its tail, which gets a
// record as its transaction commits), or, within one group commit, through
// the committer's note of the bodies that transaction put.
func (s *Service) putInline(tx *bolt.Tx, seq uint64, sum [32]byte, body []byte) error {
	v := s.findInline(tx, sum[:])
	if first, ok := s.commits.inline[sum]; ok && v == nil {
		v = inlineBytes(tx, first) // put earlier in this transaction
	}
	if v != nil {
		if !bytes.Equal(v, body) {
			return fmt.Errorf("%w: %x", errInlineConflict, sum)
		}
		return nil
	}
	if s.commits.inline == nil {
		s.commits.inline = map[[32]byte]uint64{}
	}
	s.commits.inline[sum] = seq
	return putInlineBytes(tx, seq, body)
}

// Inline pages. bbolt writes a node of a leaf's elements into whole
// pages, at least two elements a node: two 4 KiB bodies, with their
// element headers, took three pages, and a body of any size wasted half a
// page on average. Since session 6 a body longer than one page-sized part
// keeps its leading parts in bInlPages, each of which fills exactly one
// page as an element, and only the rest (1 byte to one part) in bInlSeq:
//
//	inlpages: seq(8) ‖ i(2) → part i, inlinePart(page size) bytes
//	inlseq:   seq(8)        → the bytes after the parts (all of them for a short body)
//
// A body's bytes are its parts in order, then its inlseq value; a record
// without parts (every one stored before, and every short one) is its
// inlseq value alone. Both go in the record's transaction, so either both
// exist or neither.
var bInlPages = []byte("inlpages")

// inlinePart is the size of a part that, as a bbolt leaf element, fills
// a page exactly: the page header (16 bytes), the element header (16) and
// the key (10) leave pageSize-42 bytes. A node of n such elements then
// fills n pages.
func inlinePart(pageSize int) int { return pageSize - 42 }

// putInlineBytes stores body as record seq's inline bytes.
func putInlineBytes(tx *bolt.Tx, seq uint64, body []byte) error {
	part := inlinePart(tx.DB().Info().PageSize)
	pages := sequential(tx.Bucket(bInlPages))
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 10), seq) // Put copies a key: one serves all
	for i := 0; len(body) > part; i++ {
		if err := pages.Put(binary.BigEndian.AppendUint16(k[:8], uint16(i)), body[:part]); err != nil {
			return err
		}
		body = body[part:]
	}
	return sequential(tx.Bucket(bInlSeq)).Put(k[:8], body)
}

// inlineBytes returns record seq's own inline bytes, or nil. Bytes without
// parts are bbolt's memory, valid only inside tx; joined ones are a new
// slice.
func inlineBytes(tx *bolt.Tx, seq uint64) []byte {
	rest := tx.Bucket(bInlSeq).Get(u64(seq))
	if rest == nil {
		return nil
	}
	return withParts(tx, u64(seq), rest)
}

// withParts returns the parts stored under the record key k, then rest.
func withParts(tx *bolt.Tx, k, rest []byte) []byte {
	c := tx.Bucket(bInlPages).Cursor()
	var out []byte
	for pk, v := c.Seek(k); pk != nil && bytes.HasPrefix(pk, k); pk, v = c.Next() {
		out = append(out, v...)
	}
	if out == nil {
		return rest
	}
	return append(out, rest...)
}

// findInline returns the inline bytes whose SHA-256 is sum, or nil: those
// of the first record with that digest that has them in inlseq, else those
// stored under the digest itself in the older inline bucket, if the store
// has any there. The value may be bbolt's memory, valid only inside tx.
func (s *Service) findInline(tx *bolt.Tx, sum []byte) []byte {
	for _, seq := range s.digests.Seqs(tx, sum) {
		if v := inlineBytes(tx, seq); v != nil {
			return v
		}
	}
	if !s.oldInline {
		return nil
	}
	return tx.Bucket(bInline).Get(sum)
}

// hasOldInline reports whether the older inline bucket holds any bytes.
// Nothing writes there any more, so what New finds stays true while the
// service runs: a store made since inlseq existed never looks there.
func hasOldInline(db *bolt.DB) (bool, error) {
	var has bool
	err := db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bInline).Cursor().First()
		has = k != nil
		return nil
	})
	return has, err
}

// recordInline returns the inline bytes of record seq, whose SHA-256 is
// sum, or nil: its own (it was the first of its content), else those
// findInline finds. The value may be bbolt's memory, valid only in tx.
func (s *Service) recordInline(tx *bolt.Tx, seq uint64, sum []byte) []byte {
	if v := inlineBytes(tx, seq); v != nil {
		return v
	}
	return s.findInline(tx, sum)
}

// inlineBlob serves inline bytes as a Blob. bytes.Reader's Size is the
// length of the whole value, as Blob requires.
type inlineBlob struct{ *bytes.Reader }

func (inlineBlob) Close() error { return nil }

// openInline returns r's bytes if they are stored inline; ok is false if
// they are not.
func (s *Service) openInline(r *Record) (b Blob, ok bool, err error) {
	if r.Size > maxInline {
		return nil, false, nil
	}
	sum, err := decodeHex32(r.SHA256)
	if err != nil {
		return nil, false, err
	}
	var val []byte
	err = s.db.View(func(tx *bolt.Tx) error {
		if v := s.recordInline(tx, r.Seq, sum); v != nil {
			val = bytes.Clone(v) // bbolt's memory is valid only inside the transaction
		}
		return nil
	})
	if err != nil || val == nil {
		return nil, false, err
	}
	return inlineBlob{bytes.NewReader(val)}, true, nil
}
