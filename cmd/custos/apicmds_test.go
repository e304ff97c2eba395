package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/receipt"
)

// TestAPICommands runs the commands added for the API operations the CLI
// missed against a real node, and checks what they print or save with
// the real tools where there are some (openssl for a time-stamp reply).
func TestAPICommands(t *testing.T) {
	t.Parallel() // one node of its own, mostly waiting: see parallelNote
	n := startNode(t, t.TempDir(), "")
	dir := t.TempDir()
	data := []byte("exhibit A: the signed licence\n")
	env := []string{"CUSTOS_SERVER=" + n.URL, "CUSTOS_TOKEN=" + n.Token}
	run := func(v any, args ...string) { // v == nil: the command saves a file
		t.Helper()
		if v != nil {
			custosJSON(t, n, n.Token, v, args...)
		} else if _, err := runCustosEnv(t, env, args...); err != nil {
			t.Fatalf("custos %s: %v", strings.Join(args, " "), err)
		}
	}
	var filed wire.EvidenceView
	run(&filed, "submit", writeFile(t, dir, "exhibit.txt", data))

	var got wire.EvidenceView
	run(&got, "evidence", "get", filed.ID)
	if got.ID != filed.ID || got.SHA256 != sha256Hex(data) || got.FileName != "exhibit.txt" {
		t.Errorf("custos evidence get = %+v; want the record of exhibit.txt", got)
	}

	tsr := filepath.Join(dir, "exhibit.tsr")
	run(nil, "evidence", "timestamp", filed.ID, "-o", tsr)
	chain := filepath.Join(dir, "tsa-chain.pem")
	run(nil, "trust", "--pem", "tsa-chain", "-o", chain)
	root := filepath.Join(dir, "root.pem")
	run(nil, "trust", "--pem", "root", "-o", root)
	if out, err := openssl(t, "ts", "-verify", "-in", tsr, "-data", writeFile(t, dir, "exhibit.txt", data), "-CAfile", root, "-untrusted", chain); err != nil {
		t.Errorf("openssl ts -verify of the reply custos evidence timestamp saved: %v\n%s", err, out)
	}
	trustPath := filepath.Join(dir, "trust.json")
	run(nil, "trust", "-o", trustPath)
	if b, err := os.ReadFile(trustPath); err != nil {
		t.Error(err)
	} else if _, err := receipt.ParseTrust(b); err != nil {
		t.Errorf("custos trust -o: the bundle does not parse: %v", err)
	}

	var me wire.MeView
	run(&me, "me")
	if me.Key.Role != "admin" || me.Org.ID == "" {
		t.Errorf("custos me = %+v; want the operator's admin key", me)
	}
	var org wire.OrgView
	run(&org, "org", "get", me.Org.ID)
	if org.ID != me.Org.ID || org.Name != me.Org.Name {
		t.Errorf("custos org get = %+v; want %+v", org, me.Org)
	}
	var m, mget wire.Matter
	run(&m, "matter", "create", "--title", "张三诉李四")
	run(&mget, "matter", "get", m.ID)
	if mget.Title != "张三诉李四" {
		t.Errorf("custos matter get = %+v", mget)
	}

	var cp receipt.Checkpoint
	out, err := runCustosEnv(t, []string{"CUSTOS_SERVER=" + n.URL}, "log", "checkpoint") // public: no token
	if err != nil {
		t.Fatalf("custos log checkpoint: %v", err)
	}
	if err := json.Unmarshal([]byte(out), &cp); err != nil {
		t.Fatalf("custos log checkpoint printed %q: %v", out, err)
	}

	var report wire.AuditRun
	run(&report, "integrity", "run", "--wait")
	if !report.OK || report.FinishedAt == nil {
		t.Errorf("custos integrity run --wait = %+v; want a finished audit that found nothing", report)
	}
	var st wire.AuditStatus
	run(&st, "integrity", "status")
	if st.Latest == nil || !st.Latest.OK {
		t.Errorf("custos integrity status = %+v; want the audit just run", st)
	}

	// The node registers a new organization in the consortium's directory
	// within seconds.
	var court wire.OrgView
	run(&court, "org", "create", "--kind", "court", "--name", "杭州互联网法院")
	var entry wire.DirectoryEntry
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out, err := runCustosEnv(t, env, "directory", "get", court.ID)
		if err == nil && json.Unmarshal([]byte(out), &entry) == nil {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("custos directory get %s: %v", court.ID, err)
		}
	}
	var found wire.ListView[wire.DirectoryEntry]
	run(&found, "directory", "list", "--name", "杭州互联网法院")
	if entry.Name != "杭州互联网法院" || len(found.Items) != 1 || found.Items[0].ID != court.ID {
		t.Errorf("custos directory get = %+v, list --name = %+v; want the court", entry, found)
	}

	if _, err := runCustosEnv(t, env, "evidence", "get", "nqihfudftxfyqo6okr4h7myh4i"); exitCode(err) != 1 {
		t.Errorf("custos evidence get of an unknown ID: %v, want exit 1 (404)", err)
	}
}
