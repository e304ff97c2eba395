package api

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/evidence/integrity"
	"github.com/custos-project/custos/evidence/proofs"
	"github.com/custos-project/custos/evidence/records"
	"github.com/custos-project/custos/evidence/sharing"
	"github.com/custos-project/custos/receipt"
	"github.com/custos-project/custos/webhooks"
)

// loadOpenAPI parses and validates the embedded OpenAPI document.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openapiJSON)
	if err != nil {
		t.Fatalf("parsing api/openapi.json: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("api/openapi.json declares openapi %q, want 3.1.x", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("api/openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

func TestOpenAPIValid(t *testing.T) {
	doc := loadOpenAPI(t)

	// Every operation has the fields clients and generators rely on, and
	// every response tells the client what to do.
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.OperationID == "" || op.Summary == "" || op.Description == "" {
				t.Errorf("%s: operationId, summary and description are required", where)
			}
			if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("%s: operationId %q is also used by %s", where, op.OperationID, prev)
			}
			ids[op.OperationID] = where
			for code, r := range op.Responses.Map() {
				if r.Value == nil || r.Value.Description == nil || *r.Value.Description == "" {
					t.Errorf("%s %s: response has no description", where, code)
				}
			}
		}
	}

	// Every problem type the code can produce is documented somewhere.
	for _, slug := range problemSlugs(t) {
		if !strings.Contains(string(openapiJSON), ProblemBase+slug) {
			t.Errorf("problem type %s%s is not documented", ProblemBase, slug)
		}
	}
}

