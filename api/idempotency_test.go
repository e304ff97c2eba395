package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/evidence/sharing"
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/storage"
	"github.com/custos-project/custos/webhooks"
)

// idemWorld is a route test server with a JSON route that honours
// Idempotency-Key, a fake clock and two API keys.
type idemWorld struct {
	s       *Server
	idem    *idempotency
	db      *bolt.DB
	now     time.Time
	tokA    string // a key of org A
	tokB    string // a key of org B
	created atomic.Int64
	fail    atomic.Bool   // the handler answers 503
	block   chan struct{} // if set, the handler waits on it
	started chan struct{} // closed by a blocked handler
}

func newIdemWorld(t *testing.T) *idemWorld {
	t.Helper()
	w := &idemWorld{s: newRouteTestServer(t), now: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	w.db = openTestDB(t)
	w.idem = newTestIdempotency(t, w.db, func() time.Time { return w.now })
	w.tokA, w.tokB = newKey(t, w.s.orgs, "Firm A"), newKey(t, w.s.orgs, "Firm B")
	w.s.e.POST("/test/things", w.idem.wrap(w.read), w.s.requireAuth)
	w.s.e.POST("/test/other", w.idem.wrap(w.read), w.s.requireAuth)
	return w
}

func openTestDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "idem.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.MaxBatchDelay = time.Millisecond // one writer at a time here
	t.Cleanup(func() { db.Close() })
	return db
}

// newTestOrgs opens a fresh database with an access store on it.
func newTestOrgs(t *testing.T) (*bolt.DB, *access.Store) {
	t.Helper()
	db := openTestDB(t)
	orgs, err := access.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	return db, orgs
}

// operatorAdmin creates the operator organization in orgs and returns an
// admin key's token: who may read the chain's status and vote.
func operatorAdmin(t *testing.T, orgs *access.Store) string {
	t.Helper()
	op, err := orgs.CreateOrg(access.KindOperator, "Operator")
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	return admin
}

