package api

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/peer"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/receipt"
)

// The peer API's contract is api/peer/openapi.json (api/peer checks it is
// valid, its admission and its own routes). These tests hold this
// package's part to it: the read routes PeerHandler serves, and the
// statuses they answer (statuses_test.go records them).

// TestPeerContractRoutes: the routes PeerHandler registers, with the five
// peer.Node serves itself (api/peer's TestContractRoutes), are the
// contract's operations, in both directions.
func TestPeerContractRoutes(t *testing.T) {
	s := newRouteTestServer(t)
	e, ok := s.PeerHandler().(*echo.Echo)
	if !ok {
		t.Fatalf("PeerHandler() is a %T, want the *echo.Echo whose routes this test lists", s.PeerHandler())
	}
	param := regexp.MustCompile(`:([A-Za-z0-9_]+)`)
	served := []string{http.MethodPost + " " + peer.NoticesPath, http.MethodGet + " " + peer.DirectoryPath, http.MethodGet + " " + peer.SoftwarePath,
		http.MethodGet + " " + peer.SharesPath, http.MethodPost + " " + peer.RevokedPath}
	for _, r := range e.Routes() {
		if r.Method != echo.RouteNotFound {
			served = append(served, r.Method+" "+param.ReplaceAllString(r.Path, "{$1}"))
		}
	}
	var declared []string
	for op := range peerDeclaredStatuses() {
		declared = append(declared, op)
	}
	slices.Sort(served)
	slices.Sort(declared)
	if !slices.Equal(served, declared) {
		t.Errorf("the peer routes served:\n\t%s\napi/peer/openapi.json's operations:\n\t%s", strings.Join(served, "\n\t"), strings.Join(declared, "\n\t"))
	}
}

