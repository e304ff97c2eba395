package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
)

// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header-07).
//
// A client may send "Idempotency-Key: K" with a POST that creates something.
// Keys are scoped to the API key that sends them. The first request with K
// runs normally; if it succeeds (2xx), its answer is stored durably in the
// node's database before it is sent, and kept for the retention time
// (default 24 h). Within that time:
//
//   - the same request again with K gets the stored answer, with
//     "Idempotent-Replayed: true", and creates nothing (§2.6);
//   - another request with K gets 422 idempotency-key-reused (§2.7);
//   - a request with K while the first is still running gets 409
//     idempotency-key-in-flight with Retry-After: 1 (§2.7).
//
// Failures are not stored: they created nothing (a 503 must be retried for
// real, and a 4xx is answered the same way again).
//
// "The same request" is its fingerprint: SHA-256 over the method, the
// request target and the body, which JSON endpoints buffer (at most
// maxJSON bytes). An upload is fingerprinted as it streams: over the
// SHA-256 of the file's bytes and the parsed metadata, so a multipart retry
// with another boundary is still the same request. A copyright
// registration is fingerprinted the same way over the parsed work and, in
// order, each file's SHA-256 and the metadata it is filed with. A retried
// upload's bytes are read in full (the fingerprint is not known before) and
// then discarded.
//
// Crash consistency. An upload's answer is stored in the transaction that
// commits its record (idemWithinCommit, through Upload.WithinCommit): the
// record and its answer are durable together or not at all, and the
// handler sends the stored bytes. A registration's answer follows its
// commit, in a second transaction of the same bbolt file, so it can never
// name a registration that does not exist (a replay checks that it is
// there); a crash between the two leaves a registration without its
// answer, and the retry registers the work again (a second registration of
// the same files).
//
// Requests in flight are tracked in memory: one process owns the database
// (bbolt's file lock), and after a crash nothing is in flight.

const (
	// DefaultIdempotencyTTL is how long an answer is kept by default.
	DefaultIdempotencyTTL = 24 * time.Hour
	maxIdempotencyKey     = 255
	pruneBatch            = 64 // expired answers deleted per write
)

// The answers live in a bucket of their own: "entries" maps scope (API key
// ID, NUL, Idempotency-Key) to the stored answer, and "expiry" holds
// created (8 bytes, big-endian Unix nanoseconds) + scope for each entry, so
// expired entries are found in order without a scan.
var (
	bIdempotency = []byte("api.idempotency")
	bIdemEntries = []byte("entries")
	bIdemExpiry  = []byte("expiry")
)

// idempotency stores the answers to requests made with an Idempotency-Key.
// A nil *idempotency turns the header off (it is then ignored).
type idempotency struct {
	db  *bolt.DB
	ttl time.Duration
	ev  recordGetter
	log *slog.Logger
	now func() time.Time

	mu       sync.Mutex
	inFlight map[string]struct{}
}

// recordGetter is what a replay needs from the evidence service.
type recordGetter interface {
	Get(ctx context.Context, id string) (*evidence.Record, error)
}

// idemEntry is a stored answer.
type idemEntry struct {
	V           int       `json:"v"`           // 1
	Fingerprint []byte    `json:"fingerprint"` // SHA-256 of the request
	Created     time.Time `json:"created"`
	Status      int       `json:"status"`
	ContentType string    `json:"content_type,omitempty"`
	Location    string    `json:"location,omitempty"`
	Body        []byte    `json:"body"`
	Evidence    string    `json:"evidence,omitempty"`  // the record an upload created
	Copyright   string    `json:"copyright,omitempty"` // the registration a copyright registration created
}

