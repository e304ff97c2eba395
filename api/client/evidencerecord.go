package client

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/custos-project/custos/api/wire"
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

// EvidenceRecordStatus returns the state of the node's evidence records:
// what is current, due and renewed, and the last renewal run (permission
// admin).
func (c *Client) EvidenceRecordStatus(ctx context.Context) (*wire.RenewalStatus, error) {
	var out wire.RenewalStatus
	return &out, c.getJSON(ctx, "/api/v1/admin/evidence-records/status", &out)
}

// RenewEvidenceRecords runs the renewal of the node's evidence records
// and returns what it did; with dryRun, what it would do, changing nothing
// (permission admin).
func (c *Client) RenewEvidenceRecords(ctx context.Context, dryRun bool) (*wire.RenewalRun, error) {
	var out wire.RenewalRun
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/admin/evidence-records/renew", wire.RenewRequest{DryRun: dryRun}, http.StatusOK, &out)
}

// CopyrightRecords returns the evidence records of a copyright
// registration's files (its owner and registrant organizations only).
func (c *Client) CopyrightRecords(ctx context.Context, id string) (*wire.DocumentRecords, error) {
	var out wire.DocumentRecords
	return &out, c.getJSON(ctx, "/api/v1/copyrights/"+url.PathEscape(id)+"/evidence-records", &out)
}

// CertificateRecords returns the evidence records of a notarial
// certificate's items and of its signed PDF (its readers only).
func (c *Client) CertificateRecords(ctx context.Context, id string) (*wire.DocumentRecords, error) {
	var out wire.DocumentRecords
	return &out, c.getJSON(ctx, "/api/v1/certificates/"+url.PathEscape(id)+"/evidence-records", &out)
}
