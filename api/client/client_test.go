package client

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/custos-project/custos/api/wire"
)

const testToken = "cst_test-token-0123456789"

// wantReq is the request a call must make.
type wantReq struct {
	method, path, query string
	body                string // JSON; "" for no body
}

// serve starts a server that checks each request against want (in order)
// and answers with the given status and JSON bodies.
func serve(t *testing.T, want []wantReq, status []int, answers []string) *Client {
	t.Helper()
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n >= len(want) {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			http.Error(w, "unexpected", http.StatusTeapot)
			return
		}
		wr := want[n]
		if r.Method != wr.method || r.URL.Path != wr.path || r.URL.RawQuery != wr.query {
			t.Errorf("request %d = %s %s?%s, want %s %s?%s", n, r.Method, r.URL.Path, r.URL.RawQuery, wr.method, wr.path, wr.query)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("Authorization = %q", got)
		}
		b, _ := io.ReadAll(r.Body)
		switch {
		case wr.body == "" && len(b) > 0:
			t.Errorf("request %d has body %s, want none", n, b)
		case wr.body != "":
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("request %d Content-Type = %q", n, ct)
			}
			if !jsonEqual(t, b, []byte(wr.body)) {
				t.Errorf("request %d body = %s, want %s", n, b, wr.body)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status[n])
		io.WriteString(w, answers[n])
		n++
	}))
	t.Cleanup(func() {
		srv.Close()
		if n != len(want) {
			t.Errorf("server got %d requests, want %d", n, len(want))
		}
	})
	return New(srv.URL+"/", testToken)
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("invalid JSON %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

const (
	orgJSON    = `{"id":"aaaaaaaaaaaaaaaaaaaaaaaaaa","kind":"court","name":"Hangzhou Internet Court","created_at":"2026-11-21T10:00:00Z"}`
	keyJSON    = `{"id":"kkkkkkkkkkkkkkkkkkkkkkkkkk","org":"aaaaaaaaaaaaaaaaaaaaaaaaaa","role":"examiner","name":"clerk","prefix":"cst_abcdefgh","created_at":"2026-11-21T10:00:00Z"}`
	matterJSON = `{"id":"mmmmmmmmmmmmmmmmmmmmmmmmmm","org":"aaaaaaaaaaaaaaaaaaaaaaaaaa","title":"A v. B","parties":["A","B"],"created_at":"2026-11-21T10:00:00Z","created_by":"aaaaaaaaaaaaaaaaaaaaaaaaaa:kkkkkkkkkkkkkkkkkkkkkkkkkk"}`
	shareJSON  = `{"id":"ssssssssssssssssssssssssss","kind":"matter","target":"mmmmmmmmmmmmmmmmmmmmmmmmmm","owner":"aaaaaaaaaaaaaaaaaaaaaaaaaa","grantee":"cccccccccccccccccccccccccc","created_by":"x:y","created_at":"2026-11-21T10:00:00Z"}`
)

// TestCalls checks, for every JSON endpoint, the request each method makes
// and that the answer is decoded into the API's view type.
func TestCalls(t *testing.T) {
	exp := time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		req    wantReq
		status int
		answer string
		call   func(ctx context.Context, c *Client) (any, error)
		want   any
	}{
		{"Members", wantReq{"GET", "/api/v1/consortium/members", "", ""}, 200, `{"height":9,"members":[{"id":"be80","validator_key":"AAAA","power":20,"place":3,"admitted":0}]}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.Members(ctx)
				return v.Members[0].Power, err
			}, int64(20)},
		{"Proposals", wantReq{"GET", "/api/v1/consortium/proposals", "status=open", ""}, 200, `{"height":9,"proposals":[{"id":"p1","status":"open","votes":[]}]}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.Proposals(ctx, "open")
				return v.Proposals[0].ID, err
			}, "p1"},
		{"Proposal", wantReq{"GET", "/api/v1/consortium/proposals/a/b", "", ""}, 200, `{"id":"a/b","status":"applied","votes":[]}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.Proposal(ctx, "a/b")
				return v.Status, err
			}, "applied"},
		{"Me", wantReq{"GET", "/api/v1/me", "", ""}, 200, `{"key":` + keyJSON + `,"org":` + orgJSON + `,"permissions":["read"]}`,
			func(ctx context.Context, c *Client) (any, error) { v, err := c.Me(ctx); return v.Permissions, err },
			[]wire.Permission{wire.Permission("read")}},
		{"CreateOrg", wantReq{"POST", "/api/v1/orgs", "", `{"kind":"court","name":"Hangzhou Internet Court"}`}, 201, orgJSON,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.CreateOrg(ctx, wire.OrgInput{Kind: "court", Name: "Hangzhou Internet Court"})
				return v.Kind + " " + v.ID, err
			}, "court aaaaaaaaaaaaaaaaaaaaaaaaaa"},
		{"UpdateOrg", wantReq{"PATCH", "/api/v1/orgs/aaaaaaaaaaaaaaaaaaaaaaaaaa", "", `{"unlisted_by_default":false}`}, 200, orgJSON,
			func(ctx context.Context, c *Client) (any, error) {
				off := false
				v, err := c.UpdateOrg(ctx, "aaaaaaaaaaaaaaaaaaaaaaaaaa", wire.OrgPatch{UnlistedByDefault: &off})
				return v.Name, err
			}, "Hangzhou Internet Court"},
		{"Orgs", wantReq{"GET", "/api/v1/orgs", "", ""}, 200, `{"items":[` + orgJSON + `]}`,
			func(ctx context.Context, c *Client) (any, error) { v, err := c.Orgs(ctx); return len(v), err }, 1},
		{"Org", wantReq{"GET", "/api/v1/orgs/aaaaaaaaaaaaaaaaaaaaaaaaaa", "", ""}, 200, orgJSON,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.Org(ctx, "aaaaaaaaaaaaaaaaaaaaaaaaaa")
				return v.Name, err
			}, "Hangzhou Internet Court"},
		{"Audit", wantReq{"GET", "/api/v1/orgs/aaaaaaaaaaaaaaaaaaaaaaaaaa/audit", "", ""}, 200,
			`{"evidence":"aaaaaaaaaaaaaaaaaaaaaaaaaa","events":[{"v":1,"evidence":"aaaaaaaaaaaaaaaaaaaaaaaaaa","seq":0,"type":"org.created","time":"2026-11-21T10:00:00.000000000Z","actor":"x:y","subject":"kind:court"}]}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.Audit(ctx, "aaaaaaaaaaaaaaaaaaaaaaaaaa")
				return v.Events[0].Type, err
			}, "org.created"},
		{"Integrity", wantReq{"GET", "/api/v1/admin/integrity", "", ""}, 200,
			`{"interval":"6h0m0s","deep":true,"latest":{"trigger":"scheduled","deep":true,"started_at":"2026-11-21T10:00:00Z","ok":false,"findings":1,"report":{"records":1,"events":1,"audit_events":2,"blobs":1,"bad_tokens":["x"]}}}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.Integrity(ctx)
				return v.Latest.Report.BadTokens[0], err
			}, "x"},
		{"StartIntegrity", wantReq{"POST", "/api/v1/admin/integrity", "", ""}, 202,
			`{"interval":"0s","deep":false,"running":{"trigger":"manual","deep":false,"started_at":"2026-11-21T10:00:00Z","ok":false,"findings":0}}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.StartIntegrity(ctx)
				return v.Running.Trigger, err
			}, "manual"},
		{"EvidenceRecordStatus", wantReq{"GET", "/api/v1/admin/evidence-records/status", "", ""}, 200,
			`{"now":"2026-11-21T10:00:00Z","renew_before":"4320h0m0s","hash":"SHA-512","current":{"batches":2,"items":5},"due_soon":{"batches":0,"items":0},"due_timestamp":{"batches":1,"items":3},"due_hashtree":{"batches":0,"items":0},"renewed":{"batches":0,"items":0},"unreadable":{"batches":0,"items":0}}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.EvidenceRecordStatus(ctx)
				return v.DueTimeStamp.Items, err
			}, 3},
		{"RenewEvidenceRecords", wantReq{"POST", "/api/v1/admin/evidence-records/renew", "", `{"dry_run":true}`}, 200,
			`{"started":"2026-11-21T10:00:00Z","finished":"2026-11-21T10:00:01Z","dry_run":true,"timestamp":{"batches":1,"items":3,"tokens":1},"hashtree":{"batches":0,"items":0,"tokens":0},"blocked":{"batches":0,"items":0}}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.RenewEvidenceRecords(ctx, true)
				return v.TimeStamp.Tokens, err
			}, 1},
		{"CreateKey", wantReq{"POST", "/api/v1/orgs/aaaaaaaaaaaaaaaaaaaaaaaaaa/keys", "", `{"role":"examiner","name":"clerk","expires_at":"2027-01-02T03:04:05Z"}`}, 201,
			`{"key":` + keyJSON + `,"token":"cst_secret"}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.CreateKey(ctx, "aaaaaaaaaaaaaaaaaaaaaaaaaa", wire.KeyInput{Role: wire.Role("examiner"), Name: "clerk", ExpiresAt: &exp})
				return v.Token + " " + string(v.Key.Role), err
			}, "cst_secret examiner"},
		{"Keys", wantReq{"GET", "/api/v1/orgs/aaaaaaaaaaaaaaaaaaaaaaaaaa/keys", "", ""}, 200, `{"items":[` + keyJSON + `,` + keyJSON + `]}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.Keys(ctx, "aaaaaaaaaaaaaaaaaaaaaaaaaa")
				return len(v), err
			}, 2},
		{"RevokeKey", wantReq{"DELETE", "/api/v1/keys/kkkkkkkkkkkkkkkkkkkkkkkkkk", "", ""}, 200,
			`{"id":"kkkkkkkkkkkkkkkkkkkkkkkkkk","org":"a","role":"viewer","name":"n","prefix":"p","created_at":"2026-11-21T10:00:00Z","revoked_at":"2026-11-22T10:00:00Z"}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.RevokeKey(ctx, "kkkkkkkkkkkkkkkkkkkkkkkkkk")
				return v.RevokedAt != nil, err
			}, true},
		{"CreateMatter", wantReq{"POST", "/api/v1/matters", "", `{"title":"A v. B","parties":["A","B"]}`}, 201, matterJSON,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.CreateMatter(ctx, wire.MatterInput{Title: "A v. B", Parties: []string{"A", "B"}})
				return v.ID, err
			}, "mmmmmmmmmmmmmmmmmmmmmmmmmm"},
		{"Matters", wantReq{"GET", "/api/v1/matters", "", ""}, 200, `{"items":[` + matterJSON + `]}`,
			func(ctx context.Context, c *Client) (any, error) { v, err := c.Matters(ctx); return v[0].Parties, err },
			[]string{"A", "B"}},
		{"Matter", wantReq{"GET", "/api/v1/matters/mmmmmmmmmmmmmmmmmmmmmmmmmm", "", ""}, 200, matterJSON,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.Matter(ctx, "mmmmmmmmmmmmmmmmmmmmmmmmmm")
				return v.Title, err
			}, "A v. B"},
		{"Share", wantReq{"POST", "/api/v1/shares", "", `{"matter":"mmmmmmmmmmmmmmmmmmmmmmmmmm","org":"cccccccccccccccccccccccccc"}`}, 201, shareJSON,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.Share(ctx, wire.ShareInput{Matter: "mmmmmmmmmmmmmmmmmmmmmmmmmm", Org: "cccccccccccccccccccccccccc"})
				return v.Grantee, err
			}, "cccccccccccccccccccccccccc"},
		{"Shares made", wantReq{"GET", "/api/v1/shares", "direction=made", ""}, 200, `{"items":[]}`,
			func(ctx context.Context, c *Client) (any, error) { v, err := c.Shares(ctx, false); return len(v), err }, 0},
		{"Shares received", wantReq{"GET", "/api/v1/shares", "direction=received", ""}, 200, `{"items":[` + shareJSON + `]}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.Shares(ctx, true)
				return v[0].Kind, err
			}, "matter"},
		{"RevokeShare", wantReq{"DELETE", "/api/v1/shares/ssssssssssssssssssssssssss", "", ""}, 200, shareJSON,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.RevokeShare(ctx, "ssssssssssssssssssssssssss")
				return v.ID, err
			}, "ssssssssssssssssssssssssss"},
		{"List", wantReq{"GET", "/api/v1/evidence", "cursor=AAAAAAAAAAk&from=2027-01-02T03%3A04%3A05Z&limit=10&matter=mmmmmmmmmmmmmmmmmmmmmmmmmm&sha256=ab&title=Photo+3", ""}, 200,
			`{"items":[{"id":"e1"},{"id":"e2"}],"next_cursor":"AAAAAAAAAAg"}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.List(ctx, Query{Matter: "mmmmmmmmmmmmmmmmmmmmmmmmmm", SHA256: "ab", Title: "Photo 3", From: exp, Cursor: "AAAAAAAAAAk", Limit: 10})
				return []string{v.Items[0].ID, v.Items[1].ID, v.Next}, err
			}, []string{"e1", "e2", "AAAAAAAAAAg"}},
		{"Lookup", wantReq{"GET", "/api/v1/lookup", "sha256=ab", ""}, 200, `{"sha256":"ab","anchored":true,"height":7}`,
			func(ctx context.Context, c *Client) (any, error) { v, err := c.Lookup(ctx, "ab"); return v.Height, err }, int64(7)},
		{"Checkpoint latest", wantReq{"GET", "/api/v1/log/checkpoint", "", ""}, 200, `{"chain_id":"c","height":9,"tree_size":4}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.Checkpoint(ctx, 0)
				return v.TreeSize, err
			}, uint64(4)},
		{"Checkpoint at", wantReq{"GET", "/api/v1/log/checkpoint", "height=5", ""}, 200, `{"chain_id":"c","height":5,"tree_size":2}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.Checkpoint(ctx, 5)
				return v.Height, err
			}, int64(5)},
		{"Consistency", wantReq{"GET", "/api/v1/log/consistency", "first=1&second=4", ""}, 200, `{"first":1,"second":4,"proof":["aa","bb"]}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.Consistency(ctx, 1, 4)
				return v.Proof, err
			},
			[]string{"aa", "bb"}},
		{"Custody", wantReq{"GET", "/api/v1/evidence/e1/custody", "", ""}, 200, `{"evidence":"e1","events":[]}`,
			func(ctx context.Context, c *Client) (any, error) {
				v, err := c.Custody(ctx, "e1")
				return v.Evidence, err
			}, "e1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := serve(t, []wantReq{tc.req}, []int{tc.status}, []string{tc.answer})
			got, err := tc.call(context.Background(), c)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s = %#v, want %#v", tc.name, got, tc.want)
			}
		})
	}
}

