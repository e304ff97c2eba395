package api

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/peer"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/storage"
)

// forgingMember is a member's peer API that shared a matter with a court
// and answers every read of an item with bytes of its own; its listing of
// that matter names claims. It records the requests it gets.
type forgingMember struct {
	mu       sync.Mutex
	claims   []string
	asked    []string
	failList bool // its listings answer 500
}

func (f *forgingMember) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, r.URL.RequestURI())
	if r.URL.Path == "/peer/v1/evidence" && f.failList {
		http.Error(w, "listing failed", http.StatusInternalServerError)
		return
	}
	if r.URL.Path == "/peer/v1/evidence" {
		items := make([]map[string]string, len(f.claims))
		for i, id := range f.claims {
			items[i] = map[string]string{"id": id, "matter": r.URL.Query().Get("matter")}
		}
		json.NewEncoder(w).Encode(map[string]any{"items": items})
		return
	}
	forged := []byte("bytes of the wrong member")
	sum := sha256.Sum256(forged)
	w.Header().Set("ETag", `"sha256:`+hex.EncodeToString(sum[:])+`"`)
	w.Header().Set("Content-Length", fmt.Sprint(len(forged)))
	w.Write(forged)
}

// readsOf are the requests f got that name id.
func (f *forgingMember) readsOf(id string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, a := range f.asked {
		if strings.Contains(a, id) {
			out = append(out, a)
		}
	}
	return out
}

// serveTLS serves h behind n's peer handler over TLS and returns its URL.
func serveTLS(t *testing.T, n *peer.Node, h http.Handler) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(n.Handler(h))
	srv.TLS = n.ServerTLS()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

