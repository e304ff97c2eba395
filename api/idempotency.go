package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	prob "github.com/custos-project/custos/internal/problem"

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
// maxJSON bytes). An upload is fingerprinted over the SHA-256 of the
// file's bytes, as ingest computes it while it stages them (the bytes are
// hashed once), and the parsed metadata, so a multipart retry with another
// boundary is still the same request. A copyright
// registration is fingerprinted the same way over the parsed work and, in
// order, each file's SHA-256 and the metadata it is filed with. A retried
// upload's bytes are read in full (the fingerprint is not known before) and
// then discarded.
//
// Crash consistency. An upload's answer is stored in the transaction that
// commits its record (keepFunc, through Upload.WithinCommit): the
// record and its answer are durable together or not at all, and the
// handler sends the stored bytes; a matter's, an organization's, a
// share's, a copyright registration's and a notarial certificate's
// answers are stored the same way, in the transaction that creates them
// (a registration's as committed, pending the chain's number; a ?wait=
// that ends with the number replaces it in a transaction of its own, and
// the handler sends whichever is stored). An answer keep did not store (a
// 200 naming a share that already existed) follows in a transaction of
// its own (save).
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
	log *slog.Logger
	now func() time.Time
	// beforeSave, if set, runs just before an answer is saved in a
	// transaction of its own (after the act's commit): tests crash there.
	beforeSave func()

	mu       sync.Mutex
	inFlight map[string]struct{}
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
func newIdempotency(db *bolt.DB, ttl time.Duration, log *slog.Logger) (*idempotency, error) {
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
	return &idempotency{db: db, ttl: ttl, log: log, now: time.Now, inFlight: map[string]struct{}{}}, nil
}

// The layer. An endpoint that honours Idempotency-Key is written as a
// readFunc: it reads and checks the whole request (staging an upload's
// bytes, which hashes them) and returns a request, which says what
// identifies it and how to act on it. wrap turns it into a handler, and is
// the one place where a request with a key is answered in flight (409),
// replayed, refused (422), or acted on and its answer stored.

// readFunc reads and checks a request to an endpoint that honours
// Idempotency-Key, without acting on it.
type readFunc func(c echo.Context) (*request, error)

// A request is read and checked, not yet acted on.
type request struct {
	// kind and identify give the request's fingerprint (see fingerprint):
	// identify returns what it covers beyond the method and the target.
	kind     string
	identify func() ([]byte, error)
	// exists checks that what a stored answer names (an evidence record, a
	// registration) is there, evidence.ErrNotFound if not; nil when the
	// answers of the endpoint name nothing.
	exists func(ctx context.Context, e *idemEntry) error
	// create acts on the request and returns its answer, or nil if it
	// wrote one itself. keep is nil without an Idempotency-Key; with one,
	// an endpoint that commits in one transaction stores its answer in it
	// with keep (otherwise wrap stores it once create returns).
	create func(keep keepFunc) (*answer, error)
	// discard, if set, drops what was staged and not created (a retry's
	// bytes); it runs once create returned, or instead of it.
	discard func()
}

// keepFunc stores a, the answer to a request, in tx, the transaction that
// commits what it names; like every function of a group commit it may run
// more than once.
type keepFunc func(tx *bolt.Tx, a *answer) error

// answer is what a request is answered, to be stored and sent.
type answer struct {
	status      int
	contentType string
	location    string
	body        []byte
	evidence    string // the record an upload created
	copyright   string // the registration a copyright registration created
	kept        bool   // keep stored it, with what it names
}

// jsonAnswer is status with v as the body, as c.JSON writes it.
func jsonAnswer(status int, v any, location string) (*answer, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &answer{status: status, contentType: echo.MIMEApplicationJSON, location: location, body: append(b, '\n')}, nil
}

// wrap makes an endpoint honour Idempotency-Key. Without the header, or
// with Idempotency-Key off (i nil), the request is read and acted on.
func (i *idempotency) wrap(read readFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		scope, err := i.scope(c)
		if err != nil {
			return err
		}
		if scope == "" {
			return perform(c, read, nil)
		}
		if !i.acquire(scope) {
			return errInFlight()
		}
		defer i.release(scope)
		return perform(c, read, func(r *request) (keepFunc, func(*answer), error) {
			return i.gate(c, scope, r)
		})
	}
}

// gateFunc decides on a request read with a key: it replays or refuses it
// (err, or a nil keep with the answer sent), or returns keep and save, which
// stores an answer that keep did not.
type gateFunc func(r *request) (keep keepFunc, save func(*answer), err error)