func newTestIdempotency(t *testing.T, db *bolt.DB, now func() time.Time) *idempotency {
	t.Helper()
	i, err := newIdempotency(db, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	i.now = now
	return i
}

// newKey creates an organization with a submitter key and returns its token.
func newKey(t testing.TB, orgs *access.Store, name string) string {
	t.Helper()
	o, err := orgs.CreateOrg(access.KindLawFirm, name)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := orgs.CreateKey(o.ID, access.RoleSubmitter, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// read is the test route's request for the Idempotency-Key layer, as a
// JSON endpoint's: its fingerprint the body's bytes; create echoes the body
// under a new ID (its answer stored by the layer once create returns).
func (w *idemWorld) read(c echo.Context) (*request, error) {
	b, err := readJSONBody(c)
	if err != nil {
		return nil, err
	}
	return &request{kind: "json", identify: func() ([]byte, error) { return b, nil },
		create: func(keepFunc) (*answer, error) {
			if w.block != nil {
				close(w.started)
				<-w.block
			}
			if w.fail.Load() {
				return nil, evidence.ErrUnavailable
			}
			var in map[string]any
			if err := decodeStrict(b, &in); err != nil {
				return nil, err
			}
			id := fmt.Sprint(w.created.Add(1))
			return jsonAnswer(http.StatusCreated, map[string]any{"id": id, "in": in}, "/test/things/"+id)
		}}, nil
}

func (w *idemWorld) post(t *testing.T, path, token, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	w.s.e.ServeHTTP(rec, req)
	return rec
}

// wantProblem checks a problem+json answer of the given status and type.
func wantProblem(t *testing.T, rec *httptest.ResponseRecorder, status int, slug string) {
	t.Helper()
	var p Problem
	if rec.Code != status || rec.Header().Get("Content-Type") != "application/problem+json" ||
		json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Type != ProblemBase+slug {
		t.Errorf("answer = %d %q %s, want %d problem+json %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body, status, slug)
	}
}

func TestIdempotencyReplay(t *testing.T) {
	w := newIdemWorld(t)
	first := w.post(t, "/test/things", w.tokA, `{"name":"x"}`, "Idempotency-Key", "k1")
	if first.Code != http.StatusCreated || first.Header().Get(wire.ReplayedHeader) != "" {
		t.Fatalf("first POST = %d %s (replayed %q), want 201 not replayed", first.Code, first.Body, first.Header().Get(wire.ReplayedHeader))
	}
	second := w.post(t, "/test/things", w.tokA, `{"name":"x"}`, "Idempotency-Key", "k1")
	if second.Code != http.StatusCreated || second.Body.String() != first.Body.String() ||
		second.Header().Get("Location") != first.Header().Get("Location") || second.Header().Get(wire.ReplayedHeader) != "true" ||
		second.Header().Get("Content-Type") != first.Header().Get("Content-Type") {
		t.Errorf("retry = %d %v %s, want the first answer (%s) replayed", second.Code, second.Header(), second.Body, first.Body)
	}
	if n := w.created.Load(); n != 1 {
		t.Errorf("the handler ran %d times, want 1", n)
	}
	// The quoted sf-string form of the same key is the same key.
	if r := w.post(t, "/test/things", w.tokA, `{"name":"x"}`, "Idempotency-Key", `"k1"`); r.Header().Get(wire.ReplayedHeader) != "true" {
		t.Errorf(`retry with Idempotency-Key: "k1" = %d %s, want a replay`, r.Code, r.Body)
	}
	// The answer is durable: a new store on the same database (a restart)
	// replays it.
	again := newTestIdempotency(t, w.db, func() time.Time { return w.now })
	e, err := again.load(w.scope(t, w.tokA, "k1"))
	if err != nil || e == nil || e.Status != http.StatusCreated || !bytes.Equal(e.Body, first.Body.Bytes()) {
		t.Errorf("load after reopening = %+v, %v; want the stored 201", e, err)
	}
}

// scope is the stored key of an Idempotency-Key sent with token.
func (w *idemWorld) scope(t *testing.T, token, key string) string {
	t.Helper()
	return testScope(t, w.s.orgs, token, key)
}

func testScope(t *testing.T, orgs *access.Store, token, key string) string {
	t.Helper()
	p, err := orgs.Authenticate(token)
	if err != nil {
		t.Fatal(err)
	}
	return p.Key.ID + "\x00" + key
}

func TestIdempotencyRunsAgain(t *testing.T) {
	for _, tc := range []struct {
		name string
		hdr  []string
	}{
		{"no key", nil},
		{"another key", []string{"Idempotency-Key", "k2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newIdemWorld(t)
			w.post(t, "/test/things", w.tokA, `{}`, "Idempotency-Key", "k1")
			r := w.post(t, "/test/things", w.tokA, `{}`, tc.hdr...)
			if r.Code != http.StatusCreated || r.Header().Get(wire.ReplayedHeader) != "" || w.created.Load() != 2 {
				t.Errorf("POST = %d (replayed %q), created %d; want 201, not replayed, 2", r.Code, r.Header().Get(wire.ReplayedHeader), w.created.Load())
			}
		})
	}
	t.Run("keys are per API key", func(t *testing.T) {
		w := newIdemWorld(t)
		w.post(t, "/test/things", w.tokA, `{}`, "Idempotency-Key", "k1")
		r := w.post(t, "/test/things", w.tokB, `{}`, "Idempotency-Key", "k1")
		if r.Code != http.StatusCreated || r.Header().Get(wire.ReplayedHeader) != "" || w.created.Load() != 2 {
			t.Errorf("other API key, same Idempotency-Key = %d (replayed %q), want a new 201", r.Code, r.Header().Get(wire.ReplayedHeader))
		}
	})
	t.Run("failures are not stored", func(t *testing.T) {
		w := newIdemWorld(t)
		w.fail.Store(true)
		wantProblem(t, w.post(t, "/test/things", w.tokA, `{}`, "Idempotency-Key", "k1"), http.StatusServiceUnavailable, "unavailable")
		w.fail.Store(false)
		if r := w.post(t, "/test/things", w.tokA, `{}`, "Idempotency-Key", "k1"); r.Code != http.StatusCreated || r.Header().Get(wire.ReplayedHeader) != "" {
			t.Errorf("retry after a 503 = %d (replayed %q), want a real 201", r.Code, r.Header().Get(wire.ReplayedHeader))
		}
		wantProblem(t, w.post(t, "/test/things", w.tokA, `{"a":1,"a":2}`, "Idempotency-Key", "k3"), http.StatusUnprocessableEntity, "invalid-input")
		if r := w.post(t, "/test/things", w.tokA, `{}`, "Idempotency-Key", "k3"); r.Code != http.StatusCreated {
			t.Errorf("a corrected request after a 422 with the same key = %d %s, want 201", r.Code, r.Body)
		}
	})
	t.Run("expired", func(t *testing.T) {
		w := newIdemWorld(t)
		w.post(t, "/test/things", w.tokA, `{}`, "Idempotency-Key", "k1")
		w.now = w.now.Add(DefaultIdempotencyTTL)
		r := w.post(t, "/test/things", w.tokA, `{"other":1}`, "Idempotency-Key", "k1")
		if r.Code != http.StatusCreated || r.Header().Get(wire.ReplayedHeader) != "" || w.created.Load() != 2 {
			t.Errorf("after 24h = %d (replayed %q), want a new 201", r.Code, r.Header().Get(wire.ReplayedHeader))
		}
		if n := w.count(t); n != 1 {
			t.Errorf("%d answers stored, want 1 (the expired one replaced)", n)
		}
	})
}

// count returns the number of stored answers, checking that each has its
// expiry key and no expiry key is left over.
func (w *idemWorld) count(t *testing.T) int {
	t.Helper()
	var n, m int
	w.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bIdempotency)
		n, m = b.Bucket(bIdemEntries).Stats().KeyN, b.Bucket(bIdemExpiry).Stats().KeyN
		return nil
	})
	if n != m {
		t.Errorf("%d answers but %d expiry keys", n, m)
	}
	return n
}

func TestIdempotencyPrune(t *testing.T) {
	w := newIdemWorld(t)
	for i := range pruneBatch + 10 {
		w.post(t, "/test/things", w.tokA, `{}`, "Idempotency-Key", fmt.Sprint("old-", i))
	}
	w.now = w.now.Add(DefaultIdempotencyTTL + time.Second)
	w.post(t, "/test/things", w.tokA, `{}`, "Idempotency-Key", "new-1")
	if n := w.count(t); n != 10+1 {
		t.Errorf("after one write %d answers are kept, want %d (a write prunes %d)", n, 11, pruneBatch)
	}
	w.post(t, "/test/things", w.tokA, `{}`, "Idempotency-Key", "new-2")
	if n := w.count(t); n != 2 {
		t.Errorf("after two writes %d answers are kept, want 2", n)
	}
}

func TestIdempotencyReused(t *testing.T) {
	w := newIdemWorld(t)
	w.post(t, "/test/things", w.tokA, `{"name":"x"}`, "Idempotency-Key", "k1")
	for _, tc := range []struct{ name, path, body string }{
		{"other body", "/test/things", `{"name":"y"}`},
		{"other endpoint", "/test/other", `{"name":"x"}`},
		{"other query", "/test/things?x=1", `{"name":"x"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, w.post(t, tc.path, w.tokA, tc.body, "Idempotency-Key", "k1"), http.StatusUnprocessableEntity, "idempotency-key-reused")
		})
	}
	if n := w.created.Load(); n != 1 {
		t.Errorf("the handler ran %d times, want 1", n)
	}
}

func TestIdempotencyInFlight(t *testing.T) {
	w := newIdemWorld(t)
	w.block, w.started = make(chan struct{}), make(chan struct{})
	var first *httptest.ResponseRecorder
	var wg sync.WaitGroup
	wg.Go(func() { first = w.post(t, "/test/things", w.tokA, `{}`, "Idempotency-Key", "k1") })
	<-w.started
	r := w.post(t, "/test/things", w.tokA, `{}`, "Idempotency-Key", "k1")
	wantProblem(t, r, http.StatusConflict, "idempotency-key-in-flight")
	if r.Header().Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q, want 1", r.Header().Get("Retry-After"))
	}
	close(w.block)
	wg.Wait()
	w.block = nil
	if first.Code != http.StatusCreated {
		t.Fatalf("first POST = %d %s", first.Code, first.Body)
	}
	if r := w.post(t, "/test/things", w.tokA, `{}`, "Idempotency-Key", "k1"); r.Header().Get(wire.ReplayedHeader) != "true" {
		t.Errorf("retry once the first finished = %d %s, want a replay", r.Code, r.Body)
	}
}

func TestIdempotencyKeyHeader(t *testing.T) {
	for _, tc := range []struct {
		name string
		vals []string
		want string // "" for 400
	}{
		{"bare", []string{"8e03978e-40d5-43e8-bc93-6894a57f9324"}, "8e03978e-40d5-43e8-bc93-6894a57f9324"},
		{"sf-string", []string{`"8e03978e"`}, "8e03978e"},
		{"sf-string escapes", []string{`"a\"b\\c"`}, `a"b\c`},
		{"inner space", []string{"a b"}, "a b"},
		{"255", []string{strings.Repeat("k", 255)}, strings.Repeat("k", 255)},
		{"empty", []string{""}, ""},
		{"empty sf-string", []string{`""`}, ""},
		{"256", []string{strings.Repeat("k", 256)}, ""},
		{"control", []string{"a\x01b"}, ""},
		{"non-ASCII", []string{"clé"}, ""},
		{"bad escape", []string{`"a\nb"`}, ""},
		{"two", []string{"a", "b"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{wire.IdempotencyKeyHeader: tc.vals}
			got, ok, err := idempotencyKey(h)
			if !ok || got != tc.want || (err == nil) != (tc.want != "") {
				t.Errorf("idempotencyKey(%q) = %q, %v, %v; want %q", tc.vals, got, ok, err, tc.want)
			}
		})
	}
	if _, ok, err := idempotencyKey(http.Header{}); ok || err != nil {
		t.Errorf("idempotencyKey(no header) = %v, %v; want false, nil", ok, err)
	}
	w := newIdemWorld(t)
	wantProblem(t, w.post(t, "/test/things", w.tokA, `{}`, "Idempotency-Key", strings.Repeat("k", 256)), http.StatusBadRequest, "bad-idempotency-key")
	big := `{"a":"` + strings.Repeat("x", maxJSON) + `"}`
	wantProblem(t, w.post(t, "/test/things", w.tokA, big, "Idempotency-Key", "k1"), http.StatusRequestEntityTooLarge, "too-large")
	if n := w.created.Load(); n != 0 {
		t.Errorf("the handler ran %d times, want 0", n)
	}
}

// uploadWorld is a server over a real evidence service (folder, bbolt,
// built-in TSA) with an upload route wired as createEvidence is.
type uploadWorld struct {
	s      *Server
	ev     *evidence.Service
	shares *sharing.Registry
	crs    *copyright.Register
	token  string
	actor  string
	org    string
	idem   *idempotency
	orgs   *access.Store
	tsa    http.Handler
	db     *bolt.DB // the node's database (evidence, organizations, copyrights)
}

func newUploadWorld(t testing.TB) *uploadWorld {
	t.Helper()
	return newUploadWorldWith(t, nil)
}

// newUploadWorldWith is newUploadWorld whose evidence service's Config
// and copyright register's Config are changed by edit (if not nil) before
// they are made.
func newUploadWorldWith(t testing.TB, edit func(*evidence.Config, *copyright.Config)) *uploadWorld {
	t.Helper()
	dir, ctx := t.TempDir(), context.Background()
	pki, err := certs.LoadOrCreateDev(filepath.Join(dir, "pki"), "Test Notary", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := notary.NewTSA(notary.TSAConfig{Cert: pki.TSA.Cert, Chain: pki.TSA.Chain, Signer: pki.TSA.Signer})
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := storage.NewFolder(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.OpenDB(filepath.Join(dir, "custos.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := evidence.Config{DB: db, Blobs: blobs, TSA: tsa, OnLeafFinal: copyright.MarkAnchored, ItemOwner: copyright.Owner}
	var crCfg copyright.Config
	if edit != nil {
		edit(&cfg, &crCfg)
	}
	ev, err := evidence.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	crs, err := copyright.New(ev, crCfg)
	if err != nil {
		t.Fatal(err)
	}
	orgs, err := access.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	roles := withProver(t, ev)
	s, err := New(withEvidence(roles, Config{Access: orgs, TSA: tsa, DB: db, Copyrights: crs, Transfers: crs}))
	if err != nil {
		t.Fatal(err)
	}
	w := &uploadWorld{s: s, ev: ev, shares: roles.Registry, crs: crs, token: newKey(t, orgs, "Firm"), idem: s.idem, orgs: orgs, tsa: tsa, db: db}
	p, err := orgs.Authenticate(w.token)
	if err != nil {
		t.Fatal(err)
	}
	w.org, w.actor = p.Org.ID, p.Actor()
	return w
}

func (w *uploadWorld) upload(t *testing.T, body io.Reader, contentType string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	return w.post(t, "/api/v1/evidence", body, contentType, hdr...)
}

func (w *uploadWorld) post(t *testing.T, path string, body io.Reader, contentType string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, body)
	req.Header.Set("Authorization", "Bearer "+w.token)
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	w.s.e.ServeHTTP(rec, req)
	return rec
}

func (w *uploadWorld) records(t *testing.T) int {
	t.Helper()
	page, err := w.ev.List(context.Background(), w.org, w.actor, evidence.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Items)
}

func TestIdempotentUpload(t *testing.T) {
	w := newUploadWorld(t)
	data := []byte("Scan of the signed contract, page 1.\n")
	first := w.upload(t, bytes.NewReader(data), "text/plain", "Idempotency-Key", "u1")
	var v1, v2 wire.EvidenceView
	if first.Code != http.StatusCreated || json.Unmarshal(first.Body.Bytes(), &v1) != nil {
		t.Fatalf("upload = %d %s, want 201", first.Code, first.Body)
	}
	t.Run("same bytes", func(t *testing.T) {
		r := w.upload(t, bytes.NewReader(data), "text/plain", "Idempotency-Key", "u1")
		if r.Code != http.StatusCreated || json.Unmarshal(r.Body.Bytes(), &v2) != nil || v2.ID != v1.ID ||
			r.Header().Get(wire.ReplayedHeader) != "true" || r.Header().Get("Location") != "/api/v1/evidence/"+v1.ID {
			t.Errorf("retry = %d %v %s, want 201 replaying %s", r.Code, r.Header(), r.Body, v1.ID)
		}
	})
	t.Run("other bytes", func(t *testing.T) {
		r := w.upload(t, bytes.NewReader(append(data, '!')), "text/plain", "Idempotency-Key", "u1")
		wantProblem(t, r, http.StatusUnprocessableEntity, "idempotency-key-reused")
	})
	t.Run("other metadata", func(t *testing.T) {
		r := w.upload(t, bytes.NewReader(data), "application/pdf", "Idempotency-Key", "u1")
		wantProblem(t, r, http.StatusUnprocessableEntity, "idempotency-key-reused")
	})
	if n := w.records(t); n != 1 {
		t.Errorf("%d records, want 1", n)
	}
	t.Run("answer names missing evidence", func(t *testing.T) {
		scope := ""
		w.idem.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bIdempotency).Bucket(bIdemEntries)
			k, v := b.Cursor().First()
			var e idemEntry
			json.Unmarshal(v, &e)
			e.Evidence = "01JDOESNOTEXIST0000000000"
			nv, _ := json.Marshal(e)
			scope = string(k)
			return b.Put(k, nv)
		})
		if !strings.HasSuffix(scope, "\x00u1") {
			t.Fatalf("stored scope %q", scope)
		}
		r := w.upload(t, bytes.NewReader(data), "text/plain", "Idempotency-Key", "u1")
		var v wire.EvidenceView
		if r.Code != http.StatusCreated || r.Header().Get(wire.ReplayedHeader) != "" || json.Unmarshal(r.Body.Bytes(), &v) != nil || v.ID == v1.ID {
			t.Errorf("retry = %d %v %s, want a new record", r.Code, r.Header(), r.Body)
		}
	})
}

func TestIdempotentUploadMultipart(t *testing.T) {
	w := newUploadWorld(t)
	data := []byte("%PDF-1.7 minimal\n")
	form := func() (io.Reader, string) { // a new random boundary each time
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", "a.pdf")
		fw.Write(data)
		mw.Close()
		return &b, mw.FormDataContentType()
	}
	body, ct := form()
	first := w.upload(t, body, ct, "Idempotency-Key", "m1")
	body, ct = form()
	again := w.upload(t, body, ct, "Idempotency-Key", "m1")
	if first.Code != http.StatusCreated || again.Header().Get(wire.ReplayedHeader) != "true" || again.Body.String() != first.Body.String() {
		t.Errorf("multipart retry with another boundary = %d %s, want the replay of %d %s", again.Code, again.Body, first.Code, first.Body)
	}
	if n := w.records(t); n != 1 {
		t.Errorf("%d records, want 1", n)
	}
}

// registrationForm is a copyright registration's multipart body, with a
// new random boundary each time.
func registrationForm(t *testing.T, work string, files ...string) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("metadata", work)
	for i, f := range files {
		fw, err := mw.CreateFormFile("file", fmt.Sprintf("part%d.txt", i+1))
		if err != nil {
			t.Fatal(err)
		}
		fw.Write([]byte(f))
	}
	mw.Close()
	return &b, mw.FormDataContentType()
}

func TestIdempotentRegistration(t *testing.T) {
	w := newUploadWorld(t)
	const work = `{"title":"Lake at dawn","type":"text","authors":["Li Ming"],"owner":"Li Ming","created":"2025-06-01"}`
	files := []string{"First chapter.\n", "Second chapter.\n"}
	register := func(t *testing.T, key, work string, files ...string) *httptest.ResponseRecorder {
		t.Helper()
		body, ct := registrationForm(t, work, files...)
		return w.post(t, "/api/v1/copyrights", body, ct, "Idempotency-Key", key)
	}
	first := register(t, "r1", work, files...)
	var cr copyright.Copyright
	if first.Code != http.StatusCreated || json.Unmarshal(first.Body.Bytes(), &cr) != nil || len(cr.Items) != 2 {
		t.Fatalf("registration = %d %s, want 201 with two items", first.Code, first.Body)
	}
	t.Run("same registration", func(t *testing.T) {
		r := register(t, "r1", work, files...)
		if r.Code != http.StatusCreated || r.Header().Get(wire.ReplayedHeader) != "true" || r.Body.String() != first.Body.String() ||
			r.Header().Get("Location") != "/api/v1/copyrights/"+cr.ID {
			t.Errorf("retry = %d %v %s, want the replay of %s", r.Code, r.Header(), r.Body, first.Body)
		}
	})
	for name, tc := range map[string]struct {
		work  string
		files []string
	}{
		"other work":      {strings.Replace(work, "Lake", "Pond", 1), files},
		"other bytes":     {work, []string{files[0], files[1] + "!"}},
		"files reordered": {work, []string{files[1], files[0]}},
		"a file fewer":    {work, files[:1]},
	} {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, register(t, "r1", tc.work, tc.files...), http.StatusUnprocessableEntity, "idempotency-key-reused")
		})
	}
	if n := w.records(t); n != 2 {
		t.Errorf("%d evidence items, want 2", n)
	}
	if page, err := w.crs.Copyrights(context.Background(), w.org, "", 0); err != nil || len(page.Items) != 1 {
		t.Errorf("Copyrights = %+v, %v; want 1 registration", page, err)
	}
	t.Run("in flight", func(t *testing.T) {
		scope := testScope(t, w.s.orgs, w.token, "r2")
		if !w.idem.acquire(scope) {
			t.Fatal("acquire: busy")
		}
		defer w.idem.release(scope)
		r := register(t, "r2", work, files...)
		wantProblem(t, r, http.StatusConflict, "idempotency-key-in-flight")
		if r.Header().Get("Retry-After") != "1" {
			t.Errorf("Retry-After = %q, want 1", r.Header().Get("Retry-After"))
		}
	})
	t.Run("answer names a missing registration", func(t *testing.T) {
		w.idem.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bIdempotency).Bucket(bIdemEntries)
			k := []byte(testScope(t, w.s.orgs, w.token, "r1"))
			var e idemEntry
			if err := json.Unmarshal(b.Get(k), &e); err != nil {
				t.Fatal(err)
			}
			e.Copyright = "01JDOESNOTEXIST0000000000"
			v, _ := json.Marshal(e)
			return b.Put(k, v)
		})
		r := register(t, "r1", work, files...)
		var again copyright.Copyright
		if r.Code != http.StatusCreated || r.Header().Get(wire.ReplayedHeader) != "" || json.Unmarshal(r.Body.Bytes(), &again) != nil || again.ID == cr.ID {
			t.Errorf("retry = %d %v %s, want a new registration", r.Code, r.Header(), r.Body)
		}
	})
}

