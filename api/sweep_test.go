package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence/audittrail"
	"github.com/custos-project/custos/internal/text"
	"github.com/custos-project/custos/webhooks"
)

// The route sweep (docs/security.md, "Route sweep: no 5xx for bad
// input"): every operation of openapi.json, called by each role that
// matters with malformed path parameters, query parameters, bodies and
// headers (sweepcases_test.go), answers below 500, without a panic, and
// each 4xx is an RFC 9457 problem whose type is one the server documents;
// a refused act leaves the database as it was; every status is one that
// openapi.json declares for the operation (statuses_test.go). peersweep_test.go does the
// same for the peer API, sweep_fuzz_test.go fuzzes the router from the
// same cases. SWEEP_DUMP=file writes every answer to a table, to review
// the codes by hand.

// sweepOp is one operation of openapi.json, with what it takes.
type sweepOp struct {
	method, path string   // "GET", "/api/v1/evidence/{id}"
	query        []string // documented query parameters
	bodyTypes    []string // media types of the request body
	props        []string // top-level fields of the JSON or multipart body
	base         string   // a valid JSON body, whose fields are replaced one at a time ("": none)
}

// sweepOps reads the operations of openapi.json, resolving $ref.
func sweepOps(t testing.TB) []sweepOp {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		t.Fatal(err)
	}
	resolve := func(v any) map[string]any {
		m, _ := v.(map[string]any)
		for i := 0; i < 8 && m != nil; i++ {
			ref, ok := m["$ref"].(string)
			if !ok {
				break
			}
			var cur any = doc
			for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
				cm, _ := cur.(map[string]any)
				cur = cm[part]
			}
			m, _ = cur.(map[string]any)
		}
		return m
	}
	var ops []sweepOp
	for path, v := range doc["paths"].(map[string]any) {
		item := v.(map[string]any)
		common, _ := item["parameters"].([]any)
		for method, raw := range item {
			if method == "parameters" {
				continue
			}
			op := resolve(raw)
			o := sweepOp{method: strings.ToUpper(method), path: path}
			params, _ := op["parameters"].([]any)
			for _, p := range append(slices.Clone(common), params...) {
				if pm := resolve(p); pm["in"] == "query" {
					o.query = append(o.query, pm["name"].(string))
				}
			}
			if rb := resolve(op["requestBody"]); rb != nil {
				content, _ := rb["content"].(map[string]any)
				for ct, c := range content {
					o.bodyTypes = append(o.bodyTypes, ct)
					props, _ := resolve(resolve(c)["schema"])["properties"].(map[string]any)
					for name := range props {
						if !slices.Contains(o.props, name) {
							o.props = append(o.props, name)
						}
					}
				}
				slices.Sort(o.bodyTypes)
				slices.Sort(o.props)
			}
			ops = append(ops, o)
		}
	}
	// Reads first, then the acts that end what later cases use (a
	// revocation, a deletion, an accepted transfer).
	final := func(o sweepOp) bool {
		return o.method == http.MethodDelete || strings.HasSuffix(o.path, "/revoke") || strings.HasSuffix(o.path, "/accept") ||
			strings.HasSuffix(o.path, "/decline") || strings.HasSuffix(o.path, "/withdraw")
	}
	slices.SortFunc(ops, func(a, b sweepOp) int {
		if fa, fb := final(a), final(b); fa != fb {
			if fa {
				return 1
			}
			return -1
		}
		return strings.Compare(a.path+" "+a.method, b.path+" "+b.method)
	})
	return ops
}

// sweepWorld is one server with every optional part configured, and the
// callers and objects the sweep needs.
type sweepWorld struct {
	s      *Server
	cfg    Config // s's
	w      *uploadWorld
	tokens map[string]string // role name → key
	ids    map[string]string // kind → a real ID of that kind
	slugs  map[string]bool   // problem types the server may answer
}

// sweepRoles are the callers of the sweep: the owner of the evidence, a
// court it is shared with, the operator's admin, a notary office and
// another organization's submitter.
var sweepRoles = []string{"owner", "grantee", "admin", "notary", "other"}