// newIdempotency opens the answers' bucket in db. A nil db returns nil.
// ttl 0 means DefaultIdempotencyTTL.
func newIdempotency(db *bolt.DB, ttl time.Duration, ev recordGetter, log *slog.Logger) (*idempotency, error) {
	if db == nil {
		return nil, nil
	}
	if ttl < 0 {
		return nil, fmt.Errorf("api: IdempotencyTTL %v must not be negative", ttl)
	}
	if ttl == 0 {
		ttl = DefaultIdempotencyTTL
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bIdempotency)
		if err != nil {
			return err
		}
		if _, err := b.CreateBucketIfNotExists(bIdemEntries); err != nil {
			return err
		}
		_, err = b.CreateBucketIfNotExists(bIdemExpiry)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("api: idempotency bucket: %w", err)
	}
	return &idempotency{db: db, ttl: ttl, ev: ev, log: log, now: time.Now, inFlight: map[string]struct{}{}}, nil
}

// idemCall is one request made with an Idempotency-Key, kept in the echo
// context while its handler runs.
type idemCall struct {
	i         *idempotency
	scope     string
	stored    *idemEntry  // a live answer under scope, if any
	fp        []byte      // the request's fingerprint, once known
	contents  []hash.Hash // uploads: SHA-256 of each file's bytes as they stream
	copyright string      // copyright registrations: the registration created
	replayed  bool
	saved     bool // the answer was stored with what it created (idemWithinCommit)
}

const idemCallKey = "custos.idempotency"

func idemCallOf(c echo.Context) *idemCall {
	call, _ := c.Get(idemCallKey).(*idemCall)
	return call
}

// forJSON makes a JSON POST honour Idempotency-Key. It runs after
// requireAuth; the body is buffered, so the fingerprint is known up front.
func (i *idempotency) forJSON(next echo.HandlerFunc) echo.HandlerFunc {
	if i == nil {
		return next
	}
	return func(c echo.Context) error {
		key, ok, err := idempotencyKey(c.Request().Header)
		if err != nil {
			return err
		}
		if !ok {
			return next(c)
		}
		req := c.Request()
		body, err := io.ReadAll(io.LimitReader(req.Body, maxJSON+1))
		if err != nil {
			return err
		}
		if len(body) > maxJSON {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		return i.run(c, key, fingerprint("json", req, body), next)
	}
}

// forUpload makes an upload honour Idempotency-Key. The handler streams the
// body through idemBody, calls idemMatch before Finish, and has the answer
// stored with the record (idemWithinCommit).
func (i *idempotency) forUpload(next echo.HandlerFunc) echo.HandlerFunc {
	if i == nil {
		return next
	}
	return func(c echo.Context) error {
		key, ok, err := idempotencyKey(c.Request().Header)
		if err != nil {
			return err
		}
		if !ok {
			return next(c)
		}
		return i.run(c, key, nil, next)
	}
}

// run handles a request with key; fp is nil for an upload, whose handler
// sets it.
func (i *idempotency) run(c echo.Context, key string, fp []byte, next echo.HandlerFunc) error {
	scope := principal(c).Key.ID + "\x00" + key
	if !i.acquire(scope) {
		p := problem(http.StatusConflict, "idempotency-key-in-flight", "Request in progress",
			"A request with this Idempotency-Key is still being processed. Retry shortly to get its answer.")
		p.retryAfter = 1
		return p
	}
	defer i.release(scope)
	stored, err := i.load(scope)
	if err != nil {
		return err
	}
	call := &idemCall{i: i, scope: scope, stored: stored, fp: fp}
	if fp != nil && stored != nil {
		return call.answer(c)
	}
	c.Set(idemCallKey, call)
	return i.record(c, call, next)
}

// answer replays the stored answer to the same request, and refuses
// another request with the same key.
func (call *idemCall) answer(c echo.Context) error {
	e := call.stored
	if !bytes.Equal(e.Fingerprint, call.fp) {
		return problem(http.StatusUnprocessableEntity, "idempotency-key-reused", "Idempotency-Key reused",
			"This Idempotency-Key was used for a different request. Use a new key for a new request.")
	}
	call.replayed = true
	h := c.Response().Header()
	if e.Location != "" {
		h.Set("Location", e.Location)
	}
	h.Set(wire.ReplayedHeader, "true")
	return c.Blob(e.Status, e.ContentType, e.Body)
}

// record runs the handler with its answer held back, stores a successful
// answer, and only then sends it.
func (i *idempotency) record(c echo.Context, call *idemCall, next echo.HandlerFunc) error {
	res := c.Response()
	w := res.Writer
	rec := &recorder{header: w.Header()}
	res.Writer = rec
	err := next(c)
	res.Writer = w
	if !res.Committed {
		return err // nothing written: the error handler answers
	}
	if err == nil && !call.replayed && !call.saved && call.fp != nil && rec.status >= 200 && rec.status < 300 {
		e := &idemEntry{V: 1, Fingerprint: call.fp, Status: rec.status, Body: rec.body.Bytes(),
			ContentType: w.Header().Get("Content-Type"), Location: w.Header().Get("Location"),
			Copyright: call.copyright}
		if err := i.save(call.scope, e); err != nil {
			// What was done is done: answer it, but a retry will run again.
			i.log.Error("storing the answer to an Idempotency-Key request", "path", c.Path(), "err", err)
		}
	}
	w.WriteHeader(rec.status)
	if _, werr := w.Write(rec.body.Bytes()); werr != nil {
		i.log.Debug("writing a response", "err", werr)
	}
	return err
}

func (i *idempotency) acquire(scope string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	if _, busy := i.inFlight[scope]; busy {
		return false
	}
	i.inFlight[scope] = struct{}{}
	return true
}

func (i *idempotency) release(scope string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	delete(i.inFlight, scope)
}

// load returns the live answer under scope, or nil.
func (i *idempotency) load(scope string) (*idemEntry, error) {
	var e *idemEntry
	err := i.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bIdempotency).Bucket(bIdemEntries).Get([]byte(scope))
		if v == nil {
			return nil
		}
		e = new(idemEntry)
		return json.Unmarshal(v, e) // copies out of the mmap
	})
	if err != nil {
		return nil, fmt.Errorf("api: idempotency answer: %w", err)
	}
	if e == nil || !i.now().Before(e.Created.Add(i.ttl)) {
		return nil, nil
	}
	return e, nil
}

