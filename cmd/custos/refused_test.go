package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/api/wire"
)

// TestPeerRefusedCommands: custos peer refused lists what the node's
// GET /api/v1/admin/peer/refused answers (a table, in English and in
// Chinese, or JSON), passes --limit, and resend and drop reach their
// routes with the share's ID; an unknown share exits 1, a wrong number of
// arguments 2.
func TestPeerRefusedCommands(t *testing.T) {
	at := time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC)
	list := wire.RefusedNotices{Total: 2, Notices: []wire.RefusedNotice{
		{Share: "shB", Action: "share", Kind: "evidence", Target: "ev1", Grantor: "firm", Grantee: "court", Member: "ab12", MemberName: "西湖法院",
			Status: 409, Type: "urn:custos:problem:notice-conflict", Detail: "This notice contradicts a share known here.", RefusedAt: at.Add(time.Minute)},
		{Share: "shA", Action: "share", Kind: "matter", Target: "m1", Grantor: "firm", Grantee: "other", Member: "ab12",
			Status: 422, Type: "urn:custos:problem:invalid-input", Detail: "The grantee is not an organization of this node.", RefusedAt: at, Parked: 1},
	}}
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.Method+" "+r.URL.RequestURI())
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer t" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		share, _ := strings.CutPrefix(r.URL.Path, "/api/v1/admin/peer/refused/")
		switch {
		case r.Method == "GET" && r.URL.Path == "/api/v1/admin/peer/refused":
			json.NewEncoder(w).Encode(list)
		case r.Method == "POST" && share == "shA/resend":
			w.WriteHeader(http.StatusAccepted)
			json.NewEncoder(w).Encode(wire.RefusedAct{RefusedNotice: list.Notices[1], Result: "resent", Notices: 2})
		case r.Method == "DELETE" && share == "shB":
			json.NewEncoder(w).Encode(wire.RefusedAct{RefusedNotice: list.Notices[0], Result: "dropped", Notices: 1})
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"type":"urn:custos:problem:not-found","title":"Not found","status":404,"detail":"No notice of this share is among the refused share notices."}`))
		}
	}))
	defer srv.Close()
	env := func(extra ...string) []string {
		return append([]string{"CUSTOS_SERVER=" + srv.URL, "CUSTOS_TOKEN=t"}, extra...)
	}

	table, err := runCustosEnv(t, env("CUSTOS_OUTPUT=table", "LC_ALL=C"), "peer", "refused")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(table, "\n")
	for i, want := range [][]string{
		{"SHARE", "ACTION", "GRANTEE", "MEMBER", "STATUS", "TYPE", "REFUSED", "PARKED", "DETAIL"},
		{"shB", "西湖法院", "409", "notice-conflict", "contradicts"},
		{"shA", "ab12", "422", "invalid-input", "1", "not an organization"},
	} {
		for _, w := range want {
			if i >= len(lines) || !strings.Contains(lines[i], w) {
				t.Errorf("custos peer refused, line %d lacks %q:\n%s", i, w, table)
			}
		}
	}
	zh, err := runCustosEnv(t, env("CUSTOS_OUTPUT=table", "LC_ALL=zh_CN.UTF-8"), "peer", "refused")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"共享", "暂停的后续通知", "拒绝时间", "说明", "shA"} {
		if !strings.Contains(zh, w) {
			t.Errorf("custos peer refused in Chinese lacks %q:\n%s", w, zh)
		}
	}
	var got wire.RefusedNotices
	custosOut, err := runCustosEnv(t, env(), "peer", "refused", "--json", "--limit", "5")
	if err != nil || json.Unmarshal([]byte(custosOut), &got) != nil || got.Total != 2 || len(got.Notices) != 2 || got.Notices[1].Parked != 1 {
		t.Errorf("custos peer refused --json = %v %s, want both shares, total 2", err, custosOut)
	}

	var act wire.RefusedAct
	if out, err := runCustosEnv(t, env(), "peer", "refused", "resend", "shA"); err != nil || json.Unmarshal([]byte(out), &act) != nil || act.Result != "resent" || act.Notices != 2 {
		t.Errorf("custos peer refused resend shA = %v %s", err, out)
	}
	dropped, err := runCustosEnv(t, env("CUSTOS_OUTPUT=table", "LC_ALL=zh_CN.UTF-8"), "peer", "refused", "drop", "shB")
	if err != nil || !strings.Contains(dropped, "结果：") || !strings.Contains(dropped, "dropped") || !strings.Contains(dropped, "共享方：") {
		t.Errorf("custos peer refused drop shB in Chinese = %v\n%s", err, dropped)
	}
	if _, err := runCustosEnv(t, env(), "peer", "refused", "drop", "nope"); exitCode(err) != 1 || !strings.Contains(err.Error(), "refused share notices") {
		t.Errorf("custos peer refused drop nope: %v, want exit 1 with the server's problem", err)
	}
	for _, args := range [][]string{{"peer", "refused", "extra"}, {"peer", "refused", "resend"}, {"peer", "refused", "drop", "a", "b"}, {"peer"}, {"peer", "refused", "--limit", "-3"}, {"peer", "refused", "--limit", "1001"}} {
		if _, err := runCustosEnv(t, env(), args...); exitCode(err) != 2 {
			t.Errorf("custos %s: %v, want exit 2", strings.Join(args, " "), err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"GET /api/v1/admin/peer/refused?limit=5", "POST /api/v1/admin/peer/refused/shA/resend", "DELETE /api/v1/admin/peer/refused/shB"} {
		found := false
		for _, a := range asked {
			found = found || a == want
		}
		if !found {
			t.Errorf("the server was not asked %s (asked %q)", want, asked)
		}
	}
}