// TestListAll follows next_cursor until the last page, keeping the filters.
func TestListAll(t *testing.T) {
	c := serve(t,
		[]wantReq{
			{"GET", "/api/v1/evidence", "limit=2&title=x", ""},
			{"GET", "/api/v1/evidence", "cursor=c1&limit=2&title=x", ""},
			{"GET", "/api/v1/evidence", "cursor=c2&limit=2&title=x", ""},
		},
		[]int{200, 200, 200},
		[]string{`{"items":[{"id":"a"},{"id":"b"}],"next_cursor":"c1"}`, `{"items":[{"id":"c"},{"id":"d"}],"next_cursor":"c2"}`, `{"items":[{"id":"e"}]}`})
	var ids []string
	for v, err := range c.ListAll(context.Background(), Query{Title: "x", Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	if want := []string{"a", "b", "c", "d", "e"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("ListAll = %v, want %v", ids, want)
	}
}

// TestListAllStops: breaking out of the loop fetches no further page, and
// an error ends the iteration.
func TestListAllStops(t *testing.T) {
	c := serve(t, []wantReq{{"GET", "/api/v1/evidence", "", ""}}, []int{200}, []string{`{"items":[{"id":"a"},{"id":"b"}],"next_cursor":"c1"}`})
	for range c.ListAll(context.Background(), Query{}) {
		break
	}
	c = serve(t, []wantReq{{"GET", "/api/v1/evidence", "cursor=bad", ""}}, []int{400},
		[]string{`{"type":"urn:custos:problem:bad-parameter","title":"Bad request","status":400}`})
	n := 0
	for _, err := range c.ListAll(context.Background(), Query{Cursor: "bad"}) {
		n++
		var e *Error
		if !errors.As(err, &e) || e.Status != 400 {
			t.Errorf("ListAll error = %v, want a 400 *Error", err)
		}
	}
	if n != 1 {
		t.Errorf("ListAll yielded %d times after an error, want 1", n)
	}
}

func TestReceipt(t *testing.T) {
	canonical := `{"version":1,"evidence":{"id":"e1"}}` // served bytes are returned as they are
	c := serve(t,
		[]wantReq{{"GET", "/api/v1/evidence/e1/receipt", "wait=20s", ""}, {"GET", "/api/v1/evidence/e1/receipt", "", ""}},
		[]int{202, 200},
		[]string{`{"id":"e1","status":"timestamped","detail":"not yet"}`, canonical})
	_, err := c.Receipt(context.Background(), "e1", 20*time.Second)
	var pe *PendingError
	if !errors.Is(err, ErrPending) || !errors.As(err, &pe) || pe.View.Status != "timestamped" {
		t.Fatalf("Receipt while pending = %v, want a *PendingError", err)
	}
	b, err := c.Receipt(context.Background(), "e1", 0)
	if err != nil || string(b) != canonical {
		t.Errorf("Receipt = %q, %v, want %q", b, err, canonical)
	}
}

// TestProblem: a problem+json answer becomes an *Error with its fields.
func TestProblem(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"type":"urn:custos:problem:forbidden","title":"Forbidden","status":403,"detail":"Your key's role (viewer) does not allow this: it needs the file permission, which these roles give a key of your organization: submitter. Ask your node's operator for a key with one of them.","needed":{"permission":"file","roles":["admin","submitter"]}}`)
	}))
	defer srv.Close()
	_, err := New(srv.URL, testToken).CreateMatter(context.Background(), wire.MatterInput{Title: "t"})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("CreateMatter error = %v (%T), want *Error", err, err)
	}
	if e.Status != 403 || e.Problem.Type != wire.ProblemBase+"forbidden" || e.RetryAfter != 5*time.Second ||
		e.Problem.Needed == nil || e.Problem.Needed.Permission != "file" || len(e.Problem.Needed.Roles) != 2 {
		t.Errorf("*Error = %+v", e)
	}
	if want := "403 Forbidden: Your key's role (viewer) does not allow this: it needs the file permission, which these roles give a key of your organization: submitter. Ask your node's operator for a key with one of them."; e.Error() != want {
		t.Errorf("Error() = %q, want %q", e.Error(), want)
	}
}

// TestErrorChinese: a problem whose title is Chinese reads as Chinese, with
// the full-width colon and semicolon, not "401 需要身份验证: 令牌无效。".
func TestErrorChinese(t *testing.T) {
	for _, tc := range []struct {
		p    wire.Problem
		want string
	}{
		{wire.Problem{Title: "需要身份验证", Detail: "令牌无效。"}, "401 需要身份验证：令牌无效。"},
		{wire.Problem{Title: "元数据无效", Detail: "部分元数据字段无效，详见 errors。", Errors: []wire.FieldError{{Field: "title", Message: "必须填写"}}},
			"401 元数据无效：部分元数据字段无效，详见 errors。title 必须填写"},
		{wire.Problem{Title: "Unauthorized", Detail: "The token is not valid."}, "401 Unauthorized: The token is not valid."},
	} {
		if got := (&Error{Status: 401, Problem: tc.p}).Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}
