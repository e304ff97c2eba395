package api

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/internal/cms"
)

// Every answer that a server of this package's tests gives is recorded by
// the operation of api/openapi.json it was routed to, and its status must
// be one that the operation declares in its responses (each code listed:
// the document uses no "default" nor "4XX", TestOpenAPIResponseCodes). So
// the route sweep (TestRouteSweep) and every other test of the package
// check the contract's status codes as they go; a status no operation
// declares fails the test run (TestMain) and TestRouteSweep.
// STATUS_SEEN=file writes, for each operation, the statuses declared and
// whether the run saw them: the declared codes no test reaches, to be
// checked by hand. The peer API's answers (PeerHandler, and peer.Node's
// in front of it where a test wraps it with observePeer) are held the
// same way to api/peer/openapi.json, and their problem types too: each
// must be named in its status's response; STATUS_SEEN writes theirs to
// file.peer.

func TestMain(m *testing.M) {
	observeAnswers = observe
	code := m.Run()
	for _, b := range []*answerBook{answers, peerAnswers} {
		if bad := b.undeclared(); len(bad) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: answers outside %s:\n\t%s\n", b.contract, strings.Join(bad, "\n\t"))
			code = 1
		}
	}
	if name := os.Getenv("STATUS_SEEN"); name != "" {
		if err := errors.Join(os.WriteFile(name, []byte(answers.table()), 0o644), os.WriteFile(name+".peer", []byte(peerAnswers.table()), 0o644)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// answerBook holds the statuses seen, by operation ("GET /api/v1/evidence/{id}"),
// against the statuses a contract declares.
type answerBook struct {
	contract string                            // its file
	declared func() map[string]map[string]bool // operation → statuses
	// described, if set, is each operation's response descriptions by
	// status, which name the problem types of that status: a problem
	// answer's type must be named in its status's (api/peer/openapi.json).
	described func() map[string]map[string]string
	mu        sync.Mutex
	seen      map[string]map[int]string // operation → status → the first answer's problem type, request method and target
	types     map[string]string         // operation, status and problem type, tab-separated → the first answer's request
	bodies    map[string]string         // operation and status → the first error of an answer not as the contract says
	checked   map[string]int            // operation, status and problem type → answers validated
}

// toCheck reports whether an answer's body is to be validated: the first
// few of each operation, status and problem type (the route sweep makes
// thousands of the same kind).
func (b *answerBook) toCheck(op string, status int, typ string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := fmt.Sprintf("%s\t%d\t%s", op, status, typ)
	b.checked[k]++
	return b.checked[k] <= 8
}

func (b *answerBook) badBody(op string, status int, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if k := fmt.Sprintf("%s %d", op, status); b.bodies[k] == "" {
		b.bodies[k] = strings.ReplaceAll(err.Error(), "\n", " ")
	}
}

var (
	answers     = &answerBook{contract: "api/openapi.json", declared: declaredStatuses, seen: map[string]map[int]string{}}
	peerAnswers = &answerBook{contract: "api/peer/openapi.json", declared: peerDeclaredStatuses, described: peerDescriptions,
		seen: map[string]map[int]string{}, types: map[string]string{}, bodies: map[string]string{}, checked: map[string]int{}}
)

// observe is the middleware TestMain puts in front of every server's
// routing (Server.Handler's and PeerHandler's): it records the operation
// the request was routed to and the status of the answer. A request
// routed to no operation (no such path, a method the path does not take)
// is left out: those answers are the router's (docs/api.md, Errors), the
// same for every path.
func observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		pw := &problemWriter{ResponseWriter: c.Response().Writer}
		c.Response().Writer = pw
		if err := next(c); err != nil {
			c.Error(err) // what echo does next, done here to see the status
		}
		if b, op := routedOperation(c); op != "" {
			r := c.Request()
			b.add(op, c.Response().Status, pw.problemType(), r.Method+" "+r.URL.String())
		}
		return nil
	}
}

// problemWriter keeps the start of a problem answer, to name its type,
// and the status.
type problemWriter struct {
	http.ResponseWriter
	head []byte
	code int
}

