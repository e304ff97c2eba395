package evidence

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"github.com/custos-project/custos/custody"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/storage"
)

// Upload is one evidence upload in progress. Use it as:
//
//	u, err := svc.NewUpload(ctx, owner)
//	defer u.Abort()
//	_, err = u.ReadFrom(body)
//	rec, err := u.Finish(ctx, meta)
//
// Metadata may arrive before or after the bytes (multipart parts come in
// any order), so it is only needed at Finish. An Upload is not safe for
// concurrent use.
type Upload struct {
	s      *Service
	ctx    context.Context // NewUpload's, for staging a blob once the body outgrows InlineMax
	id     string
	owner  string
	staged storage.Staged // nil while the body may still be inlined, and for inline bodies
	body   *[]byte        // an inline body (pooled buffer), or nil
	hashes []hash.Hash
	n      int64
	sniff  string
	read   bool
	failed bool // ReadFrom failed: the bytes are not the upload's
	done   bool
	within func(tx *bolt.Tx, rec *Record) error // see WithinCommit
	// unlisted: the owner's organization files unlisted by default
	unlisted bool
}

// WithinCommit has fn run inside the transaction that commits the record,
// after the record is put, so that what fn writes is durable exactly when
// the record is (the API stores an Idempotency-Key answer this way). fn
// may run more than once, in transactions that are rolled back: it must
// only write to tx. Its error fails the upload, and nothing is committed.
func (u *Upload) WithinCommit(fn func(tx *bolt.Tx, rec *Record) error) { u.within = fn }

// UnlistedByDefault sets the default of the upload's Meta.Unlisted: the
// setting of the owner's organization, which metadata with "unlisted"
// overrides either way.
func (u *Upload) UnlistedByDefault(on bool) { u.unlisted = on }

// NewUpload starts an upload by owner. Without inlining it stages a blob
// for it at once; with inlining the blob is staged only if the body turns
// out larger than InlineMax.
func (s *Service) NewUpload(ctx context.Context, owner string) (*Upload, error) {
	u := &Upload{s: s, ctx: ctx, id: newEvidenceID(s.cfg.Now()), owner: owner, hashes: newHashes(s.cfg.SM3)}
	if s.inlineMax == 0 {
		st, err := s.cfg.Blobs.Stage(ctx, u.id)
		if err != nil {
			return nil, wrapStorage(err)
		}
		u.staged = st
	}
	return u, nil
}

// ReadFrom streams the upload's bytes once into the digests and the staged
// blob (or, up to InlineMax bytes, into memory). It may be called once; if
// it fails, Finish refuses the upload (ErrUploadState) and only Abort is
// left.
func (u *Upload) ReadFrom(r io.Reader) (int64, error) {
	if u.read || u.done {
		return 0, ErrUploadState
	}
	u.read = true
	var n int64
	var err error
	if u.staged == nil {
		n, err = u.readInline(r)
	} else {
		n, err = u.readStaged(r)
	}
	u.n = n
	if err != nil {
		u.failed = true
		return n, wrapStorage(err)
	}
	return n, nil
}

// Finish commits the upload: it makes the staged bytes durable, obtains
// the time-stamp tokens, commits the record with its created event (and an
// inline body's bytes) in one group-committed bbolt transaction and promotes
// a staged blob to its content-addressed key. It returns only once all of
// that is durable.
func (u *Upload) Finish(ctx context.Context, meta Meta) (*Record, error) {
	f, err := u.prepare(ctx, meta)
	if err != nil {
		return nil, err
	}
	if err := u.s.commits.commit(f.put); err != nil {
		return nil, fmt.Errorf("evidence: commit record: %w", err)
	}
	u.s.leavesQueued()
	f.committed(ctx)
	return f.rec, nil
}

// finishing is an upload made ready to commit: its bytes durable (staged
// and committed, or inline), its tokens obtained, its record encoded.
// put writes it in a transaction; committed finishes the upload once that
// transaction is durable. Finish commits one upload alone; FileCopyright
// commits several with a registration, in one transaction.
type finishing struct {
	u   *Upload
	rec *Record
	nr  *newRecord
	sum [32]byte
	sm3 []byte // nil without SM3
}

// prepare does the part of Finish before the transaction. An upload
// whose ReadFrom failed is never committed: its bytes are a prefix of the
// body at best.
func (u *Upload) prepare(ctx context.Context, meta Meta) (*finishing, error) {
	if !u.read || u.failed || u.done {
		return nil, ErrUploadState
	}
	if u.n == 0 {
		return nil, ErrEmpty
	}
	if err := meta.Validate(u.s.cfg.Now()); err != nil {
		return nil, err
	}
	if meta.Matter != "" && !ValidID(meta.Matter) {
		return nil, &MetadataError{Fields: []FieldError{{Field: "matter", Message: "must be a matter ID"}}}
	}
	if u.staged != nil {
		if err := u.staged.Commit(); err != nil {
			return nil, wrapStorage(err)
		}
	}
	d := sumDigests(u.hashes)
	tokens, err := u.s.stampAll(ctx, d.SHA256[:])
	if err != nil {
		return nil, err
	}
	rec, created, replies := u.record(meta, d, tokens)
	nr, err := prepareRecord(rec, replies, created)
	if err != nil {
		return nil, fmt.Errorf("evidence: commit record: %w", err)
	}
	return &finishing{u: u, rec: rec, nr: nr, sum: d.SHA256, sm3: d.SM3}, nil
}

