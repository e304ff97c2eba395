package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/custos-project/custos/api/wire"
)

// CreateMatter opens a matter of the caller's organization (permission file).
func (c *Client) CreateMatter(ctx context.Context, in wire.MatterInput) (*wire.Matter, error) {
	var out wire.Matter
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/matters", in, http.StatusCreated, &out)
}

// Matters lists the caller's organization's own matters.
func (c *Client) Matters(ctx context.Context) ([]wire.Matter, error) {
	var out wire.ListView[wire.Matter]
	return out.Items, c.getJSON(ctx, "/api/v1/matters", &out)
}

// Matter returns a matter the caller's organization owns or is shared.
func (c *Client) Matter(ctx context.Context, id string) (*wire.Matter, error) {
	var out wire.Matter
	return &out, c.getJSON(ctx, "/api/v1/matters/"+url.PathEscape(id), &out)
}

// Share shares an evidence item or a matter with another organization
// (permission share). Set exactly one of in.Evidence and in.Matter.
// Sharing what is already shared answers the existing share (200).
func (c *Client) Share(ctx context.Context, in wire.ShareInput) (*wire.Share, error) {
	var out wire.Share
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/shares", in, 0, &out)
}

// Shares lists the shares the caller's organization made, or, with
// received, those made with it. Revoked and expired ones are included.
func (c *Client) Shares(ctx context.Context, received bool) ([]wire.Share, error) {
	dir := "made"
	if received {
		dir = "received"
	}
	var out wire.ListView[wire.Share]
	return out.Items, c.getJSON(ctx, "/api/v1/shares?direction="+dir, &out)
}

// RevokeShare ends a share at once (permission share).
func (c *Client) RevokeShare(ctx context.Context, id string) (*wire.Share, error) {
	var out wire.Share
	return &out, c.sendJSON(ctx, http.MethodDelete, "/api/v1/shares/"+url.PathEscape(id), nil, http.StatusOK, &out)
}
