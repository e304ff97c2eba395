package peer

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/problem"
)

// testMember is a member's node in an in-memory consortium.
type testMember struct {
	id  string
	tls TLSConfig
}

func newConsortium(t *testing.T, root *certs.Authority, names ...string) []*testMember {
	t.Helper()
	now := time.Now()
	var out []*testMember
	members := map[string]bool{}
	for _, name := range names {
		org, err := root.NewOrgCA(certs.KindCourt, name, now)
		if err != nil {
			t.Fatal(err)
		}
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		node, err := org.IssueNode(name+" node", pub, now)
		if err != nil {
			t.Fatal(err)
		}
		m := &testMember{id: anchor.MemberID(node), tls: TLSConfig{Root: root.Cert, Cert: node, Chain: []*x509.Certificate{org.Cert}, Key: priv, Members: members}}
		members[m.id] = true
		out = append(out, m)
	}
	return out
}

// serveNode starts m's peer listener with next behind Handler and returns
// its Node and URL.
func serveNode(t *testing.T, m *testMember, urls map[string]string, home map[string]string, local map[string]bool, next http.Handler, edit ...func(*Config)) (*Node, string) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{TLS: m.tls, URLs: urls, DB: db, SelfURL: "https://" + ln.Addr().String(),
		Home:  func(org string) (string, bool) { h, ok := home[org]; return h, ok },
		Local: func(org string) bool { return local[org] }, Backoff: 10 * time.Millisecond}
	for _, e := range edit {
		e(&cfg)
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: n.Handler(next), TLSConfig: n.ServerTLS()}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	return n, "https://" + ln.Addr().String()
}

func whoami() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(MemberFrom(r.Context()))) })
}