// save stores e under scope, replacing an expired answer, and deletes a few
// expired answers. The function may run twice (DB.Batch); it is idempotent.
func (i *idempotency) save(scope string, e *idemEntry) error {
	put, err := i.putter(scope, e)
	if err != nil {
		return err
	}
	return i.db.Batch(put)
}

// putter encodes e and returns the write that save makes, for any
// transaction; it may run more than once.
func (i *idempotency) putter(scope string, e *idemEntry) (func(tx *bolt.Tx) error, error) {
	now := i.now()
	e.Created = now.UTC()
	v, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return func(tx *bolt.Tx) error {
		b := tx.Bucket(bIdempotency)
		entries, expiry := b.Bucket(bIdemEntries), b.Bucket(bIdemExpiry)
		if err := deleteEntry(entries, expiry, []byte(scope)); err != nil {
			return err
		}
		if err := entries.Put([]byte(scope), v); err != nil {
			return err
		}
		if err := expiry.Put(expiryKey(e.Created, scope), nil); err != nil {
			return err
		}
		return prune(entries, expiry, now.Add(-i.ttl))
	}, nil
}

// idemWithinCommit returns, for an upload with an Idempotency-Key, the
// write that stores its answer in the transaction that commits its record
// (Upload.WithinCommit), so that no crash can leave the record without the
// answer a retry gets; nil without a key. answer encodes the 201's body
// from the record, as the handler then sends it.
func idemWithinCommit(c echo.Context, answer func(*evidence.Record) ([]byte, error)) func(*bolt.Tx, *evidence.Record) error {
	call := idemCallOf(c)
	if call == nil || call.fp == nil {
		return nil
	}
	return func(tx *bolt.Tx, rec *evidence.Record) error {
		body, err := answer(rec)
		if err != nil {
			return err
		}
		put, err := call.i.putter(call.scope, &idemEntry{V: 1, Fingerprint: call.fp, Status: http.StatusCreated, Body: body,
			ContentType: echo.MIMEApplicationJSON, Location: evidenceLocation(rec.ID), Evidence: rec.ID})
		if err != nil {
			return err
		}
		return put(tx)
	}
}

