package peer

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/problem"
)

// errorLog records the messages logged at error level.
type errorLog struct {
	mu   sync.Mutex
	msgs []string
}

func (l *errorLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *errorLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *errorLog) WithGroup(string) slog.Handler            { return l }
func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		l.mu.Lock()
		l.msgs = append(l.msgs, r.Message)
		l.mu.Unlock()
	}
	return nil
}

func (l *errorLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.msgs)
}

// TestOutboxRefused: a notice the grantee's node refuses for good leaves
// the outbox, kept as refused with the answer, so that the notices after it
// are delivered; the later notices of its share are not sent at all; a
// notice that fails for a while (here a 500) is retried and delivered.
func TestOutboxRefused(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "C")
	a, c := ms[0], ms[1]
	home := map[string]string{"firm": a.id, "court": c.id, "other": c.id}
	var fails atomic.Int32 // OnShared fails sh4's first two deliveries: 500
	cn, cURL := serveNode(t, c, nil, home, map[string]bool{"court": true}, whoami(), func(cfg *Config) {
		cfg.OnShared = func(tx *bolt.Tx, in *Inbound) error {
			if in.Share == "sh4" && fails.Add(1) <= 2 {
				return errors.New("webhook store busy")
			}
			return nil
		}
	})
	log := &errorLog{}
	an, _ := serveNode(t, a, map[string]string{c.id: cURL}, home, nil, whoami(), func(cfg *Config) { cfg.Log = slog.New(log) })
	now := time.Now().UTC()
	notice := func(share, target, grantee string, revoked bool) Notice {
		nt := Notice{V: 1, Share: share, Kind: "evidence", Target: target, Grantor: "firm", GrantorName: "Firm", Grantee: grantee, CreatedAt: now}
		if revoked {
			nt.RevokedAt = &now
		}
		return nt
	}
	queue := []Notice{
		notice("sh1", "item1", "other", false), // 422: the grantee is not C's
		notice("sh2", "item2", "court", false),
		notice("sh1", "item1", "other", true),  // the revocation of the refused share: not sent
		notice("sh2", "item9", "court", false), // 409: sh2 is known with another target
		notice("sh3", "item3", "court", false),
		notice("sh4", "item4", "court", false), // 500 twice, then delivered
		notice("sh5", "item5", "court", false),
	}
	queueNotices(t, an, c.id, queue...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go an.Run(ctx)
	waitFor(t, func() bool { n, _ := an.Outbox(); return n == 0 })

	for _, item := range []string{"item2", "item3", "item4", "item5"} {
		if m, ok := cn.HomeOf("court", item); !ok || m != a.id {
			t.Errorf("HomeOf(court, %s) = %.8s %v, want A: delivered after the refused notices", item, m, ok)
		}
	}
	if got, _ := cn.Received("other"); len(got) != 0 {
		t.Errorf("Received(other) = %+v, want none", got)
	}
	got, err := an.listRefused()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		share   string
		revoked bool
		status  int
		typ     string
	}{
		{"sh1", false, http.StatusUnprocessableEntity, problem.Base + "invalid-input"},
		{"sh1", true, 0, ""},
		{"sh2", false, http.StatusConflict, problem.Base + "notice-conflict"},
	}
	if len(got) != len(want) {
		t.Fatalf("listRefused() = %+v, want %d notices", got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Notice.Share != w.share || (g.Notice.RevokedAt != nil) != w.revoked || g.Status != w.status || g.Type != w.typ || g.Member != c.id || g.RefusedAt.IsZero() {
			t.Errorf("listRefused()[%d] = %s revoked=%v %d %q %.8s %v, want %s revoked=%v %d %q", i, g.Notice.Share, g.Notice.RevokedAt != nil,
				g.Status, g.Type, g.Member, g.RefusedAt, w.share, w.revoked, w.status, w.typ)
		}
	}
	if g := got[2].Notice; g.Target != "item9" {
		t.Errorf("listRefused()[2] target %s, want item9 (the conflicting notice, not the delivered one)", g.Target)
	}
	if n := log.count(); n != len(want) {
		t.Errorf("%d error-level log lines, want %d (one per refused notice): %q", n, len(want), log.msgs)
	}
}

