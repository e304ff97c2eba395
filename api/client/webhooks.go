package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/custos-project/custos/api/wire"
)

// CreateWebhook registers a webhook for the caller's organization
// (permission webhooks). The answer's Secret, which signs every delivery
// (see webhooks.Verify), is shown this once.
func (c *Client) CreateWebhook(ctx context.Context, in wire.WebhookInput) (*wire.NewWebhookView, error) {
	var out wire.NewWebhookView
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/webhooks", in, http.StatusCreated, &out)
}

// Webhooks lists the organization's webhooks.
func (c *Client) Webhooks(ctx context.Context) ([]wire.Webhook, error) {
	var out wire.ListView[wire.Webhook]
	return out.Items, c.getJSON(ctx, "/api/v1/webhooks", &out)
}

// DeleteWebhook removes a webhook and its pending deliveries.
func (c *Client) DeleteWebhook(ctx context.Context, id string) (*wire.Webhook, error) {
	var out wire.Webhook
	return &out, c.sendJSON(ctx, http.MethodDelete, "/api/v1/webhooks/"+url.PathEscape(id), nil, http.StatusOK, &out)
}

// AdoptWebhook makes the caller's key the creator of one of its
// organization's webhooks (permission webhooks), resuming it if it was
// paused because the key that registered it is revoked, expired or gone.
// The answer's Secret, new, is shown this once: the old one no longer
// signs.
func (c *Client) AdoptWebhook(ctx context.Context, id string) (*wire.NewWebhookView, error) {
	var out wire.NewWebhookView
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/webhooks/"+url.PathEscape(id)+"/adopt", nil, http.StatusOK, &out)
}

// Deliveries returns a webhook's delivery log, newest first (limit 0: the
// server's default).
func (c *Client) Deliveries(ctx context.Context, id string, limit int) ([]wire.Delivery, error) {
	path := "/api/v1/webhooks/" + url.PathEscape(id) + "/deliveries"
	if limit > 0 {
		path += "?limit=" + strconv.Itoa(limit)
	}
	var out wire.ListView[wire.Delivery]
	return out.Items, c.getJSON(ctx, path, &out)
}
