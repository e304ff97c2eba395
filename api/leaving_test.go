package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence/proofs"
)

// fakeLeaving is a member list in memory: this node's member ID, and the
// removed members by node member ID.
type fakeLeaving struct {
	self   string
	former map[string]anchor.Member
}

func (f *fakeLeaving) Member() string { return f.self }
func (f *fakeLeaving) FormerMembers() (map[string]anchor.Member, error) {
	return f.former, nil
}

// leavingGet asks w.s for path with the world's token, in lang if set.
func leavingGet(t *testing.T, w *uploadWorld, path, lang string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Authorization", "Bearer "+w.token)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	rec := httptest.NewRecorder()
	w.s.ServeHTTP(rec, req)
	return rec
}

// TestHeldByFormerMember: a read of an item shared from a member that was
// removed is answered 410 evidence-held-by-former-member, naming the
// member and the height, in the client's language, and is never relayed;
// while the member is a member the read is relayed as before.
func TestHeldByFormerMember(t *testing.T) {
	w := newUploadWorld(t)
	const id = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	relayed := 0
	w.s.peers = fakePeers{do: func(req *http.Request) (*http.Response, error) {
		relayed++
		rec := httptest.NewRecorder()
		rec.WriteHeader(http.StatusNotFound)
		return rec.Result(), nil
	}}
	w.s.leaving = &fakeLeaving{self: "self", former: map[string]anchor.Member{}}
	if rec := leavingGet(t, w, "/api/v1/evidence/"+id, ""); relayed != 1 || rec.Code != 404 {
		t.Fatalf("while the home is a member: %d relays, %d %s; want 1 relay", relayed, rec.Code, rec.Body)
	}
	w.s.leaving = &fakeLeaving{self: "self", former: map[string]anchor.Member{"m": {ID: "m", Name: "Qiantang Notary Office", Removed: 42}}}
	for _, path := range []string{"/api/v1/evidence/" + id, "/api/v1/evidence/" + id + "/content", "/api/v1/evidence/" + id + "/receipt"} {
		rec := leavingGet(t, w, path, "")
		var p Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != http.StatusGone || p.Type != ProblemBase+"evidence-held-by-former-member" ||
			!strings.Contains(p.Detail, "Qiantang Notary Office") || !strings.Contains(p.Detail, "42") {
			t.Errorf("GET %s = %d %s, want 410 evidence-held-by-former-member naming the member and height 42", path, rec.Code, rec.Body)
		}
	}
	if rec := leavingGet(t, w, "/api/v1/evidence/"+id+"/content", "zh-CN"); rec.Code != http.StatusGone || !strings.Contains(rec.Body.String(), "被移出联盟") {
		t.Errorf("in Chinese = %d %s, want 410 in Chinese", rec.Code, rec.Body)
	}
	if relayed != 1 {
		t.Errorf("%d relays, want none to a former member", relayed-1)
	}
}

// TestDirectoryFormerMember: the directory keeps a removed member's
// organizations, marked with the height their home left, in the list, by
// name and by ID; the others are not marked.
func TestDirectoryFormerMember(t *testing.T) {
	w := newUploadWorld(t)
	const orgOfD = "dddddddddddddddddddddddddd"
	w.s.directory = &fakeDirectory{entries: map[string]anchor.DirEntry{
		orgOfD:     {ID: orgOfD, Kind: "court", Name: "Court of D", Member: "d"},
		"org-of-a": {ID: "org-of-a", Kind: "court", Name: "Court of A", Member: "a"},
	}}
	w.s.leaving = &fakeLeaving{self: "a", former: map[string]anchor.Member{"d": {ID: "d", Name: "Member D", Removed: 17}}}
	var list wire.ListView[wire.DirectoryEntry]
	if rec := leavingGet(t, w, "/api/v1/directory", ""); rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &list) != nil || len(list.Items) != 2 {
		t.Fatalf("GET /api/v1/directory = %d %s", rec.Code, rec.Body)
	}
	for _, e := range list.Items {
		if former := e.Member == "d"; e.FormerMember != former || (former && (e.HomeRemovedAt != 17 || e.MemberName != "Member D")) || (!former && e.HomeRemovedAt != 0) {
			t.Errorf("directory entry %+v: want former_member %v", e, former)
		}
	}
	for _, path := range []string{"/api/v1/directory/" + orgOfD, "/api/v1/directory?name=court+of+d"} {
		rec := leavingGet(t, w, path, "")
		if !strings.Contains(rec.Body.String(), `"former_member":true`) || !strings.Contains(rec.Body.String(), `"home_removed_at":17`) {
			t.Errorf("GET %s = %d %s, want the entry marked former, removed at 17", path, rec.Code, rec.Body)
		}
	}
	// Nothing more is shared with it.
	up := w.upload(t, bytes.NewReader([]byte("not for a former member")), "application/octet-stream")
	item := strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")
	rec := w.post(t, "/api/v1/shares", strings.NewReader(`{"evidence":"`+item+`","org":"`+orgOfD+`"}`), "application/json")
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "Member D") || !strings.Contains(rec.Body.String(), "17") {
		t.Errorf("share with the former member's court = %d %s, want 422 naming Member D and 17", rec.Code, rec.Body)
	}
}

