package peer

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/custos-project/custos/certs"
)

// The peer API's contract is openapi.json in this directory: its routes,
// headers, bodies and statuses. Every answer a Handler of this package's
// tests gives is recorded by the operation of the contract it is for, and
// a status the operation does not declare, or a problem type that status's
// response does not name, fails the test run (TestMain), as api's tests
// do for the public API's statuses (api/statuses_test.go). The read
// routes are served by api (Server.PeerHandler), whose tests hold them to
// the same contract. STATUS_SEEN=file writes, for each operation, the
// statuses declared and whether this package's tests saw them (to
// file.node, beside api's file.peer).

func TestMain(m *testing.M) {
	observeAnswers = answers.observe
	code := m.Run()
	if bad := answers.undeclared(); len(bad) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: answers outside api/peer/openapi.json:\n\t%s\n", strings.Join(bad, "\n\t"))
		code = 1
	}
	if name := os.Getenv("STATUS_SEEN"); name != "" {
		if err := os.WriteFile(name+".node", []byte(answers.table()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// contractJSON is the peer API's contract.
var contractJSON = sync.OnceValue(func() []byte {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		panic(err)
	}
	return b
})

// loadContract parses and validates the contract, with the public API's
// document its read answers refer to.
func loadContract(t *testing.T) *openapi3.T {
	t.Helper()
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = true
	doc, err := l.LoadFromFile("openapi.json")
	if err != nil {
		t.Fatalf("parsing api/peer/openapi.json: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("api/peer/openapi.json declares openapi %q, want 3.1.x", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("api/peer/openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// declared is each operation's statuses ("POST /peer/v1/notices" → "204"...).
var declared = sync.OnceValue(func() map[string]map[string]bool {
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(contractJSON(), &doc); err != nil {
		panic(err)
	}
	out := map[string]map[string]bool{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			var op struct{ Responses map[string]json.RawMessage }
			if method == "parameters" || json.Unmarshal(raw, &op) != nil {
				continue
			}
			out[strings.ToUpper(method)+" "+path] = map[string]bool{}
			for code := range op.Responses {
				out[strings.ToUpper(method)+" "+path][code] = true
			}
		}
	}
	return out
})

// operation is the operation of the contract a request for method and
// path is, or "".
func operation(method, path string) string {
	for op := range declared() {
		m, p, _ := strings.Cut(op, " ")
		if m == method && regexp.MustCompile("^"+pathParam.ReplaceAllString(p, "[^/]+")+"$").MatchString(path) {
			return op
		}
	}
	return ""
}

var pathParam = regexp.MustCompile(`\{[^}/]+\}`)

// memberConn is the TLS connection state of a request from m's node.
func memberConn(m *testMember) *tls.ConnectionState {
	return &tls.ConnectionState{PeerCertificates: []*x509.Certificate{m.tls.Cert}}
}

// answerBook holds the statuses seen, by operation, the problem types,
// and the answers whose bodies or headers are not the contract's.
type answerBook struct {
	mu     sync.Mutex
	seen   map[string]map[int]string // operation → status → the first answer's request
	types  map[string]string         // operation, status and problem type, tab-separated → the first answer's request
	bodies map[string]string         // operation and status → the first invalid answer's error
}

func (b *answerBook) badBody(op string, status int, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if k := fmt.Sprintf("%s %d", op, status); b.bodies[k] == "" {
		b.bodies[k] = strings.ReplaceAll(err.Error(), "\n", " ")
	}
}

var answers = &answerBook{seen: map[string]map[int]string{}, types: map[string]string{}, bodies: map[string]string{}}

// described is each operation's response descriptions by status, which
// name the problem types answered with that status.
var described = sync.OnceValue(func() map[string]map[string]string {
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(contractJSON(), &doc); err != nil {
		panic(err)
	}
	out := map[string]map[string]string{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			var op struct {
				Responses map[string]struct{ Description string }
			}
			if method == "parameters" || json.Unmarshal(raw, &op) != nil {
				continue
			}
			out[strings.ToUpper(method)+" "+path] = map[string]string{}
			for code, r := range op.Responses {
				out[strings.ToUpper(method)+" "+path][code] = r.Description
			}
		}
	}
	return out
})

// observe builds a Handler (handler, with next) that records the
// operation of the contract each request is for (by method and path),
// with the status of the answer handler gave itself. A request handler
// passed on to next (api's reads), or that is for no operation (an
// unknown path, another method), is left out.
func (b *answerBook) observe(handler func(http.Handler) http.Handler, next http.Handler) http.Handler {
	h := handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*r.Context().Value(passedKey{}).(*bool) = true
		next.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		passed := new(bool)
		sw := &statusWriter{ResponseWriter: w}
		var sent bytes.Buffer // the request body, as far as the handler read it
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.TeeReader(r.Body, &sent), r.Body}
		h.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), passedKey{}, passed)))
		if op := operation(r.Method, r.URL.Path); op != "" && !*passed {
			b.add(op, sw.status(), sw.problemType(), r.Method+" "+r.URL.String())
			if err := checkBodies(op, r, sent.Bytes(), sw.status(), w.Header(), sw.body); err != nil {
				b.badBody(op, sw.status(), err)
			}
		}
	})
}

