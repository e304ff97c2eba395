package client

import (
	"context"
	"io"
	"mime"
	"net/url"
	"strings"
)

// Download is an item's bytes as the server sends them, with what its
// headers say about them.
type Download struct {
	Body     io.ReadCloser // the caller closes it
	Size     int64         // Content-Length; -1 when not sent
	SHA256   string        // the recorded digest, from the strong ETag "sha256:HEX"; empty when absent
	FileName string        // from Content-Disposition; empty when absent
}

// Download opens the item's bytes (GET /api/v1/evidence/{id}/content),
// which records a "downloaded" custody event. The body is not checked
// here: the caller hashes it and compares with SHA256.
func (c *Client) Download(ctx context.Context, id string) (*Download, error) {
	resp, err := c.get(ctx, "/api/v1/evidence/"+url.PathEscape(id)+"/content")
	if err != nil {
		return nil, err
	}
	d := &Download{Body: resp.Body, Size: resp.ContentLength}
	if tag, ok := strings.CutPrefix(strings.Trim(resp.Header.Get("ETag"), `"`), "sha256:"); ok {
		d.SHA256 = tag
	}
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		d.FileName = params["filename"]
	}
	return d, nil
}