// idemSaved notes that the answer is stored (idemWithinCommit's commit
// succeeded), so the handler's answer is not stored again.
func idemSaved(c echo.Context) {
	if call := idemCallOf(c); call != nil {
		call.saved = true
	}
}

// prune deletes up to pruneBatch answers created before cutoff.
func prune(entries, expiry *bolt.Bucket, cutoff time.Time) error {
	var scopes [][]byte
	c := expiry.Cursor()
	for k, _ := c.First(); k != nil && len(scopes) < pruneBatch; k, _ = c.Next() {
		if len(k) < 8 || int64(binary.BigEndian.Uint64(k)) >= cutoff.UnixNano() {
			break
		}
		scopes = append(scopes, bytes.Clone(k[8:]))
	}
	for _, s := range scopes {
		if err := deleteEntry(entries, expiry, s); err != nil {
			return err
		}
	}
	return nil
}

// deleteEntry deletes the answer under scope and its expiry key.
func deleteEntry(entries, expiry *bolt.Bucket, scope []byte) error {
	v := entries.Get(scope)
	if v == nil {
		return nil
	}
	var old idemEntry
	if err := json.Unmarshal(v, &old); err != nil {
		return fmt.Errorf("api: idempotency answer %q: %w", scope, err)
	}
	if err := expiry.Delete(expiryKey(old.Created, string(scope))); err != nil {
		return err
	}
	return entries.Delete(scope)
}

func expiryKey(created time.Time, scope string) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(scope)), uint64(created.UnixNano()))
	return append(k, scope...)
}

// idemBody returns what an upload's bytes stream into: up itself, or, with
// an Idempotency-Key, up behind a SHA-256 of the bytes. A request of
// several files calls it once per file, in order.
func idemBody(c echo.Context, up io.ReaderFrom) io.ReaderFrom {
	call := idemCallOf(c)
	if call == nil {
		return up
	}
	h := sha256.New()
	call.contents = append(call.contents, h)
	return hashingReaderFrom{up, h}
}

type hashingReaderFrom struct {
	dst io.ReaderFrom
	h   hash.Hash
}

func (r hashingReaderFrom) ReadFrom(src io.Reader) (int64, error) {
	return r.dst.ReadFrom(io.TeeReader(src, r.h))
}

// idemMatch is called once an upload's bytes and metadata are read, before
// Finish. If the same upload was already made with this Idempotency-Key, it
// sends the stored answer and returns true: the handler then returns err
// and its Upload is aborted. A different upload with the key is refused.
func idemMatch(c echo.Context, meta evidence.Meta) (replayed bool, err error) {
	call := idemCallOf(c)
	if call == nil || len(call.contents) != 1 {
		return false, nil
	}
	m, err := json.Marshal(meta)
	if err != nil {
		return false, err
	}
	call.fp = fingerprint("upload", c.Request(), append(call.contents[0].Sum(nil), m...))
	return call.match(c, "evidence", (*idemEntry).evidenceOf, func(ctx context.Context, id string) error {
		_, err := call.i.ev.Get(ctx, id)
		return err
	})
}

// registrationGetter is what a replayed registration is checked with.
type registrationGetter interface {
	Copyright(ctx context.Context, id string) (*evidence.Copyright, error)
}

// idemFile is one file of a registration, as its fingerprint covers it.
type idemFile struct {
	SHA256 []byte        `json:"sha256"`
	Meta   evidence.Meta `json:"meta"`
}

