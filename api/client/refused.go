package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/custos-project/custos/api/wire"
)

// RefusedNotices lists the share notices other members' nodes refused
// for good, the latest first (admin; limit 0: the server's default, 100).
func (c *Client) RefusedNotices(ctx context.Context, limit int) (*wire.RefusedNotices, error) {
	path := "/api/v1/admin/peer/refused"
	if limit > 0 {
		path += "?limit=" + strconv.Itoa(limit)
	}
	var out wire.RefusedNotices
	return &out, c.getJSON(ctx, path, &out)
}

// ResendRefused queues a share's refused notices again, in their order
// (admin).
func (c *Client) ResendRefused(ctx context.Context, share string) (*wire.RefusedAct, error) {
	var out wire.RefusedAct
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/admin/peer/refused/"+url.PathEscape(share)+"/resend", nil, http.StatusAccepted, &out)
}

// DropRefused drops a share's refused notices: they are never sent
// (admin; recorded on the grantor's audit chain).
func (c *Client) DropRefused(ctx context.Context, share string) (*wire.RefusedAct, error) {
	var out wire.RefusedAct
	return &out, c.sendJSON(ctx, http.MethodDelete, "/api/v1/admin/peer/refused/"+url.PathEscape(share), nil, http.StatusOK, &out)
}