func get(t *testing.T, n *Node, member, path string) (int, string, error) {
	t.Helper()
	req, _ := http.NewRequest("GET", path, nil)
	resp, err := n.Do(context.Background(), member, req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		k, err := resp.Body.Read(buf)
		b.Write(buf[:k])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String(), nil
}

func TestPeerTLS(t *testing.T) {
	root, err := certs.NewRoot("Test Consortium Root CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ms := newConsortium(t, root, "A", "C")
	a, c := ms[0], ms[1]
	_, cURL := serveNode(t, c, nil, nil, nil, whoami())
	an, _ := serveNode(t, a, map[string]string{c.id: cURL}, nil, nil, whoami())

	t.Run("members identify each other", func(t *testing.T) {
		code, body, err := get(t, an, c.id, "/peer/v1/x")
		if err != nil || code != 200 || body != a.id {
			t.Errorf("A → C = %d %q %v, want 200 naming A (%s)", code, body, err, a.id)
		}
	})

	t.Run("a node under another root is refused both ways", func(t *testing.T) {
		other, _ := certs.NewRoot("Other Root CA", time.Now())
		x := newConsortium(t, other, "X")[0]
		x.tls.Members = map[string]bool{c.id: true, x.id: true}
		// X, trusting C, calls C: C refuses X's chain.
		xn, _ := serveNode(t, x, map[string]string{c.id: cURL}, nil, nil, whoami())
		if code, body, err := get(t, xn, c.id, "/peer/v1/x"); err == nil {
			t.Errorf("X (wrong root) → C = %d %q, want the handshake refused", code, body)
		}
		// A calls a listener that presents X's certificate as C's
		// address: A refuses its chain.
		_, xURL := serveNode(t, x, nil, nil, nil, whoami())
		an2, _ := serveNode(t, a, map[string]string{c.id: xURL}, nil, nil, whoami())
		if _, _, err := get(t, an2, c.id, "/peer/v1/x"); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("A → X posing as C: err = %v, want a refused certificate", err)
		}
	})

	t.Run("the server must be the member asked for", func(t *testing.T) {
		// A asks for C at A's own address (another member's node).
		_, aURL := serveNode(t, a, nil, nil, nil, whoami())
		an2, _ := serveNode(t, a, map[string]string{c.id: aURL}, nil, nil, whoami())
		if _, _, err := get(t, an2, c.id, "/peer/v1/x"); err == nil || !strings.Contains(err.Error(), "another member") {
			t.Errorf("A → A posing as C: err = %v, want ErrWrongMember", err)
		}
	})

	t.Run("replayed and stale requests are refused", func(t *testing.T) {
		req, _ := http.NewRequest("GET", "/peer/v1/x", nil)
		resp, err := an.Do(context.Background(), c.id, req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("first request: %v %v", resp, err)
		}
		resp.Body.Close()
		// The same request ID again.
		again, _ := http.NewRequest("GET", "/peer/v1/x", nil)
		again.Header = req.Header.Clone()
		again.URL.Scheme, again.URL.Host = req.URL.Scheme, req.URL.Host
		resp, err = an.clients[c.id].Do(again)
		if err != nil || resp.StatusCode != http.StatusConflict {
			t.Errorf("replayed request = %v %v, want 409", resp, err)
		} else {
			resp.Body.Close()
		}
		// A fresh ID with an old time.
		old, _ := http.NewRequest("GET", cURL+"/peer/v1/x", nil)
		Stamp(old.Header, time.Now().Add(-time.Hour))
		resp, err = an.clients[c.id].Do(old)
		if err != nil || resp.StatusCode != http.StatusBadRequest {
			t.Errorf("stale request = %v %v, want 400", resp, err)
		} else {
			resp.Body.Close()
		}
	})
}

func TestNotices(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "B", "C")
	a, b, c := ms[0], ms[1], ms[2]
	home := map[string]string{"firm": a.id, "court": c.id}
	var told atomic.Int32 // OnShared calls
	cn, cURL := serveNode(t, c, nil, home, map[string]bool{"court": true}, whoami(), func(cfg *Config) {
		cfg.OnShared = func(tx *bolt.Tx, in *Inbound) error {
			if in.Share == "sh1" && in.Member == a.id {
				told.Add(1)
			}
			return nil
		}
	})
	an, _ := serveNode(t, a, map[string]string{c.id: cURL}, home, map[string]bool{"firm": true}, whoami())
	bn, _ := serveNode(t, b, map[string]string{c.id: cURL}, home, nil, whoami())
	nt := Notice{V: 1, Share: "sh1", Kind: "evidence", Target: "item1", Grantor: "firm", GrantorName: "Firm", Grantee: "court", CreatedAt: time.Now().UTC()}

	t.Run("a member acting for another member's organization is refused", func(t *testing.T) {
		if err := bn.send(context.Background(), c.id, &nt); err == nil || !strings.Contains(err.Error(), "403") {
			t.Errorf("B sends a notice for A's firm: %v, want 403", err)
		}
		if _, ok := cn.HomeOf("court", "item1"); ok {
			t.Error("C took B's notice for A's firm")
		}
	})

	t.Run("a body that is not a JSON object is 400 not-an-object, as on the public API", func(t *testing.T) {
		for _, tc := range []struct{ body, lang, status, want string }{
			{"null", "en", "400", `"type":"urn:custos:problem:not-an-object"`},
			{"[]", "en", "400", `"title":"Body is not a JSON object"`},
			{"3", "en", "400", `"status":400`},
			{`"x"`, "zh-CN", "400", `"title":"请求体不是 JSON 对象"`},
			{"true", "zh-CN", "400", `"type":"urn:custos:problem:not-an-object"`},
			{" false ", "en", "400", `"detail":"The JSON body must be one JSON object`},
			{`{"v":2}`, "en", "422", `"type":"urn:custos:problem:invalid-input"`}, // an object, but not a notice
			{`{"v":1} null`, "en", "422", `"type":"urn:custos:problem:invalid-input"`},
		} {
			status, b := postNotice(t, an, c.id, tc.body, tc.lang)
			if got := strconv.Itoa(status); got != tc.status || !strings.Contains(b, tc.want) {
				t.Errorf("POST %s %s (%s) = %s %s, want %s with %s", NoticesPath, tc.body, tc.lang, got, b, tc.status, tc.want)
			}
		}
		if got, _ := cn.Received("court"); len(got) != 0 || told.Load() != 0 {
			t.Errorf("C stored %+v from bodies that are not notices", got)
		}
	})

	t.Run("delivered through the outbox, idempotent, revocation sticks", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go an.Run(ctx)
		enq := func(nt Notice) {
			if err := an.cfg.DB.Update(func(tx *bolt.Tx) error { return an.Enqueue(tx, c.id, nt) }); err != nil {
				t.Fatal(err)
			}
		}
		enq(nt)
		enq(nt) // redelivery
		waitFor(t, func() bool { n, _ := an.Outbox(); return n == 0 })
		if m, ok := cn.HomeOf("court", "item1"); !ok || m != a.id {
			t.Fatalf("HomeOf(court, item1) = %q %v, want A", m, ok)
		}
		if got, _ := cn.Received("court"); len(got) != 1 || got[0].Member != a.id {
			t.Errorf("Received(court) = %+v, want the one share from A", got)
		}
		if n := told.Load(); n != 1 {
			t.Errorf("OnShared called %d times for one share delivered twice, want 1", n)
		}
		rev := nt
		now := time.Now().UTC()
		rev.RevokedAt = &now
		enq(rev)
		enq(nt) // a stale copy of the share arrives after its revocation
		waitFor(t, func() bool { n, _ := an.Outbox(); return n == 0 })
		if _, ok := cn.HomeOf("court", "item1"); ok {
			t.Error("the revoked share is still active at C")
		}
	})
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); !ok(); {
		if time.Now().After(end) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A member that rotated its validator key runs a node under a new member
// ID (Config.Current maps the old one to it): its notices from the new
// node act on the shares its old node noticed, relays to it go to the new
// node at the URL configured under its old ID, and the shares it made
// before read as its own.
func TestRotatedMember(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "A rotated", "C")
	a, a2, c := ms[0], ms[1], ms[2]
	current := func(id string) string {
		if id == a.id {
			return a2.id
		}
		return id
	}
	home := map[string]string{"firm": a.id, "court": c.id} // as recorded before the rotation
	cn, cURL := serveNode(t, c, nil, home, map[string]bool{"court": true}, whoami(), func(cfg *Config) { cfg.Current = current })
	an, _ := serveNode(t, a, map[string]string{c.id: cURL}, home, nil, whoami())
	a2n, a2URL := serveNode(t, a2, map[string]string{c.id: cURL}, home, nil, whoami())
	nt := Notice{V: 1, Share: "sh1", Kind: "evidence", Target: "item1", Grantor: "firm", GrantorName: "Firm", Grantee: "court", CreatedAt: time.Now().UTC()}
	if err := an.send(context.Background(), c.id, &nt); err != nil {
		t.Fatalf("the old node's notice: %v", err)
	}
	nt2 := nt
	nt2.Share, nt2.Target = "sh2", "item2"
	if err := a2n.send(context.Background(), c.id, &nt2); err != nil {
		t.Fatalf("a notice from the rotated node: %v, want accepted", err)
	}
	for _, item := range []string{"item1", "item2"} {
		if m, ok := cn.HomeOf("court", item); !ok || m != a2.id {
			t.Errorf("HomeOf(court, %s) = %.8s %v, want the rotated node %.8s", item, m, ok, a2.id)
		}
	}
	if got, _ := cn.Received("court"); len(got) != 2 || got[0].Member != a2.id || got[1].Member != a2.id {
		t.Errorf("Received(court) = %+v, want both shares from %.8s", got, a2.id)
	}
	rev := nt
	now := time.Now().UTC()
	rev.RevokedAt = &now
	if err := a2n.send(context.Background(), c.id, &rev); err != nil {
		t.Fatalf("the rotated node revokes a share its old node noticed: %v, want accepted", err)
	}
	if _, ok := cn.HomeOf("court", "item1"); ok {
		t.Error("the share revoked from the rotated node is still active")
	}

	// C's configuration still names A's old ID: the relay reaches the
	// rotated node, which must present its new certificate.
	cr, _ := serveNode(t, c, map[string]string{a.id: a2URL}, home, nil, whoami(), func(cfg *Config) { cfg.Current = current })
	if code, body, err := get(t, cr, a.id, "/peer/v1/whoami"); err != nil || code != http.StatusOK || body != c.id {
		t.Errorf("Do(old ID) = %d %q %v; want 200 from the rotated node", code, body, err)
	}
	plain, _ := serveNode(t, c, map[string]string{a.id: a2URL}, home, nil, whoami())
	if _, _, err := get(t, plain, a.id, "/peer/v1/whoami"); !errors.Is(err, ErrUnreachable) {
		t.Errorf("Do(old ID) without Current = %v, want ErrUnreachable (the node presents another member ID)", err)
	}
}