// TestPeerContractProblemTypes: every problem type the contract names is
// one the code answers with, here or in api/peer.
func TestPeerContractProblemTypes(t *testing.T) {
	b, err := os.ReadFile("peer/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]bool{}
	for _, s := range append(problemSlugs(t), peerSlugs(t)...) {
		sent[s] = true
	}
	for _, m := range regexp.MustCompile(`urn:custos:problem:([a-z0-9-]*[a-z0-9])`).FindAllStringSubmatch(string(b), -1) {
		if !sent[m[1]] {
			t.Errorf("api/peer/openapi.json names problem type %s, which no code answers with", m[1])
		}
	}
}

// peerWorld is a home node A whose firm shared an item and a matter with a
// court homed on member B, and A's peer handler as B's node reaches it.
type peerWorld struct {
	w          *uploadWorld
	h          http.Handler
	b, outside *x509.Certificate // B's node certificate; one under the root, not a member's
	item       string
	matter     string
}

const peerCourt = "courtcourtcourtcourtcourt2"

// newPeerWorld makes the world; edit, if given, may first replace A's
// server.
func newPeerWorld(t *testing.T, edit ...func(*uploadWorld)) *peerWorld {
	t.Helper()
	w := newUploadWorld(t)
	for _, e := range edit {
		e(w)
	}
	ms := peerTLS(t, 3) // A (this node), B (the caller), C (under the root, not a member of A's consortium)
	bID := anchor.MemberID(ms[1].Cert)
	w.s.directory = &fakeDirectory{entries: map[string]anchor.DirEntry{peerCourt: {ID: peerCourt, Kind: "court", Name: "Court", Member: bID}}}
	ms[0].Members = map[string]bool{anchor.MemberID(ms[0].Cert): true, bID: true}
	a, err := peer.New(peer.Config{TLS: ms[0], DB: w.db, Home: func(org string) (string, bool) { return bID, org == peerCourt },
		Local: func(org string) bool { return org == w.org }, NoticeRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	up := w.upload(t, strings.NewReader("exhibit shared across members"), "text/plain")
	if up.Code != http.StatusCreated {
		t.Fatalf("upload = %d %s", up.Code, up.Body)
	}
	pw := &peerWorld{w: w, h: observePeer(a.Handler(w.s.PeerHandler())), b: ms[1].Cert, outside: ms[2].Cert,
		item: strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")}
	rec := w.post(t, "/api/v1/matters", strings.NewReader(`{"title":"Shared matter"}`), "application/json")
	var m struct{ ID string }
	if rec.Code != http.StatusCreated || json.Unmarshal(rec.Body.Bytes(), &m) != nil {
		t.Fatalf("create matter = %d %s", rec.Code, rec.Body)
	}
	pw.matter = m.ID
	for kind, target := range map[string]string{evidence.ShareEvidence: pw.item, evidence.ShareMatter: pw.matter} {
		if _, _, err := w.shares.ShareTarget(context.Background(), w.org, w.actor, kind, target, peerCourt, nil); err != nil {
			t.Fatal(err)
		}
	}
	return pw
}

// do sends a request from the node with certificate from (nil: none),
// stamped afresh and for the court, with the headers in hdr set over
// those.
func (pw *peerWorld) do(from *x509.Certificate, method, target string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	req.TLS = &tls.ConnectionState{}
	if from != nil {
		req.TLS.PeerCertificates = []*x509.Certificate{from}
	}
	var rid [16]byte
	rand.Read(rid[:])
	req.Header.Set(peer.HeaderRequestID, hex.EncodeToString(rid[:]))
	req.Header.Set(peer.HeaderRequestTime, time.Now().UTC().Format(time.RFC3339Nano))
	req.Header.Set(peer.HeaderOrg, peerCourt)
	req.Header.Set(peer.HeaderActor, peerCourt+":keykeykeykeykeykeykeykey22")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	pw.h.ServeHTTP(rec, req)
	return rec
}

// target is the path of a read operation of the contract, for pw's item
// or matter.
func (pw *peerWorld) target(op string) (method, target string) {
	method, path, _ := strings.Cut(op, " ")
	id := pw.item
	if strings.HasPrefix(path, "/peer/v1/matters/") {
		id = pw.matter
	}
	return method, strings.ReplaceAll(path, "{id}", id)
}

// peerReads are the contract's read operations (all but the notices and
// the directory), sorted.
func peerReads() []string {
	var out []string
	for op := range peerDeclaredStatuses() {
		if !strings.HasSuffix(op, peer.NoticesPath) && !strings.HasSuffix(op, peer.DirectoryPath) && !strings.HasSuffix(op, peer.SoftwarePath) &&
			!strings.HasSuffix(op, peer.SharesPath) && !strings.HasSuffix(op, peer.RevokedPath) {
			out = append(out, op)
		}
	}
	slices.Sort(out)
	return out
}

// TestPeerReadAnswers: each read answers the court's node 200 for what
// was shared with the court; one that declares 429 answers it, read-quota
// with Retry-After, once the court has spent its quota of shared reads,
// and one that does not declare it is not bounded by that quota.
func TestPeerReadAnswers(t *testing.T) {
	pw := newPeerWorld(t)
	for _, op := range peerReads() {
		method, target := pw.target(op)
		want := http.StatusOK
		if strings.HasSuffix(op, "/receipt") || strings.HasSuffix(op, "/evidence-record") {
			want = 0 // not anchored here: 202, 404 evidence-record-pending (TestPeerRouteSweep sees those)
		}
		if rec := pw.do(pw.b, method, target); want != 0 && rec.Code != want {
			t.Errorf("%s %s = %d %.300s, want %d", method, target, rec.Code, rec.Body, want)
		}
	}
	var err error
	if pw.w.s.limits.sharedRead, err = newLimiter("shared read", 1e-3, 1, 0); err != nil {
		t.Fatal(err)
	}
	pw.do(pw.b, http.MethodGet, "/peer/v1/evidence/"+pw.item) // spends the court's one read
	for _, op := range peerReads() {
		method, target := pw.target(op)
		rec := pw.do(pw.b, method, target)
		declares := peerDeclaredStatuses()[op]["429"]
		if got := rec.Code == http.StatusTooManyRequests; got != declares {
			t.Errorf("%s %s with the court's quota spent = %d %.300s; api/peer/openapi.json declares 429: %v", method, target, rec.Code, rec.Body, declares)
		}
		if declares && (rec.Header().Get("Retry-After") == "" || method == http.MethodGet && !strings.Contains(rec.Body.String(), ProblemBase+"read-quota\"")) {
			t.Errorf("%s %s with the court's quota spent: Retry-After %q, %.300s; want read-quota with Retry-After", method, target, rec.Header().Get("Retry-After"), rec.Body)
		}
	}
	checkAnswers(t)
}

// TestPeerReadOnFullDisk: each read of the shared item answers 507
// insufficient-storage with Retry-After while the home node cannot commit
// its custody event, and 200 once it can (the item anchored, with an
// evidence record: its receipt and evidence record too).
func TestPeerReadOnFullDisk(t *testing.T) {
	good, err := os.ReadFile("../receipt/testdata/good.json")
	if err != nil {
		t.Fatal(err)
	}
	anchored, err := receipt.Parse(good)
	if err != nil {
		t.Fatal(err)
	}
	var full bool
	var tried int
	pw := newPeerWorld(t, func(w *uploadWorld) {
		ev := fullCustody{servedEvidence{proved: withProver(t, w.ev), r: anchored, der: []byte{0x30, 0}}, &full, &tried}
		if w.s, err = New(withEvidence(ev, Config{Access: w.orgs, TSA: w.tsa, DB: w.db, Copyrights: w.crs, Transfers: w.crs})); err != nil {
			t.Fatal(err)
		}
	})
	for _, op := range peerReads() {
		if !strings.Contains(op, "/peer/v1/evidence/") {
			continue // the listing and the matter record no read through AccessAs
		}
		method, target := pw.target(op)
		full = true
		if rec := pw.do(pw.b, method, target); rec.Code != http.StatusInsufficientStorage || rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s %s on a full disk = %d Retry-After %q %.300s, want 507 with Retry-After", method, target, rec.Code, rec.Header().Get("Retry-After"), rec.Body)
		}
		full = false
		if rec := pw.do(pw.b, method, target); rec.Code != http.StatusOK {
			t.Errorf("%s %s = %d %.300s, want 200", method, target, rec.Code, rec.Body)
		}
	}
	checkAnswers(t)
}

// TestRelayPassesDeclared: what a relay passes on of the home node's
// answer to a read is declared by the public operation it relays: each
// status the peer contract declares for the read, with its problem types,
// is one the public operation declares, unless every type of it is one the
// relay answers 502 bad-relay instead (peer.RefusesRequest: a refusal of
// the request between the two nodes).
func TestRelayPassesDeclared(t *testing.T) {
	named := regexp.MustCompile("`(urn:custos:problem:[a-z0-9-]+)`")
	public := declaredStatuses()
	for _, op := range peerReads() {
		method, path, _ := strings.Cut(op, " ")
		relayed := method + " /api/v1" + strings.TrimPrefix(path, "/peer/v1")
		if public[relayed] == nil {
			t.Errorf("%s relays %s, which api/openapi.json does not have", relayed, op)
			continue
		}
		for code, desc := range peerDescriptions()[op] {
			var passed []string
			types := named.FindAllStringSubmatch(desc, -1)
			for _, m := range types {
				if !peer.RefusesRequest(m[1]) {
					passed = append(passed, strings.TrimPrefix(m[1], ProblemBase))
				}
			}
			if (len(types) == 0 || len(passed) > 0) && !public[relayed][code] {
				t.Errorf("%s passes on the home node's %s %v (%s), which api/openapi.json does not declare for it", relayed, code, passed, op)
			}
		}
	}
}