// sendNotice delivers nt from's node to member's.
func sendNotice(t *testing.T, from *peer.Node, member string, nt peer.Notice) {
	t.Helper()
	b, _ := json.Marshal(nt)
	req, _ := http.NewRequest(http.MethodPost, peer.NoticesPath, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := from.Do(context.Background(), member, req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("notice %s = %d %s", nt.Share, resp.StatusCode, body)
	}
}

// uploadInto files data into matter on w.
func uploadInto(t *testing.T, w *uploadWorld, matter string, data []byte) string {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("metadata", `{"matter":"`+matter+`"}`)
	fw, _ := mw.CreateFormFile("file", "exhibit.bin")
	fw.Write(data)
	mw.Close()
	rec := w.upload(t, &b, mw.FormDataContentType())
	if rec.Code != http.StatusCreated {
		t.Fatalf("upload into %s = %d %s", matter, rec.Code, rec.Body)
	}
	return strings.TrimPrefix(rec.Header().Get("Location"), "/api/v1/evidence/")
}

// TestRelayMatterItem: a court on member C reads an item of a matter that
// member A shared with it. B shared a matter with the same court before A
// did, and answers every read with bytes of its own. C relays the read to
// A, the member whose listing of its matter names the item, and B never
// learns the item's ID (it is asked only for its own matter's listing);
// an item that B lists too, or notices as its own, is relayed to neither.
func TestRelayMatterItem(t *testing.T) {
	ms := peerTLS(t, 3) // A (the firm's home), B, C (the court's)
	aID, bID, cID := anchor.MemberID(ms[0].Cert), anchor.MemberID(ms[1].Cert), anchor.MemberID(ms[2].Cert)
	wA, wC := newUploadWorld(t), newUploadWorld(t)
	court := wC.org
	const firmB, matterB = "bbbbbbbbbbbbbbbbbbbbbbbbbb", "mmmmmmmmmmmmmmmmmmmmmmmmmb"
	dir := &fakeDirectory{entries: map[string]anchor.DirEntry{
		wA.org: {ID: wA.org, Kind: "law_firm", Name: "Firm on A", Member: aID},
		firmB:  {ID: firmB, Kind: "law_firm", Name: "Firm on B", Member: bID},
		court:  {ID: court, Kind: "court", Name: "Court", Member: cID},
	}}
	wA.s.directory, wC.s.directory = dir, dir

	// A's matter, with an item, shared with the court.
	rec := wA.post(t, "/api/v1/matters", strings.NewReader(`{"title":"Wang v. Zhao"}`), "application/json")
	var m struct{ ID string }
	if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &m) != nil {
		t.Fatalf("create matter = %d %s", rec.Code, rec.Body)
	}
	data := []byte("the firm's exhibit, held on A")
	item := uploadInto(t, wA, m.ID, data)
	sh, _, err := wA.shares.ShareTarget(context.Background(), wA.org, wA.actor, evidence.ShareMatter, m.ID, court, nil)
	if err != nil {
		t.Fatal(err)
	}

	// The nodes: A serves its peer API, B forges, C is the court's.
	b := &forgingMember{}
	an := peerNode(t, ms[0], nil)
	aSrv := httptest.NewUnstartedServer(observePeer(an.Handler(wA.s.PeerHandler())))
	aSrv.TLS = an.ServerTLS()
	aSrv.StartTLS()
	t.Cleanup(aSrv.Close)
	urls := map[string]string{aID: aSrv.URL, bID: serveTLS(t, peerNode(t, ms[1], nil), b)}
	db, err := storage.OpenDB(filepath.Join(t.TempDir(), "peer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := peer.New(peer.Config{TLS: ms[2], URLs: urls, DB: db,
		Home:  func(org string) (string, bool) { e, ok := dir.entries[org]; return e.Member, ok },
		Local: func(org string) bool { return org == court }})
	if err != nil {
		t.Fatal(err)
	}
	wC.s.peers = c
	wC.s.passes.every = time.Nanosecond // a pass for every item not known
	cURL := map[string]string{cID: serveTLS(t, c, wC.s.PeerHandler())}
	now := time.Now().UTC()
	sendNotice(t, peerNode(t, ms[1], cURL), cID, peer.Notice{V: 1, Share: "share-of-b", Kind: "matter", Target: matterB,
		Grantor: firmB, Grantee: court, CreatedAt: now.Add(-time.Hour)})
	sendNotice(t, peerNode(t, ms[0], cURL), cID, peer.Notice{V: 1, Share: sh.ID, Kind: "matter", Target: m.ID,
		Grantor: wA.org, Grantee: court, CreatedAt: now})

	for _, path := range []string{"/api/v1/evidence/" + item + "/content", "/api/v1/evidence/" + item} {
		rec := leavingGet(t, wC, path, "")
		if rec.Code != 200 || rec.Header().Get(HeaderHomeMember) != aID {
			t.Errorf("GET %s on C = %d (home %.8s) %.200s, want 200 from A", path, rec.Code, rec.Header().Get(HeaderHomeMember), rec.Body)
		}
		if strings.HasSuffix(path, "/content") && rec.Body.String() != string(data) {
			t.Errorf("GET %s on C = %q, want A's bytes", path, rec.Body)
		}
	}
	if asked := b.readsOf(item); len(asked) > 0 {
		t.Errorf("B was asked %q: it learnt the ID of A's item", asked)
	}
	if len(b.readsOf("matter="+matterB)) == 0 {
		t.Errorf("B was asked %q, want the listing of its own matter", b.readsOf(""))
	}

	// An item B lists in its own matter too is relayed to neither.
	claimed := uploadInto(t, wA, m.ID, []byte("another exhibit of A, whose ID B learnt"))
	b.mu.Lock()
	b.claims = []string{claimed}
	b.mu.Unlock()
	if rec := leavingGet(t, wC, "/api/v1/evidence/"+claimed+"/content", ""); rec.Code != http.StatusNotFound {
		t.Errorf("GET an item A and B both list = %d %.200s, want 404", rec.Code, rec.Body)
	}
	for _, a := range b.readsOf(claimed) {
		t.Errorf("B was asked %q, want only listings", a)
	}
	if rec := leavingGet(t, wC, "/api/v1/evidence/"+item, ""); rec.Code != 200 {
		t.Errorf("GET A's first item again = %d, want 200", rec.Code)
	}
	// An ID no listing names is asked of no member.
	const unknown = "zzzzzzzzzzzzzzzzzzzzzzzzzz"
	if rec := leavingGet(t, wC, "/api/v1/evidence/"+unknown, ""); rec.Code != http.StatusNotFound || len(b.readsOf(unknown)) > 0 {
		t.Errorf("GET an ID no member lists = %d (B asked %q), want 404, asked of no member", rec.Code, b.readsOf(unknown))
	}

	// A notice of A's item as B's own item does not take its reads over.
	sendNotice(t, peerNode(t, ms[1], cURL), cID, peer.Notice{V: 1, Share: "share-of-b-item", Kind: "evidence", Target: item,
		Grantor: firmB, Grantee: court, CreatedAt: now})
	if rec := leavingGet(t, wC, "/api/v1/evidence/"+item+"/content", ""); rec.Code != http.StatusNotFound {
		t.Errorf("GET A's item that B noticed as its own = %d %.200s, want 404", rec.Code, rec.Body)
	}
	if asked := b.readsOf(item); len(asked) > 0 {
		t.Errorf("B was asked %q, want only listings", asked)
	}
	// Nor does a notice of an item already disputed, which B lists in its
	// own matter too: it is relayed to neither.
	sendNotice(t, peerNode(t, ms[1], cURL), cID, peer.Notice{V: 1, Share: "share-of-b-claimed", Kind: "evidence", Target: claimed,
		Grantor: firmB, Grantee: court, CreatedAt: now})
	if rec := leavingGet(t, wC, "/api/v1/evidence/"+claimed+"/content", ""); rec.Code != http.StatusNotFound {
		t.Errorf("GET a disputed item B also noticed = %d %.200s, want 404", rec.Code, rec.Body)
	}
	for _, a := range b.readsOf(claimed) {
		t.Errorf("B was asked %q for the disputed item it noticed, want only listings", a)
	}

	// A pass that fails (B's listing answers 500) after the shared matters
	// changed (A shares a second matter) does not fail the reads of an
	// item already known: it stays with A, whose claim a pass can only
	// dispute, never move.
	knownData := []byte("an exhibit of A the court has read before")
	known := uploadInto(t, wA, m.ID, knownData)
	if rec := leavingGet(t, wC, "/api/v1/evidence/"+known+"/content", ""); rec.Code != 200 {
		t.Fatalf("GET a new item of A's matter = %d %.200s, want 200", rec.Code, rec.Body)
	}
	rec = wA.post(t, "/api/v1/matters", strings.NewReader(`{"title":"Wang v. Zhao, appeal"}`), "application/json")
	var m2 struct{ ID string }
	if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &m2) != nil {
		t.Fatalf("create matter = %d %s", rec.Code, rec.Body)
	}
	sh2, _, err := wA.shares.ShareTarget(context.Background(), wA.org, wA.actor, evidence.ShareMatter, m2.ID, court, nil)
	if err != nil {
		t.Fatal(err)
	}
	sendNotice(t, peerNode(t, ms[0], cURL), cID, peer.Notice{V: 1, Share: sh2.ID, Kind: "matter", Target: m2.ID,
		Grantor: wA.org, Grantee: court, CreatedAt: now})
	b.mu.Lock()
	b.failList = true
	b.mu.Unlock()
	if rec := leavingGet(t, wC, "/api/v1/evidence/"+known+"/content", ""); rec.Code != 200 || rec.Body.String() != string(knownData) {
		t.Errorf("GET a known item while B's listing fails = %d %.200s, want A's bytes", rec.Code, rec.Body)
	}
	if len(b.readsOf("matter="+matterB)) < 2 {
		t.Errorf("no pass ran after the shared matters changed (B asked %q)", b.readsOf(""))
	}
	b.mu.Lock()
	b.failList = false
	b.mu.Unlock()

	// A pass that cannot list every shared matter records no claim: B's
	// claim of an item is not taken while A's listing is missing.
	late := uploadInto(t, wA, m.ID, []byte("filed on A while B claims it"))
	b.mu.Lock()
	b.claims = []string{late}
	b.mu.Unlock()
	aSrv.Close()
	if rec := leavingGet(t, wC, "/api/v1/evidence/"+late, ""); rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "home-unreachable") {
		t.Errorf("GET an item while A is down = %d %.200s, want 503 home-unreachable", rec.Code, rec.Body)
	}
	if home, ok := c.ItemHome(court, late); ok {
		t.Errorf("ItemHome(court, late) after a failed pass = %.8s, want none", home)
	}
	if asked := b.readsOf(late); len(asked) > 0 {
		t.Errorf("B was asked %q, want only listings", asked)
	}
}