// A member cannot take over the reads of an item another member shared:
// evidence IDs are random, so a second member naming the same target for
// the same grantee is lying (or is lied about). The grantee's node then
// serves neither: it never relays the reads of a disputed item, whichever
// member noticed it first.
func TestNoticeTargetOfAnotherMember(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "B", "C")
	a, b, c := ms[0], ms[1], ms[2]
	home := map[string]string{"firm": a.id, "bfirm": b.id, "court": c.id}
	cn, cURL := serveNode(t, c, nil, home, map[string]bool{"court": true}, whoami())
	an, _ := serveNode(t, a, map[string]string{c.id: cURL}, home, nil, whoami())
	bn, _ := serveNode(t, b, map[string]string{c.id: cURL}, home, nil, whoami())
	now := time.Now().UTC()
	nt := Notice{V: 1, Share: "sh1", Kind: "evidence", Target: "item1", Grantor: "firm", GrantorName: "Firm", Grantee: "court", CreatedAt: now}
	if err := an.send(context.Background(), c.id, &nt); err != nil {
		t.Fatal(err)
	}
	if m, ok := cn.HomeOf("court", "item1"); !ok || m != a.id {
		t.Fatalf("HomeOf(court, item1) = %.8s %v, want A", m, ok)
	}
	steal := Notice{V: 1, Share: "sh9", Kind: "evidence", Target: "item1", Grantor: "bfirm", GrantorName: "B Firm", Grantee: "court", CreatedAt: now}
	if err := bn.send(context.Background(), c.id, &steal); err != nil {
		t.Fatalf("B's notice of A's item: %v, want acknowledged (and not followed)", err)
	}
	if m, ok := cn.HomeOf("court", "item1"); ok {
		t.Errorf("HomeOf(court, item1) after B claimed it = %.8s, want none (disputed)", m)
	}
	// Neither member's later notices undo the dispute.
	for _, n := range []*Node{an, bn} {
		again := nt
		if n == bn {
			again = steal
		}
		again.Share += "-again"
		if err := n.send(context.Background(), c.id, &again); err != nil {
			t.Fatal(err)
		}
		if m, ok := cn.HomeOf("court", "item1"); ok {
			t.Errorf("HomeOf(court, item1) after a new notice = %.8s, want none (disputed)", m)
		}
	}

	// B noticed first: A's notice disputes it too, and is acknowledged,
	// so A's outbox to C does not stall behind it.
	steal2 := steal
	steal2.Share, steal2.Target = "sh10", "item2"
	if err := bn.send(context.Background(), c.id, &steal2); err != nil {
		t.Fatal(err)
	}
	nt2 := nt
	nt2.Share, nt2.Target = "sh2", "item2"
	if err := an.send(context.Background(), c.id, &nt2); err != nil {
		t.Fatalf("A's notice of an item B claimed first: %v, want acknowledged", err)
	}
	if m, ok := cn.HomeOf("court", "item2"); ok {
		t.Errorf("HomeOf(court, item2) = %.8s, want none (disputed)", m)
	}
}