// contract is the parsed contract, with the public API's document it
// refers to, to validate bodies against.
var contract = sync.OnceValues(func() (*openapi3.T, error) {
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = true
	return l.LoadFromFile("openapi.json")
})

// checkBodies validates an answer a Handler gave itself against its
// operation in the contract: its headers and body against its status's
// response and, for a notice taken (204), the request, its headers and
// the notice the sender sent.
func checkBodies(op string, r *http.Request, sent []byte, status int, header http.Header, body []byte) error {
	doc, err := contract()
	if err != nil {
		return err
	}
	method, path, _ := strings.Cut(op, " ")
	item := doc.Paths.Value(path)
	in := &openapi3filter.RequestValidationInput{Request: r.Clone(context.Background()),
		Route:   &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: item.GetOperation(method)},
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}}
	if method == http.MethodPost && status == http.StatusNoContent {
		in.Request.Body = io.NopCloser(bytes.NewReader(sent))
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return fmt.Errorf("the request: %w", err)
		}
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
		Status: status, Header: header, Body: io.NopCloser(bytes.NewReader(body))})
}

type passedKey struct{}

func (b *answerBook) add(op string, status int, typ, req string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	req = strings.ToValidUTF8(req[:min(len(req), 160)], "?")
	if b.seen[op] == nil {
		b.seen[op] = map[int]string{}
	}
	if _, ok := b.seen[op][status]; !ok {
		b.seen[op][status] = req
	}
	if k := fmt.Sprintf("%s\t%d\t%s", op, status, typ); typ != "" && b.types[k] == "" {
		b.types[k] = req
	}
}

func (b *answerBook) undeclared() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for op, codes := range b.seen {
		for code, req := range codes {
			if !declared()[op][strconv.Itoa(code)] {
				out = append(out, fmt.Sprintf("%s: %d, a status it does not declare (first: %s)", op, code, req))
			}
		}
	}
	for k, req := range b.types {
		op, rest, _ := strings.Cut(k, "\t")
		code, typ, _ := strings.Cut(rest, "\t")
		if declared()[op][code] && !strings.Contains(described()[op][code], problemURN+typ+"`") {
			out = append(out, fmt.Sprintf("%s: %s %s, a problem type its response does not name (first: %s)", op, code, typ, req))
		}
	}
	for k, err := range b.bodies {
		out = append(out, fmt.Sprintf("%s: not as the contract says: %.600s", k, err))
	}
	slices.Sort(out)
	return out
}

func (b *answerBook) table() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var lines []string
	for op, codes := range declared() {
		for code := range codes {
			n, _ := strconv.Atoi(code)
			_, ok := b.seen[op][n]
			lines = append(lines, fmt.Sprintf("%s\t%s\t%v", op, code, ok))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// statusWriter keeps the status of an answer (200 if the handler wrote
// without one, as net/http sends it), and the start of a problem answer.
type statusWriter struct {
	http.ResponseWriter
	code int
	body []byte // its first 64 KiB
}

var problemType = regexp.MustCompile(`"type":"urn:custos:problem:([a-z0-9-]+)"`)

// problemType is the type of a problem answer, or "".
func (w *statusWriter) problemType() string {
	if m := problemType.FindSubmatch(w.body); m != nil {
		return string(m[1])
	}
	return ""
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.body = append(w.body, b[:min(len(b), 64<<10-len(w.body))]...)
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// TestContractValid: the contract is a valid OpenAPI 3.1 document whose
// operations have an operationId, a summary and a description, list each
// status as a three-digit code (no "default", no "4XX"), and describe
// each answer; the problem types it names are those this package and api
// answer with (each named, and every one this package answers named).
func TestContractValid(t *testing.T) {
	doc := loadContract(t)
	code := regexp.MustCompile(`^[1-5][0-9][0-9]$`)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" || op.Summary == "" || op.Description == "" {
				t.Errorf("%s: operationId, summary and description are required", where)
			}
			for c, r := range op.Responses.Map() {
				if !code.MatchString(c) {
					t.Errorf("%s: response %q, want each status listed as a three-digit code", where, c)
				}
				if r.Value == nil || r.Value.Description == nil || *r.Value.Description == "" {
					t.Errorf("%s %s: response has no description", where, c)
				}
			}
		}
	}
	if len(declared()) != 11 {
		t.Errorf("the contract has %d operations, want 11", len(declared()))
	}
	for _, slug := range answeredTypes(t) {
		if !strings.Contains(string(contractJSON()), problemURN+slug+"`") {
			t.Errorf("api/peer answers problem type %s, which api/peer/openapi.json does not name", slug)
		}
	}
}

