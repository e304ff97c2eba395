package api

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/web/static"
)

// The court verification page: GET /verify and its files under /static/.
// It is public (no login) and self-contained: every script and style is a
// file of this server, so its Content Security Policy can forbid everything
// else.

// webCSP is the pages' Content Security Policy (CSP Level 3), of /verify
// and of /console (which runs the same verifier for a court's check). Nothing comes
// from other hosts; no inline script, style or eval; 'wasm-unsafe-eval' lets
// the page compile the WebAssembly verifier and nothing more; connect-src
// 'self' lets it fetch the verifier, the trust bundle and receipts from this
// server only.
const webCSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// webTypes are the files the page may serve, by extension, with their media
// types. Anything else in web/static (its Go source, .gitignore) answers 404.
var webTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".wasm": "application/wasm",
	".svg":  "image/svg+xml",
	".png":  "image/png",
}

// webFiles serves the page's files from fsys, with strong ETags computed
// once per file.
type webFiles struct {
	fsys fs.FS
	mu   sync.Mutex
	tags map[string]string
}

var pageFiles = &webFiles{fsys: static.FS, tags: map[string]string{}}

// serveVerifyPage answers GET /verify.
func serveVerifyPage(c echo.Context) error { return pageFiles.serve(c, "verify.html") }

// redirectRoot answers GET / (a node's address opened in a browser) with
// 303 See Other to the court verification page, the one page that needs no
// token, keeping the query (/?lang=zh goes to /verify?lang=zh). 303 rather
// than 302: it says plainly that the answer is another resource, to be
// fetched with GET, and, unlike 301 or 308, it is not remembered as a move,
// so / may serve something else later.
func redirectRoot(c echo.Context) error {
	to := "/verify"
	if q := c.Request().URL.RawQuery; q != "" {
		to += "?" + q
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// serveStatic answers GET /static/:name.
func serveStatic(c echo.Context) error { return pageFiles.serve(c, c.Param("name")) }

func (w *webFiles) serve(c echo.Context, name string) error {
	webHeaders(c.Response().Header())
	ctype, ok := webTypes[path.Ext(name)]
	if !ok || !fs.ValidPath(name) || path.Base(name) != name {
		return echo.ErrNotFound
	}
	b, err := fs.ReadFile(w.fsys, name)
	if err != nil {
		return echo.ErrNotFound // not embedded: verify.wasm before `make wasm`
	}
	h := c.Response().Header()
	if path.Ext(name) == ".wasm" {
		h.Add("Vary", "Accept-Encoding")
		if enc, zname, zb := w.precompressed(c.Request().Header.Get("Accept-Encoding"), name); zb != nil {
			h.Set("Content-Encoding", enc)
			name, b = zname, zb // its own ETag below
		}
	}
	if path.Ext(name) != ".html" {
		// The page itself is never cached (no-store, set for every
		// response); its files are revalidated by ETag, so the verifier
		// is downloaded again only when it changed.
		tag := w.etag(name, b)
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", tag)
		if c.Request().Header.Get("If-None-Match") == tag {
			return c.NoContent(http.StatusNotModified)
		}
	}
	return c.Blob(http.StatusOK, ctype, b)
}

// precompressions are the compressed copies of a file that `make wasm`
// writes beside it (verify.wasm.br, verify.wasm.gz), best first, by their
// Content-Encoding (RFC 9110 §8.4.1).
var precompressions = []struct{ coding, ext string }{{"br", ".br"}, {"gzip", ".gz"}}

// precompressed returns the best compressed copy of name that the client
// accepts (acceptEncoding is its Accept-Encoding header) and fsys holds:
// its coding, its file name and its bytes; zb is nil when there is none.
func (w *webFiles) precompressed(acceptEncoding, name string) (coding, zname string, zb []byte) {
	for _, p := range precompressions {
		if !accepts(acceptEncoding, p.coding) {
			continue
		}
		if b, err := fs.ReadFile(w.fsys, name+p.ext); err == nil {
			return p.coding, name + p.ext, b
		}
	}
	return "", "", nil
}

// accepts reports whether an Accept-Encoding header (RFC 9110 §12.5.3)
// lists coding with a weight above 0.
func accepts(header, coding string) bool {
	for _, item := range strings.Split(header, ",") {
		token, params, _ := strings.Cut(item, ";")
		if !strings.EqualFold(strings.TrimSpace(token), coding) {
			continue
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			q, err := strconv.ParseFloat(v, 64)
			return err == nil && q > 0
		}
		return true
	}
	return false
}

// serveConsolePage answers GET /console, the signed-in console.
func serveConsolePage(c echo.Context) error { return pageFiles.serve(c, "console.html") }

func (w *webFiles) etag(name string, b []byte) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	tag, ok := w.tags[name]
	if !ok {
		sum := sha256.Sum256(b)
		tag = `"` + hex.EncodeToString(sum[:16]) + `"`
		w.tags[name] = tag
	}
	return tag
}

// webHeaders sets the page's security headers, beside those securityHeaders
// sets on every response.
func webHeaders(h http.Header) {
	h.Set("Content-Security-Policy", webCSP)
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
}