// TestNoticeLocalGrantor: a notice whose grantor is one of the receiving
// node's own organizations is refused, even from the member the
// directory homes it on: an organization a node keeps is homed there.
func TestNoticeLocalGrantor(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "B", "C")
	b, c := ms[0], ms[1]
	home := map[string]string{"cfirm": b.id, "court": c.id} // B registered C's firm's ID first
	cn, cURL := serveNode(t, c, nil, home, map[string]bool{"court": true, "cfirm": true}, whoami())
	bn, _ := serveNode(t, b, map[string]string{c.id: cURL}, home, nil, whoami())
	nt := Notice{V: 1, Share: "sh1", Kind: "evidence", Target: "item1", Grantor: "cfirm", GrantorName: "C Firm", Grantee: "court", CreatedAt: time.Now().UTC()}
	if err := bn.send(context.Background(), c.id, &nt); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("B sends a notice for C's own firm: %v, want 403", err)
	}
	if _, ok := cn.HomeOf("court", "item1"); ok {
		t.Error("C took B's notice for C's own firm")
	}
}

// TestNoRedirect: a member's node that answers with a redirect does not
// send this node anywhere else: the answer is returned as it is, and the
// place it names (here a plain-HTTP server, which no certificate check
// would guard) is never asked.
func TestNoRedirect(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "C")
	a, c := ms[0], ms[1]
	var hit atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit.Add(1) }))
	t.Cleanup(plain.Close)
	_, aURL := serveNode(t, a, nil, nil, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/internal", http.StatusFound)
	}))
	cn, _ := serveNode(t, c, map[string]string{a.id: aURL}, nil, nil, whoami())
	code, _, err := get(t, cn, a.id, "/peer/v1/evidence/x")
	if err != nil || code != http.StatusFound || hit.Load() != 0 {
		t.Errorf("a redirect from A = %d %v, %d requests to where it points; want the 302 itself, none", code, err, hit.Load())
	}
}