// leftLookup answers every lookup as filed by member "d".
type leftLookup struct{ Proofs }

func (l leftLookup) LookupSHA256(_ context.Context, hexDigest, _ string) (*proofs.Lookup, error) {
	return &proofs.Lookup{SHA256: hexDigest, Anchored: true, Height: 5, Member: "d", Deposits: 1}, nil
}

// TestLookupFormerMember: the public lookup of a digest filed through a
// member that was removed says so.
func TestLookupFormerMember(t *testing.T) {
	w := newUploadWorld(t)
	w.s.proofs = leftLookup{w.s.proofs}
	path := "/api/v1/lookup?sha256=" + strings.Repeat("ab", 32)
	w.s.leaving = &fakeLeaving{self: "a", former: map[string]anchor.Member{}}
	if rec := leavingGet(t, w, path, ""); rec.Code != 200 || strings.Contains(rec.Body.String(), "former_member") {
		t.Errorf("lookup while the member is one = %d %s, want no former_member", rec.Code, rec.Body)
	}
	w.s.leaving = &fakeLeaving{self: "a", former: map[string]anchor.Member{"d": {ID: "d", Name: "Member D", Removed: 17}}}
	var l wire.Lookup
	if rec := leavingGet(t, w, path, ""); rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &l) != nil ||
		!l.FormerMember || l.MemberRemovedAt != 17 || l.MemberName != "Member D" || !l.Anchored {
		t.Errorf("lookup after the removal = %d %s, want former_member, removed at 17", rec.Code, rec.Body)
	}
}

// TestRemovedNode: a node whose member was removed refuses uploads with
// 403 member-removed and says so on /healthz, while it goes on serving
// what it holds.
func TestRemovedNode(t *testing.T) {
	w := newUploadWorld(t)
	leaving := &fakeLeaving{self: "me", former: map[string]anchor.Member{}}
	w.s.leaving = leaving
	rec := w.upload(t, bytes.NewReader([]byte("filed before the removal")), "application/octet-stream")
	if rec.Code != 201 {
		t.Fatalf("upload while a member = %d %s", rec.Code, rec.Body)
	}
	item := rec.Header().Get("Location")
	if rec := leavingGet(t, w, "/healthz", ""); rec.Body.String() != "ok\n" || rec.Header().Get(HeaderMemberRemoved) != "" {
		t.Errorf("/healthz while a member = %q %v", rec.Body, rec.Header())
	}
	leaving.former = map[string]anchor.Member{"me": {ID: "me", Removed: 23}}
	rec = w.upload(t, bytes.NewReader([]byte("filed after the removal")), "application/octet-stream")
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), ProblemBase+"member-removed") || !strings.Contains(rec.Body.String(), "23") {
		t.Errorf("upload after the removal = %d %s, want 403 member-removed at 23", rec.Code, rec.Body)
	}
	if rec := leavingGet(t, w, "/healthz", ""); rec.Code != 200 || rec.Body.String() != "ok\nremoved_at=23\n" || rec.Header().Get(HeaderMemberRemoved) != "23" {
		t.Errorf("/healthz after the removal = %d %q %v", rec.Code, rec.Body, rec.Header())
	}
	for _, path := range []string{item, item + "/content"} {
		if rec := leavingGet(t, w, path, ""); rec.Code != 200 {
			t.Errorf("GET %s after the removal = %d %s, want 200", path, rec.Code, rec.Body)
		}
	}
}

// haltedChain is a chain whose consensus stopped (anchor.Chain.Halted).
type haltedChain struct {
	Chain
	halted bool
}

func (h haltedChain) Halted() bool { return h.halted }

// TestHealthzHalted: /healthz is 503 "halted" once the chain's consensus
// stopped, and ok while it runs; reads go on either way.
func TestHealthzHalted(t *testing.T) {
	w := newUploadWorld(t)
	w.s.chain = haltedChain{}
	if rec := leavingGet(t, w, "/healthz", ""); rec.Code != 200 || rec.Body.String() != "ok\n" {
		t.Errorf("/healthz while the chain runs = %d %q, want 200 ok", rec.Code, rec.Body)
	}
	w.s.chain = haltedChain{halted: true}
	if rec := leavingGet(t, w, "/healthz", ""); rec.Code != http.StatusServiceUnavailable || !strings.HasPrefix(rec.Body.String(), "halted:") {
		t.Errorf("/healthz once the consensus stopped = %d %q, want 503 halted", rec.Code, rec.Body)
	}
	if rec := leavingGet(t, w, "/api/v1/evidence", ""); rec.Code != 200 {
		t.Errorf("listing once the consensus stopped = %d %s, want 200", rec.Code, rec.Body)
	}
}
