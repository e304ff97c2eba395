package peer

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/custos-project/custos/internal/testenv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// The peer API's contract is openapi.json in this directory: its routes,
// headers, bodies and statuses. Every answer a Handler of this package's
// tests gives is recorded by the operation of the contract it is for, and
// a status the operation does not declare, a problem type that status's
// response does not name, or a body or header not as the contract says
// (checkBodies), fails the test run (TestMain), as api's tests do for the
// public API's statuses (api/statuses_test.go). The read
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
	out, err := testenv.ResponseDescriptions(contractJSON())
	if err != nil {
		panic(err)
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
