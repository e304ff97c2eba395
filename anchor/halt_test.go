package anchor

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/storage"
)

// lockedBuffer is a log sink safe for CometBFT's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNodeHalted makes the application panic in Commit, as App.Commit does
// when its state cannot be written (a full disk), on a one-node chain:
// CometBFT stops consensus for good ("CONSENSUS FAILURE!!!") and the
// process goes on. Node.Halted must then say so and the log must say it at
// ERROR; a stopped node is not halted, and Stop still returns. Before the
// fix the halt was visible only as CometBFT's own line, logged at WARN, and
// /healthz went on answering ok.
func TestNodeHalted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a CometBFT node")
	}
	root, err := certs.NewRoot("Halt Root", txNow)
	if err != nil {
		t.Fatal(err)
	}
	org, err := root.NewOrgCA(certs.KindCourt, "Court", txNow)
	if err != nil {
		t.Fatal(err)
	}
	gov, err := org.IssueGovernance("Court governance", txNow)
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(t.TempDir(), "node")
	pub, _, err := InitHome(home)
	if err != nil {
		t.Fatal(err)
	}
	vals := []GenesisValidator{{Name: "court", PubKey: pub, Power: 10, OrgCA: org.Cert}}
	if err := WriteGenesis(GenesisPath(home), "custos-halt", vals, root.Cert, time.Now(), StateV6); err != nil {
		t.Fatal(err)
	}
	state, err := storage.OpenDB(filepath.Join(home, "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { state.Close() })
	var fail atomic.Bool
	app, err := NewApp(AppConfig{DB: state, ChainID: "custos-halt", Root: root.Cert, OnCommit: func(h int64, _ []Included) {
		if fail.Load() {
			panic("test: the application cannot write its state")
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	node, err := StartNode(app, NodeConfig{Home: home, Moniker: "court", TimeoutCommit: 50 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			node.Stop()
		}
	})
	if node.Halted() {
		t.Fatalf("Halted() = true at start")
	}
	joinerOrg, err := root.NewOrgCA(certs.KindNotary, "Joiner", txNow)
	if err != nil {
		t.Fatal(err)
	}
	joinerKey, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := NewProposeTx("custos-halt", gov.Cert, org.Cert, gov.Signer, MemberOfKey(pub),
		Proposal{ID: "admit", Expires: 1000, Action: ActAdmit, OrgCA: joinerOrg.Cert, ValidatorKey: joinerKey, Power: 1})
	if err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	if r, err := node.Broadcast(context.Background(), raw); err != nil || r.Code != CodeOK {
		t.Fatalf("Broadcast() = %v, %v", r, err)
	}
	for deadline := time.Now().Add(30 * time.Second); !node.Halted(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Halted() = false 30 s after the application's panic; log:\n%s", logs.String())
		}
	}
	if !strings.Contains(logs.String(), "level=ERROR msg=\"the chain's consensus stopped") {
		t.Errorf("no ERROR line saying the consensus stopped; log:\n%s", logs.String())
	}
	stopped = true
	done := make(chan error, 1)
	go func() { done <- node.Stop() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Stop() after the halt = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Stop() after the halt did not return")
	}
}
