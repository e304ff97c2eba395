package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/custos-project/custos/api/wire"
)

func TestWebhookMethods(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.RequestURI())
		if r.Header.Get("Authorization") != "Bearer cst_t" {
			t.Errorf("%s %s without the bearer token", r.Method, r.URL)
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.Method + " " + r.URL.Path {
		case "POST /api/v1/webhooks":
			var in wire.WebhookInput
			b, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(b, &in); err != nil || in.URL != "https://example.org/hook" || len(in.Events) != 1 {
				t.Errorf("create body = %s", b)
			}
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"webhook":{"id":"w1","url":"https://example.org/hook"},"secret":"s3cret"}`)
		case "GET /api/v1/webhooks":
			io.WriteString(w, `{"items":[{"id":"w1"}]}`)
		case "DELETE /api/v1/webhooks/w1":
			io.WriteString(w, `{"id":"w1"}`)
		case "POST /api/v1/webhooks/w1/adopt":
			io.WriteString(w, `{"webhook":{"id":"w1","created_by":"o:k2"},"secret":"n3w"}`)
		case "GET /api/v1/webhooks/w1/deliveries":
			io.WriteString(w, `{"items":[{"id":"d1"},{"id":"d2"}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, ctx := New(srv.URL, "cst_t"), context.Background()
	nw, err := c.CreateWebhook(ctx, wire.WebhookInput{URL: "https://example.org/hook", Events: []string{"evidence.anchored"}})
	if err != nil || nw.Secret != "s3cret" || nw.Webhook.ID != "w1" {
		t.Fatalf("CreateWebhook = %+v, %v", nw, err)
	}
	if ws, err := c.Webhooks(ctx); err != nil || len(ws) != 1 {
		t.Errorf("Webhooks = %v, %v", ws, err)
	}
	if ds, err := c.Deliveries(ctx, "w1", 2); err != nil || len(ds) != 2 {
		t.Errorf("Deliveries = %v, %v", ds, err)
	}
	if nw, err := c.AdoptWebhook(ctx, "w1"); err != nil || nw.Secret != "n3w" || nw.Webhook.CreatedBy != "o:k2" {
		t.Errorf("AdoptWebhook = %+v, %v", nw, err)
	}
	if w, err := c.DeleteWebhook(ctx, "w1"); err != nil || w.ID != "w1" {
		t.Errorf("DeleteWebhook = %v, %v", w, err)
	}
	want := []string{"POST /api/v1/webhooks", "GET /api/v1/webhooks", "GET /api/v1/webhooks/w1/deliveries?limit=2", "POST /api/v1/webhooks/w1/adopt", "DELETE /api/v1/webhooks/w1"}
	if len(got) != len(want) {
		t.Fatalf("requests = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d = %s, want %s", i, got[i], want[i])
		}
	}
}
