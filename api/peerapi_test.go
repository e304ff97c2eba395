package api

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/peer"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/evidence"
	prob "github.com/custos-project/custos/internal/problem"
	"github.com/custos-project/custos/storage"
)

// peerTLS is the TLS material of n member nodes under one in-memory root.
func peerTLS(t testing.TB, n int) []peer.TLSConfig {
	t.Helper()
	now := time.Now()
	root, err := certs.NewRoot("Test Root CA", now)
	if err != nil {
		t.Fatal(err)
	}
	members := map[string]bool{}
	var out []peer.TLSConfig
	for i := range n {
		org, err := root.NewOrgCA(certs.KindCourt, "Member "+string(rune('A'+i)), now)
		if err != nil {
			t.Fatal(err)
		}
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		node, err := org.IssueNode("node", pub, now)
		if err != nil {
			t.Fatal(err)
		}
		members[anchor.MemberID(node)] = true
		out = append(out, peer.TLSConfig{Root: root.Cert, Cert: node, Chain: []*x509.Certificate{org.Cert}, Key: priv, Members: members})
	}
	return out
}

// peerNode is a member node's peer end (its own database), reaching the
// members in urls.
func peerNode(t *testing.T, tc peer.TLSConfig, urls map[string]string) *peer.Node {
	t.Helper()
	db, err := storage.OpenDB(filepath.Join(t.TempDir(), "peer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	n, err := peer.New(peer.Config{TLS: tc, URLs: urls, DB: db,
		Home: func(string) (string, bool) { return "", false }, Local: func(string) bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// servePeers serves w's peer API with tc's node and returns its URL.
func servePeers(t *testing.T, w *uploadWorld, tc peer.TLSConfig) string {
	t.Helper()
	n := peerNode(t, tc, nil)
	srv := httptest.NewUnstartedServer(observePeer(n.Handler(w.s.PeerHandler())))
	srv.TLS = n.ServerTLS()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

// peerGet reads path from member's node through from, for a key of org.
func peerGet(t *testing.T, from *peer.Node, member, path, org string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", path, nil)
	req.Header.Set(peer.HeaderOrg, org)
	req.Header.Set(peer.HeaderActor, org+":keykeykeykeykeykeykeykey22")
	resp, err := from.Do(context.Background(), member, req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestPeerReads: the home node serves a peer's read of a shared item only
// for an organization the directory homes on that peer, records it naming
// the key and the node, and stops at once when the share is revoked.
func TestPeerReads(t *testing.T) {
	w := newUploadWorld(t)
	ms := peerTLS(t, 3) // A (home), B, C (the court's node)
	aID, cID := anchor.MemberID(ms[0].Cert), anchor.MemberID(ms[2].Cert)
	urls := map[string]string{aID: servePeers(t, w, ms[0])}
	b, c := peerNode(t, ms[1], urls), peerNode(t, ms[2], urls)
	const court = "courtcourtcourtcourtcourt2"
	w.s.directory = &fakeDirectory{entries: map[string]anchor.DirEntry{court: {ID: court, Kind: "court", Name: "Court", Member: cID}}}

	data := []byte("exhibit shared across members")
	rec := w.upload(t, bytes.NewReader(data), "application/octet-stream")
	if rec.Code != 201 {
		t.Fatalf("upload = %d %s", rec.Code, rec.Body)
	}
	id := strings.TrimPrefix(rec.Header().Get("Location"), "/api/v1/evidence/")
	get := func(from *peer.Node, path, org string) (int, string) {
		t.Helper()
		return peerGet(t, from, aID, path, org)
	}
	if code, body := get(c, "/peer/v1/evidence/"+id, court); code != 404 {
		t.Errorf("before any share: %d %s, want 404", code, body)
	}
	sh, _, err := w.shares.ShareTarget(context.Background(), w.org, w.actor, evidence.ShareEvidence, id, court, nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(b, "/peer/v1/evidence/"+id, court); code != 403 || !strings.Contains(body, "not-home-member") {
		t.Errorf("B reads for C's court: %d %s, want 403 not-home-member", code, body)
	}
	if code, body := get(c, "/peer/v1/evidence/"+id+"/content", court); code != 200 || body != string(data) {
		t.Errorf("C downloads for its court: %d %q", code, body)
	}
	evs, _, err := w.ev.CustodyPending(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1]; last.Type != "downloaded" || last.Actor != court+":keykeykeykeykeykeykeykey22@"+cID {
		t.Errorf("last custody event = %s by %s, want downloaded by the court's key @ C", last.Type, last.Actor)
	}
	if _, err := w.shares.RevokeShare(context.Background(), w.org, w.actor, sh.ID); err != nil {
		t.Fatal(err)
	}
	if code, body := get(c, "/peer/v1/evidence/"+id, court); code != 404 {
		t.Errorf("after the revocation: %d %s, want 404", code, body)
	}
	// Once C is removed from the consortium, its requests are refused.
	w.s.leaving = &fakeLeaving{former: map[string]anchor.Member{cID: {ID: cID, Removed: 9}}}
	if code, body := get(c, "/peer/v1/evidence/"+id, court); code != 403 || !strings.Contains(body, "former-member") {
		t.Errorf("C after its removal: %d %s, want 403 former-member", code, body)
	}
}

// TestStreamCheck: a relayed download passes on only bytes of the right
// size and digest; otherwise the chunk that would complete it is withheld.
func TestStreamCheck(t *testing.T) {
	data := bytes.Repeat([]byte("custos "), 10000)
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	for _, tc := range []struct {
		name string
		got  []byte
		size int64
		ok   bool
	}{
		{"the item", data, int64(len(data)), true},
		{"one byte changed", append(append([]byte{}, data[:len(data)-1]...), 'X'), int64(len(data)), false},
		{"short", data[:len(data)-1], int64(len(data)), false},
		{"long", append(append([]byte{}, data...), 'X'), int64(len(data)), false},
	} {
		for _, buf := range []int{1000, 4096, 256 << 10} { // relayCopy's buffer, smaller and larger than the item
			t.Run(fmt.Sprintf("%s/%d", tc.name, buf), func(t *testing.T) {
				var out bytes.Buffer
				err := relayCopy(&out, &streamCheck{r: iotest.OneByteReader(bytes.NewReader(tc.got)), h: sha256.New(), want: want, size: tc.size}, make([]byte, buf))
				if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, errRelayMismatch)) {
					t.Fatalf("copy: err = %v, want ok %v", err, tc.ok)
				}
				// Never a complete copy of other bytes, nor more than the
				// item's size (a stream one byte too long may pass on the
				// item's own bytes before the extra one stops it).
				if !tc.ok && (int64(out.Len()) > tc.size || int64(out.Len()) == tc.size && !bytes.Equal(out.Bytes(), data)) {
					t.Errorf("passed on %d bytes of a %d-byte item that does not match", out.Len(), tc.size)
				}
				if tc.ok && !bytes.Equal(out.Bytes(), data) {
					t.Errorf("passed on %d bytes, not the item's %d", out.Len(), len(data))
				}
			})
		}
	}
}

// fakePeers relays every request to do, as if every ID were shared from
// member "m".
type fakePeers struct {
	do func(req *http.Request) (*http.Response, error)
}

func (f fakePeers) Self() string                                 { return "self" }
func (f fakePeers) Received(string) ([]peer.Inbound, error)      { return nil, nil }
func (f fakePeers) HomeOf(org, target string) (string, bool)     { return "m", true }
func (f fakePeers) Disputed(org, target string) bool             { return false }
func (f fakePeers) ItemHome(org, item string) (string, bool)     { return "", false }
func (f fakePeers) ClaimItems(string, map[string][]string) error { return nil }
func (f fakePeers) Do(_ context.Context, _ string, req *http.Request) (*http.Response, error) {
	return f.do(req)
}

// TestRelay: the grantee's node answers 503 with Retry-After when the home
// node is down, 502 when it sends content without its digest, and cuts a
// relayed download whose bytes are not the item's.
func TestRelay(t *testing.T) {
	w := newUploadWorld(t)
	const id = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	data := []byte("relayed exhibit")
	sum := sha256.Sum256(data)
	answer := func(body []byte, etag string) func(*http.Request) (*http.Response, error) {
		return func(req *http.Request) (*http.Response, error) {
			if req.Header.Get(peer.HeaderOrg) != w.org || req.Header.Get(peer.HeaderActor) != w.actor || req.URL.Path != "/peer/v1/evidence/"+id+"/content" {
				t.Errorf("relayed request %s with %v", req.URL, req.Header)
			}
			h := http.Header{}
			if etag != "" {
				h.Set("ETag", etag)
			}
			return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(data))}, nil
		}
	}
	get := func() (rec *httptest.ResponseRecorder, aborted bool) {
		defer func() {
			if r := recover(); r != nil {
				if r != http.ErrAbortHandler {
					panic(r)
				}
				aborted = true
			}
		}()
		req := httptest.NewRequest("GET", "/api/v1/evidence/"+id+"/content", nil)
		req.Header.Set("Authorization", "Bearer "+w.token)
		rec = httptest.NewRecorder()
		w.s.ServeHTTP(rec, req)
		return rec, false
	}
	etag := `"sha256:` + hex.EncodeToString(sum[:]) + `"`

	w.s.peers = fakePeers{do: answer(data, etag)}
	if rec, aborted := get(); aborted || rec.Code != 200 || rec.Body.String() != string(data) || rec.Header().Get(HeaderHomeMember) != "m" {
		t.Errorf("relayed download = %d %q (aborted %v)", rec.Code, rec.Body, aborted)
	}
	w.s.peers = fakePeers{do: answer([]byte("relayed exhibiT"), etag)}
	if rec, aborted := get(); !aborted || rec.Body.Len() >= len(data) {
		t.Errorf("a download of other bytes: aborted %v, %d of %d bytes passed on", aborted, rec.Body.Len(), len(data))
	}
	w.s.peers = fakePeers{do: answer(data, "")}
	if rec, _ := get(); rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "bad-relay") {
		t.Errorf("content without its digest = %d %s, want 502 bad-relay", rec.Code, rec.Body)
	}
	w.s.peers = fakePeers{do: func(*http.Request) (*http.Response, error) { return nil, peer.ErrUnreachable }}
	if rec, _ := get(); rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "home-unreachable") {
		t.Errorf("home node down = %d (Retry-After %q) %s, want 503 home-unreachable", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
}

// TestRelayLanguage checks that a relay asks the home node in the
// client's language and passes its Content-Language on.
func TestRelayLanguage(t *testing.T) {
	w := newUploadWorld(t)
	const id = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	w.s.peers = fakePeers{do: func(req *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		writeProblem(rec, req, errForbidden("role-forbidden", "role", "viewer", "permission", "file", "roles", "admin, submitter"))
		return rec.Result(), nil
	}}
	req := httptest.NewRequest("GET", "/api/v1/evidence/"+id+"/custody", nil)
	req.Header.Set("Authorization", "Bearer "+w.token)
	req.Header.Set("Accept-Language", "zh-CN,en;q=0.5")
	rec := httptest.NewRecorder()
	w.s.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || rec.Header().Get("Content-Language") != "zh-CN" || !strings.Contains(rec.Body.String(), "无权操作") {
		t.Errorf("relayed problem = %d %v %s, want it in Chinese", rec.Code, rec.Header(), rec.Body)
	}
}

// TestRelayRefusedRequest: the home node's refusals of this node's
// request itself (a clock off, a request ID seen before, this node not
// counted as a member there) are nothing the client can act on: the relay
// answers them 502 bad-relay, naming the home node's reason, in the
// client's language, instead of passing a 400, 409 or 403 on as if the
// client's request were at fault. A refusal of the client's own read (403
// role-forbidden, TestRelayLanguage) still passes.
func TestRelayRefusedRequest(t *testing.T) {
	w := newUploadWorld(t)
	const id = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	for _, c := range []struct {
		status int
		slug   string
	}{
		{http.StatusBadRequest, "stale-request"},
		{http.StatusConflict, "replayed-request"},
		{http.StatusForbidden, "not-a-member"},
		{http.StatusBadRequest, "bad-peer-request"}, // the organization and actor headers this node sent
	} {
		w.s.peers = fakePeers{do: func(req *http.Request) (*http.Response, error) {
			rec := httptest.NewRecorder()
			prob.Localized(rec, req, c.status, c.slug, prob.M("title."+c.slug), prob.M("not-a-member"))
			return rec.Result(), nil
		}}
		for _, lang := range []string{"en", "zh-CN"} {
			req := httptest.NewRequest("GET", "/api/v1/evidence/"+id+"/custody", nil)
			req.Header.Set("Authorization", "Bearer "+w.token)
			req.Header.Set("Accept-Language", lang)
			rec := httptest.NewRecorder()
			w.s.ServeHTTP(rec, req)
			var p struct{ Type, Detail, Reason string }
			_ = json.Unmarshal(rec.Body.Bytes(), &p)
			if rec.Code != http.StatusBadGateway || p.Type != prob.Base+"bad-relay" || !strings.Contains(p.Reason, c.slug) ||
				!strings.HasPrefix(rec.Header().Get("Content-Language"), lang[:2]) {
				t.Errorf("home node answers %d %s, client in %s: %d %v %s; want 502 bad-relay with reason %s in the client's language",
					c.status, c.slug, lang, rec.Code, rec.Header(), rec.Body, c.slug)
			}
		}
	}
}

// TestRelayListRefused: a listing of a matter shared from another member
// is relayed to it, and its refusal of the read (403 former-member: this
// node's member was removed from the consortium; 403 not-home-member)
// passed on, as for an item's reads: a status GET /api/v1/evidence
// declares.
func TestRelayListRefused(t *testing.T) {
	w := newUploadWorld(t)
	const matter = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	for _, slug := range []string{"former-member", "not-home-member"} {
		w.s.peers = fakePeers{do: func(req *http.Request) (*http.Response, error) {
			if req.URL.Path != "/peer/v1/evidence" || req.URL.Query().Get("matter") != matter {
				t.Errorf("relayed %s, want the matter's listing", req.URL)
			}
			rec := httptest.NewRecorder()
			prob.Localized(rec, req, http.StatusForbidden, slug, prob.M("title."+slug), prob.M("not-home-org"))
			return rec.Result(), nil
		}}
		rec := leavingGet(t, w, "/api/v1/evidence?matter="+matter, "")
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), prob.Base+slug) {
			t.Errorf("GET /api/v1/evidence?matter= of a matter whose home answers 403 %s = %d %s, want it passed on", slug, rec.Code, rec.Body)
		}
	}
	checkAnswers(t)
}

// disputedPeers knows id as disputed (two members noticed it for the
// caller's organization).
type disputedPeers struct {
	fakePeers
	id string
}

func (f disputedPeers) HomeOf(org, target string) (string, bool) { return "", false }
func (f disputedPeers) Disputed(org, target string) bool         { return target == f.id }

// TestRelayDisputed: the reads of an item two members claimed are relayed
// to no member, not even as an item of a matter one of them shared: the
// claimant would otherwise answer them with bytes of its choice.
func TestRelayDisputed(t *testing.T) {
	w := newUploadWorld(t)
	const id = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	asked := false
	w.s.peers = disputedPeers{id: id, fakePeers: fakePeers{do: func(req *http.Request) (*http.Response, error) {
		asked = true
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}"))}, nil
	}}}
	req := httptest.NewRequest("GET", "/api/v1/evidence/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+w.token)
	rec := httptest.NewRecorder()
	w.s.ServeHTTP(rec, req)
	if asked || rec.Code != http.StatusNotFound {
		t.Errorf("GET a disputed item = %d (relayed: %v), want 404, not relayed", rec.Code, asked)
	}
}

// receivedPeers knows the shares in ins, made with the caller's
// organization on other members' nodes.
type receivedPeers struct {
	fakePeers
	ins []peer.Inbound
}

func (f receivedPeers) Received(string) ([]peer.Inbound, error) { return f.ins, nil }

// TestReceivedGrantorName: a share another member made is listed under
// its grantor's name in the consortium's directory, not the name its
// notice states: the member that sends the notice chooses that, and
// could name a court.
func TestReceivedGrantorName(t *testing.T) {
	w := newUploadWorld(t)
	const firm = "ffffffffffffffffffffffffff"
	w.s.directory = &fakeDirectory{entries: map[string]anchor.DirEntry{
		firm: {ID: firm, Kind: "law_firm", Name: "Firm of A", Member: "a"},
	}}
	w.s.peers = receivedPeers{ins: []peer.Inbound{{Member: "a", Notice: peer.Notice{V: 1, Share: "sh1", Kind: "evidence",
		Target: "aaaaaaaaaaaaaaaaaaaaaaaaaa", Grantor: firm, GrantorName: "杭州互联网法院", Grantee: w.org, CreatedAt: time.Now().UTC()}}}}
	rec := leavingGet(t, w, "/api/v1/shares?direction=received", "")
	var list wire.ListView[ShareView]
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &list) != nil || len(list.Items) != 1 {
		t.Fatalf("GET received shares = %d %s", rec.Code, rec.Body)
	}
	if got := list.Items[0].OwnerName; got != "Firm of A" {
		t.Errorf("received share's owner_name = %q, want the directory's %q", got, "Firm of A")
	}
}