// perform reads a request, passes it through gate (nil without a key),
// acts on it and sends its answer.
func perform(c echo.Context, read readFunc, gate gateFunc) error {
	r, err := read(c)
	if err != nil {
		return err
	}
	if r.discard != nil {
		defer r.discard()
	}
	var keep keepFunc
	var save func(*answer)
	if gate != nil {
		if keep, save, err = gate(r); err != nil || keep == nil {
			return err
		}
	}
	a, err := r.create(keep)
	if a == nil {
		return err // the handler answered, or the error handler will
	}
	if err == nil && save != nil && !a.kept && a.status >= 200 && a.status < 300 {
		save(a)
	}
	return send(c, a, err)
}

// gate answers a request made with a key whose answer is stored: the same
// request again gets it replayed (once what it names is found), another
// one 422. Otherwise it returns how to store the new answer.
func (i *idempotency) gate(c echo.Context, scope string, r *request) (keepFunc, func(*answer), error) {
	payload, err := r.identify()
	if err != nil {
		return nil, nil, err
	}
	fp := fingerprint(r.kind, c.Request(), payload)
	stored, err := i.load(scope)
	if err != nil {
		return nil, nil, err
	}
	if stored != nil {
		if !bytes.Equal(stored.Fingerprint, fp) {
			return nil, nil, errKeyReused()
		}
		ok, err := i.present(c.Request().Context(), r, stored)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			return nil, nil, replay(c, stored)
		}
	}
	keep := func(tx *bolt.Tx, a *answer) error {
		put, err := i.putter(scope, a.entry(fp))
		if err != nil {
			return err
		}
		if err := put(tx); err != nil {
			return err
		}
		a.kept = true
		return nil
	}
	save := func(a *answer) {
		if i.beforeSave != nil {
			i.beforeSave()
		}
		if err := i.save(scope, a.entry(fp)); err != nil {
			// What was done is done: answer it, but a retry will run again.
			i.log.Error("storing the answer to an Idempotency-Key request", "path", c.Path(), "err", err)
		}
	}
	return keep, save, nil
}

// present reports whether what a stored answer names exists. The answer is
// written with or after what it names, so it does; if not, it is logged
// and the request runs again rather than replay something missing.
func (i *idempotency) present(ctx context.Context, r *request, e *idemEntry) (bool, error) {
	if r.exists == nil {
		return true, nil
	}
	err := r.exists(ctx, e)
	if errors.Is(err, evidence.ErrNotFound) {
		i.log.Error("an Idempotency-Key answer names something missing; creating again", "evidence", e.Evidence, "copyright", e.Copyright)
		return false, nil
	}
	return err == nil, err
}

// entry is a as stored for the request of fingerprint fp.
func (a *answer) entry(fp []byte) *idemEntry {
	return &idemEntry{V: 1, Fingerprint: fp, Status: a.status, ContentType: a.contentType, Location: a.location,
		Body: a.body, Evidence: a.evidence, Copyright: a.copyright}
}

// send writes a, and returns err, the handler's.
func send(c echo.Context, a *answer, err error) error {
	if a.location != "" {
		c.Response().Header().Set("Location", a.location)
	}
	return errors.Join(err, c.Blob(a.status, a.contentType, a.body))
}

// replay sends the stored answer e.
func replay(c echo.Context, e *idemEntry) error {
	h := c.Response().Header()
	if e.Location != "" {
		h.Set("Location", e.Location)
	}
	h.Set(wire.ReplayedHeader, "true")
	return c.Blob(e.Status, e.ContentType, e.Body)
}

func errInFlight() *Problem {
	p := problem(http.StatusConflict, "idempotency-key-in-flight", prob.M("title.in-flight"), prob.M("in-flight"))
	p.retryAfter = 1
	return p
}

func errKeyReused() *Problem {
	return problem(http.StatusUnprocessableEntity, "idempotency-key-reused", prob.M("title.key-reused"), prob.M("key-reused"))
}

// scope is the request's Idempotency-Key scoped to the API key that sends
// it, or "" without the header or with Idempotency-Key off.
func (i *idempotency) scope(c echo.Context) (string, error) {
	if i == nil {
		return "", nil
	}
	key, ok, err := idempotencyKey(c.Request().Header)
	if err != nil || !ok {
		return "", err
	}
	return principal(c).Key.ID + "\x00" + key, nil
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
	bad := errBadRequest("bad-idempotency-key", prob.M("idempotency-key"))
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
