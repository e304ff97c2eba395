package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/custos-project/custos/api/wire"
)

// Me describes the caller: its key, organization and permissions.
func (c *Client) Me(ctx context.Context) (*wire.MeView, error) {
	var out wire.MeView
	return &out, c.getJSON(ctx, "/api/v1/me", &out)
}

// CreateOrg creates an organization (permission admin).
func (c *Client) CreateOrg(ctx context.Context, in wire.OrgInput) (*wire.OrgView, error) {
	var out wire.OrgView
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/orgs", in, http.StatusCreated, &out)
}

// UpdateOrg renames an organization or changes its settings (permission
// admin): the fields of in that are not nil.
func (c *Client) UpdateOrg(ctx context.Context, id string, in wire.OrgPatch) (*wire.OrgView, error) {
	var out wire.OrgView
	return &out, c.sendJSON(ctx, http.MethodPatch, "/api/v1/orgs/"+url.PathEscape(id), in, http.StatusOK, &out)
}

// Orgs lists every organization (permission admin).
func (c *Client) Orgs(ctx context.Context) ([]wire.OrgView, error) {
	var out wire.ListView[wire.OrgView]
	return out.Items, c.getJSON(ctx, "/api/v1/orgs", &out)
}

// Org returns an organization, with where it stands in the consortium's
// directory.
func (c *Client) Org(ctx context.Context, id string) (*wire.OrgView, error) {
	var out wire.OrgView
	return &out, c.getJSON(ctx, "/api/v1/orgs/"+url.PathEscape(id), &out)
}

// Audit returns an organization's audit chain (org.created, key.created,
// key.revoked...). Its Evidence field is the organization's ID.
func (c *Client) Audit(ctx context.Context, org string) (*wire.CustodyView, error) {
	var out wire.CustodyView
	return &out, c.getJSON(ctx, "/api/v1/orgs/"+url.PathEscape(org)+"/audit", &out)
}

// CreateKey creates an API key for an organization (permission admin).
// The answer's Token is shown this once.
func (c *Client) CreateKey(ctx context.Context, org string, in wire.KeyInput) (*wire.NewKeyView, error) {
	var out wire.NewKeyView
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/orgs/"+url.PathEscape(org)+"/keys", in, http.StatusCreated, &out)
}

// Keys lists an organization's keys, revoked ones included (permission admin).
func (c *Client) Keys(ctx context.Context, org string) ([]wire.Key, error) {
	var out wire.ListView[wire.Key]
	return out.Items, c.getJSON(ctx, "/api/v1/orgs/"+url.PathEscape(org)+"/keys", &out)
}

// RevokeKey revokes a key at once (permission admin).
func (c *Client) RevokeKey(ctx context.Context, id string) (*wire.Key, error) {
	var out wire.Key
	return &out, c.sendJSON(ctx, http.MethodDelete, "/api/v1/keys/"+url.PathEscape(id), nil, http.StatusOK, &out)
}
