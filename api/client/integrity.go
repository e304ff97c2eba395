package client

import (
	"context"
	"net/http"
	"time"

	"github.com/custos-project/custos/api/wire"
)

// Integrity returns the node's integrity auditor state: its schedule, the
// audit in progress, and the last finished one with its report (permission
// admin).
func (c *Client) Integrity(ctx context.Context) (*wire.AuditStatus, error) {
	var out wire.AuditStatus
	return &out, c.getJSON(ctx, "/api/v1/admin/integrity", &out)
}

// StartIntegrity starts an integrity audit now, unless one is in progress,
// and returns at once (permission admin).
func (c *Client) StartIntegrity(ctx context.Context) (*wire.AuditStatus, error) {
	var out wire.AuditStatus
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/admin/integrity", nil, http.StatusAccepted, &out)
}

// RunIntegrity starts an integrity audit (or joins the one in progress)
// and polls every interval until it has finished, then returns it.
func (c *Client) RunIntegrity(ctx context.Context, interval time.Duration) (*wire.AuditRun, error) {
	st, err := c.StartIntegrity(ctx)
	if err != nil {
		return nil, err
	}
	var started time.Time
	if st.Running != nil {
		started = st.Running.StartedAt
	}
	for {
		if st.Running == nil && st.Latest != nil && !st.Latest.StartedAt.Before(started) {
			return st.Latest, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(interval):
		}
		if st, err = c.Integrity(ctx); err != nil {
			return nil, err
		}
	}
}