// formerMatterPeers knows one matter shared with the caller's
// organization from member "d", and no item.
type formerMatterPeers struct{ fakePeers }

func (f formerMatterPeers) Received(org string) ([]peer.Inbound, error) {
	return []peer.Inbound{{Member: "d", Notice: peer.Notice{V: 1, Share: "sh", Kind: "matter", Target: "mmmmmmmmmmmmmmmmmmmmmmmmmd",
		Grantor: "ffffffffffffffffffffffffff", Grantee: org, CreatedAt: time.Now().UTC()}}}, nil
}

func (f formerMatterPeers) HomeOf(org, target string) (string, bool) {
	return "d", target == "mmmmmmmmmmmmmmmmmmmmmmmmmd"
}

// TestMatterItemOfFormerMember: an item of a matter shared only from a
// member that was removed is answered 410, and no member is asked.
func TestMatterItemOfFormerMember(t *testing.T) {
	w := newUploadWorld(t)
	asked := 0
	w.s.peers = formerMatterPeers{fakePeers{do: func(req *http.Request) (*http.Response, error) {
		asked++
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"items":[]}`))}, nil
	}}}
	w.s.leaving = &fakeLeaving{self: "self", former: map[string]anchor.Member{"d": {ID: "d", Name: "Member D", Removed: 42}}}
	rec := leavingGet(t, w, "/api/v1/evidence/aaaaaaaaaaaaaaaaaaaaaaaaaa", "")
	if rec.Code != http.StatusGone || !strings.Contains(rec.Body.String(), "evidence-held-by-former-member") || asked != 0 {
		t.Errorf("GET an item of a former member's matter = %d %.200s (%d requests), want 410, none", rec.Code, rec.Body, asked)
	}
}

// TestMatterListingFails: when a shared matter's home answers its listing
// with an error, the read fails with 502 bad-relay naming the status, and
// the item is asked of no member.
func TestMatterListingFails(t *testing.T) {
	w := newUploadWorld(t)
	var asked []string
	w.s.peers = formerMatterPeers{fakePeers{do: func(req *http.Request) (*http.Response, error) {
		asked = append(asked, req.URL.RequestURI())
		return &http.Response{StatusCode: http.StatusInternalServerError, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(""))}, nil
	}}}
	const id = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	rec := leavingGet(t, w, "/api/v1/evidence/"+id, "")
	if rec.Code != http.StatusBadGateway || !strings.Contains(rec.Body.String(), "bad-relay") || !strings.Contains(rec.Body.String(), "500") {
		t.Errorf("GET while a listing fails = %d %.300s, want 502 bad-relay naming 500", rec.Code, rec.Body)
	}
	if len(asked) != 1 || strings.Contains(asked[0], id) || !strings.HasPrefix(asked[0], "/peer/v1/evidence?") {
		t.Errorf("asked %q, want one listing and no read of %s", asked, id)
	}
}

// busyHome is a member's peer API that answers every listing with status
// and, if set, retryAfter.
type busyHome struct {
	mu         sync.Mutex
	status     int
	retryAfter string
}

func (b *busyHome) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.retryAfter != "" {
		w.Header().Set("Retry-After", b.retryAfter)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(b.status)
	fmt.Fprintf(w, `{"type":"urn:custos:problem:busy","status":%d}`, b.status)
}

// TestMatterListingBusy: when a shared matter's home answers its listing
// 429 or 503 (its replay guard or a quota: it asks to be asked later), the
// read of an item not yet known is 503 home-unreachable with the home's
// Retry-After (bounded to 2 minutes; 10 s when it gives none or one that
// cannot be read), in the client's language, so that the client retries;
// not 502 bad-relay, which says the home answered wrongly.
func TestMatterListingBusy(t *testing.T) {
	ms := peerTLS(t, 2) // A (the firm's home, busy), C (the court's)
	aID, cID := anchor.MemberID(ms[0].Cert), anchor.MemberID(ms[1].Cert)
	wC := newUploadWorld(t)
	court := wC.org
	const firm, matter = "ffffffffffffffffffffffffff", "mmmmmmmmmmmmmmmmmmmmmmmmma"
	dir := &fakeDirectory{entries: map[string]anchor.DirEntry{
		firm:  {ID: firm, Kind: "law_firm", Name: "Firm on A", Member: aID},
		court: {ID: court, Kind: "court", Name: "Court", Member: cID},
	}}
	wC.s.directory = dir
	home := &busyHome{}
	db, err := storage.OpenDB(filepath.Join(t.TempDir(), "peer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c, err := peer.New(peer.Config{TLS: ms[1], DB: db,
		URLs:  map[string]string{aID: serveTLS(t, peerNode(t, ms[0], nil), home)},
		Home:  func(org string) (string, bool) { e, ok := dir.entries[org]; return e.Member, ok },
		Local: func(org string) bool { return org == court }})
	if err != nil {
		t.Fatal(err)
	}
	wC.s.peers = c
	wC.s.passes.every = time.Nanosecond // a pass for every read of an item not known
	cURL := map[string]string{cID: serveTLS(t, c, wC.s.PeerHandler())}
	sendNotice(t, peerNode(t, ms[0], cURL), cID, peer.Notice{V: 1, Share: "share-of-a", Kind: "matter", Target: matter,
		Grantor: firm, Grantee: court, CreatedAt: time.Now().UTC()})

	const item = "iiiiiiiiiiiiiiiiiiiiiiiiii"
	for _, tc := range []struct {
		status     int
		retryAfter string
		want       []string // Retry-After, any of
	}{
		{http.StatusTooManyRequests, "7", []string{"7"}},
		{http.StatusServiceUnavailable, "10", []string{"10"}},
		{http.StatusServiceUnavailable, "86400", []string{"120"}},
		{http.StatusServiceUnavailable, "", []string{"10"}},
		{http.StatusTooManyRequests, "soon", []string{"10"}},
		// An HTTP date 30 s ahead, made just before each request (date
		// below), in whole seconds from the read: 30 or a little less, as
		// long as the request took (up to 10 s on a loaded machine), and
		// never the default 10 nor the cap 120.
		{http.StatusServiceUnavailable, "date", []string{"20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31"}},
	} {
		for _, lang := range []string{"", "zh-CN"} {
			home.mu.Lock()
			home.status, home.retryAfter = tc.status, tc.retryAfter
			if tc.retryAfter == "date" {
				home.retryAfter = time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
			}
			home.mu.Unlock()
			rec := leavingGet(t, wC, "/api/v1/evidence/"+item, lang)
			got, ra := rec.Body.String(), rec.Header().Get("Retry-After")
			if rec.Code != http.StatusServiceUnavailable || !strings.Contains(got, "urn:custos:problem:home-unreachable") || !slices.Contains(tc.want, ra) {
				t.Errorf("GET an item (%s) while its matter's home answers %d, Retry-After %q = %d, Retry-After %q, %.300s; want 503 home-unreachable, Retry-After %s",
					cmp.Or(lang, "en"), tc.status, tc.retryAfter, rec.Code, ra, got, tc.want)
			}
			if lang == "zh-CN" && !strings.Contains(got, "请在 Retry-After") {
				t.Errorf("GET in Chinese = %.300s, want the detail in Chinese", got)
			}
		}
	}
	if _, ok := c.ItemHome(court, item); ok {
		t.Errorf("ItemHome after passes that failed: found, want none")
	}
}