// panicNotifier stands for a crash between an upload's commit and its
// answer: the handler publishes its webhook event right after Finish.
type panicNotifier struct{}

func (panicNotifier) Publish(string, string, any) { panic("crash after the commit") }

// The answer to an upload with an Idempotency-Key is committed with its
// record: a crash after the commit, before the answer is sent, leaves it
// stored, and the client's retry gets it instead of filing a second record.
// (The real route, POST /api/v1/evidence.)
func TestIdempotentUploadAnswerCommittedWithRecord(t *testing.T) {
	w := newUploadWorld(t)
	data := []byte("Exhibit A, filed once.\n")
	w.s.hooks = panicNotifier{}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the upload did not reach the simulated crash")
			}
		}()
		w.post(t, "/api/v1/evidence", bytes.NewReader(data), "text/plain", "Idempotency-Key", "crash-1")
	}()
	w.s.hooks = nil
	page, err := w.ev.List(context.Background(), w.org, w.actor, evidence.Query{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("records after the crash = %d, %v; want the one committed", len(page.Items), err)
	}
	r := w.post(t, "/api/v1/evidence", bytes.NewReader(data), "text/plain", "Idempotency-Key", "crash-1")
	var v wire.EvidenceView
	if r.Code != http.StatusCreated || r.Header().Get(wire.ReplayedHeader) != "true" || json.Unmarshal(r.Body.Bytes(), &v) != nil ||
		v.ID != page.Items[0].ID || r.Header().Get("Location") != "/api/v1/evidence/"+v.ID {
		t.Errorf("retry after the crash = %d %v %s; want the stored 201 for %s", r.Code, r.Header(), r.Body, page.Items[0].ID)
	}
	if n := w.records(t); n != 1 {
		t.Errorf("%d records after the retry, want 1", n)
	}
	// Without the crash, the answer sent is the one stored, byte for byte.
	first := w.post(t, "/api/v1/evidence", bytes.NewReader([]byte("Exhibit B.\n")), "text/plain", "Idempotency-Key", "b")
	again := w.post(t, "/api/v1/evidence", bytes.NewReader([]byte("Exhibit B.\n")), "text/plain", "Idempotency-Key", "b")
	if first.Code != http.StatusCreated || !bytes.Equal(first.Body.Bytes(), again.Body.Bytes()) ||
		first.Header().Get("Content-Type") != again.Header().Get("Content-Type") {
		t.Errorf("answer %q (%s), replay %q (%s); want the same bytes", first.Body, first.Header().Get("Content-Type"), again.Body, again.Header().Get("Content-Type"))
	}
}

