package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api"
	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/sharing"
)

// custosJSON runs the custos binary with token and decodes its JSON output.
func custosJSON(t *testing.T, n *proc, token string, v any, args ...string) {
	t.Helper()
	out, err := runCustosEnv(t, []string{"CUSTOS_TOKEN=" + token}, append(args, "--server", n.URL)...)
	if err != nil {
		t.Fatalf("custos %s: %v", strings.Join(args, " "), err)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("custos %s printed %q: %v", strings.Join(args, " "), out, err)
	}
}

// jsonLines decodes one JSON value per line.
func jsonLines[T any](t *testing.T, out string) []T {
	t.Helper()
	var vs []T
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var v T
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		vs = append(vs, v)
	}
	return vs
}

// TestAdminCLI walks the law-firm-to-court story with the CLI alone: the
// operator's admin creates the organizations and keys, the firm files
// evidence into a matter and shares it, the court lists it and fetches a
// receipt that verifies.
func TestAdminCLI(t *testing.T) {
	t.Parallel() // one node of its own, mostly waiting: see parallelNote
	n := startNode(t, t.TempDir(), "")
	admin := n.Token

	var firm, court access.Org
	custosJSON(t, n, admin, &firm, "org", "create", "--kind", "lawfirm", "--name", "Zhong Lun Law Firm")
	custosJSON(t, n, admin, &court, "org", "create", "--kind", "court", "--name", "Hangzhou Internet Court")
	var orgs wire.ListView[access.Org]
	custosJSON(t, n, admin, &orgs, "org", "list")
	if len(orgs.Items) != 3 { // the operator's, the firm's, the court's
		t.Errorf("org list = %+v, want 3 organizations", orgs.Items)
	}
	// The bootstrap operator is the only one.
	if _, err := runCustos(t, "org", "create", "--kind", "operator", "--name", "Second operator", "--server", n.URL, "--token", admin); err == nil ||
		!strings.Contains(err.Error(), "one operator organization") {
		t.Errorf("org create --kind operator = %v, want a refusal naming the rule", err)
	}

	// The new key's token is printed once, with a warning on stderr.
	var firmKey, courtKey api.NewKeyView
	custosJSON(t, n, admin, &firmKey, "key", "create", "--org", firm.ID, "--role", "submitter", "--name", "filing system")
	custosJSON(t, n, admin, &courtKey, "key", "create", "--org", court.ID, "--role", "examiner", "--name", "clerk", "--expires", "2099-01-01T00:00:00Z")
	if !strings.HasPrefix(firmKey.Token, access.TokenPrefix) || !strings.HasPrefix(firmKey.Token, firmKey.Key.Prefix) || firmKey.Key.OrgID != firm.ID {
		t.Fatalf("key create = %+v", firmKey)
	}
	if courtKey.Key.ExpiresAt == nil || courtKey.Key.ExpiresAt.Year() != 2099 {
		t.Errorf("key create --expires: expires_at = %v", courtKey.Key.ExpiresAt)
	}
	var keys wire.ListView[access.Key]
	custosJSON(t, n, admin, &keys, "key", "list", "--org", firm.ID)
	if len(keys.Items) != 1 || keys.Items[0].ID != firmKey.Key.ID {
		t.Errorf("key list = %+v", keys.Items)
	}
	if out, _ := runCustos(t, "key", "list", "--org", firm.ID, "--server", n.URL, "--token", admin); strings.Contains(out, firmKey.Token) {
		t.Error("key list shows a token")
	}

	// The firm opens a matter, files evidence into it and shares the matter.
	var matter sharing.Matter
	custosJSON(t, n, firmKey.Token, &matter, "matter", "create", "--title", "Copyright infringement: photo series",
		"--party", "Li Wei", "--party", "Example Media Ltd.", "--case-number", "(2026)浙0192民初1234号")
	if matter.Org != firm.ID || len(matter.Parties) != 2 || matter.CaseNumber == "" {
		t.Errorf("matter create = %+v", matter)
	}
	var matters wire.ListView[sharing.Matter]
	custosJSON(t, n, firmKey.Token, &matters, "matter", "list")
	if len(matters.Items) != 1 || matters.Items[0].ID != matter.ID {
		t.Errorf("matter list = %+v", matters.Items)
	}
	data := randomBytes(t, 3000)
	file := writeFile(t, t.TempDir(), "screenshot.bin", data)
	var ev wire.EvidenceView
	custosJSON(t, n, firmKey.Token, &ev, "submit", "-q", "--matter", matter.ID, "--title", "Screenshot of the infringing page", file)
	if ev.SHA256 != sha256Hex(data) {
		t.Fatalf("submit = %+v", ev)
	}
	var inMatter []wire.EvidenceView
	if out, err := runCustos(t, "list", "--matter", matter.ID, "--server", n.URL, "--token", firmKey.Token); err != nil {
		t.Fatal(err)
	} else if inMatter = jsonLines[wire.EvidenceView](t, out); len(inMatter) != 1 || inMatter[0].ID != ev.ID {
		t.Fatalf("the firm's list --matter = %s", out)
	}
	var share evidence.Share
	custosJSON(t, n, firmKey.Token, &share, "share", "--matter", matter.ID, "--org", court.ID)
	if share.Kind != "matter" || share.Target != matter.ID || share.Grantee != court.ID {
		t.Errorf("share = %+v", share)
	}

	// The court sees the share, lists the evidence and fetches its receipt.
	var received wire.ListView[evidence.Share]
	custosJSON(t, n, courtKey.Token, &received, "share", "list", "--received")
	if len(received.Items) != 1 || received.Items[0].ID != share.ID {
		t.Errorf("share list --received = %+v", received.Items)
	}
	// Its table names the matter by its title (the matter is shared with it), as the firm's does.
	for who, token := range map[string]string{"court": courtKey.Token, "firm": firmKey.Token} {
		table, err := runCustosEnv(t, []string{"CUSTOS_OUTPUT=table", "CUSTOS_TOKEN=" + token}, "list", "--server", n.URL)
		if err != nil || !strings.Contains(table, "Copyright infringement: photo series") || strings.Contains(table, matter.ID) {
			t.Errorf("the %s's list as a table = %v\n%s\nwant the matter's title, not its ID", who, err, table)
		}
	}
	out, err := runCustos(t, "list", "--all", "--limit", "1", "--server", n.URL, "--token", courtKey.Token)
	if err != nil {
		t.Fatal(err)
	}
	if items := jsonLines[wire.EvidenceView](t, out); len(items) != 1 || items[0].ID != ev.ID {
		t.Fatalf("the court's list --all = %s", out)
	}
	dir := t.TempDir()
	rcpt := filepath.Join(dir, "receipt.json")
	if out, err := runCustosEnv(t, []string{"CUSTOS_TOKEN=" + courtKey.Token}, "receipt", ev.ID, "--wait", "20s", "-o", rcpt, "--server", n.URL); err != nil {
		t.Fatalf("custos receipt: %v\n%s", err, out)
	}
	_, _, trust := n.call("GET", "/api/v1/trust", "", nil)
	if out, err := runCustos(t, "verify", "--receipt", rcpt, "--file", file, "--trust", writeFile(t, dir, "trust.json", trust)); err != nil {
		t.Fatalf("custos verify of the court's receipt: %v\n%s", err, out)
	}

	// submit's table names the matter by its title too, as list's does (it showed the ID).
	table, err := runCustosEnv(t, []string{"CUSTOS_OUTPUT=table", "CUSTOS_TOKEN=" + firmKey.Token}, "submit", "-q", "--matter", matter.ID,
		writeFile(t, t.TempDir(), "second.bin", randomBytes(t, 100)), "--server", n.URL)
	if err != nil || !strings.Contains(table, "Copyright infringement: photo series") || strings.Contains(table, matter.ID) {
		t.Errorf("the firm's submit as a table = %v\n%s\nwant the matter's title, not its ID", err, table)
	}

	// The firm revokes the share; the court no longer lists the evidence.
	var revoked evidence.Share
	custosJSON(t, n, firmKey.Token, &revoked, "share", "revoke", share.ID)
	if revoked.RevokedAt == nil {
		t.Errorf("share revoke = %+v", revoked)
	}
	if out, err := runCustos(t, "list", "--server", n.URL, "--token", courtKey.Token); err != nil || strings.Contains(out, ev.ID) {
		t.Errorf("after revocation the court's list = %q, %v", out, err)
	}

	// Revoking the court's key stops it at once; the audit chain shows it all.
	var rk access.Key
	custosJSON(t, n, admin, &rk, "key", "revoke", courtKey.Key.ID)
	if _, err := runCustos(t, "matter", "list", "--server", n.URL, "--token", courtKey.Token); exitCode(err) != 1 || !strings.Contains(err.Error(), "revoked") {
		t.Errorf("a revoked key's call = %v, want exit 1 naming the revocation", err)
	}
	var audit wire.CustodyView
	custosJSON(t, n, admin, &audit, "org", "audit", court.ID)
	var types []string
	for _, e := range audit.Events {
		types = append(types, e.Type)
	}
	if got := strings.Join(types, ","); got != "org.created,key.created,key.revoked" {
		t.Errorf("court's audit chain = %s", got)
	}
}

