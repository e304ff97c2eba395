package peer

import (
	"context"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/certs"
)

// TestAnnounce: a new member C whose node knows only A's URL announces
// itself; A keeps C's URL, B learns it from A's directory, and then B
// reaches C; what was learned survives a restart; the configuration and
// a member's own announcement win over a relayed URL.
func TestAnnounce(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "B", "C")
	a, b, c := ms[0], ms[1], ms[2]
	var dbA *bolt.DB
	an, aURL := serveNode(t, a, nil, nil, nil, whoami(), func(cfg *Config) { dbA = cfg.DB })
	bn, bURL := serveNode(t, b, map[string]string{a.id: aURL}, nil, nil, whoami())
	cn, cURL := serveNode(t, c, map[string]string{a.id: aURL}, nil, nil, whoami())
	an.cfg.URLs = map[string]string{b.id: bURL} // A knows B (set after both listen)
	if err := an.addClient(b.id, bURL); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	if _, _, err := get(t, bn, c.id, "/peer/v1/x"); err == nil {
		t.Fatal("B reached C before anyone told it C's URL")
	}
	if !cn.announceOnce(ctx) { // C → A: A learns C's URL (C's own word), C learns B's (relayed by A)
		t.Error("C's announcement to A: A does not list C's URL")
	}
	if l := an.learned[c.id]; l.URL != cURL || !l.Self {
		t.Errorf("A learned %+v for C, want %s announced by C", l, cURL)
	}
	if l := cn.learned[b.id]; l.URL != bURL || l.Self {
		t.Errorf("C learned %+v for B, want %s relayed", l, bURL)
	}
	bn.announceOnce(ctx) // B → A: B learns C's URL from A's directory
	if !cn.announceOnce(ctx) {
		t.Error("C's second announcement: some member does not list C's URL")
	}
	// (C's handler answers with its caller's member ID.)
	if code, body, err := get(t, bn, c.id, "/peer/v1/x"); err != nil || code != 200 || body != b.id {
		t.Errorf("B → C after learning its URL: %d %q %v", code, body, err)
	}
	if code, body, err := get(t, an, c.id, "/peer/v1/x"); err != nil || code != 200 || body != a.id {
		t.Errorf("A → C after C announced itself: %d %q %v", code, body, err)
	}

	// A relayed URL does not replace one the member announced itself, nor
	// a configured one; nobody outside the members is learned.
	if an.learn(c.id, "https://127.0.0.1:1", false) || an.learned[c.id].URL != cURL {
		t.Errorf("a relayed URL replaced C's own: %+v", an.learned[c.id])
	}
	if an.learn(b.id, "https://127.0.0.1:1", true) {
		t.Error("a learned URL replaced a configured one")
	}
	stranger := newConsortium(t, root, "D")[0]
	if an.learn(stranger.id, "https://127.0.0.1:2", true) {
		t.Error("A learned the URL of a node that is not a member")
	}
	// A node under the root that is no member yet (one being admitted)
	// announces itself: A answers its directory but does not keep its URL,
	// and the node will ask again soon.
	dn, _ := serveNode(t, stranger, map[string]string{a.id: aURL}, nil, nil, whoami())
	if dn.announceOnce(ctx) {
		t.Error("a node that is no member was told its URL is listed")
	}
	if _, ok := an.learned[stranger.id]; ok {
		t.Error("A kept the URL a node that is no member announced")
	}
	for _, bad := range []string{"http://127.0.0.1:3", "https://", "https://u:p@127.0.0.1:4", "://x"} {
		if an.learn(c.id, bad, true) {
			t.Errorf("A learned the URL %q", bad)
		}
	}
	// A member's own later announcement moves it.
	if !an.learn(c.id, "https://127.0.0.1:5", true) || an.learned[c.id].URL != "https://127.0.0.1:5" {
		t.Errorf("C's own new URL was not kept: %+v", an.learned[c.id])
	}
	an.learn(c.id, cURL, true)

	// A restarted A knows C from its database.
	again, err := New(Config{TLS: a.tls, DB: dbA, Home: an.cfg.Home, Local: an.cfg.Local})
	if err != nil {
		t.Fatal(err)
	}
	if _, u, ok := again.client(c.id); !ok || u != cURL {
		t.Errorf("after a restart A has %q for C, want %s", u, cURL)
	}
	if d := again.peerURLs(); d[c.id] != cURL || !strings.HasPrefix(d[c.id], "https://") {
		t.Errorf("the restarted A's directory gives %v", d)
	}
}
