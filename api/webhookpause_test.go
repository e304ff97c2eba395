package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/webhooks"
)

// pauseWorld is a real API server, with the webhook service wired to the
// key store as custos serve wires it (CreatorActive: ActorActive), and a
// receiver that keeps what it gets.
type pauseWorld struct {
	srv     *httptest.Server
	svc     *webhooks.Service
	orgs    *access.Store
	ev      *auditEvidence
	org     string
	admin   string // the operator's admin key
	adopter string // a second key of org with the webhooks permission
	other   string // another organization's key
	viewer  string // a key of org without the webhooks permission

	mu  sync.Mutex
	got []hookPost
}

type hookPost struct {
	header http.Header
	body   []byte
}

func newPauseWorld(t *testing.T) *pauseWorld {
	t.Helper()
	db, orgs := newTestOrgs(t)
	w := &pauseWorld{orgs: orgs, ev: &auditEvidence{}}
	op, _ := orgs.CreateOrg(access.KindOperator, "Operator")
	firm, _ := orgs.CreateOrg(access.KindLawFirm, "Firm")
	court, _ := orgs.CreateOrg(access.KindCourt, "Court")
	w.org = firm.ID
	w.admin, _, _ = orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil)
	w.adopter, _, _ = orgs.CreateKey(firm.ID, access.RoleSubmitter, "integration", nil)
	w.viewer, _, _ = orgs.CreateKey(firm.ID, access.RoleViewer, "viewer", nil)
	w.other, _, _ = orgs.CreateKey(court.ID, access.RoleSubmitter, "court", nil)
	var err error
	w.svc, err = webhooks.New(webhooks.Config{DB: db, Sealer: testSealer(t), AllowPrivate: true, Backoff: 5 * time.Millisecond,
		CreatorActive: orgs.ActorActive})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(withEvidence(w.ev, Config{Access: orgs, TSA: http.NotFoundHandler(), Webhooks: w.svc}))
	if err != nil {
		t.Fatal(err)
	}
	w.srv = httptest.NewServer(s)
	t.Cleanup(w.srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.svc.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return w
}

// receiver starts the webhook receiver.
func (w *pauseWorld) receiver(t *testing.T) string {
	t.Helper()
	rcv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.got = append(w.got, hookPost{r.Header.Clone(), b})
		w.mu.Unlock()
	}))
	t.Cleanup(rcv.Close)
	return rcv.URL
}

func (w *pauseWorld) received() []hookPost {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]hookPost(nil), w.got...)
}

// waitReceived returns the requests received once there are n.
func (w *pauseWorld) waitReceived(t *testing.T, n int) []hookPost {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if got := w.received(); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("receiver got %d requests, want %d", len(w.received()), n)
		}
	}
}

