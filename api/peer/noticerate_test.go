package peer

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/problem"
)

// TestNoticeRate: a member's node that sends more share notices than its
// bucket allows (here 2 saved up, 1 a minute) is answered 429 rate-limited
// with Retry-After, in the sender's language, and nothing is stored; other
// members' notices are not affected; once the time in Retry-After has
// passed (on the limiter's clock), the notice is taken.
func TestNoticeRate(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "B", "C")
	a, b, c := ms[0], ms[1], ms[2]
	home := map[string]string{"firm": a.id, "firm-b": b.id, "court": c.id}
	cn, cURL := serveNode(t, c, nil, home, map[string]bool{"court": true}, whoami(), func(cfg *Config) {
		cfg.NoticeRate, cfg.NoticeBurst = 1.0/60, 2
	})
	clock := time.Now()
	cn.notices.now = func() time.Time { return clock }
	an, _ := serveNode(t, a, map[string]string{c.id: cURL}, home, nil, whoami())
	bn, _ := serveNode(t, b, map[string]string{c.id: cURL}, home, nil, whoami())
	notice := func(share, grantor string) Notice {
		return Notice{V: 1, Share: share, Kind: "evidence", Target: "item-" + share, Grantor: grantor, GrantorName: "Firm",
			Grantee: "court", CreatedAt: time.Now().UTC()}
	}
	for _, share := range []string{"sh1", "sh2"} {
		nt := notice(share, "firm")
		if err := an.send(context.Background(), c.id, &nt); err != nil {
			t.Fatalf("notice %s, within the burst: %v", share, err)
		}
	}
	nt := notice("sh3", "firm")
	err := an.send(context.Background(), c.id, &nt)
	var ae *answerError
	if !errors.As(err, &ae) || ae.status != http.StatusTooManyRequests || ae.typ != problem.Base+"rate-limited" || ae.forGood() {
		t.Fatalf("a third notice at once: %v, want 429 rate-limited, retried", err)
	}
	if _, ok := cn.HomeOf("court", "item-sh3"); ok {
		t.Error("C stored a notice over A's rate")
	}
	// The answer, in Chinese, with Retry-After.
	for _, lang := range []string{"en", "zh-CN"} {
		req, _ := http.NewRequest(http.MethodPost, NoticesPath, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept-Language", lang)
		resp, err := an.Do(context.Background(), c.id, req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := map[string]string{"en": "1 share notices a minute", "zh-CN": "突发时最多 2 个"}[lang]
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "60" || !strings.Contains(string(body), want) {
			t.Errorf("POST %s (%s) over the rate = %d, Retry-After %q, %s; want 429, 60, %q", NoticesPath, lang,
				resp.StatusCode, resp.Header.Get("Retry-After"), body, want)
		}
	}
	ntb := notice("shb", "firm-b")
	if err := bn.send(context.Background(), c.id, &ntb); err != nil {
		t.Errorf("B's notice while A is over its rate: %v, want taken", err)
	}
	clock = clock.Add(time.Minute)
	if err := an.send(context.Background(), c.id, &nt); err != nil {
		t.Errorf("the third notice a minute later: %v, want taken", err)
	}
	if m, ok := cn.HomeOf("court", "item-sh3"); !ok || m != a.id {
		t.Errorf("HomeOf(court, item-sh3) = %.8s %v, want A", m, ok)
	}
}

// TestOutboxRetryAfter: the outbox waits out the Retry-After of a 429 (or
// 503) answer to a notice, at most maxRetryAfter, and keeps the notice
// first in line, neither refused nor dropped; then delivers it. Over TLS, to
// C's node behind a listener that answers the first notices 429.
func TestOutboxRetryAfter(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "A", "C")
	a, c := ms[0], ms[1]
	home := map[string]string{"firm": a.id, "court": c.id}
	cn, _ := serveNode(t, c, nil, home, map[string]bool{"court": true}, whoami())
	var mu sync.Mutex
	refusals := []string{"30", "86400", ""} // the Retry-After of the first three notices' answers
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if r.URL.Path == NoticesPath && len(refusals) > 0 {
			if refusals[0] != "" {
				w.Header().Set("Retry-After", refusals[0])
			}
			refusals = refusals[1:]
			mu.Unlock()
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"type":"urn:custos:problem:rate-limited","status":429}`)
			return
		}
		mu.Unlock()
		cn.Handler(whoami()).ServeHTTP(w, r)
	}))
	srv.TLS = cn.ServerTLS()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	an, _ := serveNode(t, a, map[string]string{c.id: srv.URL}, home, nil, whoami())
	now := time.Now().UTC()
	for _, share := range []string{"sh1", "sh2"} {
		queueNotices(t, an, c.id, Notice{Share: share, Kind: "evidence", Target: "item-" + share, Grantor: "firm", Grantee: "court", CreatedAt: now})
	}
	d := &delivery{backoff: map[string]time.Duration{}, due: map[string]time.Time{}, notHome: map[string]time.Time{}, grace: notHomeGrace}
	// The third answer has no Retry-After: the backoff as before, doubled
	// twice by the two answers before it.
	for _, want := range []time.Duration{30 * time.Second, maxRetryAfter, 4 * an.cfg.Backoff} {
		before := time.Now()
		an.deliver(context.Background(), d)
		after := time.Now()
		if due := d.due[c.id]; due.Before(before.Add(want)) || due.After(after.Add(want)) {
			t.Errorf("after a 429: next attempt in %v, want %v", due.Sub(before), want)
		}
		if n, _ := an.Outbox(); n != 2 {
			t.Errorf("after a 429: %d notices in the outbox, want 2", n)
		}
		if r, _ := an.listRefused(); len(r) != 0 {
			t.Errorf("after a 429: refused %+v, want none", r)
		}
		d.due[c.id] = time.Time{} // the time has come
	}
	an.deliver(context.Background(), d)
	if n, _ := an.Outbox(); n != 0 {
		t.Errorf("once C takes notices: %d in the outbox, want 0", n)
	}
	for _, item := range []string{"item-sh1", "item-sh2"} {
		if m, ok := cn.HomeOf("court", item); !ok || m != a.id {
			t.Errorf("HomeOf(court, %s) = %.8s %v, want A", item, m, ok)
		}
	}
}
