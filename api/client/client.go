// Package client is a Go client for the Custos HTTP API. The custos CLI
// uses it for every command that talks to a server.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/receipt"
)

// Client calls one Custos server.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	Token   string // API token, sent as a Bearer token
	// HTTP sends the requests. New's keeps to DefaultTimeouts, as does
	// a nil HTTP; a Timeouts' HTTPClient keeps to other bounds. Each
	// bounds the connection, the answer and a stalled transfer, never a
	// long upload or download as a whole.
	HTTP *http.Client
	// Language is sent as Accept-Language, so that the server's problem
	// details come in the user's language (docs/api.md, "Languages");
	// New takes it from the locale (LanguageFromEnv). Empty sends none.
	Language string
}

// New returns a client for baseURL authenticating with token, asking for
// problem details in the language of the user's locale, and waiting on
// the server no longer than DefaultTimeouts allow. Its HTTP is its own
// http.Client, over http.DefaultTransport (its proxies, its pool of
// connections) as a zero http.Client is.
func New(baseURL, token string) *Client {
	return &Client{
		BaseURL:  strings.TrimRight(baseURL, "/"),
		Token:    token,
		HTTP:     DefaultTimeouts().over(http.DefaultTransport),
		Language: LanguageFromEnv(os.Getenv),
	}
}

// LanguageFromEnv turns the POSIX locale of messages (LC_ALL, else
// LC_MESSAGES, else LANG, as getenv reads them) into a language tag for
// Accept-Language (RFC 5646): "zh_CN.UTF-8" gives "zh-CN", "en_US" gives
// "en-US"; the C and POSIX locales, and no locale, give "".
func LanguageFromEnv(getenv func(string) string) string {
	var loc string
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = getenv(k); loc != "" {
			break
		}
	}
	loc, _, _ = strings.Cut(loc, ".") // the codeset
	loc, _, _ = strings.Cut(loc, "@") // the modifier
	if loc == "" || loc == "C" || loc == "POSIX" {
		return ""
	}
	tag := strings.ReplaceAll(loc, "_", "-")
	for _, r := range tag {
		if !(r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "" // not a locale name: send nothing rather than a bad header
		}
	}
	return tag
}

// Error is a failed call: the server's RFC 9457 problem, or a bare status.
type Error struct {
	Status     int
	Problem    wire.Problem
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Problem.Title != "" {
		// A problem in Chinese (Accept-Language) reads with the full-width
		// colon, semicolon and parentheses of Chinese text.
		colon, semi, open, close := ": ", "; ", " (", ")"
		if hasHan(e.Problem.Title) {
			colon, semi, open, close = "：", "；", "（", "）"
		}
		msg := fmt.Sprintf("%d %s%s%s", e.Status, e.Problem.Title, colon, e.Problem.Detail)
		for i, f := range e.Problem.Errors {
			switch {
			case i > 0 || colon == ": ":
				msg += semi
			case !strings.HasSuffix(msg, "。"):
				msg += "。"
			}
			msg += f.Field + " " + f.Message
		}
		if e.Problem.Reason != "" {
			msg += open + e.Problem.Reason + close
		}
		return msg
	}
	return fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
}

// Upload describes one file to submit.
type Upload struct {
	Body      io.Reader
	Size      int64 // -1 if unknown
	FileName  string
	MediaType string
	Meta      wire.Meta
}

