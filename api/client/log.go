package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/receipt"
)

// ErrPending means an item has no receipt yet: it is time-stamped but not
// yet anchored. Receipt returns it as a *PendingError.
var ErrPending = errors.New("client: receipt not yet available")

// PendingError is the server's 202 answer to a receipt request.
type PendingError struct {
	View       wire.PendingView
	RetryAfter time.Duration
}

func (e *PendingError) Error() string {
	return fmt.Sprintf("evidence %s is %s, not anchored yet", e.View.ID, e.View.Status)
}

// Is makes errors.Is(err, ErrPending) true.
func (e *PendingError) Is(target error) bool { return target == ErrPending }

// maxReceipt bounds a receipt read from the server.
const maxReceipt = 64 << 20

// Receipt returns an item's receipt, exactly as the server sent it (its
// canonical bytes: save them as they are; receipt.Parse reads them). With
// wait > 0 the server waits up to that long (at most api.MaxReceiptWait)
// for the item to be anchored. While it is not, the error is a
// *PendingError (errors.Is(err, ErrPending)).
func (c *Client) Receipt(ctx context.Context, id string, wait time.Duration) ([]byte, error) {
	path := "/api/v1/evidence/" + url.PathEscape(id) + "/receipt"
	if wait > 0 {
		path += "?wait=" + url.QueryEscape(wait.String())
	}
	req, err := c.newRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		b, err := io.ReadAll(io.LimitReader(resp.Body, maxReceipt+1))
		if err == nil && len(b) > maxReceipt {
			err = fmt.Errorf("client: receipt of %s is over %d bytes", id, maxReceipt)
		}
		return b, err
	case http.StatusAccepted:
		pe := &PendingError{}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			pe.RetryAfter = time.Duration(s) * time.Second
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&pe.View); err != nil {
			return nil, fmt.Errorf("client: decoding %s response: %w", path, err)
		}
		return nil, pe
	}
	return nil, decodeError(resp)
}

// Lookup asks, without authentication, whether and when a SHA-256 digest
// (64 lowercase hex digits) was anchored, at the server or (through the
// consortium's digest index) at any member, and by which member's node.
func (c *Client) Lookup(ctx context.Context, sha256Hex string) (*wire.Lookup, error) {
	var out wire.Lookup
	return &out, c.getJSON(ctx, "/api/v1/lookup?sha256="+url.QueryEscape(sha256Hex), &out)
}

// LookupSM3 is Lookup by an SM3 digest, which the consortium's digest
// index knows for the items of nodes that compute SM3.
func (c *Client) LookupSM3(ctx context.Context, sm3Hex string) (*wire.Lookup, error) {
	var out wire.Lookup
	return &out, c.getJSON(ctx, "/api/v1/lookup?sm3="+url.QueryEscape(sm3Hex), &out)
}

// Checkpoint returns the latest checkpoint of the evidence log, or, with
// height > 0, the one at that block height.
func (c *Client) Checkpoint(ctx context.Context, height int64) (*receipt.Checkpoint, error) {
	path := "/api/v1/log/checkpoint"
	if height > 0 {
		path += "?height=" + strconv.FormatInt(height, 10)
	}
	var out receipt.Checkpoint
	return &out, c.getJSON(ctx, path, &out)
}

// Consistency returns an RFC 6962 §2.1.2 consistency proof between two
// tree sizes. It proves nothing alone: check it against two verified
// checkpoints' roots.
func (c *Client) Consistency(ctx context.Context, first, second uint64) (*wire.ConsistencyView, error) {
	var out wire.ConsistencyView
	path := fmt.Sprintf("/api/v1/log/consistency?first=%d&second=%d", first, second)
	return &out, c.getJSON(ctx, path, &out)
}
