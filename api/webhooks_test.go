package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/webhooks"
)

// auditEvidence is an evidence service that only keeps audit events. (The embedded
// nil interface stands for the methods the webhook handlers never call.)
type auditEvidence struct {
	evidenceService
	mu     sync.Mutex
	events []custody.Event
	fail   bool
}

func (a *auditEvidence) AppendAudit(_ context.Context, org, actor, typ, subject string) (*custody.Event, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail {
		return nil, errors.New("audit store down")
	}
	e := custody.Event{Evidence: org, Actor: actor, Type: typ, Subject: subject}
	a.events = append(a.events, e)
	return &e, nil
}

// AppendAuditTx keeps the event once tx commits, as the real audit trail's
// event is committed with the act or not at all.
func (a *auditEvidence) AppendAuditTx(tx *bolt.Tx, org, actor, typ, subject string) (*custody.Event, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail {
		return nil, errors.New("audit store down")
	}
	e := custody.Event{Evidence: org, Actor: actor, Type: typ, Subject: subject}
	tx.OnCommit(func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.events = append(a.events, e)
	})
	return &e, nil
}

func (a *auditEvidence) last() custody.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.events) == 0 {
		return custody.Event{}
	}
	return a.events[len(a.events)-1]
}

type webhookFixture struct {
	h                   http.Handler
	ev                  *auditEvidence
	svc                 *webhooks.Service
	orgA, orgB          string
	tokA, tokB, viewerA string
	actorA              string
}

