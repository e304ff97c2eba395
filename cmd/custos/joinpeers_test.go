package main

import (
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
