package peer

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/certs"
)

// madeHere is a home node's shares for its Made and Revoke, in memory.
type madeHere struct {
	mu      sync.Mutex
	shares  map[string]*Notice
	revoked []string // "share by actor"
	listing func()   // if set, called once as a list is read
}

func (m *madeHere) made(after string, limit int, keep func(*Notice) bool) ([]Notice, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listing != nil {
		m.listing()
		m.listing = nil
	}
	var ids []string
	for id := range m.shares {
		if id > after {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var out []Notice
	for _, id := range ids {
		if nt := *m.shares[id]; keep(&nt) {
			out = append(out, nt)
		}
		if len(out) == limit {
			return out, id, nil
		}
	}
	return out, "", nil
}

func (m *madeHere) revoke(id string, keep func(*Notice) bool, actor string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	nt, ok := m.shares[id]
	if !ok || nt.RevokedAt != nil || !keep(nt) {
		return false, nil
	}
	now := time.Now().UTC()
	nt.RevokedAt = &now
	m.revoked = append(m.revoked, id+" by "+actor)
	return true, nil
}

// TestShareSync: a grantee's node makes its inbox agree with the shares the
// home node lists: it stores the ones it lost, revokes the ones the home
// node no longer has (but not those made just before the list), and tells
// the home node of revocations the home node lost, which it applies only
// for shares made with the caller's organizations. Over pages.
func TestShareSync(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "B", "C")
	a, b, c := ms[0], ms[1], ms[2]
	home := map[string]string{"firm": a.id, "court": c.id, "court2": c.id, "bank": b.id}
	old, recent := time.Now().Add(-time.Hour).UTC(), time.Now().Add(-time.Minute).UTC()
	long := time.Now().Add(-30 * time.Minute).UTC()
	share := func(id, grantee string, created time.Time) *Notice {
		return &Notice{V: 1, Share: id, Kind: "evidence", Target: "item-" + id, Grantor: "firm", GrantorName: "Firm", Grantee: grantee, CreatedAt: created}
	}
	past := time.Now().Add(-time.Second).UTC()
	expired := share("s-expired", "court", old)
	expired.ExpiresAt = &past
	revokedA := share("s-revoked", "court", old)
	revokedA.RevokedAt = &past
	am := &madeHere{shares: map[string]*Notice{
		"s1":        share("s1", "court", old), // C lost its notice: received again
		"s2":        share("s2", "court2", old),
		"s3":        share("s3", "bank", old), // B's organization: never shown to C
		"s4":        share("s4", "court", old),
		"s7":        share("s7", "court", old), // revoked at C, active here: A lost the revocation
		"s8":        share("s8", "bank", old),  // C claims B's share revoked: refused
		"s-expired": expired, "s-revoked": revokedA,
	}}
	defer func(n, m int) { sharesPage, inboxScan = n, m }(sharesPage, inboxScan)
	sharesPage, inboxScan = 2, 2 // several pages, and the inbox read in several transactions

	var told atomic.Int32
	cn, cURL := serveNode(t, c, nil, home, map[string]bool{"court": true, "court2": true}, whoami(), func(cfg *Config) {
		cfg.OnShared = func(tx *bolt.Tx, in *Inbound) error { told.Add(1); return nil }
	})
	synced := atomic.Bool{}
	an, aURL := serveNode(t, a, map[string]string{c.id: cURL}, home, map[string]bool{"firm": true}, whoami(), func(cfg *Config) {
		cfg.Made, cfg.Revoke, cfg.Synced = am.made, am.revoke, synced.Load
	})
	cn.cfg.URLs = map[string]string{a.id: aURL}
	if err := cn.addClient(a.id, aURL); err != nil {
		t.Fatal(err)
	}
	// C's inbox before: s4 known, s5 (A lost it), s7 revoked here, s9
	// from another member; and s6, whose notice arrives while A reads its
	// list, which does not have it (its transaction committed after the
	// read began).
	put := func(member string, nt *Notice) {
		t.Helper()
		if err := cn.cfg.DB.Update(func(tx *bolt.Tx) error { _, _, err := receive(tx, member, nt, cn.cfg.Current); return err }); err != nil {
			t.Fatal(err)
		}
	}
	put(a.id, share("s4", "court", old))
	put(a.id, share("s5", "court", long))
	s7 := share("s7", "court", old)
	s7.RevokedAt = &past
	put(a.id, s7)
	s9 := share("s9", "court", old)
	s9.Grantor = "bank"
	put(b.id, s9)

	t.Run("a home node catching up answers 503 catching-up", func(t *testing.T) {
		_, err := cn.SyncWith(context.Background(), a.id)
		if rl := (*retryLater)(nil); err == nil || !strings.Contains(err.Error(), "catching-up") || !errors.As(err, &rl) || rl.after != 10*time.Second {
			t.Fatalf("SyncWith a node catching up = %v, want 503 catching-up with Retry-After 10", err)
		}
	})
	synced.Store(true)
	am.listing = func() { put(a.id, share("s6", "court", recent)) }

	rep, err := cn.SyncWith(context.Background(), a.id)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Listed != 4 || rep.Received != 2 || rep.Withdrawn != 1 || rep.Told != 1 {
		t.Errorf("report = %+v, want 4 listed (s1 s2 s4 s7 and none of B's or ended ones), 2 received (s1 s2), 1 withdrawn (s5), 1 told (s7)", rep)
	}
	if n := told.Load(); n != 2 {
		t.Errorf("OnShared called %d times, want 2 (s1, s2)", n)
	}
	active := func(org string) []string {
		got, err := cn.Received(org)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, in := range got {
			if in.Active(time.Now()) {
				ids = append(ids, in.Share)
			}
		}
		sort.Strings(ids)
		return ids
	}
	if got, want := active("court"), []string{"s1", "s4", "s6", "s9"}; !slices.Equal(got, want) {
		t.Errorf("C's active shares with court = %v, want %v (s5 withdrawn, s6 not: it arrived after the sync asked; s7 still revoked, s9 from B untouched)", got, want)
	}
	if got := active("court2"); !slices.Equal(got, []string{"s2"}) {
		t.Errorf("C's active shares with court2 = %v, want [s2]", got)
	}
	if want := []string{"s7 by node:" + c.id}; !slices.Equal(am.revoked, want) {
		t.Errorf("A revoked %v, want %v", am.revoked, want)
	}
	if _, ok := cn.HomeOf("court", "item-s5"); ok {
		t.Error("a read of the withdrawn share's item is still relayed")
	}
	if m, ok := cn.HomeOf("court", "item-s1"); !ok || m != a.id {
		t.Errorf("HomeOf(court, item-s1) = %q %v, want A", m, ok)
	}

	// Again: s6, stored before this sync asked and not on A's list, is
	// withdrawn now; then nothing is left to make good.
	if rep, err := cn.SyncWith(context.Background(), a.id); err != nil || rep.Received+rep.Told != 0 || rep.Withdrawn != 1 || rep.Listed != 3 {
		t.Errorf("second sync = %+v %v, want 3 listed and s6 withdrawn", rep, err)
	}
	if rep, err := cn.SyncWith(context.Background(), a.id); err != nil || rep.Received+rep.Withdrawn+rep.Told != 0 || rep.Listed != 3 {
		t.Errorf("third sync = %+v %v, want 3 listed and nothing changed", rep, err)
	}
	// A lists s5 again (it ran from an older backup, then a newer one
	// that has it): C's withdrawal is undone, and A is not told s5 was
	// revoked (nobody revoked it).
	am.mu.Lock()
	am.shares["s5"] = share("s5", "court", long)
	am.mu.Unlock()
	if rep, err := cn.SyncWith(context.Background(), a.id); err != nil || rep.Restored != 1 || rep.Told != 0 || rep.Withdrawn != 0 {
		t.Errorf("sync with s5 listed again = %+v %v, want it active again and nothing told", rep, err)
	}
	if _, ok := cn.HomeOf("court", "item-s5"); !ok {
		t.Error("s5, listed again, is not relayed")
	}
	if want := []string{"s7 by node:" + c.id}; !slices.Equal(am.revoked, want) {
		t.Errorf("A revoked %v, want only %v", am.revoked, want)
	}
	// A home node's revocation stays, whatever a stale notice says.
	nt := share("s5", "court", long)
	now := time.Now().UTC()
	nt.RevokedAt = &now
	put(a.id, nt)
	put(a.id, share("s5", "court", long))
	if _, ok := cn.HomeOf("court", "item-s5"); ok {
		t.Error("s5, revoked by its home node, is active again after a stale notice")
	}

	t.Run("a member sees only the shares made with its organizations", func(t *testing.T) {
		bn, _ := serveNode(t, b, map[string]string{a.id: aURL}, home, map[string]bool{"bank": true}, whoami())
		page, err := bn.askShares(context.Background(), a.id, "")
		if err != nil {
			t.Fatal(err)
		}
		for page.Next != "" {
			next, err := bn.askShares(context.Background(), a.id, page.Next)
			if err != nil {
				t.Fatal(err)
			}
			page.Shares, page.Next = append(page.Shares, next.Shares...), next.Next
		}
		var ids []string
		for _, nt := range page.Shares {
			ids = append(ids, nt.Share)
		}
		if !slices.Equal(ids, []string{"s3", "s8"}) {
			t.Errorf("B's list = %v, want [s3 s8]", ids)
		}
		// B claims C's share revoked: not B's to end.
		status, body := postRevocations(t, bn, a.id, `{"v":1,"shares":[{"share":"s1","revoked_at":"2026-12-07T00:00:00Z"},{"share":"nope","revoked_at":"2026-12-07T00:00:00Z"}]}`)
		if status != 200 || !strings.Contains(body, `"revoked":0`) {
			t.Errorf("B revokes C's share = %d %s, want 200 with 0 revoked", status, body)
		}
		if am.shares["s1"].RevokedAt != nil {
			t.Error("A revoked C's share at B's word")
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		for _, tc := range []struct {
			method, path, body string
			status             int
			want               string
		}{
			{"GET", SharesPath + "?after=" + strings.Repeat("x", 65), "", 400, "urn:custos:problem:bad-parameter"},
			{"POST", SharesPath, "{}", 405, "urn:custos:problem:method-not-allowed"},
			{"GET", RevokedPath, "", 405, "urn:custos:problem:method-not-allowed"},
			{"POST", RevokedPath, "null", 400, "urn:custos:problem:not-an-object"},
			{"POST", RevokedPath, `{"v":1,"shares":[]}`, 422, "urn:custos:problem:invalid-input"},
			{"POST", RevokedPath, `{"v":2,"shares":[{"share":"s1","revoked_at":"2026-12-07T00:00:00Z"}]}`, 422, "urn:custos:problem:invalid-input"},
			{"POST", RevokedPath, `{"v":1,"shares":[{"share":"s1"}]}`, 422, "urn:custos:problem:invalid-input"},
			{"POST", RevokedPath, `{"v":1,"shares":[{"share":"s1","revoked_at":"2026-12-07T00:00:00Z","x":1}]}`, 422, "urn:custos:problem:invalid-input"},
			{"POST", RevokedPath, `{"v":1,"shares":[` + strings.Repeat(`{"share":"s1","revoked_at":"2026-12-07T00:00:00Z"},`, MaxRevocations) + `{"share":"s1","revoked_at":"2026-12-07T00:00:00Z"}]}`, 422, "urn:custos:problem:invalid-input"},
			{"POST", RevokedPath, strings.Repeat(" ", MaxRevocationsBytes+1), 413, "urn:custos:problem:too-large"},
		} {
			req, _ := http.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			resp, err := cn.Do(context.Background(), a.id, req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
				t.Errorf("%s %s %.40q = %d %s, want %d %s", tc.method, tc.path, tc.body, resp.StatusCode, b, tc.status, tc.want)
			}
		}
		if len(am.revoked) != 1 {
			t.Errorf("bad requests revoked %v", am.revoked[1:])
		}
	})

	t.Run("a node without the share sync answers 404, and nothing is changed", func(t *testing.T) {
		dn, dURL := serveNode(t, a, nil, home, map[string]bool{"firm": true}, http.NotFoundHandler())
		_ = dn
		cn.mu.Lock()
		delete(cn.clients, a.id)
		cn.mu.Unlock()
		if err := cn.addClient(a.id, dURL); err != nil {
			t.Fatal(err)
		}
		before := active("court")
		if _, err := cn.SyncWith(context.Background(), a.id); !errors.Is(err, errNoSync) {
			t.Errorf("SyncWith an older node = %v, want errNoSync", err)
		}
		if got := active("court"); !slices.Equal(got, before) {
			t.Errorf("an older node's 404 changed C's shares: %v, want %v", got, before)
		}
	})
	_ = an
}

func postRevocations(t *testing.T, n *Node, member, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", RevokedPath, strings.NewReader(body))
	resp, err := n.Do(context.Background(), member, req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSyncBoot: a member's node is synced with again when it has started
// since (a new HeaderBoot), once this node has synced with it; not on the
// first sight of it, nor on the same ID again.
func TestSyncBoot(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "C")
	a, c := ms[0], ms[1]
	cn, cURL := serveNode(t, c, nil, nil, nil, whoami())
	kicked := func() bool {
		select {
		case <-cn.syncKick:
			return true
		default:
			return false
		}
	}
	boot1, boot2 := strings.Repeat("1", 32), strings.Repeat("2", 32)
	cn.sawBoot(a.id, boot1)
	if kicked() {
		t.Error("a first sight before any sync kicked one")
	}
	cn.mu.Lock()
	cn.lastSync[a.id] = time.Now()
	cn.mu.Unlock()
	cn.sawBoot(a.id, boot1)
	if kicked() {
		t.Error("the same boot ID kicked a sync")
	}
	cn.sawBoot(a.id, "not hex at all, not thirty-two")
	if kicked() {
		t.Error("a malformed boot ID kicked a sync")
	}
	cn.sawBoot(a.id, boot2)
	if !kicked() {
		t.Error("a new boot ID after a sync kicked none")
	}
	cn.sawBoot(a.id, boot1)
	if kicked() {
		t.Errorf("a second new boot ID within %v kicked a sync", kickEvery)
	}
	// Every request a node sends carries its boot ID, which the receiver
	// notes.
	an, _ := serveNode(t, a, map[string]string{c.id: cURL}, nil, nil, whoami())
	if len(an.boot) != 32 || an.boot == cn.boot {
		t.Errorf("boot IDs %q and %q: want 32 hex digits, one per process", an.boot, cn.boot)
	}
	if code, _, err := get(t, an, c.id, "/anything"); err != nil || code != 200 {
		t.Fatalf("a request from A to C = %d, %v", code, err)
	}
	cn.mu.Lock()
	seen := cn.boots[a.id]
	cn.mu.Unlock()
	if seen != an.boot {
		t.Errorf("C noted A's boot ID %q, want %q (the one A sends)", seen, an.boot)
	}
}
