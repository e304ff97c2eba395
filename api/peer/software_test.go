package peer

import (
	"context"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/certs"
)

// TestAskSoftware: a member's node tells another which state versions it
// runs, under its own member ID; a node configured without saying answers
// 0; a member whose node cannot be reached is ErrUnreachable.
func TestAskSoftware(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "B", "C")
	a, b, c := ms[0], ms[1], ms[2]
	_, bURL := serveNode(t, b, nil, nil, nil, http.NotFoundHandler(), func(cfg *Config) {
		cfg.Software = Software{Version: "v-b", LatestState: 13}
	})
	_, cURL := serveNode(t, c, nil, nil, nil, http.NotFoundHandler())
	an, _ := serveNode(t, a, map[string]string{b.id: bURL, c.id: cURL}, nil, nil, http.NotFoundHandler())
	ctx := context.Background()

	sw, err := an.AskSoftware(ctx, b.id)
	if err != nil || sw.Member != b.id || sw.Version != "v-b" || sw.LatestState != 13 {
		t.Errorf("AskSoftware(B) = %+v, %v; want B's member ID, v-b, 13", sw, err)
	}
	// C says nothing of its software: state version 0, which the voting
	// node counts as not ready.
	if sw, err := an.AskSoftware(ctx, c.id); err != nil || sw.LatestState != 0 {
		t.Errorf("AskSoftware(C) = %+v, %v; want latest 0", sw, err)
	}
	if _, err := an.AskSoftware(ctx, "00"); !errors.Is(err, ErrUnreachable) {
		t.Errorf("AskSoftware(unknown member) = %v, want ErrUnreachable", err)
	}
}

// TestAskSoftwareOldNode: a member's node from before SoftwarePath passes
// the path to its routes, which answer 404: that is ErrNoSoftware, which
// the voting node reports as software that runs no later version.
func TestAskSoftwareOldNode(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "B")
	a, b := ms[0], ms[1]
	db, err := bolt.Open(filepath.Join(t.TempDir(), "db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bn, err := New(Config{TLS: b.tls, DB: db, Home: func(string) (string, bool) { return "", false }, Local: func(string) bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// B's TLS, but the handler of a node without the endpoint: every
	// path is one of api's routes, and this one is none.
	srv := &http.Server{Handler: http.NotFoundHandler(), TLSConfig: bn.ServerTLS()}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	an, _ := serveNode(t, a, map[string]string{b.id: "https://" + ln.Addr().String()}, nil, nil, http.NotFoundHandler())
	if sw, err := an.AskSoftware(context.Background(), b.id); !errors.Is(err, ErrNoSoftware) {
		t.Errorf("AskSoftware(an old node) = %+v, %v; want ErrNoSoftware", sw, err)
	}
}