// txNotifier records where the upload handler published.
type txNotifier struct{ within, after int }

func (n *txNotifier) Publish(string, string, any) { n.after++ }

func (n *txNotifier) PublishWithin(tx *bolt.Tx, org, event string, data any) error {
	if !tx.Writable() || event != "evidence.timestamped" {
		return fmt.Errorf("PublishWithin(%v, %s) outside an upload's commit", tx.Writable(), event)
	}
	n.within++
	return nil
}

// With a notifier that can write in the act's transaction (the webhooks
// service), the upload queues evidence.timestamped inside the record's
// commit, with or without an Idempotency-Key, and not again after it.
func TestUploadPublishesWithinCommit(t *testing.T) {
	w := newUploadWorld(t)
	n := &txNotifier{}
	w.s.hooks = n
	for i, hdr := range [][]string{nil, {"Idempotency-Key", "n1"}} {
		r := w.post(t, "/api/v1/evidence", bytes.NewReader([]byte(fmt.Sprintf("exhibit %d\n", i))), "text/plain", hdr...)
		if r.Code != http.StatusCreated {
			t.Fatalf("upload %d = %d %s", i, r.Code, r.Body)
		}
	}
	if n.within != 2 || n.after != 0 {
		t.Errorf("published %d times within the commit and %d after; want 2 and 0", n.within, n.after)
	}
}