// TestAnswerForGood: which answers to a notice give it up and which retry
// it; every status and problem type the contract declares for the notices
// is among them, so the sender decides on each answer a member may give.
func TestAnswerForGood(t *testing.T) {
	cases := []struct {
		status int
		typ    string
		want   bool
	}{
		{400, problem.Base + "not-an-object", true},
		{403, problem.Base + "not-home-member", true},
		{409, problem.Base + "notice-conflict", true},
		{413, problem.Base + "too-large", true},
		{422, problem.Base + "invalid-input", true},
		{404, "", true},
		{400, problem.Base + "stale-request", false}, // a clock off, or the member just restarted
		{409, problem.Base + "replayed-request", false},
		{403, problem.Base + "not-a-member", false}, // this node is not (yet) a member there
		{408, "", false},
		{429, "", false},
		{500, problem.Base + "internal", false},
		{503, problem.Base + "busy", false},
		{502, "", false},
		{400, problem.Base + "incomplete-upload", false}, // the body cut short: the request failed
		{429, problem.Base + "rate-limited", false},
		{503, problem.Base + "unknown-grantor", false}, // not in this node's directory yet
	}
	decided := map[string]bool{}
	for _, tc := range cases {
		decided[strconv.Itoa(tc.status)+" "+tc.typ] = true
	}
	named := regexp.MustCompile("`(urn:custos:problem:[a-z0-9-]+)`")
	for status, desc := range described()["POST "+NoticesPath] {
		for _, m := range named.FindAllStringSubmatch(desc, -1) {
			if !decided[status+" "+m[1]] {
				t.Errorf("api/peer/openapi.json declares %s %s for a notice; say here whether the sender gives the notice up", status, m[1])
			}
		}
	}
	for _, tc := range cases {
		if got := newAnswerError("m", tc.status, []byte(`{"type":"`+tc.typ+`"}`)).forGood(); got != tc.want {
			t.Errorf("answerError{%d %s}.forGood() = %v, want %v", tc.status, tc.typ, got, tc.want)
		}
	}
}

// A 403 not-home-member may only mean that the member's node has not yet
// applied the block that registered the grantor: the outbox sends the
// notice again for notHomeGrace after the first such answer, then refuses
// it for good. Other refusals for good are not graced.
func TestNotHomeGrace(t *testing.T) {
	d := &delivery{notHome: map[string]time.Time{}, grace: notHomeGrace}
	notHome := newAnswerError("m", 403, []byte(`{"type":"`+problem.Base+`not-home-member"}`))
	conflict := newAnswerError("m", 409, []byte(`{"type":"`+problem.Base+`notice-conflict"}`))
	t0 := time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC)
	key := []byte{0, 0, 0, 0, 0, 0, 0, 7}
	if !d.graced(key, notHome, t0) || !d.graced(key, notHome, t0.Add(notHomeGrace-time.Second)) {
		t.Fatal("a not-home-member answer within the grace is not sent again")
	}
	if d.graced(key, notHome, t0.Add(notHomeGrace)) {
		t.Fatal("a not-home-member answer past the grace is sent again")
	}
	if !d.graced(key, notHome, t0.Add(notHomeGrace+time.Second)) {
		t.Error("after a refusal the grace does not start again for the key (a notice queued anew under it)")
	}
	if d.graced([]byte("other"), conflict, t0) {
		t.Error("a notice-conflict answer is graced")
	}
}

