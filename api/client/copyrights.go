package client

import (
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/custos-project/custos/api/wire"
)

// File is one file sent in a multipart request.
type File struct {
	Name      string // the file name, as the evidence item's file_name
	MediaType string // default application/octet-stream
	Body      io.Reader
}

// RegisterCopyright registers a work with its files, streamed as one
// multipart request.
func (c *Client) RegisterCopyright(ctx context.Context, w wire.Work, files []File) (*wire.Copyright, error) {
	return c.RegisterCopyrightWait(ctx, w, files, 0)
}

// RegisterCopyrightWait is RegisterCopyright, the server waiting up to
// wait for the consortium's register to number the registration (while
// it has not, the registration comes back with status "pending").
func (c *Client) RegisterCopyrightWait(ctx context.Context, w wire.Work, files []File, wait time.Duration) (*wire.Copyright, error) {
	meta, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	parts := func(mw *multipart.Writer) error {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="metadata"`)
		h.Set("Content-Type", "application/json")
		pw, err := mw.CreatePart(h)
		if err != nil {
			return err
		}
		if _, err := pw.Write(meta); err != nil {
			return err
		}
		for _, f := range files {
			if err := writeFile(mw, f); err != nil {
				return err
			}
		}
		return nil
	}
	path := "/api/v1/copyrights"
	if wait > 0 {
		path += "?" + url.Values{"wait": {wait.String()}}.Encode()
	}
	var out wire.Copyright
	return &out, c.postMultipart(ctx, path, parts, http.StatusCreated, &out)
}

// SearchCopyrightsFile sends a file to the priority search: exact matches
// by SHA-256 and, for images, near-duplicates. The server keeps nothing.
func (c *Client) SearchCopyrightsFile(ctx context.Context, f File) (*wire.CopyrightSearch, error) {
	var out wire.CopyrightSearch
	return &out, c.postMultipart(ctx, "/api/v1/copyrights/search", func(mw *multipart.Writer) error { return writeFile(mw, f) }, http.StatusOK, &out)
}

// SearchCopyrights lists the registrations holding a file with this hex
// SHA-256, earliest anchored first.
func (c *Client) SearchCopyrights(ctx context.Context, sha256Hex string) (*wire.CopyrightSearch, error) {
	var out wire.CopyrightSearch
	return &out, c.getJSON(ctx, "/api/v1/copyrights/search?"+url.Values{"sha256": {sha256Hex}}.Encode(), &out)
}

// SearchCopyrightsNumber lists the registrations known by a registration
// number, in the consortium's register and the node's.
func (c *Client) SearchCopyrightsNumber(ctx context.Context, number string) (*wire.CopyrightSearch, error) {
	var out wire.CopyrightSearch
	return &out, c.getJSON(ctx, "/api/v1/copyrights/search?"+url.Values{"number": {number}}.Encode(), &out)
}

// Copyright returns a registration.
func (c *Client) Copyright(ctx context.Context, id string) (*wire.Copyright, error) {
	var out wire.Copyright
	return &out, c.getJSON(ctx, "/api/v1/copyrights/"+url.PathEscape(id), &out)
}

// Copyrights lists all the registrations the caller's organization owns,
// following the listing's pages.
func (c *Client) Copyrights(ctx context.Context) ([]wire.Copyright, error) {
	all := []wire.Copyright{}
	q := url.Values{"limit": {"500"}}
	for {
		var page wire.ListView[wire.Copyright]
		if err := c.getJSON(ctx, "/api/v1/copyrights?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.Next == "" {
			return all, nil
		}
		q.Set("cursor", page.Next)
	}
}

// CopyrightPDF returns the signed registration certificate in Chinese
// (CopyrightPDFLang for another language).
func (c *Client) CopyrightPDF(ctx context.Context, id string) ([]byte, error) {
	return c.CopyrightPDFLang(ctx, id, "")
}

// CopyrightPDFLang returns the signed registration certificate in lang:
// "zh" (or "", the server's default) or "en". Each language is a
// certificate of its own, issued on its first request.
func (c *Client) CopyrightPDFLang(ctx context.Context, id, lang string) ([]byte, error) {
	path := "/api/v1/copyrights/" + url.PathEscape(id) + ".pdf"
	if lang != "" {
		path += "?" + url.Values{"lang": {lang}}.Encode()
	}
	rc, err := c.raw(ctx, path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// OfferTransfer offers a registration to the organization to, the offer
// waiting days for an answer (0: the server's default).
func (c *Client) OfferTransfer(ctx context.Context, id, to string, days int) (*wire.TransferOffer, error) {
	var out wire.TransferOffer
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/copyrights/"+url.PathEscape(id)+"/transfers",
		wire.TransferInput{To: to, ExpiresInDays: days}, http.StatusCreated, &out)
}

// TransferOffers lists the transfer offers the caller's organization made
// or received, all pages; status ("" for all) filters them.
func (c *Client) TransferOffers(ctx context.Context, status string) ([]wire.TransferOffer, error) {
	all := []wire.TransferOffer{}
	q := url.Values{"limit": {"500"}}
	if status != "" {
		q.Set("status", status)
	}
	for {
		var page wire.ListView[wire.TransferOffer]
		if err := c.getJSON(ctx, "/api/v1/copyrights/transfers?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.Next == "" {
			return all, nil
		}
		q.Set("cursor", page.Next)
	}
}

// AcceptTransfer accepts a transfer offer addressed to the caller's
// organization.
func (c *Client) AcceptTransfer(ctx context.Context, tid string) (*wire.TransferAnswer, error) {
	var out wire.TransferAnswer
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/copyrights/transfers/"+url.PathEscape(tid)+"/accept", nil, http.StatusOK, &out)
}

// DeclineTransfer declines a transfer offer addressed to the caller's
// organization.
func (c *Client) DeclineTransfer(ctx context.Context, tid string) (*wire.TransferOffer, error) {
	var out wire.TransferOffer
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/copyrights/transfers/"+url.PathEscape(tid)+"/decline", nil, http.StatusOK, &out)
}

// WithdrawTransfer withdraws a transfer offer the caller's organization
// made.
func (c *Client) WithdrawTransfer(ctx context.Context, tid string) (*wire.TransferOffer, error) {
	var out wire.TransferOffer
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/copyrights/transfers/"+url.PathEscape(tid)+"/withdraw", nil, http.StatusOK, &out)
}

// RevokeCopyright revokes a registration.
func (c *Client) RevokeCopyright(ctx context.Context, id, reason string) (*wire.Copyright, error) {
	var out wire.Copyright
	return &out, c.sendJSON(ctx, http.MethodPost, "/api/v1/copyrights/"+url.PathEscape(id)+"/revoke", wire.RevokeInput{Reason: reason}, http.StatusOK, &out)
}

func writeFile(mw *multipart.Writer, f File) error {
	mt := f.MediaType
	if mt == "" {
		mt = "application/octet-stream"
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+quoteEscaper.Replace(f.Name)+`"`)
	h.Set("Content-Type", mt)
	pw, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = io.Copy(pw, f.Body)
	return err
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")

// postMultipart streams the parts that write writes as a multipart body
// (no buffering of the files) and decodes an answer of status want.
func (c *Client) postMultipart(ctx context.Context, path string, write func(*multipart.Writer) error, want int, out any) error {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := write(mw)
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := c.newRequest(ctx, http.MethodPost, path, pr)
	if err != nil {
		pr.Close()
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	err = c.do(req, want, out)
	pr.Close() // stops the writer if the server answered early
	return err
}