func (w *problemWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// status is the answer's status (200 if none was written, as net/http sends it).
func (w *problemWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

func (w *problemWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if len(w.head) < 512 && strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
		w.head = append(w.head, b[:min(len(b), 512-len(w.head))]...)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *problemWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *problemWriter) problemType() string {
	if m := problemTypeRE.FindSubmatch(w.head); m != nil {
		return string(m[1])
	}
	return ""
}

var problemTypeRE = regexp.MustCompile(`"type":"urn:custos:problem:([a-z0-9-]+)"`)

func (b *answerBook) add(op string, status int, typ, req string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(req) > 160 {
		req = req[:160] + "…"
	}
	req = strings.ToValidUTF8(req, "?")
	if b.seen[op] == nil {
		b.seen[op] = map[int]string{}
	}
	if _, ok := b.seen[op][status]; !ok {
		b.seen[op][status] = typ + " " + req
	}
	if k := fmt.Sprintf("%s\t%d\t%s", op, status, typ); b.types != nil && typ != "" && b.types[k] == "" {
		b.types[k] = req
	}
}

// undeclared lists the statuses seen that their operation does not
// declare and, where the book checks them (described), the problem types
// seen that their status's response does not name.
func (b *answerBook) undeclared() []string {
	declared := b.declared()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for op, codes := range b.seen {
		for code, req := range codes {
			if !declared[op][strconv.Itoa(code)] {
				out = append(out, fmt.Sprintf("%s: %d, a status it does not declare (first: %s)", op, code, req))
			}
		}
	}
	for k, err := range b.bodies {
		out = append(out, fmt.Sprintf("%s: not as the contract says: %.600s", k, err))
	}
	for k, req := range b.types {
		op, rest, _ := strings.Cut(k, "\t")
		code, typ, _ := strings.Cut(rest, "\t")
		if declared[op][code] && !strings.Contains(b.described()[op][code], ProblemBase+typ+"`") {
			out = append(out, fmt.Sprintf("%s: %s %s, a problem type its response does not name (first: %s)", op, code, typ, req))
		}
	}
	slices.Sort(out)
	return out
}

// table lists each operation's declared statuses, and whether they were seen.
func (b *answerBook) table() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var lines []string
	for op, codes := range b.declared() {
		for code := range codes {
			n, _ := strconv.Atoi(code)
			_, ok := b.seen[op][n]
			lines = append(lines, fmt.Sprintf("%s\t%s\t%v", op, code, ok))
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// checkAnswers fails t for each status seen so far that its operation
// does not declare.
func checkAnswers(t *testing.T) {
	t.Helper()
	for _, b := range []*answerBook{answers, peerAnswers} {
		for _, s := range b.undeclared() {
			t.Errorf("an answer outside %s: %s", b.contract, s)
		}
	}
}

// declaredStatuses is the response codes of each operation of openapi.json.
var declaredStatuses = sync.OnceValue(func() map[string]map[string]bool { return statusesOf(openapiJSON) })

// statusesOf is the response codes of each operation of an OpenAPI document.
func statusesOf(contract []byte) map[string]map[string]bool {
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(contract, &doc); err != nil {
		panic(err)
	}
	out := map[string]map[string]bool{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			var op struct{ Responses map[string]json.RawMessage }
			if method == "parameters" || json.Unmarshal(raw, &op) != nil {
				continue
			}
			codes := map[string]bool{}
			for code := range op.Responses {
				codes[code] = true
			}
			out[strings.ToUpper(method)+" "+path] = codes
		}
	}
	return out
}

// operationByRoute maps "GET /api/v1/evidence/{}" to the operation
// "GET /api/v1/evidence/{id}": a route's parameters named as
// placeholders; peerOperationByRoute, those of the peer API.
var (
	operationByRoute     = sync.OnceValue(func() map[string]string { return byRoute(declaredStatuses()) })
	peerOperationByRoute = sync.OnceValue(func() map[string]string { return byRoute(peerDeclaredStatuses()) })
)

func byRoute(declared map[string]map[string]bool) map[string]string {
	out := map[string]string{}
	for op := range declared {
		out[placeholder.ReplaceAllString(op, "{}")] = op
	}
	return out
}

var routeParam = regexp.MustCompile(`:[A-Za-z0-9_]+`)

// routedOperation is the operation that c was routed to, of openapi.json
// or of the peer API's, with the book its answers go to; "" for none. A
// route whose last parameter also takes ".pdf" (echo's parameters run to
// the next slash) serves the ".pdf" operation when the parameter ends so,
// as its handler does.
func routedOperation(c echo.Context) (*answerBook, string) {
	route := c.Request().Method + " " + routeParam.ReplaceAllString(c.Path(), "{}")
	if op, ok := peerOperationByRoute()[route]; ok {
		return peerAnswers, op
	}
	if vals := c.ParamValues(); len(vals) > 0 && strings.HasSuffix(vals[len(vals)-1], ".pdf") && strings.HasSuffix(route, "{}") {
		if op, ok := operationByRoute()[route+".pdf"]; ok {
			return answers, op
		}
	}
	return answers, operationByRoute()[route]
}

// TestOpenAPIResponseCodes: every operation lists its statuses one by one
// (no "default", no "4XX"), so that a status not listed is a status the
// contract does not give.
func TestOpenAPIResponseCodes(t *testing.T) {
	code := regexp.MustCompile(`^[1-5][0-9][0-9]$`)
	for op, codes := range declaredStatuses() {
		for c := range codes {
			if !code.MatchString(c) {
				t.Errorf("%s: response %q, want each status listed as a three-digit code", op, c)
			}
		}
	}
	if len(declaredStatuses()) < 70 {
		t.Fatalf("openapi.json has %d operations, want at least 70", len(declaredStatuses()))
	}
}

// TestRouteAuthAndRate reaches the statuses the route sweep's callers
// cannot (each holds a key, with no budget to spend): every operation
// that declares 401 answers it to a request with no token or a token
// that is no key's, and one that does not declare it never does; every
// operation that declares 429 answers it once its caller (the key, or on
// the public routes the client address) has spent its budget, and one
// that does not declare it has no budget to spend.
func TestRouteAuthAndRate(t *testing.T) {
	sw := newSweepWorld(t)
	cfg := sw.cfg
	cfg.Limits = Limits{Rate: 1e-3, Burst: 1, UploadRate: 1e-3, UploadBurst: 1, PublicRate: 1e-3, PublicBurst: 1, SharedReadRate: 1e-3, SharedReadBurst: 1}
	spent, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	serve := func(s *Server, method, target, auth string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec
	}
	// Spend the owner's key's budget and the client address's.
	serve(spent, http.MethodGet, "/api/v1/me", "Bearer "+sw.tokens["owner"])
	serve(spent, http.MethodGet, "/api/v1/lookup?sha256="+strings.Repeat("0", 64), "")
	declared := declaredStatuses()
	for _, op := range sweepOps(t) {
		target := pathParam.ReplaceAllStringFunc(op.path, func(p string) string { return sw.paramValue(op.path, p[1:len(p)-1]) })
		if op.path == "/api/v1/lookup" {
			target += "?sha256=" + strings.Repeat("0", 64) // checked before the optional token
		}
		where := op.method + " " + op.path
		codes := declared[where]
		noToken := serve(sw.s, op.method, target, "").Code
		badToken := serve(sw.s, op.method, target, "Bearer cst_notakey").Code
		if got := noToken == http.StatusUnauthorized || badToken == http.StatusUnauthorized; got != codes["401"] {
			t.Errorf("%s with no token = %d, with a token that is no key's = %d; openapi.json declares 401: %v", where, noToken, badToken, codes["401"])
		}
		if got := serve(spent, op.method, target, "Bearer "+sw.tokens["owner"]).Code; (got == http.StatusTooManyRequests) != codes["429"] {
			t.Errorf("%s with the budget spent = %d; openapi.json declares 429: %v", where, got, codes["429"])
		}
	}
	checkAnswers(t)
}

var pathParam = regexp.MustCompile(`\{[^}/]+\}`)

// TestTSAStatuses: POST /tsa, which the route sweep reaches only with
// content types it refuses (415), answers a valid RFC 3161 query 200, a
// body that is not one 400 and one over 64 KiB 413, as openapi.json says.
func TestTSAStatuses(t *testing.T) {
	sw := newSweepWorld(t)
	digest := sha256.Sum256([]byte("a document"))
	query, err := (&cms.Request{Version: 1, Imprint: cms.ImprintOf(crypto.SHA256, digest[:]), CertReq: true}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		body []byte
		want int
	}{
		{"a query", query, http.StatusOK},
		{"not a query", []byte("hello"), http.StatusBadRequest},
		{"over 64 KiB", make([]byte, 64<<10+1), http.StatusRequestEntityTooLarge},
	} {
		req := httptest.NewRequest(http.MethodPost, "/tsa", bytes.NewReader(c.body))
		req.Header.Set("Content-Type", "application/timestamp-query")
		rec := httptest.NewRecorder()
		sw.s.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("POST /tsa, %s = %d %s, want %d", c.name, rec.Code, trim(rec.Body.String()), c.want)
		}
	}
	checkAnswers(t)
}