// put writes the record, its created event and an inline body's bytes in
// tx; like every group-commit function it may run more than once.
func (f *finishing) put(tx *bolt.Tx) error {
	u := f.u
	staged := u.id
	if u.body != nil {
		staged = ""
	}
	if err := putRecord(tx, f.nr, staged, u.s.tokCerts); err != nil {
		return err
	}
	if u.body != nil {
		if err := u.s.putInline(tx, f.rec.Seq, f.sum, (*u.body)[:u.n]); err != nil {
			return err
		}
	}
	// Into the digest tail as the transaction commits, before the
	// committer applies the next group, which may hold the same bytes.
	seq, sum := f.rec.Seq, f.sum
	facts := factsOf(seq, f.rec, f.sum, f.sm3)
	tx.OnCommit(func() {
		u.s.digests.Committed(seq, sum)
		u.s.facts.put(facts)
	})
	if u.within != nil {
		return u.within(tx, f.rec)
	}
	return nil
}

// committed finishes the upload once put's transaction is durable: the
// record exists, so Abort must no longer discard; a staged blob is
// promoted.
func (f *finishing) committed(ctx context.Context) {
	u := f.u
	u.done = true
	if u.body != nil {
		u.releaseBody()
		return
	}
	u.s.promote(ctx, f.rec.Seq, u.id, f.rec.BlobKey())
}

// Abort discards an unfinished upload. It is a no-op after Finish succeeded.
func (u *Upload) Abort() {
	if u.done {
		return
	}
	u.done = true
	u.releaseBody()
	if u.staged == nil {
		return
	}
	if err := u.staged.Abort(); err != nil {
		u.s.log.Warn("discarding staged upload", "upload", u.id, "err", err)
	}
}

func (u *Upload) record(meta Meta, d Digests, tokens []*notary.Token) (*Record, *custody.Event, [][]byte) {
	now := u.s.cfg.Now().UTC()
	mt := meta.MediaType
	if mt == "" || mt == "application/octet-stream" {
		mt = u.sniff
	}
	rec := &Record{
		ID: u.id, Owner: u.owner, Status: StatusTimestamped,
		SHA256: hex.EncodeToString(d.SHA256[:]), Size: u.n, MediaType: mt,
		CreatedAt: now, Meta: meta,
	}
	rec.Meta.MediaType = ""
	rec.Meta.Unlisted = nil // stored as before: true, or absent
	if meta.IsUnlisted() || meta.Unlisted == nil && u.unlisted {
		rec.Meta.Unlisted = new(bool)
		*rec.Meta.Unlisted = true
	}
	if d.SM3 != nil {
		rec.SM3 = hex.EncodeToString(d.SM3)
	}
	ev := &custody.Event{V: custody.EventVersion, Evidence: u.id, Type: custody.EventCreated, Time: custody.FormatTime(now), Actor: u.owner,
		SHA256: rec.SHA256, SM3: rec.SM3, Size: u.n, MediaType: mt}
	replies := make([][]byte, len(tokens))
	for i, t := range tokens {
		sum := sha256.Sum256(t.Reply)
		info := TokenInfo{TSA: t.TSA, URL: t.URL, Time: t.Time.UTC(), Serial: t.Serial, SHA256: hex.EncodeToString(sum[:])}
		rec.Tokens = append(rec.Tokens, info)
		ev.Tokens = append(ev.Tokens, info.SHA256)
		replies[i] = t.Reply
	}
	return rec, ev, replies
}

// stampAll asks the built-in TSA and every external TSA, concurrently.
// Every token is required: if one TSA fails, the upload fails cleanly.
// The built-in TSA signs on the caller's goroutine, whose stack has already
// grown for the request (a fresh goroutine would grow its stack for the
// signature on every upload); only external TSAs, bounded by StampTimeout,
// get goroutines of their own.
func (s *Service) stampAll(ctx context.Context, digest []byte) ([]*notary.Token, error) {
	tokens := make([]*notary.Token, 1+len(s.cfg.External))
	errs := make([]error, len(tokens))
	var wg sync.WaitGroup
	for i, st := range s.cfg.External {
		wg.Go(func() {
			c, cancel := context.WithTimeout(ctx, s.cfg.StampTimeout)
			defer cancel()
			tokens[i+1], errs[i+1] = st.Stamp(c, crypto.SHA256, digest)
		})
	}
	tokens[0], errs[0] = s.cfg.TSA.Stamp(ctx, crypto.SHA256, digest)
	wg.Wait()
	err := errors.Join(errs...)
	if err == nil {
		return tokens, nil
	}
	for _, e := range errs {
		if e != nil && !transient(e) {
			return nil, fmt.Errorf("%w: %w", ErrTSAFailed, err)
		}
	}
	return nil, fmt.Errorf("%w: time-stamping: %w", ErrUnavailable, err)
}

// transient reports whether a time-stamping failure may pass by itself.
func transient(err error) bool {
	return errors.Is(err, notary.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// wrapStorage marks object-store outages as ErrUnavailable.
func wrapStorage(err error) error {
	if errors.Is(err, storage.ErrUnavailable) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}
