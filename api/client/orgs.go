package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api"
)

// Me describes the caller: its key, organization and permissions.
func (c *Client) Me(ctx context.Context) (*api.MeView, error) {
	var out api.MeView
	return &out, c.getJSON(ctx, "/api/v1/me", &out)
}

// CreateOrg creates an organization (permission admin).
func (c *Client) CreateOrg(ctx context.Context, in api.OrgInput) (*access.Org, error) {
	var out access.Org
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/orgs", in, http.StatusCreated, &out)
}

// Orgs lists every organization (permission admin).
func (c *Client) Orgs(ctx context.Context) ([]access.Org, error) {
	var out api.ListView[access.Org]
	return out.Items, c.getJSON(ctx, "/api/v1/orgs", &out)
}

// Org returns an organization.
func (c *Client) Org(ctx context.Context, id string) (*access.Org, error) {
	var out access.Org
	return &out, c.getJSON(ctx, "/api/v1/orgs/"+url.PathEscape(id), &out)
}

// Audit returns an organization's audit chain (org.created, key.created,
// key.revoked...). Its Evidence field is the organization's ID.
func (c *Client) Audit(ctx context.Context, org string) (*api.CustodyView, error) {
	var out api.CustodyView
	return &out, c.getJSON(ctx, "/api/v1/orgs/"+url.PathEscape(org)+"/audit", &out)
}

// CreateKey creates an API key for an organization (permission admin).
// The answer's Token is shown this once.
func (c *Client) CreateKey(ctx context.Context, org string, in api.KeyInput) (*api.NewKeyView, error) {
	var out api.NewKeyView
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/orgs/"+url.PathEscape(org)+"/keys", in, http.StatusCreated, &out)
}

// Keys lists an organization's keys, revoked ones included (permission admin).
func (c *Client) Keys(ctx context.Context, org string) ([]access.Key, error) {
	var out api.ListView[access.Key]
	return out.Items, c.getJSON(ctx, "/api/v1/orgs/"+url.PathEscape(org)+"/keys", &out)
}

// RevokeKey revokes a key at once (permission admin).
func (c *Client) RevokeKey(ctx context.Context, id string) (*access.Key, error) {
	var out access.Key
	return &out, c.sendJSON(ctx, http.MethodDelete, "/api/v1/keys/"+url.PathEscape(id), nil, http.StatusOK, &out)
}