func newSweepWorld(t testing.TB) *sweepWorld {
	t.Helper()
	w, refused := refusedWorld(t)
	hooks, err := webhooks.New(webhooks.Config{DB: w.db, Sealer: testSealer(t), AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	orgs := w.orgs
	mkOrg := func(kind, name string) *access.Org {
		o, err := orgs.CreateOrg(kind, name)
		if err != nil {
			t.Fatal(err)
		}
		// As creating an organization through the API does.
		if _, err := audittrail.New(w.ev).AppendAudit(context.Background(), o.ID, "operator:key", custody.AuditOrgCreated, "kind:"+kind); err != nil {
			t.Fatal(err)
		}
		return o
	}
	mkKey := func(org string, role access.Role) (string, *access.Key) {
		tok, k, err := orgs.CreateKey(org, role, "sweep", nil)
		if err != nil {
			t.Fatal(err)
		}
		return tok, k
	}
	court, notary, op, other := mkOrg(access.KindCourt, "Sweep Court"), mkOrg(access.KindNotary, "Sweep Notary"), mkOrg(access.KindOperator, "Sweep Operator"), mkOrg(access.KindLawFirm, "Sweep Other")
	sw := &sweepWorld{w: w, tokens: map[string]string{"owner": w.token}, ids: map[string]string{"org": w.org, "court": court.ID}}
	sw.tokens["grantee"], _ = mkKey(court.ID, access.RoleExaminer)
	sw.tokens["admin"], _ = mkKey(op.ID, access.RoleAdmin)
	sw.tokens["notary"], _ = mkKey(notary.ID, access.RoleNotary)
	sw.tokens["other"], _ = mkKey(other.ID, access.RoleSubmitter)
	_, spare := mkKey(w.org, access.RoleViewer)
	sw.ids["key"] = spare.ID

	dirID := access.NewID()
	sw.ids["directory"] = dirID
	lim := 1e9
	sw.cfg = withEvidence(withProver(t, w.ev), Config{Access: orgs, TSA: w.tsa, DB: w.db, Copyrights: w.crs, Transfers: w.crs,
		Webhooks: hooks, Renewals: &fakeRenewals{}, ChainAdmin: &fakeChainAdmin{}, Governance: &fakeGov{}, Integrity: &fakeIntegrity{},
		Directory: &fakeDirectory{entries: map[string]anchor.DirEntry{dirID: {ID: dirID, Kind: access.KindCourt, Name: "Remote Court", Member: "m2", Height: 2}}},
		Refused:   refused, Issuer: &txIssuer{db: w.db},
		Limits: Limits{Rate: lim, Burst: 1 << 30, UploadRate: lim, UploadBurst: 1 << 30, PublicRate: lim, PublicBurst: 1 << 30, SharedReadRate: lim, SharedReadBurst: 1 << 30}})
	if sw.s, err = New(sw.cfg); err != nil {
		t.Fatal(err)
	}

	// The objects: an item, a matter, a share of the item with the court,
	// a spare share to revoke, a webhook, a registration and a transfer
	// offer of it.
	created := func(role, method, path, ctype, body string) map[string]any {
		t.Helper()
		rec, _ := sw.do(role, method, path, ctype, strings.NewReader(body), nil)
		if rec.Code != http.StatusCreated && rec.Code != http.StatusOK {
			t.Fatalf("%s %s = %d %s", method, path, rec.Code, rec.Body)
		}
		var v map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return v
	}
	sw.ids["evidence"] = created("owner", "POST", "/api/v1/evidence", "text/plain", "Scan of the signed contract.\n")["id"].(string)
	sw.ids["matter"] = created("owner", "POST", "/api/v1/matters", "application/json", `{"title":"Zhang v. Li"}`)["id"].(string)
	sw.ids["share"] = created("owner", "POST", "/api/v1/shares", "application/json", `{"evidence":"`+sw.ids["evidence"]+`","org":"`+court.ID+`"}`)["id"].(string)
	sw.ids["spare-share"] = created("owner", "POST", "/api/v1/shares", "application/json", `{"matter":"`+sw.ids["matter"]+`","org":"`+court.ID+`"}`)["id"].(string)
	sw.ids["webhook"] = created("owner", "POST", "/api/v1/webhooks", "application/json", `{"url":"https://hooks.example.com/c","events":["evidence.shared"]}`)["webhook"].(map[string]any)["id"].(string)
	body, ct := fileForm(t, testWork, formFile{"a.txt", "text/plain", []byte("the work")})
	sw.ids["copyright"] = created("owner", "POST", "/api/v1/copyrights", ct, body.String())["id"].(string)
	sw.ids["transfer"] = created("owner", "POST", "/api/v1/copyrights/"+sw.ids["copyright"]+"/transfers", "application/json", `{"to":"`+other.ID+`"}`)["id"].(string)
	sw.ids["certificate"] = created("notary", "POST", "/api/v1/certificates", "application/json", `{"evidence":["`+sw.ids["evidence"]+`"]}`)["id"].(string)

	sw.slugs = map[string]bool{}
	for _, s := range problemSlugs(t) {
		sw.slugs[ProblemBase+s] = true
	}
	for kind, id := range sw.ids {
		sweepIDs[kind] = id
	}
	t.Cleanup(func() { clear(sweepIDs) })
	return sw
}

// do sends one request as role ("" for none) and returns the answer and,
// if the server panicked, what it panicked with.
func (sw *sweepWorld) do(role, method, target, ctype string, body *strings.Reader, hdr []string) (rec *httptest.ResponseRecorder, panicked any) {
	rec = httptest.NewRecorder()
	defer func() { panicked = recover() }()
	var req *http.Request
	if body == nil {
		req = httptest.NewRequest(method, target, nil)
	} else {
		req = httptest.NewRequest(method, target, body)
	}
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+sw.tokens[role])
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	sw.s.ServeHTTP(rec, req)
	return rec, nil
}

// paramValue is the real ID the sweep puts in a path parameter of path.
func (sw *sweepWorld) paramValue(path, name string) string {
	switch {
	case strings.HasPrefix(path, "/api/v1/evidence/"):
		return sw.ids["evidence"]
	case strings.HasPrefix(path, "/api/v1/matters/"):
		return sw.ids["matter"]
	case strings.HasPrefix(path, "/api/v1/shares/"):
		return sw.ids["spare-share"]
	case strings.HasPrefix(path, "/api/v1/keys/"):
		return sw.ids["key"]
	case strings.HasPrefix(path, "/api/v1/orgs/"):
		return sw.ids["org"]
	case strings.HasPrefix(path, "/api/v1/webhooks/"):
		return sw.ids["webhook"]
	case strings.HasPrefix(path, "/api/v1/copyrights/transfers/"):
		return sw.ids["transfer"]
	case strings.HasPrefix(path, "/api/v1/copyrights/"):
		return sw.ids["copyright"]
	case strings.HasPrefix(path, "/api/v1/certificates/"):
		return sw.ids["certificate"]
	case strings.HasPrefix(path, "/api/v1/directory/"):
		return sw.ids["directory"]
	case strings.HasPrefix(path, "/api/v1/consortium/proposals/"):
		return "p1"
	case strings.HasPrefix(path, "/api/v1/admin/peer/refused/"):
		return "shB"
	case name == "name":
		return "console.js"
	}
	return "x"
}

// checkSweep checks one answer: below 500, no panic, a 4xx a problem of a
// documented type, in words with no Go-internal text, no invisible or
// control character and at most 4 KB in all (the client's input is not
// echoed back as it came). It returns what is wrong, or "".
func (sw *sweepWorld) checkSweep(rec *httptest.ResponseRecorder, panicked any) string {
	switch {
	case panicked != nil:
		return fmt.Sprintf("panic: %v", panicked)
	case rec.Code >= 500:
		return fmt.Sprintf("%d %s", rec.Code, trim(rec.Body.String()))
	case rec.Code < 400:
		return ""
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Sprintf("%d with Content-Type %q, want application/problem+json", rec.Code, ct)
	}
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil && rec.Body.Len() > 0 {
		return fmt.Sprintf("%d problem does not decode: %v", rec.Code, err)
	}
	if rec.Body.Len() == 0 {
		return "" // HEAD: the status and type are checked, no content
	}
	if !sw.slugs[p.Type] || p.Status != rec.Code {
		return fmt.Sprintf("%d problem type %q status %d, want a documented type and the answer's status", rec.Code, p.Type, p.Status)
	}
	// In words a person can act on: no Go-internal text (malformed_test.go).
	var words Problem
	json.Unmarshal(rec.Body.Bytes(), &words)
	texts := []string{words.Title, words.Detail}
	for _, f := range words.Errors {
		texts = append(texts, f.Message)
	}
	if rec.Body.Len() > 4<<10 {
		return fmt.Sprintf("%d %s: a problem of %d bytes (input echoed?)", rec.Code, p.Type, rec.Body.Len())
	}
	for _, s := range texts {
		if err := text.CheckVisibleText("detail", s); err != nil {
			return fmt.Sprintf("%d %s: %q holds an invisible or control character (input echoed)", rec.Code, p.Type, trim(s))
		}
		s = strings.ReplaceAll(s, "http://", "") // a URL scheme, not net/http's "http: ..."
		for _, frag := range internalFragments {
			if strings.Contains(s, frag) {
				return fmt.Sprintf("%d %s: %q holds internal text %q", rec.Code, p.Type, s, frag)
			}
		}
	}
	return ""
}

// TestRouteSweep sends malformed input to every operation of openapi.json
// as each role; see the file comment.
func TestRouteSweep(t *testing.T) {
	sw := newSweepWorld(t)
	ops := sweepOps(t)
	if len(ops) < 70 {
		t.Fatalf("openapi.json has %d operations, want at least 70", len(ops))
	}
	bases := map[string]string{
		"POST /api/v1/matters":                      `{"title":"Wang v. Zhao","parties":["Wang","Zhao"],"case_number":"(2026) 1"}`,
		"POST /api/v1/shares":                       `{"evidence":"` + sw.ids["evidence"] + `","org":"` + sw.ids["court"] + `","expires_at":"2099-01-01T00:00:00Z"}`,
		"POST /api/v1/orgs":                         `{"kind":"court","name":"Sweep Court Two","unlisted_by_default":true}`,
		"PATCH /api/v1/orgs/{id}":                   `{"name":"Sweep Firm","unlisted_by_default":false}`,
		"POST /api/v1/orgs/{id}/keys":               `{"role":"viewer","name":"k","expires_at":"2099-01-01T00:00:00Z"}`,
		"POST /api/v1/webhooks":                     `{"url":"https://hooks.example.com/d","events":["evidence.shared"]}`,
		"POST /api/v1/certificates":                 `{"evidence":["` + sw.ids["evidence"] + `"],"lang":"zh"}`,
		"POST /api/v1/copyrights/{id}/transfers":    `{"to":"` + sw.ids["court"] + `","expires_in_days":7}`,
		"POST /api/v1/copyrights/{id}/revoke":       `{"reason":"filed in error"}`,
		"POST /api/v1/admin/chain/upgrade":          `{"state_version":6,"height":100}`,
		"POST /api/v1/admin/evidence-records/renew": `{"dry_run":true}`,
	}
	total := 0
	for _, op := range ops {
		op.base = bases[op.method+" "+op.path]
		cases := sweepCases(op, func(name string) string { return sw.paramValue(op.path, name) })
		t.Run(op.method+" "+op.path, func(t *testing.T) {
			bad := 0
			var before map[string][32]byte
			beforeTx := -1
			for _, role := range sweepRoles {
				for _, tc := range cases {
					if tc.body != nil {
						tc.body.Seek(0, 0)
					}
					// A refused act changes nothing: the database is the
					// same to the byte (reads may record custody events).
					// Its last transaction ID tells, cheaply, when to look.
					act := op.method != http.MethodGet && op.method != http.MethodHead
					if act && txID(t, sw.w.db) != beforeTx {
						beforeTx, before = txID(t, sw.w.db), bucketDigests(t, sw.w.db)
					}
					rec, p := sw.do(role, op.method, tc.target, tc.ctype, tc.body, tc.hdr)
					if act && rec.Code >= 400 && rec.Code < 500 && txID(t, sw.w.db) != beforeTx {
						after := bucketDigests(t, sw.w.db)
						var changed []string
						for name, d := range after {
							if before[name] != d && !derivedBuckets[name] {
								changed = append(changed, name)
							}
						}
						beforeTx, before = txID(t, sw.w.db), after
						if len(changed) > 0 {
							if bad++; bad <= 20 {
								t.Errorf("as %s, %s: %d %s, and the database changed (buckets %q)", role, tc.what, rec.Code, trim(rec.Body.String()), changed)
							}
						}
					}
					total++
					sweepDump(op, role, tc.what, rec)
					if msg := sw.checkSweep(rec, p); msg != "" {
						if bad++; bad <= 20 {
							t.Errorf("as %s, %s: %s", role, tc.what, msg)
						}
					}
				}
			}
			if bad > 20 {
				t.Errorf("%d answers in all were wrong", bad)
			}
		})
	}
	t.Logf("%d requests", total)
	checkAnswers(t) // each status one the operation declares (statuses_test.go)
}

// derivedBuckets are written behind the acts that they index, by a
// flusher after the answer (evidence/digestindex): not by the request
// that happens to run then.
var derivedBuckets = map[string]bool{"sha256": true, "sha256upto": true}

// txID is the ID of db's last committed transaction.
func txID(t testing.TB, db *bolt.DB) int {
	t.Helper()
	var id int
	if err := db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}

// bucketDigests hashes each top-level bucket of db (dbDigest's walk).
func bucketDigests(t testing.TB, db *bolt.DB) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			h := sha256.New()
			var walk func(b *bolt.Bucket) error
			walk = func(b *bolt.Bucket) error {
				return b.ForEach(func(k, v []byte) error {
					fmt.Fprintf(h, "%d:%x=", len(k), k)
					if v == nil {
						h.Write([]byte{'{'})
						defer h.Write([]byte{'}'})
						return walk(b.Bucket(k))
					}
					fmt.Fprintf(h, "%d:%x;", len(v), v)
					return nil
				})
			}
			if err := walk(b); err != nil {
				return err
			}
			out[string(name)] = [32]byte(h.Sum(nil))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sweepDump appends one answer to the file $SWEEP_DUMP names, if set: a
// table of every answer, to review the codes by hand.
func sweepDump(op sweepOp, role, what string, rec *httptest.ResponseRecorder) {
	name := os.Getenv("SWEEP_DUMP")
	if name == "" {
		return
	}
	f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	var p struct{ Type string }
	json.Unmarshal(rec.Body.Bytes(), &p)
	fmt.Fprintf(f, "%s %s\t%s\t%s\t%d\t%s\n", op.method, op.path, role, what, rec.Code, p.Type)
}

// TestProblemQuotesInputSafely: a value a client sent, quoted back in a
// problem's detail or field message, has its invisible, direction-changing
// and control characters written as U+XXXX, and at most 200 characters of
// it, then "…" (quote). Before, they were sent back as they came: an
// unknown JSON field of 10 KB or with bytes not UTF-8, a key's role of
// 10 KB or with U+202E, a Range header of 10 KB (found by TestRouteSweep's
// echo checks, which fail on the code before).
func TestProblemQuotesInputSafely(t *testing.T) {
	sw := newSweepWorld(t)
	long := strings.Repeat("a", 10<<10)
	for _, c := range []struct {
		name, role, method, path, ctype, body string
		hdr                                   []string
		status                                int
		want                                  string // in the detail or a field message
	}{
		{"role direction", "admin", "POST", "/api/v1/orgs/" + sw.ids["org"] + "/keys", "application/json", `{"role":"a\u202eb"}`, nil, 422, "aU+202Eb"},
		{"role long", "admin", "POST", "/api/v1/orgs/" + sw.ids["org"] + "/keys", "application/json", `{"role":"` + long + `"}`, nil, 422, strings.Repeat("a", 200) + "…"},
		{"unknown field not UTF-8", "owner", "POST", "/api/v1/matters", "application/json", "{\"a\xff\":1}", nil, 422, "U+FFFD"},
		{"unknown field long", "owner", "POST", "/api/v1/shares", "application/json", `{"` + long + `":1}`, nil, 422, "…"},
		{"range long", "owner", "GET", "/api/v1/evidence/" + sw.ids["evidence"] + "/content", "", "", []string{"Range", "bytes=" + long}, 416, "…"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec, p := sw.do(c.role, c.method, c.path, c.ctype, strings.NewReader(c.body), c.hdr)
			if p != nil || rec.Code != c.status {
				t.Fatalf("%s %s = %d (panic %v), want %d", c.method, trim(c.path), rec.Code, p, c.status)
			}
			if rec.Body.Len() > 2<<10 || !strings.Contains(rec.Body.String(), c.want) {
				t.Errorf("%s %s: answer of %d bytes, want at most 2 KB quoting %q: %s", c.method, trim(c.path), rec.Body.Len(), trim(c.want), trim(rec.Body.String()))
			}
			if msg := sw.checkSweep(rec, nil); msg != "" {
				t.Error(msg)
			}
		})
	}
}