func (w *pauseWorld) call(t *testing.T, method, path, token, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, w.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// list is the organization's one webhook, as GET /api/v1/webhooks shows it.
func (w *pauseWorld) list(t *testing.T) wire.Webhook {
	t.Helper()
	status, b := w.call(t, "GET", "/api/v1/webhooks", w.adopter, "")
	var l wire.ListView[wire.Webhook]
	if err := json.Unmarshal(b, &l); status != 200 || err != nil || len(l.Items) != 1 {
		t.Fatalf("GET /api/v1/webhooks = %d %s, want one webhook", status, b)
	}
	return l.Items[0]
}

// waitPaused waits until the newest delivery of hook is paused, and
// returns it.
func (w *pauseWorld) waitPaused(t *testing.T, hook string) wire.Delivery {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		status, b := w.call(t, "GET", "/api/v1/webhooks/"+hook+"/deliveries?limit=1", w.adopter, "")
		var l wire.ListView[wire.Delivery]
		json.Unmarshal(b, &l)
		if status == 200 && len(l.Items) == 1 && len(l.Items[0].Attempts) > 0 {
			return l.Items[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET deliveries = %d %s, want the newest paused", status, b)
		}
	}
}

// pausedThenAdopted checks the paused webhook hook, registered with
// secret: a new event is queued but not sent, and reaches the receiver
// only once the adopter key adopts the webhook, signed with the new
// secret. sent is how many requests the receiver had before.
func (w *pauseWorld) pausedThenAdopted(t *testing.T, hook, secret string, sent int) {
	t.Helper()
	if v := w.list(t); !v.Paused || v.PausedReason != webhooks.PausedCreatorInactive {
		t.Errorf("webhook = %+v, want paused (%q)", v, webhooks.PausedCreatorInactive)
	}
	w.svc.Publish(w.org, webhooks.EventTimestamped, map[string]string{"id": "while-paused"})
	d := w.waitPaused(t, hook)
	if d.State != webhooks.StatePending || d.NextAttemptAt != nil || len(d.Attempts) != 1 ||
		d.Attempts[0].Reason != webhooks.ReasonPaused || d.Attempts[0].Status != 0 {
		t.Errorf("delivery while paused = %+v, want pending, reason %q", d, webhooks.ReasonPaused)
	}
	time.Sleep(50 * time.Millisecond) // ≫ the backoff
	if got := len(w.received()); got != sent {
		t.Fatalf("receiver got %d requests while the webhook was paused, want %d", got-sent, 0)
	}

	// Not by another organization, nor by a key without webhooks.
	for _, tc := range []struct {
		token  string
		status int
	}{{w.other, 404}, {w.viewer, 403}} {
		if status, b := w.call(t, "POST", "/api/v1/webhooks/"+hook+"/adopt", tc.token, ""); status != tc.status {
			t.Errorf("adopt = %d %s, want %d", status, b, tc.status)
		}
	}
	status, b := w.call(t, "POST", "/api/v1/webhooks/"+hook+"/adopt", w.adopter, "")
	var nw wire.NewWebhookView
	if err := json.Unmarshal(b, &nw); status != 200 || err != nil {
		t.Fatalf("adopt = %d %s, want 200", status, b)
	}
	me, _ := w.orgs.Authenticate(w.adopter)
	if nw.Webhook.ID != hook || nw.Webhook.CreatedBy != me.Actor() || nw.Webhook.Paused || len(nw.Secret) != 43 || nw.Secret == secret {
		t.Errorf("adopt answered %s; want the webhook created by %s, not paused, and a new secret", b, me.Actor())
	}
	if e := w.ev.last(); e.Type != custody.AuditWebhookAdopted || e.Subject != "webhook:"+hook || e.Evidence != w.org || e.Actor != me.Actor() {
		t.Errorf("audit event = %+v, want webhook.adopted webhook:%s by %s", e, hook, me.Actor())
	}
	got := w.waitReceived(t, sent+1)[sent]
	sig := got.header.Get(webhooks.HeaderSignature)
	if err := webhooks.Verify(nw.Secret, sig, got.body, time.Now(), time.Minute); err != nil || !strings.Contains(string(got.body), "while-paused") {
		t.Errorf("the queued delivery: Verify with the new secret = %v, body %s", err, got.body)
	}
	if err := webhooks.Verify(secret, sig, got.body, time.Now(), time.Minute); !errors.Is(err, webhooks.ErrSignature) {
		t.Errorf("the queued delivery verifies with the old secret: %v", err)
	}
	if v := w.list(t); v.Paused {
		t.Errorf("after the adoption the webhook = %+v, want not paused", v)
	}
}

// TestWebhookPausedWhenKeyRevoked (A6 in docs/security.md): once the key
// that registered a webhook is revoked through the API, no delivery
// reaches its receiver; another key of the organization adopts it, and
// the event queued meanwhile arrives, signed with the new secret. Before,
// the revoked key's receiver kept getting every event.
func TestWebhookPausedWhenKeyRevoked(t *testing.T) {
	w := newPauseWorld(t)
	url := w.receiver(t)
	tok, k, _ := w.orgs.CreateKey(w.org, access.RoleSubmitter, "leaving clerk", nil)
	status, b := w.call(t, "POST", "/api/v1/webhooks", tok, `{"url":"`+url+`","events":["evidence.timestamped"]}`)
	var nw wire.NewWebhookView
	if err := json.Unmarshal(b, &nw); status != 201 || err != nil {
		t.Fatalf("POST /api/v1/webhooks = %d %s", status, b)
	}
	w.svc.Publish(w.org, webhooks.EventTimestamped, map[string]string{"id": "before"})
	w.waitReceived(t, 1)
	if v := w.list(t); v.Paused {
		t.Errorf("webhook of a live key = %+v, want not paused", v)
	}
	if status, b := w.call(t, "DELETE", "/api/v1/keys/"+k.ID, w.admin, ""); status != 200 {
		t.Fatalf("DELETE /api/v1/keys/%s = %d %s", k.ID, status, b)
	}
	w.pausedThenAdopted(t, nw.Webhook.ID, nw.Secret, 1)
}

// TestWebhookPausedWhenKeyExpired: the same once the key that registered
// the webhook has expired.
func TestWebhookPausedWhenKeyExpired(t *testing.T) {
	w := newPauseWorld(t)
	url := w.receiver(t)
	exp := time.Now().Add(time.Second)
	tok, _, _ := w.orgs.CreateKey(w.org, access.RoleSubmitter, "temporary", &exp)
	status, b := w.call(t, "POST", "/api/v1/webhooks", tok, `{"url":"`+url+`","events":["evidence.timestamped"]}`)
	var nw wire.NewWebhookView
	if err := json.Unmarshal(b, &nw); status != 201 || err != nil {
		t.Fatalf("POST /api/v1/webhooks = %d %s", status, b)
	}
	time.Sleep(time.Until(exp) + 10*time.Millisecond)
	w.pausedThenAdopted(t, nw.Webhook.ID, nw.Secret, 0)
}
