package api

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/peer"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/storage"
)

// fakeDirectory is a directory of a few organizations.
type fakeDirectory map[string]anchor.DirEntry

func (d fakeDirectory) Org(id string) (anchor.DirEntry, bool, error) {
	e, ok := d[id]
	return e, ok, nil
}
func (d fakeDirectory) OrgByName(string) (anchor.DirEntry, bool, error) {
	return anchor.DirEntry{}, false, nil
}
func (d fakeDirectory) Orgs() ([]anchor.DirEntry, error) { return nil, nil }

// peerTLS is the TLS material of n member nodes under one in-memory root.
func peerTLS(t *testing.T, n int) []peer.TLSConfig {
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

// TestPeerReads: the home node serves a peer's read of a shared item only
// for an organization the directory homes on that peer, records it naming
// the key and the node, and stops at once when the share is revoked.
func TestPeerReads(t *testing.T) {
	w := newUploadWorld(t)
	ms := peerTLS(t, 3) // A (home), B, C (the court's node)
	a := peerNode(t, ms[0], nil)
	srv := httptest.NewUnstartedServer(a.Handler(w.s.PeerHandler()))
	srv.TLS = a.ServerTLS()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	aID, cID := anchor.MemberID(ms[0].Cert), anchor.MemberID(ms[2].Cert)
	urls := map[string]string{aID: srv.URL}
	b, c := peerNode(t, ms[1], urls), peerNode(t, ms[2], urls)
	const court = "courtcourtcourtcourtcourt2"
	w.s.directory = fakeDirectory{court: {ID: court, Kind: "court", Name: "Court", Member: cID}}

	data := []byte("exhibit shared across members")
	rec := w.upload(t, bytes.NewReader(data), "application/octet-stream")
	if rec.Code != 201 {
		t.Fatalf("upload = %d %s", rec.Code, rec.Body)
	}
	id := strings.TrimPrefix(rec.Header().Get("Location"), "/api/v1/evidence/")
	get := func(from *peer.Node, path, org string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", path, nil)
		req.Header.Set(peer.HeaderOrg, org)
		req.Header.Set(peer.HeaderActor, org+":keykeykeykeykeykeykeykey22")
		resp, err := from.Do(context.Background(), aID, req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get(c, "/peer/v1/evidence/"+id, court); code != 404 {
		t.Errorf("before any share: %d %s, want 404", code, body)
	}
	sh, _, err := w.ev.ShareTarget(context.Background(), w.org, w.actor, evidence.ShareEvidence, id, court, nil)
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
	if _, err := w.ev.RevokeShare(context.Background(), w.org, w.actor, sh.ID); err != nil {
		t.Fatal(err)
	}
	if code, body := get(c, "/peer/v1/evidence/"+id, court); code != 404 {
		t.Errorf("after the revocation: %d %s, want 404", code, body)
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
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := io.Copy(&out, &streamCheck{r: bytes.NewReader(tc.got), h: sha256.New(), want: want, size: tc.size})
			if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, errRelayMismatch)) {
				t.Fatalf("copy: err = %v, want ok %v", err, tc.ok)
			}
			if !tc.ok && int64(out.Len()) >= tc.size {
				t.Errorf("passed on %d bytes of a %d-byte item that does not match", out.Len(), tc.size)
			}
		})
	}
}