// TestFetchDirectoryNoRedirect: a joining node's directory request does
// not follow a redirect either.
func TestFetchDirectoryNoRedirect(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "C")
	a, c := ms[0], ms[1]
	var hit atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit.Add(1) }))
	t.Cleanup(plain.Close)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+DirectoryPath, http.StatusFound)
	}))
	var err error
	if srv.TLS, err = a.tls.Server(); err != nil {
		t.Fatal(err)
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	if _, err := FetchDirectory(context.Background(), c.tls, srv.URL); err == nil || hit.Load() != 0 {
		t.Errorf("FetchDirectory from a node that redirects = %v, %d requests to where it points; want an error, none", err, hit.Load())
	}
}

// TestResponseHeaderLimit: a member's node cannot make this node hold
// megabytes of answer header (net/http's default allows 10 MiB).
func TestResponseHeaderLimit(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "C")
	a, c := ms[0], ms[1]
	_, aURL := serveNode(t, a, nil, nil, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := range 64 {
			w.Header().Set(fmt.Sprintf("X-Big-%d", i), strings.Repeat("x", 16<<10)) // 1 MiB in all
		}
	}))
	cn, _ := serveNode(t, c, map[string]string{a.id: aURL}, nil, nil, whoami())
	if code, _, err := get(t, cn, a.id, "/peer/v1/evidence/x"); err == nil {
		t.Errorf("an answer with 1 MiB of header = %d, want refused", code)
	}
}

