package client

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/custos-project/custos/api/wire"
)

// IssueCertificate asks the node for a notarial certificate over the items
// of in (permission certify). It returns once the signed PDF is stored;
// fetch it with CertificatePDF. A 409 not-anchored Error carries RetryAfter.
func (c *Client) IssueCertificate(ctx context.Context, in wire.CertificateInput) (*wire.Certificate, error) {
	var out wire.Certificate
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/certificates", in, http.StatusCreated, &out)
}

// Certificate returns a certificate record the caller's organization may
// read (it issued it, or owns one of its items).
func (c *Client) Certificate(ctx context.Context, id string) (*wire.Certificate, error) {
	var out wire.Certificate
	return &out, c.getJSON(ctx, "/api/v1/certificates/"+url.PathEscape(id), &out)
}

// Certificates returns one page of the certificates the caller's
// organization may read, newest first; cursor is the previous page's Next
// ("" for the first), limit 0 the server's default.
func (c *Client) Certificates(ctx context.Context, cursor string, limit int) (*wire.ListView[wire.Certificate], error) {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	path := "/api/v1/certificates"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out wire.ListView[wire.Certificate]
	return &out, c.getJSON(ctx, path, &out)
}

// CertificatePDF opens the certificate's signed PDF, as issued. The node
// records a "viewed" custody event on every item it names. The caller
// closes the reader.
func (c *Client) CertificatePDF(ctx context.Context, id string) (io.ReadCloser, error) {
	return c.raw(ctx, "/api/v1/certificates/"+url.PathEscape(id)+".pdf")
}

// DocumentCheck returns the public verification view of a signed
// document (a notarial certificate or a registration certificate) opened
// by its verification token, which the document's QR code carries; it
// needs no API token.
func (c *Client) DocumentCheck(ctx context.Context, token string) (*wire.DocumentCheck, error) {
	var out wire.DocumentCheck
	return &out, c.getJSON(ctx, "/api/v1/verify/"+url.PathEscape(token), &out)
}