// TestAdminCLIUsage: usage errors exit 2 before any request is made.
func TestAdminCLIUsage(t *testing.T) {
	env := []string{"CUSTOS_TOKEN=" + strings.Repeat("x", 20)}
	unused := "http://127.0.0.1:1" // nothing listens: a request would fail with exit 1
	for _, args := range [][]string{
		{"org"},
		{"org", "bogus"},
		{"org", "create", "--kind", "court"},
		{"key", "create", "--org", "o", "--role", "viewer"},
		{"key", "create", "--org", "o", "--role", "viewer", "--name", "n", "--expires", "tomorrow"},
		{"key", "revoke"},
		{"matter", "create", "--party", "A"},
		{"share", "--org", "o"},
		{"share", "--evidence", "e", "--matter", "m", "--org", "o"},
		{"share", "--evidence", "e"},
		{"share", "revoke"},
		{"list", "extra"},
		{"list", "--limit", "501"},
		{"receipt"},
		{"receipt", "e", "--wait", "2m"},
		{"org", "list", "--no-such-flag"},
	} {
		_, err := runCustosEnv(t, env, append(args, "--server", unused)...)
		if code := exitCode(err); code != 2 {
			t.Errorf("custos %s: exit %d, want 2 (%v)", strings.Join(args, " "), code, err)
		}
	}
	// No token at all is a usage error too.
	cmd := []string{"org", "list", "--server", unused}
	if _, err := runCustosEnv(t, []string{"CUSTOS_TOKEN="}, cmd...); exitCode(err) != 2 {
		t.Errorf("custos org list without a token: %v, want exit 2", err)
	}
}

