package notary

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/custos-project/custos/internal/cms"
)

// maxReplySize bounds a reply read from an external TSA.
const maxReplySize = 1 << 20

// defaultHTTP is used when Client.HTTP is nil.
var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

// Client asks an external RFC 3161 TSA over HTTP (RFC 3161 §3.4).
type Client struct {
	// Name is the TSA's display name, copied to tokens.
	Name string
	// URL is the TSA's HTTP endpoint.
	URL string
	// HTTP sends the requests. Default: a client with a 30s timeout.
	HTTP *http.Client
	// Roots, if set, are the trusted roots: the signer certificate of every
	// token must chain to one of them at the token's genTime.
	Roots *x509.CertPool
}

// Stamp asks the TSA to time-stamp digest, a hash h (SHA-256, SHA-384,
// SHA-512 or SM3). It always sets certReq and a random 64-bit nonce, and accepts
// the reply only if the HTTP status is 200, the content type is
// application/timestamp-reply, the PKIStatus is granted, the CMS signature
// verifies, and the message imprint and nonce are those of the request
// (RFC 3161 §2.4.2). Network failures, timeouts and 5xx or 429 answers wrap
// ErrUnavailable; any other bad reply wraps ErrBadReply, and also
// ErrMismatch (imprint or nonce) or ErrUntrusted (chain) when that is why.
func (c *Client) Stamp(ctx context.Context, h crypto.Hash, digest []byte) (*Token, error) {
	if _, ok := hashes[h]; !ok {
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedHash, h)
	}
	if n := cms.ImprintSize(h); len(digest) != n {
		return nil, fmt.Errorf("%w: %d bytes for %s, want %d", ErrDigestSize, len(digest), cms.HashName(h), n)
	}
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, fmt.Errorf("notary: nonce: %w", err)
	}
	query, err := newQuery(h, digest, nonce)
	if err != nil {
		return nil, fmt.Errorf("notary: query: %w", err)
	}
	reply, err := c.post(ctx, query)
	if err != nil {
		return nil, err
	}
	ts, err := c.check(reply, h, digest, nonce)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.URL, err)
	}
	return &Token{TSA: c.Name, URL: c.URL, Time: ts.Time.UTC(), Serial: ts.SerialNumber.String(), Reply: reply}, nil
}

// newQuery encodes the RFC 3161 §2.4.1 TimeStampReq for digest, a hash h
// (SHA-256, SHA-384, SHA-512 or SM3), with a non-negative nonce and certReq TRUE,
// so that the reply carries the signer certificate.
func newQuery(h crypto.Hash, digest []byte, nonce *big.Int) ([]byte, error) {
	req := cms.Request{Version: 1, Imprint: cms.ImprintOf(h, digest), Nonce: cms.Uint(nonce.Bytes()), CertReq: true}
	return req.Encode()
}

// post sends the query (RFC 3161 §3.4) and returns the reply body.
func (c *Client) post(ctx context.Context, query []byte) ([]byte, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(query))
	if err != nil {
		return nil, fmt.Errorf("notary: %w", err)
	}
	hreq.Header.Set("Content-Type", QueryType)
	hreq.Header.Set("Accept", ReplyType)
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, fmt.Errorf("%w: %s answered %s", ErrUnavailable, c.URL, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: %s answered %s", ErrBadReply, c.URL, resp.Status)
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != ReplyType {
		return nil, fmt.Errorf("%w: %s answered content type %q", ErrBadReply, c.URL, resp.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReplySize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading reply: %w", ErrUnavailable, err)
	}
	if len(body) > maxReplySize {
		return nil, fmt.Errorf("%w: reply over %d bytes", ErrBadReply, maxReplySize)
	}
	return body, nil
}

// check verifies a reply against its request.
func (c *Client) check(reply []byte, h crypto.Hash, digest []byte, nonce *big.Int) (*timestamp.Timestamp, error) {
	token, err := checkStatus(reply)
	if err != nil {
		return nil, err
	}
	ts, signer, err := checkSignature(token, nil)
	if err != nil {
		return nil, err
	}
	// We asked certReq TRUE: RFC 3161 §2.4.1 says the signer certificate
	// MUST then be in the token.
	if !ts.AddTSACertificate {
		return nil, fmt.Errorf("%w: token lacks the certificates asked for", ErrBadReply)
	}
	if err := checkImprint(ts, h, digest); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadReply, err)
	}
	// RFC 3161 §2.4.2: the nonce MUST equal the request's.
	if ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0 {
		return nil, fmt.Errorf("%w: %w: nonce is %v, want %v", ErrBadReply, ErrMismatch, ts.Nonce, nonce)
	}
	if c.Roots != nil {
		if err := checkChain(signer, ts, c.Roots, nil); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadReply, err)
		}
	} else if err := checkTSACert(signer); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadReply, err)
	}
	return ts, nil
}