// problemSlugs returns the problem types the server can produce: every
// literal slug passed to problem or errBadRequest in this package's
// source (so a new one cannot go undocumented), the TSA handler's, and
// the echo fallback's.
func problemSlugs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	slugs := map[string]bool{
		"bad-query": true, "unsupported-media-type": true, // notary/http.go, served at /tsa
		"http-": true, // echoProblem's fallback, documented as http-<status>
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn, ok := call.Fun.(*ast.Ident)
			if !ok {
				return true
			}
			arg := map[string]int{"problem": 1, "errBadRequest": 0}
			i, ok := arg[fn.Name]
			if !ok || len(call.Args) <= i {
				return true
			}
			if lit, ok := call.Args[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				slug, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatalf("%s: %v", fset.Position(lit.Pos()), err)
				}
				slugs[slug] = true
			}
			return true
		})
	}
	for _, fixed := range []string{"unauthorized", "not-found", "forbidden", "invalid-input", "invalid-metadata", "internal"} {
		if !slugs[fixed] {
			t.Errorf("problem type %q is no longer produced: the source scan is broken", fixed)
		}
	}
	out := make([]string, 0, len(slugs))
	for s := range slugs {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// TestOpenAPISchemas checks that the component schemas have exactly the
// JSON fields of the Go types they describe, and that the fields encoding/json
// always writes (no omitempty) are required, the others not.
func TestOpenAPISchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	for name, v := range map[string]any{
		"EvidenceView":          wire.EvidenceView{},
		"TokenInfo":             evidence.TokenInfo{},
		"CustodyView":           wire.CustodyView{},
		"CustodyEvent":          wire.CustodyEvent{},
		"Candidate":             wire.Candidate{},
		"Event":                 custody.Event{},
		"Meta":                  evidence.Meta{},
		"Trust":                 receipt.Trust{},
		"Validator":             receipt.Validator{},
		"Receipt":               receipt.Receipt{},
		"ReceiptEvidence":       receipt.Evidence{},
		"AnchoredEvent":         receipt.AnchoredEvent{},
		"Checkpoint":            receipt.Checkpoint{},
		"Lookup":                lookupView{},
		"ConsistencyView":       wire.ConsistencyView{},
		"PendingView":           wire.PendingView{},
		"Problem":               Problem{},
		"FieldError":            evidence.FieldError{},
		"Org":                   access.Org{},
		"OrgInput":              wire.OrgInput{},
		"OrgPatch":              wire.OrgPatch{},
		"OrgView":               OrgView{},
		"OrgDirectory":          wire.OrgDirectory{},
		"Key":                   access.Key{},
		"KeyInput":              wire.KeyInput{},
		"NewKeyView":            NewKeyView{},
		"MeView":                MeView{},
		"Matter":                sharing.Matter{},
		"MatterInput":           sharing.MatterInput{},
		"Share":                 ShareView{},
		"ShareInput":            wire.ShareInput{},
		"EvidenceList":          wire.ListView[wire.EvidenceView]{},
		"OrgList":               wire.ListView[OrgView]{},
		"KeyList":               wire.ListView[access.Key]{},
		"MatterList":            wire.ListView[sharing.Matter]{},
		"ShareList":             wire.ListView[ShareView]{},
		"Webhook":               webhooks.Webhook{},
		"WebhookInput":          wire.WebhookInput{},
		"NewWebhookView":        NewWebhookView{},
		"Delivery":              webhooks.Delivery{},
		"Attempt":               webhooks.Attempt{},
		"WebhookList":           wire.ListView[webhooks.Webhook]{},
		"DeliveryList":          wire.ListView[webhooks.Delivery]{},
		"DocumentCheck":         wire.DocumentCheck{},
		"DocumentCheckItem":     wire.DocumentCheckItem{},
		"Work":                  copyright.Work{},
		"Publication":           copyright.Publication{},
		"Transfer":              copyright.Transfer{},
		"Copyright":             copyright.Copyright{},
		"CopyrightList":         wire.ListView[copyright.Copyright]{},
		"CopyrightMatch":        wire.CopyrightMatch{},
		"CopyrightSearch":       wire.CopyrightSearch{},
		"TransferInput":         wire.TransferInput{},
		"RevokeInput":           wire.RevokeInput{},
		"Certificate":           CertificateView{},
		"CertificateInput":      wire.CertificateInput{},
		"CertificateList":       wire.ListView[CertificateView]{},
		"AuditStatus":           integrity.AuditStatus{},
		"AuditRun":              integrity.AuditRun{},
		"AuditReport":           integrity.Report{},
		"ConsortiumMember":      wire.Member{},
		"MemberCA":              wire.MemberCA{},
		"Members":               wire.Members{},
		"Proposal":              wire.Proposal{},
		"Proposals":             wire.Proposals{},
		"GovVote":               wire.Vote{},
		"GovernanceTx":          wire.GovernanceTx{},
		"GovernanceAccepted":    wire.GovernanceAccepted{},
		"RenewRequest":          wire.RenewRequest{},
		"RenewalRun":            records.RenewalRun{},
		"RenewalStatus":         records.RenewalStatus{},
		"SkippedItems":          records.Skipped{},
		"RenewalCount":          records.Count{},
		"RenewedCount":          records.RenewedCount{},
		"DocumentRenewalRun":    records.DocumentRun{},
		"DocumentRenewalStatus": records.StatusCounts{},
		"DocumentRecords":       wire.DocumentRecords{},
		"DocumentRecord":        wire.DocumentRecord{},
		"RefusedNotice":         wire.RefusedNotice{},
		"RefusedNotices":        wire.RefusedNotices{},
		"RefusedAct":            wire.RefusedAct{},
	} {
		ref := doc.Components.Schemas[name]
		if ref == nil || ref.Value == nil {
			t.Errorf("schema %s is missing", name)
			continue
		}
		sch := ref.Value
		fields := map[string]bool{} // JSON name → always written
		jsonFields(reflect.TypeOf(v), fields)
		for f, always := range fields {
			if sch.Properties[f] == nil {
				t.Errorf("schema %s: property %q (from the Go type) is missing", name, f)
			}
			if req := slices.Contains(sch.Required, f); req != always {
				t.Errorf("schema %s: property %q required = %v, want %v (omitempty = %v)", name, f, req, always, !always)
			}
		}
		for f := range sch.Properties {
			if _, ok := fields[f]; !ok {
				t.Errorf("schema %s: property %q is not a JSON field of %T", name, f, v)
			}
		}
	}
}

func jsonFields(typ reflect.Type, out map[string]bool) {
	for f := range typ.Fields() {
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			jsonFields(f.Type, out)
			continue
		}
		if name == "" {
			name = f.Name
		}
		optional := strings.Split(opts, ",")
		out[name] = !slices.Contains(optional, "omitempty") && !slices.Contains(optional, "omitzero")
	}
}