// TestPeerLocalOrg: a member cannot act on the peer API for one of the
// home node's own organizations, even where the directory homes it on
// that member: an organization this node keeps is homed here. Not every
// one is in the directory under this member (the operator organization,
// one left out for a name another holds), and the directory's home of an
// ID is whichever member registered it first.
func TestPeerLocalOrg(t *testing.T) {
	w := newUploadWorld(t)
	ms := peerTLS(t, 3)
	aID, cID := anchor.MemberID(ms[0].Cert), anchor.MemberID(ms[2].Cert)
	urls := map[string]string{aID: servePeers(t, w, ms[0])}
	c := peerNode(t, ms[2], urls)
	// C registered A's organization's ID in the directory first.
	w.s.directory = &fakeDirectory{entries: map[string]anchor.DirEntry{w.org: {ID: w.org, Kind: "law_firm", Name: "Squatted", Member: cID}}}
	rec := w.upload(t, bytes.NewReader([]byte("the firm's own exhibit")), "application/octet-stream")
	if rec.Code != 201 {
		t.Fatalf("upload = %d %s", rec.Code, rec.Body)
	}
	id := strings.TrimPrefix(rec.Header().Get("Location"), "/api/v1/evidence/")
	for _, path := range []string{"/peer/v1/evidence/" + id + "/content", "/peer/v1/evidence"} {
		if code, body := peerGet(t, c, aID, path, w.org); code != http.StatusForbidden || !strings.Contains(body, "not-home-member") {
			t.Errorf("C reads %s for A's own organization: %d %.200s, want 403 not-home-member", path, code, body)
		}
	}
}

