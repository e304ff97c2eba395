package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/custos-project/custos/api"
	"github.com/custos-project/custos/webhooks"
)

// CreateWebhook registers a webhook for the caller's organization
// (permission webhooks). The answer's Secret, which signs every delivery
// (see webhooks.Verify), is shown this once.
func (c *Client) CreateWebhook(ctx context.Context, in api.WebhookInput) (*api.NewWebhookView, error) {
	var out api.NewWebhookView
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/webhooks", in, http.StatusCreated, &out)
}

// Webhooks lists the organization's webhooks.
func (c *Client) Webhooks(ctx context.Context) ([]webhooks.Webhook, error) {
	var out api.ListView[webhooks.Webhook]
	return out.Items, c.getJSON(ctx, "/api/v1/webhooks", &out)
}

// DeleteWebhook removes a webhook and its pending deliveries.
func (c *Client) DeleteWebhook(ctx context.Context, id string) (*webhooks.Webhook, error) {
	var out webhooks.Webhook
	return &out, c.sendJSON(ctx, http.MethodDelete, "/api/v1/webhooks/"+url.PathEscape(id), nil, http.StatusOK, &out)
}

// Deliveries returns a webhook's delivery log, newest first (limit 0: the
// server's default).
func (c *Client) Deliveries(ctx context.Context, id string, limit int) ([]webhooks.Delivery, error) {
	path := "/api/v1/webhooks/" + url.PathEscape(id) + "/deliveries"
	if limit > 0 {
		path += "?limit=" + strconv.Itoa(limit)
	}
	var out api.ListView[webhooks.Delivery]
	return out.Items, c.getJSON(ctx, path, &out)
}
