package peer

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

// TestDirectory: a node under the root that is not a member yet (a joining
// member's) reads a member's directory over mutual TLS, and nothing else;
// the answer keeps current members' peers only, with the answering node's
// own URL; a node under another root, and an answer whose node is not a
// member by its own chain, are refused.
func TestDirectory(t *testing.T) {
	root, err := certs.NewRoot("Test Consortium Root CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ms := newConsortium(t, root, "A", "C")
	a, c := ms[0], ms[1]
	j := newConsortium(t, root, "Joining")[0] // under the root, not a member
	members := map[string]string{a.id: "A", c.id: "C"}
	p2p := []string{"0123456789abcdef0123456789abcdef01234567@10.0.0.3:26656"}
	unknown := "ff" + a.id[2:] // a member ID the chain does not count
	if unknown == a.id {
		unknown = "00" + a.id[2:]
	}
	urls := map[string]string{a.id: "https://10.0.0.1:8181", unknown: "https://10.0.0.9:8181"}
	_, cURL := serveNode(t, c, urls, nil, nil, whoami(), func(cfg *Config) {
		cfg.Directory = func() (map[string]string, []string, error) { return members, p2p, nil }
	})

	d, err := FetchDirectory(context.Background(), j.tls, cURL)
	if err != nil {
		t.Fatalf("FetchDirectory(a joining node → C) = %v", err)
	}
	want := map[string]string{a.id: "https://10.0.0.1:8181", c.id: cURL}
	if d.Member != c.id || !reflect.DeepEqual(d.Peers, want) || !reflect.DeepEqual(d.Members, members) || !reflect.DeepEqual(d.P2P, p2p) {
		t.Errorf("FetchDirectory() = %+v, want member C, peers %v (not the unknown member's)", d, want)
	}

	t.Run("a node that is not a member reads nothing else", func(t *testing.T) {
		j.tls.Members = map[string]bool{c.id: true, j.id: true}
		jn, _ := serveNode(t, j, map[string]string{c.id: cURL}, nil, nil, whoami())
		if code, body, err := get(t, jn, c.id, "/peer/v1/x"); err != nil || code != http.StatusForbidden {
			t.Errorf("joining node → C /peer/v1/x = %d %q %v, want 403", code, body, err)
		}
	})
	t.Run("a node under another root is refused", func(t *testing.T) {
		other, _ := certs.NewRoot("Other Root CA", time.Now())
		x := newConsortium(t, other, "X")[0]
		if _, err := FetchDirectory(context.Background(), x.tls, cURL); err == nil {
			t.Error("FetchDirectory(X under another root → C) succeeded")
		}
		// The joining node, trusting its root, refuses X's listener.
		_, xURL := serveNode(t, x, nil, nil, nil, whoami())
		if _, err := FetchDirectory(context.Background(), j.tls, xURL); !errors.Is(err, ErrUnreachable) {
			t.Errorf("FetchDirectory(→ X under another root) = %v, want the handshake refused", err)
		}
	})
	t.Run("a node that is not a current member by its own chain", func(t *testing.T) {
		_, aURL := serveNode(t, a, nil, nil, nil, whoami(), func(cfg *Config) {
			cfg.Directory = func() (map[string]string, []string, error) { return map[string]string{c.id: "C"}, nil, nil }
		})
		if _, err := FetchDirectory(context.Background(), j.tls, aURL); !errors.Is(err, ErrNotMember) {
			t.Errorf("FetchDirectory(→ a removed member) = %v, want ErrNotMember", err)
		}
	})
	if _, err := FetchDirectory(context.Background(), j.tls, "http://10.0.0.1:8181"); err == nil {
		t.Error("FetchDirectory(http://) succeeded")
	}
}

// TestIsMember: with TLSConfig.IsMember, a node answers a member admitted
// after it started (and no longer one removed), without a restart.
func TestIsMember(t *testing.T) {
	root, err := certs.NewRoot("Test Consortium Root CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := newConsortium(t, root, "C")[0]
	j := newConsortium(t, root, "Joining")[0]
	var admitted atomic.Bool
	c.tls.IsMember = func(id string) bool { return id == c.id || (id == j.id && admitted.Load()) }
	_, cURL := serveNode(t, c, nil, nil, nil, whoami())
	j.tls.Members = map[string]bool{c.id: true, j.id: true}
	jn, _ := serveNode(t, j, map[string]string{c.id: cURL}, nil, nil, whoami())
	for _, step := range []struct {
		admitted bool
		want     int
	}{{false, http.StatusForbidden}, {true, http.StatusOK}, {false, http.StatusForbidden}} {
		admitted.Store(step.admitted)
		if code, body, err := get(t, jn, c.id, "/peer/v1/x"); err != nil || code != step.want || (code == 200 && body != j.id) {
			t.Errorf("admitted %v: J → C = %d %q %v, want %d", step.admitted, code, body, err, step.want)
		}
	}
}