// Submit files one piece of evidence, streaming Body as the raw request body.
func (c *Client) Submit(ctx context.Context, u Upload) (*wire.EvidenceView, error) {
	meta := u.Meta
	if meta.FileName == "" {
		meta.FileName = u.FileName
	}
	req, err := c.newRequest(ctx, http.MethodPost, "/api/v1/evidence", u.Body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = u.Size
	mt := u.MediaType
	if mt == "" {
		mt = "application/octet-stream"
	}
	req.Header.Set("Content-Type", mt)
	if meta != (wire.Meta{}) {
		b, err := json.Marshal(meta)
		if err != nil {
			return nil, err
		}
		req.Header.Set(wire.MetadataHeader, string(b))
	}
	var out wire.EvidenceView
	return &out, c.do(req, http.StatusCreated, &out)
}

// Get returns an evidence record (and records a "viewed" custody event).
func (c *Client) Get(ctx context.Context, id string) (*wire.EvidenceView, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/api/v1/evidence/"+url.PathEscape(id), nil)
	if err != nil {
		return nil, err
	}
	var out wire.EvidenceView
	return &out, c.do(req, http.StatusOK, &out)
}

// Custody returns the item's custody chain.
func (c *Client) Custody(ctx context.Context, id string) (*wire.CustodyView, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/api/v1/evidence/"+url.PathEscape(id)+"/custody", nil)
	if err != nil {
		return nil, err
	}
	var out wire.CustodyView
	return &out, c.do(req, http.StatusOK, &out)
}

// Content opens the item's bytes. The caller closes the reader.
func (c *Client) Content(ctx context.Context, id string) (io.ReadCloser, error) {
	return c.raw(ctx, "/api/v1/evidence/"+url.PathEscape(id)+"/content")
}

// Timestamp returns the i-th RFC 3161 reply (DER) of an item.
func (c *Client) Timestamp(ctx context.Context, id string, i int) ([]byte, error) {
	rc, err := c.raw(ctx, "/api/v1/evidence/"+url.PathEscape(id)+"/timestamp?tsa="+strconv.Itoa(i))
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// Trust returns the server's trust material.
func (c *Client) Trust(ctx context.Context) (*receipt.Trust, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/api/v1/trust", nil)
	if err != nil {
		return nil, err
	}
	var out receipt.Trust
	return &out, c.do(req, http.StatusOK, &out)
}

func (c *Client) raw(ctx context.Context, path string) (io.ReadCloser, error) {
	resp, err := c.get(ctx, path)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// get GETs path and returns a 200 answer, its body open, or the error.
func (c *Client) get(ctx context.Context, path string) (*http.Response, error) {
	req, err := c.newRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, decodeError(resp)
	}
	return resp, nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return nil, err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if c.Language != "" {
		req.Header.Set("Accept-Language", c.Language)
	}
	return req, nil
}

// getJSON GETs path and decodes a 200 answer into out.
func (c *Client) getJSON(ctx context.Context, path string, out any) error {
	req, err := c.newRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	return c.do(req, http.StatusOK, out)
}

// sendJSON sends in (if not nil) as a JSON body and decodes an answer of
// status want into out.
func (c *Client) sendJSON(ctx context.Context, method, path string, in any, want int, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := c.newRequest(ctx, method, path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.do(req, want, out)
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return DefaultTimeouts().over(http.DefaultTransport) // as New's
}

// do sends req and decodes a want answer (0: any 2xx) into out.
func (c *Client) do(req *http.Request, want int, out any) error {
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if (want != 0 && resp.StatusCode != want) || (want == 0 && resp.StatusCode/100 != 2) {
		return decodeError(resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("client: decoding %s response: %w", req.URL.Path, err)
	}
	return nil
}

func decodeError(resp *http.Response) error {
	e := &Error{Status: resp.StatusCode}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/problem+json" {
		body := io.LimitReader(resp.Body, 1<<20)
		if err := json.NewDecoder(body).Decode(&e.Problem); err != nil {
			return errors.Join(e, err)
		}
	}
	return e
}

// ChainStatus returns the chain's state version and upgrade votes (the
// operator's administrators only).
func (c *Client) ChainStatus(ctx context.Context) (*wire.ChainStatusView, error) {
	var v wire.ChainStatusView
	return &v, c.getJSON(ctx, "/api/v1/admin/chain", &v)
}

// ChainStatusWith is ChainStatus with, in Members, what each current
// member's node runs (it asks them over the peer API first).
func (c *Client) ChainStatusWith(ctx context.Context) (*wire.ChainStatusView, error) {
	var v wire.ChainStatusView
	return &v, c.getJSON(ctx, "/api/v1/admin/chain?members=true", &v)
}

// VoteUpgrade has the node vote to run state version at height, once
// every member's node runs software that knows it (409 upgrade-not-ready,
// an *Error whose Problem lists the members, otherwise).
func (c *Client) VoteUpgrade(ctx context.Context, version int, height int64) (*wire.ChainStatusView, error) {
	return c.SendUpgradeVote(ctx, wire.UpgradeRequest{StateVersion: version, Height: height})
}

// SendUpgradeVote sends the vote req describes (with Force, without the
// check that every member is ready).
func (c *Client) SendUpgradeVote(ctx context.Context, req wire.UpgradeRequest) (*wire.ChainStatusView, error) {
	var v wire.ChainStatusView
	return &v, c.sendJSON(ctx, http.MethodPost, "/api/v1/admin/chain/upgrade", req, http.StatusAccepted, &v)
}

// hasHan reports whether s holds a Chinese character.
func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}