// TestMatterTitles: list's table shows a matter's title, looked up once
// per run: the organization's own matters in one request, a matter
// shared with it in one request however many items it holds, and the ID
// of a matter the caller cannot read (asked once too).
func TestMatterTitles(t *testing.T) {
	var mu sync.Mutex
	asked := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked[r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/matters":
			json.NewEncoder(w).Encode(wire.ListView[wire.Matter]{Items: []wire.Matter{{ID: "own", Title: "张三诉李四"}}})
		case "/api/v1/matters/shared":
			json.NewEncoder(w).Encode(wire.Matter{ID: "shared", Title: "Shared matter"})
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"type":"about:blank","title":"Not Found","status":404}`))
		}
	}))
	defer srv.Close()
	items := []wire.EvidenceView{{ID: "a", Matter: "own"}, {ID: "b", Matter: "shared"}, {ID: "c", Matter: "shared"},
		{ID: "d", Matter: "hidden"}, {ID: "e", Matter: "hidden"}, {ID: "f"}}
	rows := withMatterTitles(context.Background(), client.New(srv.URL, "t"), items)
	want := []string{"张三诉李四", "Shared matter", "Shared matter", "", "", ""}
	for i, r := range rows {
		if r.MatterTitle != want[i] || r.ID != items[i].ID {
			t.Errorf("withMatterTitles: row %d = %s %q, want %s %q", i, r.ID, r.MatterTitle, items[i].ID, want[i])
		}
	}
	for path, n := range map[string]int{"/api/v1/matters": 1, "/api/v1/matters/shared": 1, "/api/v1/matters/hidden": 1} {
		if asked[path] != n {
			t.Errorf("GET %s asked %d times, want %d", path, asked[path], n)
		}
	}
	var b strings.Builder
	if err := writeHuman(&b, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	for i, w := range []string{"张三诉李四", "Shared matter", "Shared matter", "hidden"} {
		if !strings.Contains(lines[i+1], w) {
			t.Errorf("list's table, row %d: %q, want %q in MATTER", i, lines[i+1], w)
		}
	}
	if !strings.Contains(lines[0], "MATTER") {
		t.Errorf("list's table heading: %q", lines[0])
	}
	asked = map[string]int{}
	withMatterTitles(context.Background(), client.New(srv.URL, "t"), []wire.EvidenceView{{ID: "f"}})
	if len(asked) != 0 {
		t.Errorf("items without a matter: asked %v, want nothing", asked)
	}
}

// TestEvidenceGetMatterTitle: evidence get's record view names the
// item's matter by its title and ID, in one request (GET
// /api/v1/matters/{id}, not the organization's list), and by its ID
// alone where the key cannot read the matter; its JSON is the API's,
// with no matter request.
func TestEvidenceGetMatterTitle(t *testing.T) {
	var mu sync.Mutex
	asked := map[string]int{}
	items := map[string]wire.EvidenceView{
		"a": {ID: "a", FileName: "合同.pdf", Matter: "own", Status: "anchored"},
		"b": {ID: "b", FileName: "photo.jpg", Matter: "hidden", Status: "anchored"},
		"c": {ID: "c", FileName: "none.txt", Status: "anchored"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked[r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if id, ok := strings.CutPrefix(r.URL.Path, "/api/v1/evidence/"); ok {
			if v, ok := items[id]; ok {
				json.NewEncoder(w).Encode(v)
				return
			}
		}
		if r.URL.Path == "/api/v1/matters/own" {
			json.NewEncoder(w).Encode(wire.Matter{ID: "own", Title: "张三诉李四"})
			return
		}
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"type":"about:blank","title":"Not Found","status":404}`))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		id, want, matterPath string
	}{
		{"a", "张三诉李四 (ID own)", "/api/v1/matters/own"},
		{"b", "hidden", "/api/v1/matters/hidden"},
		{"c", "", ""},
	} {
		t.Run(tc.id, func(t *testing.T) {
			mu.Lock()
			clear(asked)
			mu.Unlock()
			table, err := runCustosEnv(t, []string{"CUSTOS_OUTPUT=table", "LC_ALL=C"}, "evidence", "get", tc.id, "--server", srv.URL, "--token", "t")
			if err != nil {
				t.Fatal(err)
			}
			if got := recordValue(table, "matter:"); got != tc.want {
				t.Errorf("evidence get %s as a table: matter: %q, want %q\n%s", tc.id, got, tc.want, table)
			}
			want := map[string]int{"/api/v1/evidence/" + tc.id: 1}
			if tc.matterPath != "" {
				want[tc.matterPath] = 1
			}
			mu.Lock()
			if !maps.Equal(asked, want) {
				t.Errorf("evidence get %s as a table asked %v, want %v", tc.id, asked, want)
			}
			clear(asked)
			mu.Unlock()
			if tc.id == "a" {
				zh, err := runCustosEnv(t, []string{"CUSTOS_OUTPUT=table", "LC_ALL=zh_CN.UTF-8"}, "evidence", "get", tc.id, "--server", srv.URL, "--token", "t")
				if got := recordValue(zh, "案件："); err != nil || got != "张三诉李四（编号 own）" {
					t.Errorf("evidence get %s as a table in Chinese = %v\n%s\nwant the matter's title and ID", tc.id, err, zh)
				}
				mu.Lock()
				clear(asked)
				mu.Unlock()
			}
			js, err := runCustosEnv(t, []string{"CUSTOS_OUTPUT=json"}, "evidence", "get", tc.id, "--server", srv.URL, "--token", "t")
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			v := items[tc.id]
			writeJSON(&b, &v)
			if js != b.String() {
				t.Errorf("evidence get %s --json = %s, want the API's record %s", tc.id, js, b.String())
			}
			mu.Lock()
			if len(asked) != 1 {
				t.Errorf("evidence get %s --json asked %v, want the item alone", tc.id, asked)
			}
			mu.Unlock()
		})
	}
}