// TestNoticeSize: a notice over MaxNoticeBytes is 413 too-large and
// nothing is stored, rather than cut short and refused as malformed; one
// of exactly MaxNoticeBytes is taken.
func TestNoticeSize(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "C")
	a, c := ms[0], ms[1]
	home := map[string]string{"firm": a.id, "court": c.id}
	cn, cURL := serveNode(t, c, nil, home, map[string]bool{"court": true}, whoami())
	an, _ := serveNode(t, a, map[string]string{c.id: cURL}, home, nil, whoami())
	// JSON allows any whitespace between tokens: pad the notice to size.
	body := func(share string, size int) string {
		nt := `"v":1,"share":"` + share + `","kind":"evidence","target":"item-` + share + `","grantor":"firm","grantor_name":"Firm","grantee":"court","created_at":"2026-12-06T08:00:00Z"}`
		return "{" + strings.Repeat(" ", size-1-len(nt)) + nt
	}
	for _, tc := range []struct {
		share  string
		size   int
		status int
		want   string
	}{
		{"big", MaxNoticeBytes + 1, http.StatusRequestEntityTooLarge, `"type":"urn:custos:problem:too-large"`},
		{"huge", 4 * MaxNoticeBytes, http.StatusRequestEntityTooLarge, `"detail":"A share notice is at most 16384 bytes; nothing was stored."`},
		{"fits", MaxNoticeBytes, http.StatusNoContent, ""},
	} {
		b := body(tc.share, tc.size)
		if len(b) != tc.size {
			t.Fatalf("body of %d bytes, want %d", len(b), tc.size)
		}
		status, got := postNotice(t, an, c.id, b, "")
		if status != tc.status || !strings.Contains(got, tc.want) {
			t.Errorf("POST %s (%d bytes) = %d %s, want %d with %s", NoticesPath, tc.size, status, got, tc.status, tc.want)
		}
		if _, ok := cn.HomeOf("court", "item-"+tc.share); ok != (tc.status == http.StatusNoContent) {
			t.Errorf("HomeOf(court, item-%s) = %v after a notice of %d bytes answered %d", tc.share, ok, tc.size, status)
		}
	}
}

// TestNoticeUnknownGrantor: a notice whose grantor the receiving node's
// directory does not list yet (its registration may be in a block the node
// has not applied) is 503 unknown-grantor with Retry-After, which the
// sender's outbox retries (never refused for good), and nothing is stored;
// once the directory lists the grantor on the sender, the same notice is
// taken.
func TestNoticeUnknownGrantor(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "B", "C")
	b, c := ms[0], ms[1]
	home := map[string]string{"court": c.id} // B's new firm is not in C's directory yet
	cn, cURL := serveNode(t, c, nil, home, map[string]bool{"court": true}, whoami())
	bn, _ := serveNode(t, b, map[string]string{c.id: cURL}, home, nil, whoami())
	nt := Notice{V: 1, Share: "sh1", Kind: "evidence", Target: "item1", Grantor: "newfirm", GrantorName: "New Firm", Grantee: "court", CreatedAt: time.Now().UTC()}
	err := bn.send(context.Background(), c.id, &nt)
	var ae *answerError
	if !errors.As(err, &ae) || ae.status != http.StatusServiceUnavailable || ae.typ != problem.Base+"unknown-grantor" || ae.forGood() {
		t.Fatalf("a notice of a grantor C does not list yet: %v, want 503 unknown-grantor, retried", err)
	}
	if _, ok := cn.HomeOf("court", "item1"); ok {
		t.Fatal("C took a notice of a grantor its directory does not list")
	}
	home["newfirm"] = b.id // the block that registers it, applied
	if err := bn.send(context.Background(), c.id, &nt); err != nil {
		t.Fatalf("the notice again once C lists the grantor: %v", err)
	}
	if m, ok := cn.HomeOf("court", "item1"); !ok || m != b.id {
		t.Errorf("HomeOf(court, item1) = %.8s %v, want B", m, ok)
	}
}

// postNotice posts body to member's notices endpoint through n (in lang,
// if not empty) and returns the answer's status and body.
func postNotice(t *testing.T, n *Node, member, body, lang string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", NoticesPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	resp, err := n.Do(context.Background(), member, req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	io.Copy(&b, resp.Body)
	return resp.StatusCode, b.String()
}

