package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/webhooks"
)

// noJSONObjectBody lists the routes that take a body, or may be sent
// one, but not a JSON object: what they read is the file itself, a
// multipart form, an RFC 3161 query, or nothing. Every other POST, PUT and
// PATCH route must be documented in openapi.json with an application/json
// body, so that TestNonObjectBodiesRefused covers it.
var noJSONObjectBody = map[string]bool{
	"POST /api/v1/evidence":          true, // the file, or multipart
	"POST /api/v1/copyrights":        true, // multipart
	"POST /api/v1/copyrights/search": true, // multipart
	"POST /tsa":                      true, // application/timestamp-query
	"PUT /tsa":                       true, // e.Any: refused with 405 by the TSA
	"PATCH /tsa":                     true,
	"POST /api/v1/admin/integrity":   true, // no body
	"POST /api/v1/copyrights/transfers/:tid/accept":   true, // no body
	"POST /api/v1/copyrights/transfers/:tid/decline":  true, // no body
	"POST /api/v1/copyrights/transfers/:tid/withdraw": true, // no body
	"POST /api/v1/admin/peer/refused/:share/resend":   true, // no body
	"POST /api/v1/webhooks/:id/adopt":                 true, // no body
}

// fakeChainAdmin is a chain at height 10 that records the upgrade votes it
// is asked to cast.
type fakeChainAdmin struct{ votes []int64 }

func (f *fakeChainAdmin) Height() int64 { return 10 }
func (f *fakeChainAdmin) UpgradeStatus() (int, []anchor.UpgradePlan, error) {
	return 5, nil, nil
}
func (f *fakeChainAdmin) VoteUpgrade(_ context.Context, _ int, height int64) error {
	f.votes = append(f.votes, height)
	return nil
}

// dbDigest hashes every bucket, key and value of db: two equal digests
// mean that nothing was written in between.
func dbDigest(t *testing.T, db *bolt.DB) [32]byte {
	t.Helper()
	h := sha256.New()
	var walk func(b *bolt.Bucket, depth int) error
	walk = func(b *bolt.Bucket, depth int) error {
		return b.ForEach(func(k, v []byte) error {
			h.Write([]byte{byte(depth), byte(len(k) >> 8), byte(len(k))})
			h.Write(k)
			if v == nil {
				return walk(b.Bucket(k), depth+1)
			}
			h.Write([]byte{byte(len(v) >> 24), byte(len(v) >> 16), byte(len(v) >> 8), byte(len(v))})
			h.Write(v)
			return nil
		})
	}
	err := db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			h.Write([]byte{0xff})
			h.Write(name)
			return walk(b, 1)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

// jsonObjectRoutes returns the operations of openapi.json whose request
// body is application/json ("POST /api/v1/orgs/{id}"), each a JSON object.
func jsonObjectRoutes(t *testing.T) []string {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				RequestBody *struct {
					Content map[string]json.RawMessage `json:"content"`
				} `json:"requestBody"`
			}
			if method == "parameters" || json.Unmarshal(raw, &op) != nil || op.RequestBody == nil {
				continue
			}
			if _, ok := op.RequestBody.Content["application/json"]; ok {
				out = append(out, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestNonObjectBodiesRefused sends null, and the other JSON values that
// are not objects, to every route that takes a JSON object, as the
// operator's admin (who may call them all), in English and Chinese. Each
// answer must be 400 not-an-object, and nothing may change: the node's
// database is the same to the byte, and the renewal, the chain and the
// consortium were asked nothing. Before, null decoded as "no fields", so
// that a null body to /api/v1/admin/evidence-records/renew ran a real
// renewal. The test also fails when a POST, PUT or PATCH route is neither
// documented with a JSON body nor listed in noJSONObjectBody.
func TestNonObjectBodiesRefused(t *testing.T) {
	w := newUploadWorld(t)
	hooks, err := webhooks.New(webhooks.Config{DB: w.db, Sealer: testSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	renewals, chain, gov := &fakeRenewals{}, &fakeChainAdmin{}, &fakeGov{}
	s, err := New(withEvidence(withProver(t, w.ev), Config{Access: w.orgs, TSA: w.tsa, DB: w.db, Copyrights: w.crs, Transfers: w.crs,
		Webhooks: hooks, Renewals: renewals, ChainAdmin: chain, Governance: gov, Integrity: &fakeIntegrity{}}))
	if err != nil {
		t.Fatal(err)
	}
	op, err := w.orgs.CreateOrg(access.KindOperator, "Operator")
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := w.orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil)
	if err != nil {
		t.Fatal(err)
	}

	documented := jsonObjectRoutes(t)
	param := regexp.MustCompile(`:([A-Za-z0-9_]+)`)
	for _, r := range s.e.Routes() {
		if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
			continue
		}
		route := r.Method + " " + r.Path
		if !noJSONObjectBody[route] && !slices.Contains(documented, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")) {
			t.Errorf("%s takes a body but is neither documented with an application/json one nor listed in noJSONObjectBody", route)
		}
	}
	if len(documented) < 13 {
		t.Fatalf("openapi.json documents %d operations with a JSON body, want at least 13: %v", len(documented), documented)
	}

	ids := strings.NewReplacer("{id}", op.ID, "{tid}", "t1")
	for _, route := range documented {
		method, path, _ := strings.Cut(route, " ")
		path = ids.Replace(path)
		for _, body := range []string{`null`, ` null`, `[]`, `[{}]`, `3`, `"x"`, `true`, `false`} {
			for _, lang := range []string{"en", "zh-CN"} {
				t.Run(route+"/"+body+"/"+lang, func(t *testing.T) {
					before := dbDigest(t, w.db)
					req := httptest.NewRequest(method, path, strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+admin)
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Accept-Language", lang)
					rec := httptest.NewRecorder()
					s.ServeHTTP(rec, req)
					wantProblem(t, rec, http.StatusBadRequest, "not-an-object")
					checkLocalizedProblem(t, rec, lang)
					if after := dbDigest(t, w.db); after != before {
						t.Errorf("%s %s with body %s changed the database", method, path, body)
					}
				})
			}
		}
	}
	if len(renewals.runs) != 0 || len(chain.votes) != 0 || len(gov.sent) != 0 {
		t.Errorf("renewals %v, upgrade votes %v, governance transactions %d: want none", renewals.runs, chain.votes, len(gov.sent))
	}

	// The same routes still take an object: {} reaches the handler, which
	// refuses or accepts it for its own reasons, never as not-an-object.
	// An empty body runs a renewal, as documented.
	for _, route := range documented {
		method, path, _ := strings.Cut(route, " ")
		req := httptest.NewRequest(method, ids.Replace(path), strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), ProblemBase+"not-an-object") || rec.Code >= 500 {
			t.Errorf("%s with {} = %d %s, want an answer to the object", route, rec.Code, rec.Body)
		}
	}
	// No body, with Content-Length: 0 or chunked (no length), is a run.
	for _, body := range []io.Reader{nil, io.MultiReader()} {
		renewals.runs = nil
		req := httptest.NewRequest(http.MethodPost, "/api/v1/admin/evidence-records/renew", body)
		req.Header.Set("Authorization", "Bearer "+admin)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || len(renewals.runs) != 1 || renewals.runs[0].DryRun {
			t.Errorf("renew with no body (Content-Length %d) = %d %s, runs %v; want 200 and one run", req.ContentLength, rec.Code, rec.Body, renewals.runs)
		}
	}
}
