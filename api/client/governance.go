package client

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/custos-project/custos/api/wire"
)

// Members lists the consortium's members (public; no token needed).
func (c *Client) Members(ctx context.Context) (*wire.Members, error) {
	var v wire.Members
	return &v, c.getJSON(ctx, "/api/v1/consortium/members", &v)
}

// Proposals lists the governance proposals, those of one status if status
// is not "" (public).
func (c *Client) Proposals(ctx context.Context, status string) (*wire.Proposals, error) {
	path := "/api/v1/consortium/proposals"
	if status != "" {
		path += "?status=" + url.QueryEscape(status)
	}
	var v wire.Proposals
	return &v, c.getJSON(ctx, path, &v)
}

// Proposal returns one proposal and where it stands (public).
func (c *Client) Proposal(ctx context.Context, id string) (*wire.Proposal, error) {
	var v wire.Proposal
	return &v, c.getJSON(ctx, "/api/v1/consortium/proposals/"+url.PathEscape(id), &v)
}

// Propose submits a proposal already signed by a governance key (the
// transaction's bytes), waiting up to wait for it to be in a block.
func (c *Client) Propose(ctx context.Context, tx []byte, wait time.Duration) (*wire.GovernanceAccepted, error) {
	return c.postGovTx(ctx, "/api/v1/consortium/proposals", tx, wait)
}

// Vote submits a vote on proposal id already signed by a governance key,
// waiting up to wait for it to be in a block.
func (c *Client) Vote(ctx context.Context, id string, tx []byte, wait time.Duration) (*wire.GovernanceAccepted, error) {
	return c.postGovTx(ctx, "/api/v1/consortium/proposals/"+url.PathEscape(id)+"/votes", tx, wait)
}

// RevokeGovernanceCert submits a revocation of a governance certificate
// already signed by the member's organization CA (state version 10),
// waiting up to wait for it to be in a block.
func (c *Client) RevokeGovernanceCert(ctx context.Context, tx []byte, wait time.Duration) (*wire.RevocationAccepted, error) {
	var v wire.RevocationAccepted
	return &v, c.postTx(ctx, "/api/v1/consortium/revocations", tx, wait, &v)
}

func (c *Client) postGovTx(ctx context.Context, path string, tx []byte, wait time.Duration) (*wire.GovernanceAccepted, error) {
	var v wire.GovernanceAccepted
	return &v, c.postTx(ctx, path, tx, wait, &v)
}

// postTx posts a signed governance transaction tx to path, with ?wait=
// if wait > 0, and decodes the 202's body into v.
func (c *Client) postTx(ctx context.Context, path string, tx []byte, wait time.Duration, v any) error {
	if wait > 0 {
		path += "?wait=" + wait.String()
	}
	req, err := c.newRequest(ctx, http.MethodPost, path, bytes.NewReader(tx))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	return c.do(req, http.StatusAccepted, v)
}