// TestRelayLocalFirst: an item or matter this node holds is served here,
// whatever a notice says: a member that sent a notice naming a local ID
// for one of this node's organizations would otherwise receive its reads
// of its own evidence, and answer them as it liked.
func TestRelayLocalFirst(t *testing.T) {
	w := newUploadWorld(t)
	relayed := 0
	w.s.peers = fakePeers{do: func(req *http.Request) (*http.Response, error) { // every ID "shared from m"
		relayed++
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}"))}, nil
	}}
	rec := w.upload(t, bytes.NewReader([]byte("our own exhibit")), "application/octet-stream")
	id := strings.TrimPrefix(rec.Header().Get("Location"), "/api/v1/evidence/")
	rec = w.post(t, "/api/v1/matters", strings.NewReader(`{"title":"Our matter"}`), "application/json")
	var m struct{ ID string }
	if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &m) != nil {
		t.Fatalf("create matter = %d %s", rec.Code, rec.Body)
	}
	for _, path := range []string{"/api/v1/evidence/" + id, "/api/v1/evidence/" + id + "/content", "/api/v1/matters/" + m.ID, "/api/v1/evidence?matter=" + m.ID} {
		relayed = 0
		if rec := leavingGet(t, w, path, ""); rec.Code != 200 || relayed != 0 {
			t.Errorf("GET %s = %d (%d relays), want 200 from this node", path, rec.Code, relayed)
		}
	}
}