// TestRefusedResendDrop: the operator lists the refused notices by share,
// newest first, with the member's answer and the notices parked behind
// them; sends a share's notices again, which are then delivered in their
// order; drops another's, with nothing dropped if the act's record fails;
// and an unknown share is ErrNoRefused.
func TestRefusedResendDrop(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "C")
	a, c := ms[0], ms[1]
	home := map[string]string{"firm": a.id, "court": c.id, "late": c.id}
	var lateLocal atomic.Bool // C keeps "late" only once the operator fixed it
	cn, cURL := serveNode(t, c, nil, home, map[string]bool{"court": true}, whoami(), func(cfg *Config) {
		local := cfg.Local
		cfg.Local = func(org string) bool { return local(org) || org == "late" && lateLocal.Load() }
	})
	an, _ := serveNode(t, a, map[string]string{c.id: cURL}, home, nil, whoami())
	now := time.Now().UTC()
	notice := func(share, grantee string, revoked bool) Notice {
		nt := Notice{V: 1, Share: share, Kind: "evidence", Target: "item-" + share, Grantor: "firm", GrantorName: "Firm", Grantee: grantee, CreatedAt: now}
		if revoked {
			nt.RevokedAt = &now
		}
		return nt
	}
	queue := func(nts ...Notice) { t.Helper(); queueNotices(t, an, c.id, nts...) }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go an.Run(ctx)
	queue(notice("shX", "late", false), notice("shX", "late", true), notice("shY", "court", false))
	waitFor(t, func() bool { n, _ := an.Outbox(); return n == 0 })
	queue(notice("shZ", "late", false)) // refused after shX
	waitFor(t, func() bool { n, _ := an.Outbox(); return n == 0 })

	got, total, err := an.RefusedShares(0)
	if err != nil || total != 2 || len(got) != 2 {
		t.Fatalf("RefusedShares(0) = %+v, %d, %v; want shZ and shX", got, total, err)
	}
	for i, w := range []struct {
		share  string
		parked int
	}{{"shZ", 0}, {"shX", 1}} {
		g := got[i]
		if g.Notice.Share != w.share || g.Parked != w.parked || g.Status != http.StatusUnprocessableEntity ||
			g.Type != problem.Base+"invalid-input" || g.Detail == "" || g.Member != c.id || g.Notice.RevokedAt != nil {
			t.Errorf("RefusedShares(0)[%d] = %+v, want %s refused 422 invalid-input with a detail, %d parked", i, g, w.share, w.parked)
		}
	}
	if got, total, _ := an.RefusedShares(1); len(got) != 1 || total != 2 || got[0].Notice.Share != "shZ" {
		t.Errorf("RefusedShares(1) = %+v, %d; want shZ alone of 2", got, total)
	}
	if _, err := an.Resend("shY", nil); !errors.Is(err, ErrNoRefused) {
		t.Errorf("Resend(delivered share) = %v, want ErrNoRefused", err)
	}
	if _, err := an.Drop("nope", nil); !errors.Is(err, ErrNoRefused) {
		t.Errorf("Drop(unknown share) = %v, want ErrNoRefused", err)
	}

	lateLocal.Store(true)
	rs, err := an.Resend("shX", nil)
	if err != nil || rs.Notice.Share != "shX" || rs.Parked != 1 {
		t.Fatalf("Resend(shX) = %+v, %v; want shX with 1 parked", rs, err)
	}
	waitFor(t, func() bool { in, _ := cn.Received("late"); return len(in) == 1 && in[0].RevokedAt != nil })
	if got, _, _ := an.RefusedShares(0); len(got) != 1 || got[0].Notice.Share != "shZ" {
		t.Errorf("after Resend(shX), RefusedShares = %+v, want shZ alone", got)
	}

	if _, err := an.Drop("shZ", func(*bolt.Tx, *RefusedShare) error { return errors.New("audit trail full") }); err == nil {
		t.Error("Drop with a failing record = nil error")
	}
	if got, _, _ := an.RefusedShares(0); len(got) != 1 {
		t.Errorf("a Drop whose record failed dropped: RefusedShares = %+v", got)
	}
	var seen *RefusedShare
	if _, err := an.Drop("shZ", func(_ *bolt.Tx, rs *RefusedShare) error { seen = rs; return nil }); err != nil || seen == nil || seen.Notice.Share != "shZ" {
		t.Fatalf("Drop(shZ) = %v, within saw %+v", err, seen)
	}
	if got, total, _ := an.RefusedShares(0); len(got) != 0 || total != 0 {
		t.Errorf("after Drop(shZ), RefusedShares = %+v, %d; want none", got, total)
	}
	if in, _ := cn.Received("late"); len(in) != 1 {
		t.Errorf("Received(late) = %+v, want shX alone (shZ dropped)", in)
	}
}

// A pass over the outbox that read it before a Resend stops before it
// decides on a notice: the notices queued again come first.
func TestRefusedRequeuedPass(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	a := newConsortium(t, root, "A")[0]
	an, _ := serveNode(t, a, nil, nil, nil, whoami())
	o := &outgoing{Member: "m", Notice: Notice{Share: "sh1"}}
	an.requeued = 1
	if skip, err := an.refused([]byte{0, 0, 0, 0, 0, 0, 0, 1}, o, 0); !errors.Is(err, errRequeued) || skip {
		t.Errorf("refused(pass before a Resend) = %v, %v; want errRequeued", skip, err)
	}
	if skip, err := an.refused([]byte{0, 0, 0, 0, 0, 0, 0, 1}, o, 1); err != nil || skip {
		t.Errorf("refused(current pass, share not refused) = %v, %v; want false, nil", skip, err)
	}
}

func TestCleanDetail(t *testing.T) {
	long := strings.Repeat("证", maxDetail) // 3 bytes each
	for _, tc := range []struct{ in, want string }{
		{"The grantee is not kept here.", "The grantee is not kept here."},
		{"red\x1b[31m\u202eflip\nline", "red[31mflipline"},
		{"bad \xff byte", "bad  byte"},
		{long, long[:maxDetail/3*3]},
	} {
		if got := cleanDetail(tc.in); got != tc.want {
			t.Errorf("cleanDetail(%.20q) = %.20q (%d bytes), want %.20q", tc.in, got, len(got), tc.want)
		}
	}
}

// queueNotices puts notices for member in n's outbox, in one transaction.
func queueNotices(t *testing.T, n *Node, member string, nts ...Notice) {
	t.Helper()
	if err := n.cfg.DB.Update(func(tx *bolt.Tx) error {
		for _, nt := range nts {
			if err := n.Enqueue(tx, member, nt); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// listRefused lists the notices the outbox gave up on, in the order they
// were queued.
func (n *Node) listRefused() ([]Refused, error) {
	var es []refusedEntry
	err := n.cfg.DB.View(func(tx *bolt.Tx) error {
		return eachRefused(tx, nil, func(_ []byte, e *refusedEntry) error { es = append(es, *e); return nil })
	})
	sort.Slice(es, func(i, j int) bool { return es[i].seq < es[j].seq })
	out := make([]Refused, len(es))
	for i, e := range es {
		out[i] = e.r
	}
	return out, err
}
