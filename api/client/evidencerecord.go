package client

import (
	"context"
	"fmt"
	"io"
	"net/url"
)

// maxEvidenceRecord bounds an evidence record read (ers.MaxSize).
const maxEvidenceRecord = 4 << 20

// EvidenceRecord returns the item's RFC 4998 evidence record (DER). While
// the item has none yet the error is an *Error with the problem type
// urn:custos:problem:evidence-record-pending.
func (c *Client) EvidenceRecord(ctx context.Context, id string) ([]byte, error) {
	resp, err := c.get(ctx, "/api/v1/evidence/"+url.PathEscape(id)+"/evidence-record")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxEvidenceRecord+1))
	if err == nil && len(b) > maxEvidenceRecord {
		err = fmt.Errorf("client: evidence record of %s is over %d bytes", id, maxEvidenceRecord)
	}
	return b, err
}
