package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/certs"
)

// peerURL is a consortium member's peer API URL, from its custos.toml.
func peerURL(t *testing.T, m *member) string {
	t.Helper()
	b, err := os.ReadFile(m.cfg)
	if err != nil {
		t.Fatal(err)
	}
	l := regexp.MustCompile(`(?m)^peer_listen = "([^"]+)"`).FindSubmatch(b)
	if l == nil {
		t.Fatalf("%s has no peer_listen", m.cfg)
	}
	return "https://" + string(l[1])
}

// checkJoinPeers checks what join --finish --from wrote: the new member's
// custos.toml names each running member's peer API URL under its member
// ID, as the member's own configuration reaches it, and the CometBFT peers
// of every member.
func checkJoinPeers(t *testing.T, cfgPath string, ms []*member) {
	t.Helper()
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatalf("the joined member's config: %v", err)
	}
	if len(cfg.Consortium.Peers) != len(ms) {
		t.Errorf("[consortium.peers] = %v, want the %d members'", cfg.Consortium.Peers, len(ms))
	}
	for _, m := range ms {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(m.cfg), "pki", "node.pem"))
		if err != nil {
			t.Fatal(err)
		}
		node, err := certs.ParsePEM(b)
		if err != nil || len(node) != 1 {
			t.Fatalf("%s node.pem: %v", m.slug, err)
		}
		if got, want := cfg.Consortium.Peers[anchor.MemberID(node[0])], peerURL(t, m); got != want {
			t.Errorf("[consortium.peers] for %s = %q, want %q", m.slug, got, want)
		}
	}
	if len(cfg.Chain.Peers) != len(ms) {
		t.Errorf("[chain] peers = %v, want the %d members'", cfg.Chain.Peers, len(ms))
	}
	for _, p := range cfg.Chain.Peers {
		if strings.Count(p, "@") != 1 {
			t.Errorf("[chain] peer %q, want NODEID@HOST:PORT", p)
		}
	}
}

// TestJoinFromRefused: join --finish --from a node that does not answer
// stops with the reason before anything is written, and --from without
// --finish is a usage error.
func TestJoinFromRefused(t *testing.T) {
	tmp := t.TempDir()
	out := filepath.Join(tmp, "c")
	if o, err := runCustos(t, "consortium", "init", "--out", out, "--org", "court:Court A"); err != nil {
		t.Fatalf("consortium init: %v\n%s", err, o)
	}
	dir := filepath.Join(tmp, "new")
	if o, err := runCustos(t, "consortium", "join", "--out", dir, "--org", "court:Court New"); err != nil {
		t.Fatalf("consortium join: %v\n%s", err, o)
	}
	if o, err := runCustos(t, "consortium", "join", "--out", filepath.Join(tmp, "x"), "--org", "court:X", "--from", "https://127.0.0.1:1"); exitCode(err) != 2 {
		t.Errorf("join --from without --finish = %v\n%s; want exit status 2", err, o)
	}
	adm := filepath.Join(tmp, "adm")
	if o, err := runCustos(t, "consortium", "admit", "--root-dir", filepath.Join(out, "offline"), "--request", filepath.Join(dir, "join-request.json"), "-o", adm); err != nil {
		t.Fatalf("consortium admit: %v\n%s", err, o)
	}
	from := "https://127.0.0.1:" + fmt.Sprint(freePortRun(t, 1)) // nothing listens there
	o, err := runCustos(t, "consortium", "join", "--finish", adm, "--out", dir, "--from", from)
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("join --finish --from %s = %v\n%s; want the node unreachable", from, err, o)
	}
	for _, f := range []string{"custos.toml", "pki", "admin"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("a refused join --finish --from wrote %s", f)
		}
	}
}