// TestNoticeBodyCut: a notice whose body cannot be read whole (the
// connection failed, or the sender went away) is 400 incomplete-upload,
// which the sender's outbox retries (the request failed, not the
// notice), and nothing is stored.
func TestNoticeBodyCut(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "C")
	a, c := ms[0], ms[1]
	home := map[string]string{"firm": a.id, "court": c.id}
	cn, _ := serveNode(t, c, nil, home, map[string]bool{"court": true}, whoami())
	body := io.MultiReader(strings.NewReader(`{"v":1,"share":"sh1","kind":"evidence",`), iotest.ErrReader(io.ErrUnexpectedEOF))
	req := httptest.NewRequest(http.MethodPost, NoticesPath, body)
	req.TLS = memberConn(a)
	Stamp(req.Header, time.Now())
	rec := httptest.NewRecorder()
	cn.Handler(whoami()).ServeHTTP(rec, req)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"type":"urn:custos:problem:incomplete-upload"`) {
		t.Errorf("POST %s, the body cut short = %d %q, want 400 incomplete-upload", NoticesPath, rec.Code, rec.Body)
	}
	if ae := newAnswerError(c.id, rec.Code, rec.Body.Bytes()); ae.forGood() {
		t.Errorf("the sender refuses the notice for good on %d %s, want it sent again", rec.Code, rec.Body)
	}
	if got, _ := cn.Received("court"); len(got) != 0 {
		t.Errorf("C stored %+v from a notice cut short", got)
	}
}

// TestPeerTLSRetiredCA: a member's node moved to a new organization CA
// (consortium reissue: a new node certificate for the same key) is the
// same member to the others at once, without their restart; a node
// certificate under a retired organization CA is refused (Retired), its
// member's and a stranger's, who holds the CA's key, even for the
// directory.
func TestPeerTLSRetiredCA(t *testing.T) {
	root, err := certs.NewRoot("Test Consortium Root CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := newConsortium(t, root, "C")[0]
	members := c.tls.Members
	member := func(org *certs.Authority, key ed25519.PrivateKey) *testMember {
		t.Helper()
		node, err := org.IssueNode("A node", key.Public().(ed25519.PublicKey), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return &testMember{id: anchor.MemberID(node), tls: TLSConfig{Root: root.Cert, Cert: node, Chain: []*x509.Certificate{org.Cert}, Key: key, Members: members}}
	}
	oldOrg, err := root.NewOrgCA(certs.KindCourt, "A", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	a := member(oldOrg, key)
	members[a.id] = true
	retired := map[string]bool{}
	c.tls.Retired = func(org *x509.Certificate) bool { return retired[string(org.Raw)] }
	_, cURL := serveNode(t, c, nil, nil, nil, whoami())
	call := func(m *testMember) (int, string, error) {
		t.Helper()
		n, _ := serveNode(t, m, map[string]string{c.id: cURL}, nil, nil, whoami())
		return get(t, n, c.id, "/peer/v1/x")
	}
	if code, body, err := call(a); err != nil || code != 200 || body != a.id {
		t.Fatalf("A → C = %d %q %v, want 200", code, body, err)
	}

	retired[string(oldOrg.Cert.Raw)] = true
	if code, body, err := call(a); err == nil {
		t.Errorf("A (its CA retired) → C = %d %q, want the handshake refused", code, body)
	}
	_, strangerKey, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := FetchDirectory(context.Background(), member(oldOrg, strangerKey).tls, cURL); err == nil {
		t.Error("FetchDirectory(a node certificate under the retired CA) succeeded, want the handshake refused")
	}

	// A reissued: the same key, a node certificate under a new CA.
	newOrg, err := root.NewOrgCA(certs.KindCourt, "A", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if code, body, err := call(member(newOrg, key)); err != nil || code != 200 || body != a.id {
		t.Errorf("A reissued → C (not restarted) = %d %q %v, want 200 naming A (%s)", code, body, err, a.id)
	}
}