// newWebhookFixture serves only the webhook routes (on their own echo, so
// that the test does not depend on routes() registering them), backed by
// a real webhooks.Service and access.Store.
func newWebhookFixture(t *testing.T, withService bool) *webhookFixture {
	t.Helper()
	db, orgs := newTestOrgs(t)
	f := &webhookFixture{ev: &auditEvidence{}}
	a, _ := orgs.CreateOrg(access.KindLawFirm, "Firm A")
	b, _ := orgs.CreateOrg(access.KindCourt, "Court B")
	f.orgA, f.orgB = a.ID, b.ID
	var k *access.Key
	f.tokA, k, _ = orgs.CreateKey(a.ID, access.RoleSubmitter, "a", nil)
	f.actorA = a.ID + ":" + k.ID
	f.viewerA, _, _ = orgs.CreateKey(a.ID, access.RoleViewer, "v", nil)
	f.tokB, _, _ = orgs.CreateKey(b.ID, access.RoleSubmitter, "b", nil)

	s, err := New(withEvidence(f.ev, Config{Access: orgs, TSA: http.NotFoundHandler()}))
	if err != nil {
		t.Fatal(err)
	}
	var hooks Webhooks
	if withService {
		f.svc, err = webhooks.New(webhooks.Config{DB: db, Sealer: testSealer(t), AllowPrivate: true, Backoff: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		hooks = f.svc
	}
	e := echo.New()
	e.HTTPErrorHandler = s.handleError
	s.webhookRoutes(e, hooks)
	f.h = e
	return f
}

func (f *webhookFixture) do(t *testing.T, method, path, token, body string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

func (f *webhookFixture) create(t *testing.T, token, body string) NewWebhookView {
	t.Helper()
	status, b := f.do(t, "POST", "/api/v1/webhooks", token, body)
	if status != http.StatusCreated {
		t.Fatalf("POST /api/v1/webhooks %s = %d %s, want 201", body, status, b)
	}
	var v NewWebhookView
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func problemSlug(t *testing.T, b []byte) string {
	t.Helper()
	var p Problem
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("not problem+json: %s", b)
	}
	return strings.TrimPrefix(p.Type, ProblemBase)
}

func TestWebhookCreate(t *testing.T) {
	f := newWebhookFixture(t, true)
	v := f.create(t, f.tokA, `{"url":"https://hooks.example.com/c","events":["evidence.shared","evidence.timestamped"]}`)
	if v.Webhook.Org != f.orgA || v.Webhook.CreatedBy != f.actorA || len(v.Secret) != 43 ||
		strings.Join(v.Webhook.Events, ",") != "evidence.timestamped,evidence.shared" {
		t.Errorf("created = %+v", v)
	}
	if e := f.ev.last(); e.Type != custody.AuditWebhookCreated || e.Subject != "webhook:"+v.Webhook.ID || e.Evidence != f.orgA || e.Actor != f.actorA {
		t.Errorf("audit event = %+v, want webhook.created webhook:%s by %s", e, v.Webhook.ID, f.actorA)
	}

	tests := []struct {
		name, token, body string
		status            int
		slug              string
	}{
		{"no token", "", `{"url":"https://h.example.com/","events":["evidence.shared"]}`, 401, "unauthorized"},
		{"viewer", f.viewerA, `{"url":"https://h.example.com/","events":["evidence.shared"]}`, 403, "forbidden"},
		{"unknown field", f.tokA, `{"url":"https://h.example.com/","events":["evidence.shared"],"secret":"mine"}`, 422, "invalid-input"},
		{"trailing data", f.tokA, `{"url":"https://h.example.com/","events":["evidence.shared"]} {}`, 422, "invalid-input"},
		{"not JSON", f.tokA, `url=x`, 422, "invalid-input"},
		{"ftp URL", f.tokA, `{"url":"ftp://h.example.com/","events":["evidence.shared"]}`, 422, "invalid-input"},
		{"credentials in URL", f.tokA, `{"url":"https://u:p@h.example.com/","events":["evidence.shared"]}`, 422, "invalid-input"},
		{"no events", f.tokA, `{"url":"https://h.example.com/","events":[]}`, 422, "invalid-input"},
		{"unknown event", f.tokA, `{"url":"https://h.example.com/","events":["evidence.deleted"]}`, 422, "invalid-input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, b := f.do(t, "POST", "/api/v1/webhooks", tt.token, tt.body)
			if status != tt.status || problemSlug(t, b) != tt.slug {
				t.Errorf("POST %s = %d %s, want %d %s", tt.body, status, b, tt.status, tt.slug)
			}
		})
	}
	if ws, _ := f.svc.List(f.orgA); len(ws) != 1 {
		t.Errorf("after the refused requests, A has %d webhooks, want 1", len(ws))
	}
}

func TestWebhookCreateAuditFails(t *testing.T) {
	f := newWebhookFixture(t, true)
	f.ev.fail = true
	status, b := f.do(t, "POST", "/api/v1/webhooks", f.tokA, `{"url":"https://h.example.com/","events":["evidence.shared"]}`)
	if status != http.StatusInternalServerError || strings.Contains(string(b), "secret") {
		t.Errorf("POST with the audit failing = %d %s, want 500 without the secret", status, b)
	}
	if ws, _ := f.svc.List(f.orgA); len(ws) != 0 {
		t.Errorf("an unaudited webhook remains: %+v", ws)
	}
}

// TestWebhookDeleteAuditFails checks that a deletion whose audit event
// cannot be written deletes nothing (W7 in docs/security.md): the
// webhook stays, with its delivery log, and the answer is a 500 problem.
func TestWebhookDeleteAuditFails(t *testing.T) {
	f := newWebhookFixture(t, true)
	v := f.create(t, f.tokA, `{"url":"https://hooks.example.com/d","events":["evidence.shared"]}`)
	f.svc.Publish(f.orgA, webhooks.EventShared, map[string]string{"id": "x"})
	before, err := f.svc.Deliveries(f.orgA, v.Webhook.ID, 10)
	if err != nil || len(before) != 1 {
		t.Fatalf("deliveries before = %v, %v; want 1", before, err)
	}
	f.ev.fail = true
	status, b := f.do(t, "DELETE", "/api/v1/webhooks/"+v.Webhook.ID, f.tokA, "")
	if status != http.StatusInternalServerError || problemSlug(t, b) != "internal" {
		t.Errorf("DELETE with the audit failing = %d %s, want 500 internal", status, b)
	}
	if ws, _ := f.svc.List(f.orgA); len(ws) != 1 || ws[0].ID != v.Webhook.ID {
		t.Errorf("after the failed audit, A's webhooks = %+v, want the webhook still there", ws)
	}
	if ds, err := f.svc.Deliveries(f.orgA, v.Webhook.ID, 10); err != nil || len(ds) != 1 {
		t.Errorf("after the failed audit, deliveries = %v, %v; want the log kept", ds, err)
	}
	if e := f.ev.last(); e.Type != custody.AuditWebhookCreated {
		t.Errorf("last audit event = %+v, want still webhook.created", e)
	}
	f.ev.fail = false
	if status, b := f.do(t, "DELETE", "/api/v1/webhooks/"+v.Webhook.ID, f.tokA, ""); status != 200 {
		t.Errorf("DELETE once the audit works = %d %s, want 200", status, b)
	}
	if e := f.ev.last(); e.Type != custody.AuditWebhookDeleted || e.Subject != "webhook:"+v.Webhook.ID {
		t.Errorf("audit event = %+v, want webhook.deleted", e)
	}
}

func TestWebhookListDeleteScoped(t *testing.T) {
	f := newWebhookFixture(t, true)
	v := f.create(t, f.tokA, `{"url":"https://hooks.example.com/c","events":["evidence.anchored"]}`)
	id := v.Webhook.ID

	status, b := f.do(t, "GET", "/api/v1/webhooks", f.tokA, "")
	var l wire.ListView[webhooks.Webhook]
	json.Unmarshal(b, &l)
	if status != 200 || len(l.Items) != 1 || l.Items[0].ID != id || strings.Contains(string(b), v.Secret) || strings.Contains(string(b), "secret") {
		t.Errorf("GET /api/v1/webhooks (A) = %d %s; want A's webhook, no secret", status, b)
	}
	if status, b := f.do(t, "GET", "/api/v1/webhooks", f.tokB, ""); status != 200 || string(b) != "{\"items\":[]}\n" {
		t.Errorf("GET /api/v1/webhooks (B) = %d %s; want none", status, b)
	}
	for _, tt := range []struct{ method, path string }{
		{"DELETE", "/api/v1/webhooks/" + id},
		{"POST", "/api/v1/webhooks/" + id + "/adopt"},
		{"GET", "/api/v1/webhooks/" + id + "/deliveries"},
	} {
		if status, b := f.do(t, tt.method, tt.path, f.tokB, ""); status != 404 || problemSlug(t, b) != "not-found" {
			t.Errorf("%s %s by B = %d %s, want 404 not-found", tt.method, tt.path, status, b)
		}
	}
	if status, _ := f.do(t, "DELETE", "/api/v1/webhooks/"+id, f.viewerA, ""); status != 403 {
		t.Errorf("DELETE by A's viewer = %d, want 403", status)
	}

	status, b = f.do(t, "DELETE", "/api/v1/webhooks/"+id, f.tokA, "")
	if status != 200 || !strings.Contains(string(b), id) {
		t.Errorf("DELETE by A = %d %s, want 200", status, b)
	}
	if e := f.ev.last(); e.Type != custody.AuditWebhookDeleted || e.Subject != "webhook:"+id || e.Evidence != f.orgA {
		t.Errorf("audit event = %+v, want webhook.deleted webhook:%s", e, id)
	}
	if status, _ := f.do(t, "DELETE", "/api/v1/webhooks/"+id, f.tokA, ""); status != 404 {
		t.Errorf("second DELETE = %d, want 404", status)
	}
	if status, _ := f.do(t, "DELETE", "/api/v1/webhooks/not-an-id", f.tokA, ""); status != 404 {
		t.Errorf("DELETE of a malformed ID = %d, want 404", status)
	}
}

func TestWebhookDeliveries(t *testing.T) {
	f := newWebhookFixture(t, true)
	var mu sync.Mutex
	calls := 0
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer rcv.Close()
	v := f.create(t, f.tokA, `{"url":"`+rcv.URL+`","events":["evidence.timestamped"]}`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.svc.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	f.svc.Publish(f.orgA, webhooks.EventTimestamped, map[string]string{"id": "e1"})
	path := "/api/v1/webhooks/" + v.Webhook.ID + "/deliveries"
	var l wire.ListView[webhooks.Delivery]
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		status, b := f.do(t, "GET", path, f.tokA, "")
		if status != 200 {
			t.Fatalf("GET %s = %d %s", path, status, b)
		}
		l = wire.ListView[webhooks.Delivery]{}
		json.Unmarshal(b, &l)
		if len(l.Items) == 1 && l.Items[0].State == webhooks.StateDelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s = %s, want one delivered delivery", path, b)
		}
	}
	if a := l.Items[0].Attempts; len(a) != 2 || a[0].Status != 500 || a[1].Status != 200 {
		t.Errorf("attempts = %+v, want 500 then 200", a)
	}
	for _, q := range []string{"?limit=0", "?limit=x", "?limit=1001"} {
		if status, b := f.do(t, "GET", path+q, f.tokA, ""); status != 400 || problemSlug(t, b) != "bad-parameter" {
			t.Errorf("GET deliveries%s = %d %s, want 400 bad-parameter", q, status, b)
		}
	}
	if status, b := f.do(t, "GET", path+"?limit=1", f.tokA, ""); status != 200 || !strings.Contains(string(b), l.Items[0].ID) {
		t.Errorf("GET deliveries?limit=1 = %d %s", status, b)
	}
}

func TestWebhooksNotConfigured(t *testing.T) {
	f := newWebhookFixture(t, false)
	for _, tt := range []struct{ method, path, body string }{
		{"POST", "/api/v1/webhooks", `{"url":"https://h.example.com/","events":["evidence.shared"]}`},
		{"GET", "/api/v1/webhooks", ""},
		{"DELETE", "/api/v1/webhooks/aaaaaaaaaaaaaaaaaaaaaaaaaa", ""},
		{"POST", "/api/v1/webhooks/aaaaaaaaaaaaaaaaaaaaaaaaaa/adopt", ""},
		{"GET", "/api/v1/webhooks/aaaaaaaaaaaaaaaaaaaaaaaaaa/deliveries", ""},
	} {
		if status, b := f.do(t, tt.method, tt.path, f.tokA, tt.body); status != 404 || problemSlug(t, b) != "not-found" {
			t.Errorf("%s %s without a webhook service = %d %s, want 404", tt.method, tt.path, status, b)
		}
	}
}

// TestDeliveryLogHidesAddresses checks that the delivery log shows the
// organization a reason from the fixed vocabulary, not the dial error with
// the address the node connected to.
func TestDeliveryLogHidesAddresses(t *testing.T) {
	f := newWebhookFixture(t, true)
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := closed.Listener.Addr().String()
	closed.Close() // nothing listens there any more
	v := f.create(t, f.tokA, `{"url":"http://`+addr+`/hook","events":["evidence.timestamped"]}`)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.svc.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	f.svc.Publish(f.orgA, webhooks.EventTimestamped, map[string]string{"id": "e1"})
	path := "/api/v1/webhooks/" + v.Webhook.ID + "/deliveries"
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		status, b := f.do(t, "GET", path, f.tokA, "")
		var l wire.ListView[webhooks.Delivery]
		json.Unmarshal(b, &l)
		if status != 200 || len(l.Items) != 1 || len(l.Items[0].Attempts) == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("GET %s = %d %s, want an attempt", path, status, b)
			}
			continue
		}
		if a := l.Items[0].Attempts[0]; a.Status != 0 || a.Reason != webhooks.ReasonRefused {
			t.Errorf("attempt = %+v, want reason %q", a, webhooks.ReasonRefused)
		}
		_, port, _ := net.SplitHostPort(addr)
		for _, leak := range []string{"127.0.0.1", ":" + port, "dial", "connect:", "error"} {
			if strings.Contains(string(b), leak) {
				t.Errorf("GET %s = %s: shows %q", path, b, leak)
			}
		}
		return
	}
}
