package peer

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
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
	if err := an.cfg.DB.Update(func(tx *bolt.Tx) error {
		for _, nt := range queue {
			if err := an.Enqueue(tx, c.id, nt); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
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

// TestAnswerForGood: which answers to a notice give it up and which retry it.
func TestAnswerForGood(t *testing.T) {
	for _, tc := range []struct {
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
	} {
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
