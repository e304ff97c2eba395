package client

import (
	"context"
	"io"
	"net/url"

	"github.com/custos-project/custos/api/wire"
)

// Directory lists the consortium's directory: every organization of every
// member, or with name != "" the one that holds that name.
func (c *Client) Directory(ctx context.Context, name string) ([]wire.DirectoryEntry, error) {
	path := "/api/v1/directory"
	if name != "" {
		path += "?name=" + url.QueryEscape(name)
	}
	var out wire.ListView[wire.DirectoryEntry]
	return out.Items, c.getJSON(ctx, path, &out)
}

// DirectoryEntry returns one organization of the consortium's directory.
func (c *Client) DirectoryEntry(ctx context.Context, id string) (*wire.DirectoryEntry, error) {
	var out wire.DirectoryEntry
	return &out, c.getJSON(ctx, "/api/v1/directory/"+url.PathEscape(id), &out)
}

// TransferOffer returns one transfer offer the caller's organization made
// or received.
func (c *Client) TransferOffer(ctx context.Context, tid string) (*wire.TransferOffer, error) {
	var out wire.TransferOffer
	return &out, c.getJSON(ctx, "/api/v1/copyrights/transfers/"+url.PathEscape(tid), &out)
}

// TrustPEM opens one of the server's trust certificates as PEM: "root"
// (the consortium root CA) or "tsa-chain" (the TSA's chain). The caller
// closes the reader.
func (c *Client) TrustPEM(ctx context.Context, which string) (io.ReadCloser, error) {
	return c.raw(ctx, "/api/v1/trust/"+url.PathEscape(which)+".pem")
}

// OpenAPI opens the server's OpenAPI document. The caller closes the
// reader.
func (c *Client) OpenAPI(ctx context.Context) (io.ReadCloser, error) {
	return c.raw(ctx, "/api/v1/openapi.json")
}