// recordValue is the value of the line of a record view that label
// starts, or "".
func recordValue(view, label string) string {
	for _, l := range strings.Split(view, "\n") {
		if v, ok := strings.CutPrefix(l, label); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// TestListEmptyHint: an empty list on a terminal says where what other
// members shared with the organization is (custos share list --received),
// in the CLI's language, on standard error; piped JSON stays clean. A
// court's list was empty for items shared from another member's node,
// with no word of where they were.
func TestListEmptyHint(t *testing.T) {
	var noDirectory atomic.Bool // read by the server's goroutine
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/directory" && noDirectory.Load() { // a node outside a consortium
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"type":"urn:custos:problem:no-directory","title":"No directory","status":404}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"items":[]}`))
	}))
	defer srv.Close()
	for _, tc := range []struct {
		env       []string
		args      []string
		directory bool
		want      string
	}{
		{[]string{"CUSTOS_OUTPUT=table", "LC_ALL=C.UTF-8"}, nil, true, "custos share list --received shows it"},
		{[]string{"CUSTOS_OUTPUT=table", "LC_ALL=zh_CN.UTF-8"}, nil, true, "其他联盟成员共享给本机构的证据不在此列表中：custos share list --received"},
		{[]string{"CUSTOS_OUTPUT=json", "LC_ALL=C.UTF-8"}, nil, true, ""},
		// Not said where it does not fit: a filtered list, a node outside a consortium.
		{[]string{"CUSTOS_OUTPUT=table", "LC_ALL=C.UTF-8"}, []string{"--title", "contract"}, true, ""},
		{[]string{"CUSTOS_OUTPUT=table", "LC_ALL=C.UTF-8"}, nil, false, ""},
	} {
		noDirectory.Store(!tc.directory)
		cmd := exec.Command(custosBin, append([]string{"list", "--server", srv.URL, "--token", "cst_x"}, tc.args...)...)
		cmd.Env = append(os.Environ(), tc.env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v custos list: %v\n%s", tc.env, err, stderr.String())
		}
		if tc.want == "" && strings.Contains(stderr.String(), "share list --received") {
			t.Errorf("%v %v (directory %v) custos list: stderr %q, want no hint", tc.env, tc.args, tc.directory, stderr.String())
		}
		if tc.want == "" && tc.env[0] == "CUSTOS_OUTPUT=json" && (stderr.Len() != 0 || len(out) != 0) {
			t.Errorf("%v custos list: stdout %q, stderr %q, want nothing", tc.env, out, stderr.String())
		}
		if tc.want != "" && !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v custos list: stderr %q, want %q", tc.env, stderr.String(), tc.want)
		}
	}
}