// idemMatchRegistration is idemMatch for a copyright registration, once
// its metadata and every file (each streamed through idemBody) are read,
// before the files are committed. The fingerprint covers the work as
// parsed and, in order, each file's SHA-256 and the metadata it is filed
// with (metas[i] for the i-th file).
func idemMatchRegistration(c echo.Context, work evidence.Work, metas []evidence.Meta, reg registrationGetter) (replayed bool, err error) {
	call := idemCallOf(c)
	if call == nil {
		return false, nil
	}
	if len(call.contents) != len(metas) {
		return false, fmt.Errorf("api: %d files hashed for %d metadata", len(call.contents), len(metas))
	}
	files := make([]idemFile, len(metas))
	for i, m := range metas {
		files[i] = idemFile{SHA256: call.contents[i].Sum(nil), Meta: m}
	}
	payload, err := json.Marshal(struct {
		Work  evidence.Work `json:"work"`
		Files []idemFile    `json:"files"`
	}{work, files})
	if err != nil {
		return false, err
	}
	call.fp = fingerprint("copyright", c.Request(), payload)
	return call.match(c, "copyright", (*idemEntry).copyrightOf, func(ctx context.Context, id string) error {
		_, err := reg.Copyright(ctx, id)
		return err
	})
}

func (e *idemEntry) evidenceOf() string  { return e.Evidence }
func (e *idemEntry) copyrightOf() string { return e.Copyright }

// match answers a request whose fingerprint is now known: with no stored
// answer it returns false (the handler goes on); with the answer to the
// same request it replays it, once get has found what the answer names
// (kind; created names it in the entry); otherwise it refuses the request.
func (call *idemCall) match(c echo.Context, kind string, created func(*idemEntry) string, get func(context.Context, string) error) (replayed bool, err error) {
	if call.stored == nil {
		return false, nil
	}
	if id := created(call.stored); id != "" && bytes.Equal(call.stored.Fingerprint, call.fp) {
		// The answer is written with or after what it names, so this
		// holds; check it rather than replay something that is not there.
		if err := get(c.Request().Context(), id); errors.Is(err, evidence.ErrNotFound) {
			call.i.log.Error("an Idempotency-Key answer names something missing; creating again", kind, id)
			return false, nil
		} else if err != nil {
			return false, err
		}
	}
	return true, call.answer(c)
}

// idemRegistered notes the registration a copyright registration created,
// stored with its answer.
func idemRegistered(c echo.Context, id string) {
	if call := idemCallOf(c); call != nil {
		call.copyright = id
	}
}

// fingerprint identifies a request: SHA-256 over a kind, the method, the
// request target and the payload, each length-prefixed.
func fingerprint(kind string, req *http.Request, payload []byte) []byte {
	h := sha256.New()
	for _, f := range [][]byte{[]byte("custos idempotency v1 " + kind), []byte(req.Method), []byte(req.URL.RequestURI()), payload} {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(f))))
		h.Write(f)
	}
	return h.Sum(nil)
}

// idempotencyKey parses the header: an sf-string (RFC 8941 §3.3.3) as the
// draft specifies, or, as many clients send it, the bare key. It must hold
// 1 to 255 printable ASCII characters. ok is false without the header.
func idempotencyKey(h http.Header) (key string, ok bool, err error) {
	vs := h.Values(wire.IdempotencyKeyHeader)
	if len(vs) == 0 {
		return "", false, nil
	}
	bad := errBadRequest("bad-idempotency-key",
		"Idempotency-Key must be one key of 1 to 255 printable ASCII characters, such as \"8e03978e-40d5-43e8-bc93-6894a57f9324\".")
	if len(vs) > 1 {
		return "", true, bad
	}
	key = vs[0]
	if len(key) >= 2 && key[0] == '"' && key[len(key)-1] == '"' {
		var err error
		if key, err = strconv.Unquote(key); err != nil || !sfString(vs[0]) {
			return "", true, bad
		}
	}
	if len(key) == 0 || len(key) > maxIdempotencyKey {
		return "", true, bad
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return "", true, bad
		}
	}
	return key, true, nil
}

// sfString reports whether q is a quoted sf-string: only \" and \\ are
// escapes (strconv.Unquote accepts more).
func sfString(q string) bool {
	for i := 1; i < len(q)-1; i++ {
		if q[i] == '\\' {
			if i+1 >= len(q)-1 || (q[i+1] != '"' && q[i+1] != '\\') {
				return false
			}
			i++
		}
	}
	return true
}

// recorder holds a response back: the header map is the real one, the
// status and body wait.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
