package bench

import (
	crand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// consortiumOrgs are the members of the benchmark consortium: four
// validators, one process each, on loopback.
var consortiumOrgs = []string{"court:A", "court:B", "notary:C", "arbitration:D"}

// consortiumTimeoutCommit is what `custos consortium init` writes into
// each custos.toml; the benchmark reports it beside the latency.
const consortiumTimeoutCommit = 100 * time.Millisecond

// startConsortium writes a consortium with `custos consortium init` on free
// loopback ports and starts `custos serve --config` for each member, with
// one admin token for all (CUSTOS_BOOTSTRAP_TOKEN). It returns the nodes
// once each answers; the chain may not have a block yet.
func startConsortium(b *testing.B) []*server {
	b.Helper()
	bin := custosBin(b)
	dir := filepath.Join(b.TempDir(), "consortium")
	// Every listener's port is reserved, the peer API's too: its default,
	// api-port+100, is not, and another test or benchmark running beside
	// this one could take it ('bind: address already in use').
	n := len(consortiumOrgs)
	apiPort, p2pPort, peerPort := freePortRun(b, n), freePortRun(b, n), freePortRun(b, n)
	args := []string{"consortium", "init", "--out", dir, "--api-port", fmt.Sprint(apiPort), "--p2p-port", fmt.Sprint(p2pPort),
		"--peer-port", fmt.Sprint(peerPort)}
	for _, o := range consortiumOrgs {
		args = append(args, "--org", o)
	}
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		b.Fatalf("custos %v: %v\n%s", args, err, out)
	}
	configs, err := filepath.Glob(filepath.Join(dir, "*", "custos.toml"))
	if err != nil || len(configs) != len(consortiumOrgs) {
		b.Fatalf("consortium init wrote %d custos.toml, want %d (%v)", len(configs), len(consortiumOrgs), err)
	}
	token := newToken(b)
	nodes := make([]*server, len(configs))
	for i, cfg := range configs {
		f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			_, err = f.WriteString("\n" + unlimited)
			f.Close()
		}
		if err != nil {
			b.Fatal(err)
		}
		nodes[i] = startMember(b, cfg, token)
	}
	return nodes
}

// startMember runs `custos serve --config cfg` for a member of the
// consortium startConsortium wrote (again, after a stop: its log file
// starts anew), with token as its admin token.
func startMember(b *testing.B, cfg, token string) *server {
	b.Helper()
	cmd := exec.Command(custosBin(b), "serve", "--config", cfg)
	cmd.Env = append(os.Environ(), "CUSTOS_BOOTSTRAP_TOKEN="+token)
	s := start(b, cmd, filepath.Join(filepath.Dir(cfg), "custos.log"), false)
	s.Token, s.Dir = token, filepath.Dir(cfg)
	return s
}

// newToken returns a random admin token for CUSTOS_BOOTSTRAP_TOKEN (a chosen
// token, checked with argon2id once per node process).
func newToken(b *testing.B) string {
	var k [32]byte
	if _, err := crand.Read(k[:]); err != nil {
		b.Fatal(err)
	}
	return "cst_" + base64.RawURLEncoding.EncodeToString(k[:])
}

// portsTaken are the ports freePortRun has handed out in this process: a
// port found free must not be handed out again before its node binds it.
var portsTaken = struct {
	sync.Mutex
	m map[int]bool
}{m: map[int]bool{}}

// freePortRun finds n consecutive free loopback ports, none of them handed
// out before in this process (as cmd/custos's consortium tests do):
// consortium init counts up from its base ports, one per member. The
// ports are below Linux's ephemeral range (32768 on), where the source
// port of any connection could take one before its node binds it.
func freePortRun(b *testing.B, n int) int {
	b.Helper()
	portsTaken.Lock()
	defer portsTaken.Unlock()
	for try := 0; try < 200; try++ {
		base := 20000 + rand.IntN(32768-20000-n)
		if portsFree(base, n) {
			for p := base; p < base+n; p++ {
				portsTaken.m[p] = true
			}
			return base
		}
	}
	b.Fatal("no free loopback port range")
	return 0
}

// portsFree reports whether base to base+n-1 are free: not handed out by
// freePortRun, and open to a listener now.
func portsFree(base, n int) bool {
	for p := base; p < base+n; p++ {
		if portsTaken.m[p] {
			return false
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		ln.Close()
	}
	return true
}

// treeSize reads the latest checkpoint's tree size from node, or 0 while
// the chain has none.
func treeSize(hc *http.Client, node *server) (uint64, error) {
	req, err := http.NewRequest(http.MethodGet, node.URL+"/api/v1/log/checkpoint", nil)
	if err != nil {
		return 0, err
	}
	var cp struct {
		TreeSize uint64 `json:"tree_size"`
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusServiceUnavailable {
		return 0, nil
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s = %d", req.URL, resp.StatusCode)
	}
	err = json.NewDecoder(resp.Body).Decode(&cp)
	return cp.TreeSize, err
}