const problemURN = "urn:custos:problem:"

// answeredTypes are the problem types this package answers with.
func answeredTypes(t *testing.T) []string {
	t.Helper()
	lit := regexp.MustCompile(`problem\.Localized\(w, r, [^,]+, "([a-z0-9-]+)"`)
	var out []string
	for _, f := range []string{"node.go", "directory.go", "noticerate.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			if m[1] != "method-not-allowed" { // the router's, on any path
				out = append(out, m[1])
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("found %d problem types: the source scan is broken", len(out))
	}
	return out
}

// TestContractAdmission: the headers the contract names are the ones
// Handler reads; every operation but the directory takes the request ID
// and time and declares the answers of a request refused before it is
// served (400 stale-request, 403 not-a-member, 409 replayed-request, 503
// busy), and every read takes the organization and the actor.
func TestContractAdmission(t *testing.T) {
	doc := loadContract(t)
	for name, want := range map[string]string{"RequestID": HeaderRequestID, "RequestTime": HeaderRequestTime, "Org": HeaderOrg, "Actor": HeaderActor} {
		if p := doc.Components.Parameters[name]; p == nil || p.Value.Name != want || p.Value.In != "header" || !p.Value.Required {
			t.Errorf("components.parameters.%s is not the required header %s", name, want)
		}
	}
	if doc.Paths.Value(DirectoryPath) == nil || doc.Paths.Value(NoticesPath) == nil {
		t.Fatalf("the contract has no %s or no %s", DirectoryPath, NoticesPath)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			var params []string
			for _, p := range op.Parameters {
				params = append(params, strings.TrimPrefix(p.Ref, "#/components/parameters/"))
			}
			codes := declared()[where]
			if path == DirectoryPath {
				if slices.Contains(params, "RequestID") || codes["409"] {
					t.Errorf("%s takes the replay headers or declares 409: the directory changes nothing and takes none", where)
				}
				continue
			}
			for _, p := range []string{"RequestID", "RequestTime"} {
				if !slices.Contains(params, p) {
					t.Errorf("%s does not take the header %s", where, p)
				}
			}
			for _, c := range []string{"400", "403", "409", "503"} {
				if !codes[c] {
					t.Errorf("%s does not declare %s, which Handler answers before any route", where, c)
				}
			}
			if path != NoticesPath && (!slices.Contains(params, "Org") || !slices.Contains(params, "Actor")) {
				t.Errorf("%s does not take the organization and actor headers", where)
			}
		}
	}
}

// TestContractRoutes: the methods Handler serves itself at the notices
// and directory paths (any other it answers 405) are the contract's
// operations there; the other operations are the reads, which Handler
// passes on (api's tests check them against Server.PeerHandler).
func TestContractRoutes(t *testing.T) {
	doc := loadContract(t)
	root, err := certs.NewRoot("Test Consortium Root CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m := newConsortium(t, root, "A", "B")
	n, _ := serveNode(t, m[0], nil, map[string]string{}, map[string]bool{}, http.NotFoundHandler())
	passed := false
	h := n.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { passed = true }))
	for _, path := range []string{NoticesPath, DirectoryPath} {
		var served []string
		for _, method := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(method, path, strings.NewReader("{}"))
			req.TLS = memberConn(m[1])
			Stamp(req.Header, n.cfg.TLS.Now())
			passed = false
			h.ServeHTTP(rec, req)
			if passed {
				t.Errorf("%s %s was passed on to the next handler", method, path)
			}
			if rec.Code != http.StatusMethodNotAllowed {
				served = append(served, method)
			}
		}
		var ops []string
		for method := range doc.Paths.Value(path).Operations() {
			ops = append(ops, method)
		}
		slices.Sort(served)
		slices.Sort(ops)
		if !slices.Equal(served, ops) {
			t.Errorf("Handler serves %s with %v, api/peer/openapi.json declares %v", path, served, ops)
		}
	}
}

