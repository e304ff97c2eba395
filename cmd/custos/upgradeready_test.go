package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/custos-project/custos/api/wire"
)

// TestUpgradeNotReadyTable: when the node refuses an upgrade vote because
// some members' nodes do not run the version (409 upgrade-not-ready),
// custos consortium upgrade exits 1 with the server's detail and then one
// line for each member the problem lists: what its node runs, or why it
// could not be asked; --force reaches the server as "force":true.
func TestUpgradeNotReadyTable(t *testing.T) {
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if r.Method != "POST" || r.URL.Path != "/api/v1/admin/chain/upgrade" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		var req wire.UpgradeRequest
		json.Unmarshal(b, &req)
		if req.Force {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusAccepted)
			json.NewEncoder(w).Encode(wire.ChainStatusView{StateVersion: 12})
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusConflict)
		json.NewEncoder(w).Encode(wire.Problem{Type: wire.ProblemBase + "upgrade-not-ready", Title: "Not every member is ready", Status: 409,
			Detail: "Not sent: these members' nodes do not run software that knows state version 13, or could not say: Xihu Notary Office, Qiantang Arbitration.",
			Members: []wire.MemberSoftware{
				{Member: "5b0e11", Name: "Xihu Notary Office", Version: "v0.21.0", LatestState: 12},
				{Member: "9c1e22", Name: "Qiantang Arbitration", Reason: "peer: the member's node is unreachable"},
			}})
	}))
	defer srv.Close()
	env := []string{"CUSTOS_SERVER=" + srv.URL, "CUSTOS_TOKEN=t", "CUSTOS_OUTPUT=table", "LC_ALL=C"}

	out, err := runCustosEnv(t, env, "consortium", "upgrade", "--height", "500", "--state-version", "13")
	if err == nil {
		t.Fatalf("upgrade refused by the node succeeded: %s", out)
	}
	msg := err.Error()
	for _, want := range []string{"exit status 1", "409 Not every member is ready", "Xihu Notary Office", "v0.21.0", "12",
		"Qiantang Arbitration", "unreachable", "5b0e11", "9c1e22"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refused upgrade: output lacks %q:\n%s", want, msg)
		}
	}
	// The table: one line per member listed, after the detail.
	if i, j := strings.Index(msg, "\n"), strings.LastIndex(msg, "Qiantang Arbitration"); i < 0 || j < i || !strings.Contains(msg[i:], "Xihu Notary Office") {
		t.Errorf("refused upgrade: the members are not listed below the message:\n%s", msg)
	}

	if out, err := runCustosEnv(t, env, "consortium", "upgrade", "--height", "500", "--state-version", "13", "--force"); err != nil {
		t.Fatalf("upgrade --force: %v\n%s", err, out)
	}
	if last := bodies[len(bodies)-1]; !strings.Contains(last, `"force":true`) {
		t.Errorf("upgrade --force sent %s, want force true", last)
	}
}