// A second upload with the key of one still streaming its bytes is
// refused at once with 409 and Retry-After, files nothing, and gets the
// first one's answer once it is done.
func TestIdempotentUploadInFlight(t *testing.T) {
	w := newUploadWorld(t)
	data := []byte("Exhibit C, streamed slowly.\n")
	pr, pw := io.Pipe()
	var first *httptest.ResponseRecorder
	var wg sync.WaitGroup
	wg.Go(func() { first = w.upload(t, pr, "text/plain", "Idempotency-Key", "slow") })
	// The first request holds its key before it reads its body: once the
	// handler has taken these bytes, it is in flight.
	if _, err := pw.Write(data[:8]); err != nil {
		t.Fatal(err)
	}
	r := w.upload(t, bytes.NewReader(data), "text/plain", "Idempotency-Key", "slow")
	wantProblem(t, r, http.StatusConflict, "idempotency-key-in-flight")
	if r.Header().Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q, want 1", r.Header().Get("Retry-After"))
	}
	pw.Write(data[8:])
	pw.Close()
	wg.Wait()
	if first.Code != http.StatusCreated {
		t.Fatalf("first upload = %d %s", first.Code, first.Body)
	}
	again := w.upload(t, bytes.NewReader(data), "text/plain", "Idempotency-Key", "slow")
	if again.Header().Get(wire.ReplayedHeader) != "true" || again.Body.String() != first.Body.String() {
		t.Errorf("retry once the first finished = %d %s, want the replay of %s", again.Code, again.Body, first.Body)
	}
	if n := w.records(t); n != 1 {
		t.Errorf("%d records, want 1", n)
	}
}