// TestContractSchemas: the bodies' schemas have exactly the JSON fields of
// the Go types, required where encoding/json always writes them.
func TestContractSchemas(t *testing.T) {
	doc := loadContract(t)
	for name, v := range map[string]any{"Notice": Notice{}, "Directory": Directory{}} {
		ref := doc.Components.Schemas[name]
		if ref == nil || ref.Value == nil {
			t.Errorf("schema %s is missing", name)
			continue
		}
		fields := map[string]bool{}
		for f := range reflect.TypeOf(v).Fields() {
			tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields[tag] = !strings.Contains(opts, "omitempty")
		}
		for f, always := range fields {
			if ref.Value.Properties[f] == nil {
				t.Errorf("schema %s: property %q (from the Go type) is missing", name, f)
			}
			if req := slices.Contains(ref.Value.Required, f); req != always {
				t.Errorf("schema %s: property %q required = %v, want %v", name, f, req, always)
			}
		}
		for f := range ref.Value.Properties {
			if _, ok := fields[f]; !ok {
				t.Errorf("schema %s: property %q is not a JSON field of %T", name, f, v)
			}
		}
	}
}

// TestContractAdmissionAnswers: every operation but the directory is
// refused before it is served, as the contract declares: a request with
// no request ID or time (400 stale-request), from a node under the root
// that is not a member (403 not-a-member), with a request ID used before
// (409 replayed-request), and from a member past its bound of kept IDs
// (503 busy, with Retry-After).
func TestContractAdmissionAnswers(t *testing.T) {
	root, err := certs.NewRoot("Test Consortium Root CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m := newConsortium(t, root, "A", "B")
	outsider := newConsortium(t, root, "X")[0] // under the root, not a member of A's consortium
	n, _ := serveNode(t, m[0], nil, map[string]string{}, map[string]bool{}, http.NotFoundHandler())
	h := n.Handler(http.NotFoundHandler())
	for op := range declared() {
		method, path, _ := strings.Cut(op, " ")
		if path == DirectoryPath {
			continue
		}
		path = pathParam.ReplaceAllString(path, "jk7bq2xw4m9c8d3f6h1n5p0r2s")
		send := func(from *testMember, stamp http.Header) *httptest.ResponseRecorder {
			req := httptest.NewRequest(method, path, strings.NewReader("{}"))
			req.TLS = memberConn(from)
			for k, v := range stamp {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		fresh := func() http.Header { h := http.Header{}; Stamp(h, time.Now()); return h }
		once := fresh()
		send(m[1], once)
		n.guard.mu.Lock()
		n.guard.max = 0
		n.guard.mu.Unlock()
		busy := send(m[1], fresh())
		n.guard.mu.Lock()
		n.guard.max = MaxRemembered
		n.guard.mu.Unlock()
		for _, c := range []struct {
			what string
			rec  *httptest.ResponseRecorder
			want int
			typ  string
		}{
			{"no request ID or time", send(m[1], nil), http.StatusBadRequest, "stale-request"},
			{"a node that is not a member", send(outsider, fresh()), http.StatusForbidden, "not-a-member"},
			{"a request ID used before", send(m[1], once), http.StatusConflict, "replayed-request"},
			{"past the bound of kept IDs", busy, http.StatusServiceUnavailable, "busy"},
		} {
			if c.rec.Code != c.want || !strings.Contains(c.rec.Body.String(), problemURN+c.typ+`"`) {
				t.Errorf("%s, %s = %d %s, want %d %s", op, c.what, c.rec.Code, c.rec.Body, c.want, c.typ)
			}
		}
		if busy.Header().Get("Retry-After") != "10" {
			t.Errorf("%s, past the bound of kept IDs: Retry-After %q, want 10", op, busy.Header().Get("Retry-After"))
		}
	}
}

// TestDirectoryAnswers: the directory's refusals the contract declares: a
// request that reached the handler with no node certificate (403
// not-a-member), and a node that cannot read its chain's members (503
// unavailable).
func TestDirectoryAnswers(t *testing.T) {
	root, err := certs.NewRoot("Test Consortium Root CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	m := newConsortium(t, root, "A", "B")
	n, _ := serveNode(t, m[0], nil, nil, nil, http.NotFoundHandler(), func(cfg *Config) {
		cfg.Directory = func() (map[string]string, []string, error) { return nil, nil, errors.New("the chain is not readable") }
	})
	for _, c := range []struct {
		what string
		conn *tls.ConnectionState
		want int
		typ  string
	}{
		{"no certificate", &tls.ConnectionState{}, http.StatusForbidden, "not-a-member"},
		{"the members unreadable", memberConn(m[1]), http.StatusServiceUnavailable, "unavailable"},
	} {
		req := httptest.NewRequest(http.MethodGet, DirectoryPath, nil)
		req.TLS = c.conn
		rec := httptest.NewRecorder()
		n.Handler(http.NotFoundHandler()).ServeHTTP(rec, req)
		if rec.Code != c.want || !strings.Contains(rec.Body.String(), problemURN+c.typ+`"`) {
			t.Errorf("GET %s, %s = %d %s, want %d %s", DirectoryPath, c.what, rec.Code, rec.Body, c.want, c.typ)
		}
	}
}