// TestStreamCheckEmpty: an empty download is checked too: its ETag must be
// the SHA-256 of nothing.
func TestStreamCheckEmpty(t *testing.T) {
	empty, other := sha256.Sum256(nil), sha256.Sum256([]byte("x"))
	for _, tc := range []struct {
		want string
		ok   bool
	}{{hex.EncodeToString(empty[:]), true}, {hex.EncodeToString(other[:]), false}} {
		err := relayCopy(io.Discard, &streamCheck{r: bytes.NewReader(nil), h: sha256.New(), want: tc.want, size: 0}, make([]byte, 1024))
		if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, errRelayMismatch)) {
			t.Errorf("relayCopy(empty, want %.8s) = %v, want ok %v", tc.want, err, tc.ok)
		}
	}
}

// TestRelayRedirect: a home node's redirect is not passed on to the
// client (which would follow it with its own credentials): 502.
func TestRelayRedirect(t *testing.T) {
	w := newUploadWorld(t)
	w.s.peers = fakePeers{do: func(req *http.Request) (*http.Response, error) {
		h := http.Header{}
		h.Set("Location", "http://169.254.169.254/latest")
		return &http.Response{StatusCode: http.StatusFound, Header: h, Body: io.NopCloser(strings.NewReader(""))}, nil
	}}
	rec := leavingGet(t, w, "/api/v1/evidence/aaaaaaaaaaaaaaaaaaaaaaaaaa", "")
	if rec.Code != http.StatusBadGateway || rec.Header().Get("Location") != "" || !strings.Contains(rec.Body.String(), "bad-relay") {
		t.Errorf("a redirect from the home node = %d (Location %q) %s, want 502 bad-relay", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
}