// TestOpenAPIRoutes checks that the document and the registered routes
// agree, in both directions: a route added without documentation, or a
// documented operation that is not served, fails.
func TestOpenAPIRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	s := newRouteTestServer(t)

	// Routes registered with e.Any: the methods their handler actually
	// serves (the others are refused by the handler itself).
	anyRouteMethods := map[string][]string{"/tsa": {http.MethodPost}}

	param := regexp.MustCompile(`:([A-Za-z0-9_]+)`)
	byPath := map[string][]string{}
	for _, r := range s.e.Routes() {
		if r.Method == echo.RouteNotFound { // group catch-alls added by echo
			continue
		}
		p := param.ReplaceAllString(r.Path, "{$1}")
		byPath[p] = append(byPath[p], r.Method)
	}
	served := map[string]bool{}
	// Documented paths served by a route whose last parameter also
	// takes a suffix (echo's parameters run to the next slash): the
	// handler dispatches on it.
	suffixRoutes := map[string]string{
		"GET /api/v1/copyrights/{id}.pdf":   "GET /api/v1/copyrights/{id}",
		"GET /api/v1/certificates/{id}.pdf": "GET /api/v1/certificates/{id}",
	}
	for p, methods := range byPath {
		if isAnyRoute(methods) {
			m, ok := anyRouteMethods[p]
			if !ok {
				t.Errorf("%s is registered with e.Any: add it to anyRouteMethods with the methods its handler serves", p)
				continue
			}
			methods = m
		}
		for _, m := range methods {
			served[m+" "+p] = true
		}
	}

	for doc, route := range suffixRoutes {
		if served[route] {
			served[doc] = true
		}
	}
	documented := map[string]bool{}
	for p, item := range doc.Paths.Map() {
		for m := range item.Operations() {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}

	var undocumented, unserved []string
	for k := range served {
		if !documented[k] {
			undocumented = append(undocumented, k)
		}
	}
	for k := range documented {
		if !served[k] {
			unserved = append(unserved, k)
		}
	}
	slices.Sort(undocumented)
	slices.Sort(unserved)
	if len(undocumented) > 0 {
		t.Errorf("routes registered in api/server.go but missing from api/openapi.json:\n\t%s", strings.Join(undocumented, "\n\t"))
	}
	if len(unserved) > 0 {
		t.Errorf("operations in api/openapi.json that api/server.go does not register:\n\t%s", strings.Join(unserved, "\n\t"))
	}
	if len(served) == 0 {
		t.Fatal("the server registers no routes")
	}
}

// isAnyRoute reports whether methods hold every method e.Any registers
// (PROPFIND and REPORT are registered by nothing else here).
func isAnyRoute(methods []string) bool {
	return slices.Contains(methods, echo.PROPFIND) && slices.Contains(methods, echo.REPORT)
}

func newRouteTestServer(t *testing.T) *Server {
	t.Helper()
	_, orgs := newTestOrgs(t)
	tsa := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.WriteHeader(http.StatusOK)
	})
	s, err := New(withEvidence(fakeEvidence{}, Config{Access: orgs, TSA: tsa}))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeEvidence is an evidence service that holds nothing. (The embedded nil
// interface stands for the methods the route test never calls.)
type fakeEvidence struct{ evidenceService }

var errFake = errors.New("fake evidence service")

func (fakeEvidence) NewUpload(context.Context, string) (*evidence.Upload, error) { return nil, errFake }
func (fakeEvidence) MaxSize() int64                                              { return 1 << 20 }
func (fakeEvidence) LookupSHA256(context.Context, string, string) (*proofs.Lookup, error) {
	return nil, errFake
}
func (fakeEvidence) LookupSM3(context.Context, string, string) (*proofs.Lookup, error) {
	return nil, errFake
}
func (fakeEvidence) Get(context.Context, string) (*evidence.Record, error) {
	return nil, evidence.ErrNotFound
}
func (fakeEvidence) AccessAs(context.Context, string, string, string, string, string) (*evidence.Record, *custody.Event, error) {
	return nil, nil, evidence.ErrNotFound
}
func (fakeEvidence) Custody(context.Context, string) ([]*custody.Event, error) {
	return nil, evidence.ErrNotFound
}
func (fakeEvidence) Token(context.Context, *evidence.Record, int) ([]byte, error) {
	return nil, evidence.ErrNotFound
}
func (fakeEvidence) Open(context.Context, *evidence.Record) (evidence.Blob, error) {
	return nil, evidence.ErrNotFound
}

// TestOpenAPICertificateResponses: the certificate operations document the
// answers the middleware in front of them gives: POST honours
// Idempotency-Key (400 for a bad one) and bounds its JSON body (413), and
// every authenticated route is rate-limited per key (429).
func TestOpenAPICertificateResponses(t *testing.T) {
	doc := loadOpenAPI(t)
	for _, tc := range []struct {
		method, path string
		codes        []string
	}{
		{"POST", "/api/v1/certificates", []string{"400", "413", "429"}},
		{"GET", "/api/v1/certificates", []string{"429"}},
		{"GET", "/api/v1/certificates/{id}", []string{"429"}},
		{"GET", "/api/v1/certificates/{id}.pdf", []string{"429"}},
	} {
		item := doc.Paths.Value(tc.path)
		if item == nil || item.GetOperation(tc.method) == nil {
			t.Errorf("%s %s is not documented", tc.method, tc.path)
			continue
		}
		got := item.GetOperation(tc.method).Responses.Map()
		for _, code := range tc.codes {
			if got[code] == nil {
				t.Errorf("%s %s documents no %s answer", tc.method, tc.path, code)
			}
		}
	}
}