// An upload's fingerprint is SHA-256 over its kind, method, target and the
// SHA-256 of its bytes followed by its metadata as JSON: the answers stored
// before a restart (or an upgrade) are matched by it, so it must not
// change.
func TestIdempotentUploadFingerprint(t *testing.T) {
	w := newUploadWorld(t)
	data := []byte("Exhibit D.\n")
	meta := `{"title":"Exhibit D","case_ref":"(2026) 京0491 民初 1 号"}`
	if r := w.upload(t, bytes.NewReader(data), "text/plain", "Idempotency-Key", "fp", wire.MetadataHeader, meta); r.Code != http.StatusCreated {
		t.Fatalf("upload = %d %s", r.Code, r.Body)
	}
	sum := sha256.Sum256(data)
	m, _ := json.Marshal(evidence.Meta{Title: "Exhibit D", CaseRef: "(2026) 京0491 民初 1 号", MediaType: "text/plain"})
	h := sha256.New()
	for _, f := range []string{"custos idempotency v1 upload", "POST", "/api/v1/evidence", string(sum[:]) + string(m)} {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(f))))
		h.Write([]byte(f))
	}
	want := h.Sum(nil)
	var got []byte
	w.idem.db.View(func(tx *bolt.Tx) error {
		_, v := tx.Bucket(bIdempotency).Bucket(bIdemEntries).Cursor().First()
		var e idemEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		got = e.Fingerprint
		return nil
	})
	if !bytes.Equal(got, want) {
		t.Errorf("stored fingerprint = %x, want %x", got, want)
	}
}

// Without an Idempotency-Key nothing is stored, and the same bytes filed
// again are a second record.
func TestUploadWithoutKeyStoresNoAnswer(t *testing.T) {
	w := newUploadWorld(t)
	for range 2 {
		if r := w.upload(t, bytes.NewReader([]byte("twice\n")), "text/plain"); r.Code != http.StatusCreated || r.Header().Get(wire.ReplayedHeader) != "" {
			t.Fatalf("upload = %d %v %s", r.Code, r.Header(), r.Body)
		}
	}
	n := 0
	w.idem.db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bIdempotency).Bucket(bIdemEntries).Stats().KeyN; return nil })
	if n != 0 || w.records(t) != 2 {
		t.Errorf("%d answers stored and %d records, want 0 and 2", n, w.records(t))
	}
}

// TestIdempotentMatterAnswerCommittedWithMatter: a matter's answer is
// stored in the transaction that creates it, so a crash just after that
// commit (before a second transaction could store the answer) leaves the
// matter with its answer, and the retry with the same key gets it instead
// of creating a second matter.
func TestIdempotentMatterAnswerCommittedWithMatter(t *testing.T) {
	w := newUploadWorld(t)
	body := `{"title":"Zhang v. Li"}`
	w.idem.beforeSave = func() { panic("simulated crash after the act's commit") }
	func() {
		defer func() { recover() }()
		w.post(t, "/api/v1/matters", strings.NewReader(body), "application/json", "Idempotency-Key", "m1")
	}()
	w.idem.beforeSave = nil
	ms, err := w.shares.Matters(context.Background(), w.org)
	if err != nil || len(ms) != 1 {
		t.Fatalf("matters after the crash = %d, %v; want the one committed", len(ms), err)
	}
	r := w.post(t, "/api/v1/matters", strings.NewReader(body), "application/json", "Idempotency-Key", "m1")
	if r.Code != http.StatusCreated || r.Header().Get(wire.ReplayedHeader) != "true" ||
		r.Header().Get("Location") != "/api/v1/matters/"+ms[0].ID || !strings.Contains(r.Body.String(), ms[0].ID) {
		t.Errorf("retry after the crash = %d %v %s; want the stored 201 for %s", r.Code, r.Header(), r.Body, ms[0].ID)
	}
	if ms, _ := w.shares.Matters(context.Background(), w.org); len(ms) != 1 {
		t.Errorf("%d matters after the retry, want 1", len(ms))
	}
	// Without the crash, the answer sent is the one stored, byte for byte.
	first := w.post(t, "/api/v1/matters", strings.NewReader(`{"title":"B"}`), "application/json", "Idempotency-Key", "m2")
	again := w.post(t, "/api/v1/matters", strings.NewReader(`{"title":"B"}`), "application/json", "Idempotency-Key", "m2")
	if first.Code != http.StatusCreated || !bytes.Equal(first.Body.Bytes(), again.Body.Bytes()) || again.Header().Get(wire.ReplayedHeader) != "true" {
		t.Errorf("answer %d %q, replay %q; want the same bytes", first.Code, first.Body, again.Body)
	}
	if status := w.post(t, "/api/v1/matters", strings.NewReader(`{"title":"C"}`), "application/json", "Idempotency-Key", "m2").Code; status != http.StatusUnprocessableEntity {
		t.Errorf("another body with key m2 = %d, want 422", status)
	}
}

