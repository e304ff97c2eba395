package peer

import (
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

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
	if len(declared()) != 14 {
		t.Errorf("the contract has %d operations, want 14", len(declared()))
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
	for _, f := range []string{"node.go", "directory.go", "noticerate.go", "sync.go"} {
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
	if p := doc.Components.Parameters["Boot"]; p == nil || p.Value.Name != HeaderBoot || p.Value.In != "header" || p.Value.Required {
		t.Errorf("components.parameters.Boot is not the optional header %s", HeaderBoot)
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
			if !slices.Contains(params, "Boot") {
				t.Errorf("%s does not take the header %s, which every node sends", where, HeaderBoot)
			}
			if path != NoticesPath && path != SoftwarePath && path != SharesPath && path != RevokedPath && (!slices.Contains(params, "Org") || !slices.Contains(params, "Actor")) {
				t.Errorf("%s does not take the organization and actor headers", where)
			}
		}
	}
}

// TestContractRoutes: the methods Handler serves itself at the notices, software
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
	made := &madeHere{}
	n, _ := serveNode(t, m[0], nil, map[string]string{}, map[string]bool{}, http.NotFoundHandler(), func(cfg *Config) {
		cfg.Made, cfg.Revoke = made.made, made.revoke
	})
	passed := false
	h := n.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { passed = true }))
	for _, path := range []string{NoticesPath, DirectoryPath, SoftwarePath, SharesPath, RevokedPath} {
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
	for name, v := range map[string]any{"Notice": Notice{}, "Directory": Directory{}, "Software": Software{},
		"SharesPage": SharesPage{}, "Revocations": Revocations{}, "Revocation": Revocation{}, "RevokedAnswer": RevokedAnswer{}} {
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
