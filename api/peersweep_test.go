package api

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/peer"
	"github.com/custos-project/custos/evidence"
)

// peerSlugs are the problem types api/peer answers with itself (the
// notices, the directory, the admission of a member's request).
func peerSlugs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("peer/*.go")
	if err != nil {
		t.Fatal(err)
	}
	lit := regexp.MustCompile(`problem\.Localized\(w, r, [^,]+, "([a-z0-9-]+)"`)
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			out = append(out, m[1])
		}
	}
	if len(out) < 5 {
		t.Fatalf("found %d problem types in api/peer: the source scan is broken", len(out))
	}
	return out
}

// TestPeerRouteSweep is TestRouteSweep for the peer API, in process: the
// node's peer.Node admits requests as if over its mutual TLS (the
// connection state carries the calling node's certificate) and passes the
// reads to the server's PeerHandler. Member B's node calls for a court it
// homes, with which the firm shared an item; every read route, the
// notices and the directory get malformed path parameters, query
// parameters, bodies and headers, and malformed peer headers (request ID
// and time, organization, actor), as a member, as a node under the root
// that is not one, and with no certificate.
func TestPeerRouteSweep(t *testing.T) {
	w := newUploadWorld(t)
	ms := peerTLS(t, 3) // A (this node), B (the caller), C (under the root, not a member of A's consortium)
	bID := anchor.MemberID(ms[1].Cert)
	const court = "courtcourtcourtcourtcourt2"
	w.s.directory = &fakeDirectory{entries: map[string]anchor.DirEntry{court: {ID: court, Kind: "court", Name: "Court", Member: bID}}}
	ms[0].Members = map[string]bool{anchor.MemberID(ms[0].Cert): true, bID: true}
	a, err := peer.New(peer.Config{TLS: ms[0], DB: w.db, Home: func(org string) (string, bool) { return bID, org == court },
		Local: func(org string) bool { return org == w.org }, NoticeRate: -1})
	if err != nil {
		t.Fatal(err)
	}
	if w.s.limits.sharedRead, err = newLimiter("shared read", 1e9, 1<<30, 0); err != nil {
		t.Fatal(err)
	}
	h := observePeer(a.Handler(w.s.PeerHandler()))
	up := w.upload(t, strings.NewReader("exhibit shared across members"), "text/plain")
	if up.Code != http.StatusCreated {
		t.Fatalf("upload = %d %s", up.Code, up.Body)
	}
	id := strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")
	if _, _, err := w.shares.ShareTarget(context.Background(), w.org, w.actor, evidence.ShareEvidence, id, court, nil); err != nil {
		t.Fatal(err)
	}
	sw := &sweepWorld{s: w.s, w: w, slugs: map[string]bool{}}
	for _, s := range append(problemSlugs(t), peerSlugs(t)...) {
		sw.slugs[ProblemBase+s] = true
	}
	for k, v := range map[string]string{"evidence": id, "org": w.org, "court": court} {
		sweepIDs[k] = v
	}
	t.Cleanup(func() { clear(sweepIDs) })

	callers := map[string]*x509.Certificate{"member": ms[1].Cert, "not a member": ms[2].Cert, "no certificate": nil}
	do := func(caller, method, target, ctype string, body *strings.Reader, hdr []string) (rec *httptest.ResponseRecorder, panicked any) {
		rec = httptest.NewRecorder()
		defer func() { panicked = recover() }()
		var req *http.Request
		if body == nil {
			req = httptest.NewRequest(method, target, nil)
		} else {
			req = httptest.NewRequest(method, target, body)
		}
		req.TLS = &tls.ConnectionState{}
		if c := callers[caller]; c != nil {
			req.TLS.PeerCertificates = []*x509.Certificate{c}
		}
		var rid [16]byte
		rand.Read(rid[:])
		req.Header.Set(peer.HeaderRequestID, hex.EncodeToString(rid[:]))
		req.Header.Set(peer.HeaderRequestTime, time.Now().UTC().Format(time.RFC3339Nano))
		req.Header.Set(peer.HeaderOrg, court)
		req.Header.Set(peer.HeaderActor, court+":keykeykeykeykeykeykeykey22")
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1]) // replaces the peer headers above
		}
		h.ServeHTTP(rec, req)
		return rec, nil
	}

	notice := sweepOp{method: http.MethodPost, path: peer.NoticesPath, bodyTypes: []string{"application/json"},
		props: []string{"v", "share", "kind", "target", "grantor", "grantor_name", "grantee", "created_at", "expires_at", "revoked_at"},
		base: `{"v":1,"share":"sh1","kind":"evidence","target":"item1","grantor":"` + court + `","grantor_name":"Court","grantee":"` + w.org +
			`","created_at":"2026-12-01T00:00:00Z","expires_at":"2099-01-01T00:00:00Z"}`}
	ops := []sweepOp{notice, {method: http.MethodGet, path: peer.DirectoryPath}, {method: http.MethodGet, path: peer.SoftwarePath},
		{method: http.MethodGet, path: "/peer/v1/evidence", query: []string{"matter", "cursor", "limit"}}}
	for _, p := range []string{"/peer/v1/evidence/{id}", "/peer/v1/evidence/{id}/content", "/peer/v1/evidence/{id}/custody",
		"/peer/v1/evidence/{id}/timestamp", "/peer/v1/evidence/{id}/receipt", "/peer/v1/evidence/{id}/evidence-record", "/peer/v1/matters/{id}"} {
		ops = append(ops, sweepOp{method: http.MethodGet, path: p, query: []string{"tsa", "from", "limit"}})
	}
	ops = append(ops, sweepOp{method: http.MethodHead, path: "/peer/v1/evidence/{id}/content"})
	peerHeaders := [][]string{
		{peer.HeaderRequestID, ""}, {peer.HeaderRequestID, "x"}, {peer.HeaderRequestID, sweepLong}, {peer.HeaderRequestID, "\xff"},
		{peer.HeaderRequestID, strings.Repeat("0", 32)}, {peer.HeaderRequestTime, ""}, {peer.HeaderRequestTime, "yesterday"},
		{peer.HeaderRequestTime, "0001-01-01T00:00:00Z"}, {peer.HeaderRequestTime, "9999-12-31T23:59:59Z"}, {peer.HeaderRequestTime, sweepLong},
		{peer.HeaderOrg, ""}, {peer.HeaderOrg, sweepLong}, {peer.HeaderOrg, "\xff"}, {peer.HeaderOrg, w.org}, {peer.HeaderOrg, "a\u202eb"},
		{peer.HeaderActor, ""}, {peer.HeaderActor, court + ":"}, {peer.HeaderActor, court + ":" + sweepLong}, {peer.HeaderActor, court + ":a/b"},
		{peer.HeaderActor, "other:key"}, {peer.HeaderActor, sweepLong},
	}
	total := 0
	for _, op := range ops {
		cases := sweepCases(op, func(string) string {
			if strings.HasPrefix(op.path, "/peer/v1/matters/") {
				return "matter-x"
			}
			return id
		})
		good := strings.ReplaceAll(op.path, "{id}", id)
		for _, hv := range peerHeaders {
			cases = append(cases, sweepCase{what: "peer header " + hv[0] + ": " + trim(hv[1]), target: good, hdr: hv})
		}
		t.Run(op.method+" "+op.path, func(t *testing.T) {
			bad := 0
			for _, caller := range []string{"member", "not a member", "no certificate"} {
				for _, tc := range cases {
					if tc.body != nil {
						tc.body.Seek(0, 0)
					}
					rec, p := do(caller, op.method, tc.target, tc.ctype, tc.body, tc.hdr)
					total++
					sweepDump(op, caller, tc.what, rec)
					// A notice whose grantor the directory does not list
					// yet is to be sent again (503 with Retry-After, which
					// every outbox retries): by design, not a failure. A
					// grantor that can never be listed (not 1 to 64
					// printable ASCII characters) is 422.
					if rec.Code == http.StatusServiceUnavailable && strings.Contains(rec.Body.String(), ProblemBase+"unknown-grantor") &&
						rec.Header().Get("Retry-After") != "" && strings.Contains(tc.what, "grantor=") {
						continue
					}
					if msg := sw.checkSweep(rec, p); msg != "" {
						if bad++; bad <= 20 {
							t.Errorf("as %s, %s: %s", caller, tc.what, msg)
						}
					}
				}
			}
			if bad > 20 {
				t.Errorf("%d answers in all were wrong", bad)
			}
		})
	}
	t.Logf("%d requests", total)
	checkAnswers(t) // each status against api/peer/openapi.json (observePeer)
}