// TestIdempotentOrgAnswerCommittedWithOrg: an organization's answer is
// stored in the transaction that creates it (with its audit events), so a
// crash just after that commit leaves the organization with its answer,
// and the retry with the same key gets it instead of creating a second
// organization.
func TestIdempotentOrgAnswerCommittedWithOrg(t *testing.T) {
	w := newUploadWorld(t)
	post := orgPoster(t, w)
	count := func() int {
		all, err := w.orgs.Orgs()
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	before := count()
	body := `{"kind":"court","name":"Hangzhou Court"}`
	w.idem.beforeSave = func() { panic("simulated crash after the act's commit") }
	func() {
		defer func() { recover() }()
		post(body, "o1")
	}()
	w.idem.beforeSave = nil
	if n := count(); n != before+1 {
		t.Fatalf("organizations after the crash = %d, want %d", n, before+1)
	}
	r := post(body, "o1")
	if r.Code != http.StatusCreated || r.Header().Get(wire.ReplayedHeader) != "true" || !strings.HasPrefix(r.Header().Get("Location"), "/api/v1/orgs/") {
		t.Errorf("retry after the crash = %d %v %s; want the stored 201", r.Code, r.Header(), r.Body)
	}
	if n := count(); n != before+1 {
		t.Errorf("%d organizations after the retry, want %d", n, before+1)
	}
	first, again := post(`{"kind":"court","name":"Other Court"}`, "o2"), post(`{"kind":"court","name":"Other Court"}`, "o2")
	if first.Code != http.StatusCreated || !bytes.Equal(first.Body.Bytes(), again.Body.Bytes()) || again.Header().Get(wire.ReplayedHeader) != "true" {
		t.Errorf("answer %d %q, replay %q; want the same bytes", first.Code, first.Body, again.Body)
	}
}

// TestIdempotentRegistrationAnswerCommittedWithRegistration: a copyright
// registration's answer is stored in the transaction that files it, so a
// crash just after that commit (before a second transaction could store
// the answer) leaves the registration with its answer, and the retry with
// the same key gets it instead of registering the work a second time.
func TestIdempotentRegistrationAnswerCommittedWithRegistration(t *testing.T) {
	w := newUploadWorld(t)
	const work = `{"title":"Lake at dawn","type":"text","authors":["Li Ming"],"owner":"Li Ming","created":"2025-06-01"}`
	register := func(key string, files ...string) *httptest.ResponseRecorder {
		body, ct := registrationForm(t, work, files...)
		return w.post(t, "/api/v1/copyrights", body, ct, "Idempotency-Key", key)
	}
	count := func() []*copyright.Copyright {
		page, err := w.crs.Copyrights(context.Background(), w.org, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		return page.Items
	}
	w.idem.beforeSave = func() { panic("simulated crash after the act's commit") }
	func() {
		defer func() { recover() }()
		register("c1", "First chapter.\n")
	}()
	w.idem.beforeSave = nil
	crs := count()
	if len(crs) != 1 {
		t.Fatalf("registrations after the crash = %d, want the one committed", len(crs))
	}
	r := register("c1", "First chapter.\n")
	if r.Code != http.StatusCreated || r.Header().Get(wire.ReplayedHeader) != "true" ||
		r.Header().Get("Location") != "/api/v1/copyrights/"+crs[0].ID || !strings.Contains(r.Body.String(), crs[0].ID) {
		t.Errorf("retry after the crash = %d %v %s; want the stored 201 for %s", r.Code, r.Header(), r.Body, crs[0].ID)
	}
	if n := len(count()); n != 1 {
		t.Errorf("%d registrations after the retry, want 1", n)
	}
	if n := w.records(t); n != 1 {
		t.Errorf("%d evidence items after the retry, want 1", n)
	}
	// Without the crash, the answer sent is the one stored, byte for byte.
	first, again := register("c2", "Second chapter.\n"), register("c2", "Second chapter.\n")
	if first.Code != http.StatusCreated || !bytes.Equal(first.Body.Bytes(), again.Body.Bytes()) || again.Header().Get(wire.ReplayedHeader) != "true" ||
		first.Header().Get("Location") != again.Header().Get("Location") || first.Header().Get("Content-Type") != again.Header().Get("Content-Type") {
		t.Errorf("answer %d %v %q, replay %v %q; want the same", first.Code, first.Header(), first.Body, again.Header(), again.Body)
	}
}

// TestIdempotentRegistrationWait: with the chain numbering registrations,
// the answer stored with the registration is the pending one; a ?wait=
// that ends with the number replaces it with the numbered one, and the
// replay is always the answer sent, byte for byte.
func TestIdempotentRegistrationWait(t *testing.T) {
	var crs *copyright.Register
	var number atomic.Bool
	w := newUploadWorldWith(t, func(_ *evidence.Config, c *copyright.Config) {
		c.ChainNumbers = func() bool { return true }
		c.Queued = func() {
			if !number.Load() {
				return
			}
			go func() { // the chain, numbering what was filed
				todo, err := crs.Unregistered(context.Background(), 10)
				for i, u := range todo {
					if err == nil {
						_, err = crs.Numbered(context.Background(), u.ID, fmt.Sprintf("CUS-(2026)-作登字-M1-%06d", i+1), 5)
					}
				}
				if err != nil {
					t.Error(err)
				}
			}()
		}
	})
	crs = w.crs
	const work = `{"title":"Lake at dawn","type":"text","authors":["Li Ming"],"owner":"Li Ming","created":"2025-06-01"}`
	register := func(path, key, file string) (*httptest.ResponseRecorder, copyright.Copyright) {
		body, ct := registrationForm(t, work, file)
		r := w.post(t, path, body, ct, "Idempotency-Key", key)
		var cr copyright.Copyright
		if r.Code != http.StatusCreated || json.Unmarshal(r.Body.Bytes(), &cr) != nil {
			t.Fatalf("registration = %d %s, want 201", r.Code, r.Body)
		}
		return r, cr
	}
	for _, tc := range []struct {
		key, path string
		number    bool
		status    string
	}{
		{"w1", "/api/v1/copyrights", false, copyright.CopyrightPending},
		{"w2", "/api/v1/copyrights?wait=20s", true, copyright.CopyrightRegistered},
	} {
		number.Store(tc.number)
		first, cr := register(tc.path, tc.key, "Chapter "+tc.key+".\n")
		if cr.Status != tc.status {
			t.Errorf("%s: status %q, want %q", tc.key, cr.Status, tc.status)
		}
		again, _ := register(tc.path, tc.key, "Chapter "+tc.key+".\n")
		if !bytes.Equal(first.Body.Bytes(), again.Body.Bytes()) || again.Header().Get(wire.ReplayedHeader) != "true" {
			t.Errorf("%s: answer %q, replay %q; want the same bytes", tc.key, first.Body, again.Body)
		}
	}
}

// orgPoster makes the world's operator organization and an admin key of
// it, and returns a POST /api/v1/orgs with that key and an
// Idempotency-Key.
func orgPoster(t *testing.T, w *uploadWorld) func(body, key string) *httptest.ResponseRecorder {
	t.Helper()
	op, err := w.orgs.CreateOrg(access.KindOperator, "Operator")
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := w.orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	return func(body, key string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/orgs", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		rec := httptest.NewRecorder()
		w.s.e.ServeHTTP(rec, req)
		return rec
	}
}

// TestIdempotentOrgReplayAfterDirectory: in a consortium the new
// organization enters the directory within a block, under its name; a
// retry with the same Idempotency-Key must still get the stored 201, not
// 409 name-taken for the name the first request took (the name checks run
// only when the request is acted on, as before the answer moved into the
// organization's transaction).
func TestIdempotentOrgReplayAfterDirectory(t *testing.T) {
	w := newUploadWorld(t)
	dir := &fakeDirectory{entries: map[string]anchor.DirEntry{}}
	w.s.directory = dir
	post := orgPoster(t, w)
	body := `{"kind":"court","name":"Hangzhou Court"}`
	first := post(body, "d1")
	if first.Code != http.StatusCreated {
		t.Fatalf("create = %d %s", first.Code, first.Body)
	}
	var o wire.Org
	if err := json.Unmarshal(first.Body.Bytes(), &o); err != nil {
		t.Fatal(err)
	}
	// The block registering it: the directory now lists the name.
	dir.entries[o.ID] = anchor.DirEntry{ID: o.ID, Name: "Hangzhou Court", Kind: "court", Member: "m1"}
	again := post(body, "d1")
	if again.Code != http.StatusCreated || again.Header().Get(wire.ReplayedHeader) != "true" || !bytes.Equal(first.Body.Bytes(), again.Body.Bytes()) {
		t.Errorf("retry once the directory lists the organization = %d %s; want the stored 201 replayed", again.Code, again.Body)
	}
	// A new request for the name is still refused.
	if other := post(body, "d2"); other.Code != http.StatusConflict {
		t.Errorf("another request for the taken name = %d %s, want 409", other.Code, other.Body)
	}
}

// TestIdempotentShareAnswerCommittedWithShare: a share's answer is stored
// in the transaction that makes the share (with its evidence.shared
// deliveries), so a crash just after that commit leaves the share with its
// answer, and the retry with the same key gets the stored 201 replayed,
// not 200 with the share as found. The names the answer shows are those a
// share made without a key shows. A replay is answered from the stored
// answer even once the matter's title names two matters (the title is
// resolved only when the request is acted on).
func TestIdempotentShareAnswerCommittedWithShare(t *testing.T) {
	w := newShareWorld(t)
	svc, err := webhooks.New(webhooks.Config{DB: w.db, Sealer: testSealer(t), AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	w.s.hooks = &withinNotifier{svc: svc}
	post := func(body, key string) *httptest.ResponseRecorder {
		return w.post(t, "/api/v1/shares", strings.NewReader(body), "application/json", "Idempotency-Key", key)
	}
	body := `{"evidence":"` + w.item + `","org":"` + w.court + `"}`
	w.idem.beforeSave = func() { panic("simulated crash after the act's commit") }
	func() {
		defer func() { recover() }()
		post(body, "s1")
	}()
	w.idem.beforeSave = nil
	made, err := w.shares.Shares(context.Background(), w.org, true)
	if err != nil || len(made) != 1 {
		t.Fatalf("shares after the crash = %d, %v; want the one committed", len(made), err)
	}
	r := post(body, "s1")
	var v ShareView
	if r.Code != http.StatusCreated || r.Header().Get(wire.ReplayedHeader) != "true" ||
		r.Header().Get("Location") != "/api/v1/shares/"+made[0].ID || json.Unmarshal(r.Body.Bytes(), &v) != nil || v.ID != made[0].ID {
		t.Fatalf("retry after the crash = %d %v %s; want the stored 201 for %s", r.Code, r.Header(), r.Body, made[0].ID)
	}
	rec, err := w.ev.Get(context.Background(), w.item)
	if err != nil {
		t.Fatal(err)
	}
	if v.OwnerName != "Firm" || v.GranteeName != "Court" || v.Size != rec.Size || v.FileName != rec.FileName || v.Title != rec.Title {
		t.Errorf("stored answer %+v; want the names and the item's file name, size %d and title", v, rec.Size)
	}
	// Sharing again with another key is the existing share: 200, as before.
	if again := post(body, "s2"); again.Code != http.StatusOK || again.Header().Get(wire.ReplayedHeader) != "" {
		t.Errorf("sharing again with a new key = %d %v; want 200, not replayed", again.Code, again.Header())
	}
	// Without the crash, the answer sent is the one stored, byte for byte,
	// even once the title it named is ambiguous.
	if _, err := w.shares.CreateMatter(context.Background(), w.org, w.actor, sharing.MatterInput{Title: "Zhang v. Li"}); err != nil {
		t.Fatal(err)
	}
	mbody := `{"matter":"Zhang v. Li","org":"` + w.court + `"}`
	first := post(mbody, "s3")
	if first.Code != http.StatusCreated || !strings.Contains(first.Body.String(), `"title":"Zhang v. Li"`) {
		t.Fatalf("share of the matter = %d %s", first.Code, first.Body)
	}
	if _, err := w.shares.CreateMatter(context.Background(), w.org, w.actor, sharing.MatterInput{Title: "Zhang v. Li"}); err != nil {
		t.Fatal(err)
	}
	again := post(mbody, "s3")
	if again.Code != http.StatusCreated || !bytes.Equal(first.Body.Bytes(), again.Body.Bytes()) || again.Header().Get(wire.ReplayedHeader) != "true" {
		t.Errorf("answer %d %q, replay %d %q; want the same bytes", first.Code, first.Body, again.Code, again.Body)
	}
	if status := post(`{"evidence":"`+w.item+`","org":"`+w.org+`"}`, "s3").Code; status != http.StatusUnprocessableEntity {
		t.Errorf("another body with key s3 = %d, want 422", status)
	}
}
