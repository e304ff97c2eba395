package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/webhooks"
)

// hookReceiver is a webhook receiver: it keeps every request, by path, and
// answers 500 to the first fail[path] requests of a path, 200 after.
type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  map[string][]hookRequest
	fail map[string]int
}

type hookRequest struct {
	header http.Header
	body   []byte
	at     time.Time
}

func newHookReceiver(t *testing.T, fail map[string]int) *hookReceiver {
	t.Helper()
	r := &hookReceiver{got: map[string][]hookRequest{}, fail: fail}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got[req.URL.Path] = append(r.got[req.URL.Path], hookRequest{req.Header.Clone(), body, time.Now()})
		n := len(r.got[req.URL.Path])
		r.mu.Unlock()
		if n <= r.fail[req.URL.Path] {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

// wait returns the requests to path once there are at least n of them.
func (r *hookReceiver) wait(t *testing.T, path string, n int, within time.Duration) []hookRequest {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		r.mu.Lock()
		got := append([]hookRequest(nil), r.got[path]...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			var types []string
			for _, g := range got {
				types = append(types, g.header.Get(webhooks.HeaderEvent))
			}
			t.Fatalf("receiver %s got %d requests %v in %v, want %d", path, len(got), types, within, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// check verifies a request's signature and headers, and decodes its payload.
func (h hookRequest) check(t *testing.T, secret, hookID, event string) webhooks.Payload {
	t.Helper()
	if err := webhooks.Verify(secret, h.header.Get(webhooks.HeaderSignature), h.body, time.Now(), time.Minute); err != nil {
		t.Errorf("%s delivery: Verify = %v", event, err)
	}
	var p webhooks.Payload
	mustJSON(t, h.body, &p)
	if p.Type != event || h.header.Get(webhooks.HeaderEvent) != event || h.header.Get(webhooks.HeaderWebhookID) != hookID ||
		h.header.Get(webhooks.HeaderDeliveryID) != p.ID || h.header.Get("Content-Type") != "application/json" {
		t.Errorf("delivery = %v %s; want a %s of webhook %s", h.header, h.body, event, hookID)
	}
	return p
}

// newOrg creates an organization and a key of role in it, with the admin
// token, and returns the organization's ID and the key's token.
func newOrg(t *testing.T, n *proc, kind, name string, role access.Role) (string, string) {
	t.Helper()
	status, _, b := n.call("POST", "/api/v1/orgs", n.Token, strings.NewReader(`{"kind":"`+kind+`","name":"`+name+`"}`), "Content-Type", "application/json")
	var o access.Org
	mustJSON(t, b, &o)
	if status != http.StatusCreated {
		t.Fatalf("POST /api/v1/orgs = %d %s", status, b)
	}
	status, _, b = n.call("POST", "/api/v1/orgs/"+o.ID+"/keys", n.Token, strings.NewReader(`{"role":"`+string(role)+`","name":"k"}`), "Content-Type", "application/json")
	var k api.NewKeyView
	mustJSON(t, b, &k)
	if status != http.StatusCreated {
		t.Fatalf("POST /api/v1/orgs/%s/keys = %d %s", o.ID, status, b)
	}
	return o.ID, k.Token
}

func registerHook(t *testing.T, n *proc, token, url string, events ...string) api.NewWebhookView {
	t.Helper()
	body, _ := json.Marshal(wire.WebhookInput{URL: url, Events: events})
	status, _, b := n.call("POST", "/api/v1/webhooks", token, strings.NewReader(string(body)), "Content-Type", "application/json")
	if status != http.StatusCreated {
		t.Fatalf("POST /api/v1/webhooks = %d %s, want 201", status, b)
	}
	var v api.NewWebhookView
	mustJSON(t, b, &v)
	return v
}

// TestWebhooks runs a node whose webhooks may reach loopback (the test's
// receiver) with fast retries, and follows one item through the events an
// organization is told of.
func TestWebhooks(t *testing.T) {
	n := startNode(t, t.TempDir(), "[webhooks]\nallow_private = true\nbackoff = \"200ms\"\nmax_attempts = 5\n")
	rcv := newHookReceiver(t, map[string]int{"/flaky": 2})
	orgA, tokA := newOrg(t, n, access.KindLawFirm, "Firm A", access.RoleSubmitter)
	orgB, tokB := newOrg(t, n, access.KindCourt, "Court B", access.RoleSubmitter)
	hookA := registerHook(t, n, tokA, rcv.URL+"/a", webhooks.Events...)
	hookB := registerHook(t, n, tokB, rcv.URL+"/b", webhooks.EventShared)

	v := n.upload(tokA, []byte("webhook evidence\n"))

	t.Run("timestamped then anchored", func(t *testing.T) {
		got := rcv.wait(t, "/a", 2, 30*time.Second)
		p := got[0].check(t, hookA.Secret, hookA.Webhook.ID, webhooks.EventTimestamped)
		var view wire.EvidenceView
		mustJSON(t, p.Data, &view)
		if p.Org != orgA || view.ID != v.ID || view.SHA256 != v.SHA256 {
			t.Errorf("timestamped payload = %s, want evidence %s of %s", got[0].body, v.ID, orgA)
		}
		p = got[1].check(t, hookA.Secret, hookA.Webhook.ID, webhooks.EventAnchored)
		var rec wire.EvidenceView
		mustJSON(t, p.Data, &rec)
		if p.Org != orgA || rec.ID != v.ID || rec.Status != evidence.StatusAnchored || rec.AnchoredHeight == 0 {
			t.Errorf("anchored payload = %s, want evidence %s anchored", got[1].body, v.ID)
		}
	})

	t.Run("shared, to both organizations", func(t *testing.T) {
		status, _, b := n.call("POST", "/api/v1/shares", tokA, strings.NewReader(`{"evidence":"`+v.ID+`","org":"`+orgB+`"}`), "Content-Type", "application/json")
		if status != http.StatusCreated {
			t.Fatalf("POST /api/v1/shares = %d %s", status, b)
		}
		var sh evidence.Share
		mustJSON(t, b, &sh)
		a := rcv.wait(t, "/a", 3, 10*time.Second)[2]
		b0 := rcv.wait(t, "/b", 1, 10*time.Second)[0]
		pa := a.check(t, hookA.Secret, hookA.Webhook.ID, webhooks.EventShared)
		pb := b0.check(t, hookB.Secret, hookB.Webhook.ID, webhooks.EventShared)
		if pa.Org != orgA || pb.Org != orgB || !strings.Contains(string(pa.Data), sh.ID) || !strings.Contains(string(pb.Data), sh.ID) {
			t.Errorf("shared payloads:\n%s\n%s\nwant share %s told to %s and %s", a.body, b0.body, sh.ID, orgA, orgB)
		}
		if err := webhooks.Verify(hookA.Secret, b0.header.Get(webhooks.HeaderSignature), b0.body, time.Now(), time.Minute); err == nil {
			t.Error("B's delivery verifies with A's secret")
		}
	})

	t.Run("retried until delivered", func(t *testing.T) {
		flaky := registerHook(t, n, tokA, rcv.URL+"/flaky", webhooks.EventTimestamped)
		n.upload(tokA, []byte("second item\n"))
		got := rcv.wait(t, "/flaky", 3, 30*time.Second)
		id := got[0].header.Get(webhooks.HeaderDeliveryID)
		for i, g := range got {
			g.check(t, flaky.Secret, flaky.Webhook.ID, webhooks.EventTimestamped)
			if g.header.Get(webhooks.HeaderDeliveryID) != id {
				t.Errorf("attempt %d has delivery ID %s, want %s (the same delivery)", i, g.header.Get(webhooks.HeaderDeliveryID), id)
			}
		}
		if gap := got[1].at.Sub(got[0].at); gap < 100*time.Millisecond {
			t.Errorf("first retry after %v, want the configured backoff (200ms ±25%%)", gap)
		}
		var log wire.ListView[webhooks.Delivery]
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			status, _, b := n.call("GET", "/api/v1/webhooks/"+flaky.Webhook.ID+"/deliveries", tokA, nil)
			if status != http.StatusOK {
				t.Fatalf("GET deliveries = %d %s", status, b)
			}
			log = wire.ListView[webhooks.Delivery]{}
			mustJSON(t, b, &log)
			if len(log.Items) == 1 && log.Items[0].State == webhooks.StateDelivered || time.Now().After(deadline) {
				break
			}
		}
		if len(log.Items) != 1 || log.Items[0].ID != id || log.Items[0].State != webhooks.StateDelivered {
			t.Fatalf("delivery log = %+v, want delivery %s delivered", log.Items, id)
		}
		var statuses []int
		for _, a := range log.Items[0].Attempts {
			statuses = append(statuses, a.Status)
		}
		if len(statuses) != 3 || statuses[0] != 500 || statuses[1] != 500 || statuses[2] != 200 {
			t.Errorf("attempts = %v, want [500 500 200]", statuses)
		}
	})

	t.Run("CLI", func(t *testing.T) {
		out, err := runCustos(t, "webhook", "list", "--server", n.URL, "--token", tokA)
		if err != nil || !strings.Contains(out, hookA.Webhook.ID) || strings.Contains(out, hookA.Secret) {
			t.Errorf("custos webhook list: %v\n%s", err, out)
		}
		out, err = runCustos(t, "webhook", "deliveries", hookA.Webhook.ID, "--limit", "1", "--server", n.URL, "--token", tokA)
		if err != nil || !strings.Contains(out, "evidence.") {
			t.Errorf("custos webhook deliveries: %v\n%s", err, out)
		}
		// webhook create takes --event once per event; it once refused
		// every --event as missing.
		out, err = runCustos(t, "webhook", "create", "--url", rcv.URL+"/cli", "--event", webhooks.EventShared,
			"--event", webhooks.EventAnchored, "--server", n.URL, "--token", tokB)
		if err != nil {
			t.Fatalf("custos webhook create: %v\n%s", err, out)
		}
		var nw api.NewWebhookView
		mustJSON(t, []byte(out), &nw)
		if nw.Secret == "" || nw.Webhook.URL != rcv.URL+"/cli" || strings.Join(nw.Webhook.Events, ",") != webhooks.EventAnchored+","+webhooks.EventShared {
			t.Errorf("custos webhook create printed %s; want the webhook with both events and its secret", out)
		}
		if out, err := runCustos(t, "webhook", "list", "--server", n.URL, "--token", tokB); err != nil || !strings.Contains(out, nw.Webhook.ID) {
			t.Errorf("custos webhook list after create: %v\n%s", err, out)
		}
		out, err = runCustos(t, "webhook", "create", "--url", rcv.URL+"/cli", "--server", n.URL, "--token", tokB)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), "needs --event") {
			t.Errorf("custos webhook create without --event: exit %d, %v; want 2 and \"needs --event\"", exitCode(err), err)
		}
	})

	t.Run("audited and scoped", func(t *testing.T) {
		status, _, b := n.call("GET", "/api/v1/orgs/"+orgA+"/audit", tokA, nil)
		var c wire.CustodyView
		mustJSON(t, b, &c)
		var created int
		for _, e := range c.Events {
			if e.Type == custody.AuditWebhookCreated && strings.HasPrefix(e.Subject, "webhook:") {
				created++
			}
		}
		if status != 200 || created != 2 {
			t.Errorf("A's audit chain = %d, %d webhook.created events; want 2", status, created)
		}
		if status, _, b := n.call("DELETE", "/api/v1/webhooks/"+hookA.Webhook.ID, tokB, nil); status != http.StatusNotFound {
			t.Errorf("B deletes A's webhook = %d %s, want 404", status, b)
		}
		if status, _, b := n.call("DELETE", "/api/v1/webhooks/"+hookA.Webhook.ID, tokA, nil); status != http.StatusOK {
			t.Errorf("A deletes its webhook = %d %s, want 200", status, b)
		}
		before := len(rcv.wait(t, "/a", 0, 0))
		n.upload(tokA, []byte("after delete\n"))
		time.Sleep(500 * time.Millisecond)
		if after := len(rcv.wait(t, "/a", 0, 0)); after != before {
			t.Errorf("a deleted webhook got %d more deliveries", after-before)
		}
	})
}

// TestCopyrightTransferWebhooks: each step of a copyright transfer offer
// is delivered to the webhooks of both organizations (serve wires
// copyright.Config.OnTransfer to PublishWithin).
func TestCopyrightTransferWebhooks(t *testing.T) {
	n := startNode(t, t.TempDir(), "[webhooks]\nallow_private = true\n")
	rcv := newHookReceiver(t, nil)
	orgA, tokA := newOrg(t, n, access.KindIPOwner, "Studio A", access.RoleSubmitter)
	orgB, tokB := newOrg(t, n, access.KindIPOwner, "Publisher B", access.RoleSubmitter)
	hookA := registerHook(t, n, tokA, rcv.URL+"/a", webhooks.EventCopyrightTransfer)
	hookB := registerHook(t, n, tokB, rcv.URL+"/b", webhooks.EventCopyrightTransfer)

	form := copyrightForm(t, []byte("a poem offered and declined"))
	status, _, b := n.call("POST", "/api/v1/copyrights", tokA, bytes.NewReader(form.data), "Content-Type", form.contentType)
	var cr copyright.Copyright
	mustJSON(t, b, &cr)
	if status != http.StatusCreated {
		t.Fatalf("registration = %d %s", status, b)
	}
	status, _, b = n.call("POST", "/api/v1/copyrights/"+cr.ID+"/transfers", tokA, strings.NewReader(`{"to":"`+orgB+`"}`), "Content-Type", "application/json")
	var o copyright.TransferOffer
	mustJSON(t, b, &o)
	if status != http.StatusCreated {
		t.Fatalf("offer = %d %s", status, b)
	}
	if status, _, b = n.call("POST", "/api/v1/copyrights/transfers/"+o.ID+"/decline", tokB, nil); status != http.StatusOK {
		t.Fatalf("decline = %d %s", status, b)
	}
	for _, side := range []struct{ path, secret, hook string }{
		{"/a", hookA.Secret, hookA.Webhook.ID}, {"/b", hookB.Secret, hookB.Webhook.ID},
	} {
		var steps []string
		for _, got := range rcv.wait(t, side.path, 2, 30*time.Second) {
			p := got.check(t, side.secret, side.hook, webhooks.EventCopyrightTransfer)
			var d copyright.TransferOffer
			mustJSON(t, p.Data, &d)
			if d.ID != o.ID || d.From != orgA || d.To != orgB {
				t.Errorf("%s: payload %s, want offer %s from %s to %s", side.path, p.Data, o.ID, orgA, orgB)
			}
			steps = append(steps, d.Status)
		}
		sort.Strings(steps) // deliveries may arrive in any order
		if got := strings.Join(steps, " "); got != "declined pending" {
			t.Errorf("%s received steps %q, want pending and declined", side.path, got)
		}
	}
}

// TestWebhookAdopt (A6 in docs/security.md): on a node as custos serve
// builds it, a webhook whose registering key the operator revokes is
// paused (the list says so, and the firm's next upload reaches no
// receiver); 'custos webhook adopt' with another key of the firm resumes
// it with a new secret, and the queued event arrives signed with it.
func TestWebhookAdopt(t *testing.T) {
	n := startNode(t, t.TempDir(), "[webhooks]\nallow_private = true\nbackoff = \"200ms\"\n")
	rcv := newHookReceiver(t, nil)
	org, tokClerk := newOrg(t, n, access.KindLawFirm, "Firm Adopt", access.RoleSubmitter)
	status, _, b := n.call("POST", "/api/v1/orgs/"+org+"/keys", n.Token, strings.NewReader(`{"role":"submitter","name":"integration"}`), "Content-Type", "application/json")
	var k api.NewKeyView
	mustJSON(t, b, &k)
	if status != http.StatusCreated {
		t.Fatalf("POST keys = %d %s", status, b)
	}
	tokIntegration := k.Token
	hook := registerHook(t, n, tokClerk, rcv.URL+"/firm", webhooks.EventTimestamped)
	me := func(token string) wire.MeView {
		_, _, b := n.call("GET", "/api/v1/me", token, nil)
		var v wire.MeView
		mustJSON(t, b, &v)
		return v
	}
	clerk := me(tokClerk)
	if status, _, b := n.call("DELETE", "/api/v1/keys/"+clerk.Key.ID, n.Token, nil); status != http.StatusOK {
		t.Fatalf("revoking the clerk's key = %d %s", status, b)
	}

	out, err := runCustos(t, "webhook", "list", "--server", n.URL, "--token", tokIntegration)
	var ws wire.ListView[wire.Webhook]
	if err != nil || json.Unmarshal([]byte(out), &ws) != nil || len(ws.Items) != 1 || !ws.Items[0].Paused || ws.Items[0].PausedReason != webhooks.PausedCreatorInactive {
		t.Fatalf("custos webhook list after the revocation: %v\n%s\nwant the webhook paused", err, out)
	}
	v := n.upload(tokIntegration, []byte("filed after the clerk left\n"))
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, _, b := n.call("GET", "/api/v1/webhooks/"+hook.Webhook.ID+"/deliveries", tokIntegration, nil)
		var log wire.ListView[wire.Delivery]
		mustJSON(t, b, &log)
		if len(log.Items) > 0 && len(log.Items[0].Attempts) > 0 {
			if a := log.Items[0].Attempts[0]; a.Reason != webhooks.ReasonPaused || log.Items[0].State != webhooks.StatePending {
				t.Fatalf("delivery while paused = %+v, want pending, %q", log.Items[0], webhooks.ReasonPaused)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery log = %s, want the upload's delivery paused", b)
		}
	}
	if got := len(rcv.wait(t, "/firm", 0, 0)); got != 0 {
		t.Fatalf("the revoked key's receiver got %d requests", got)
	}

	out, err = runCustos(t, "webhook", "adopt", hook.Webhook.ID, "--server", n.URL, "--token", tokIntegration)
	if err != nil {
		t.Fatalf("custos webhook adopt: %v\n%s", err, out)
	}
	var nw wire.NewWebhookView
	mustJSON(t, []byte(out), &nw)
	if nw.Secret == "" || nw.Secret == hook.Secret || nw.Webhook.Paused || nw.Webhook.CreatedBy != org+":"+me(tokIntegration).Key.ID {
		t.Fatalf("custos webhook adopt printed %s; want the webhook adopted by the integration key, with a new secret", out)
	}
	got := rcv.wait(t, "/firm", 1, 30*time.Second)
	p := got[0].check(t, nw.Secret, hook.Webhook.ID, webhooks.EventTimestamped)
	if !strings.Contains(string(p.Data), v.ID) {
		t.Errorf("the queued delivery = %s, want evidence %s", got[0].body, v.ID)
	}
	if webhooks.Verify(hook.Secret, got[0].header.Get(webhooks.HeaderSignature), got[0].body, time.Now(), time.Minute) == nil {
		t.Error("the queued delivery verifies with the revoked key's secret")
	}
	out, err = runCustos(t, "webhook", "adopt", hook.Webhook.ID, "--server", n.URL, "--token", tokClerk)
	if exitCode(err) == 0 {
		t.Errorf("custos webhook adopt with the revoked key succeeded:\n%s", out)
	}
}
