package api

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"
)

// webServer routes the page's handlers over fsys, as api/server.go does.
func webServer(fsys fstest.MapFS) *echo.Echo {
	w := &webFiles{fsys: fsys, tags: map[string]string{}}
	e := echo.New()
	e.Use(securityHeaders)
	e.GET("/verify", func(c echo.Context) error { return w.serve(c, "verify.html") })
	e.GET("/static/:name", func(c echo.Context) error { return w.serve(c, c.Param("name")) })
	return e
}

func TestWebFiles(t *testing.T) {
	e := webServer(fstest.MapFS{
		"verify.html": {Data: []byte("<!doctype html>")},
		"verify.js":   {Data: []byte("'use strict';")},
		"verify.css":  {Data: []byte("body{}")},
		"verify.wasm": {Data: []byte("\x00asm")},
		"static.go":   {Data: []byte("package static")},
		".gitignore":  {Data: []byte("verify.wasm")},
	})
	tests := []struct {
		path, ctype string
		status      int
	}{
		{"/verify", "text/html; charset=utf-8", 200},
		{"/static/verify.js", "text/javascript; charset=utf-8", 200},
		{"/static/verify.css", "text/css; charset=utf-8", 200},
		{"/static/verify.wasm", "application/wasm", 200},
		{"/static/static.go", "", 404},
		{"/static/.gitignore", "", 404},
		{"/static/missing.js", "", 404},
		{"/static/..%2fverify.html", "", 404},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		h := rec.Header()
		if rec.Code != tt.status {
			t.Errorf("GET %s = %d, want %d", tt.path, rec.Code, tt.status)
			continue
		}
		if tt.ctype != "" && h.Get("Content-Type") != tt.ctype {
			t.Errorf("GET %s: Content-Type = %q, want %q", tt.path, h.Get("Content-Type"), tt.ctype)
		}
		if h.Get("Content-Security-Policy") != webCSP || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("X-Frame-Options") != "DENY" || h.Get("Cross-Origin-Opener-Policy") != "same-origin" {
			t.Errorf("GET %s: security headers = %v", tt.path, h)
		}
	}
}

func TestWebCSP(t *testing.T) {
	for _, want := range []string{"default-src 'none'", "script-src 'self' 'wasm-unsafe-eval';", "style-src 'self';",
		"connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(webCSP, want) {
			t.Errorf("CSP %q lacks %q", webCSP, want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "'unsafe-eval'", "*", "http:", "https:"} {
		if strings.Contains(webCSP, bad) {
			t.Errorf("CSP %q allows %q", webCSP, bad)
		}
	}
}

// The page is never cached; its files are revalidated by ETag.
func TestWebCaching(t *testing.T) {
	e := webServer(fstest.MapFS{"verify.html": {Data: []byte("page")}, "verify.wasm": {Data: []byte("\x00asm")}})
	get := func(path, inm string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		if inm != "" {
			req.Header.Set("If-None-Match", inm)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	if cc := get("/verify", "").Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("GET /verify: Cache-Control = %q, want no-store", cc)
	}
	first := get("/static/verify.wasm", "")
	tag := first.Header().Get("ETag")
	if first.Header().Get("Cache-Control") != "no-cache" || !strings.HasPrefix(tag, `"`) {
		t.Fatalf("GET verify.wasm: Cache-Control %q, ETag %q", first.Header().Get("Cache-Control"), tag)
	}
	if again := get("/static/verify.wasm", tag); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("GET verify.wasm with If-None-Match = %d (%d bytes), want 304", again.Code, again.Body.Len())
	}
	if other := get("/static/verify.wasm", `"other"`); other.Code != 200 {
		t.Errorf("GET verify.wasm with another ETag = %d, want 200", other.Code)
	}
}

// The embedded page is complete: every file it names is served, except the
// two build outputs, which the page handles being absent.
func TestWebEmbedded(t *testing.T) {
	rec := httptest.NewRecorder()
	e := echo.New()
	e.GET("/verify", serveVerifyPage)
	e.GET("/static/:name", serveStatic)
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/verify", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /verify = %d", rec.Code)
	}
	page := rec.Body.String()
	if inline := regexp.MustCompile(`<script>|<style|\sstyle=|\son[a-z]+=`).FindString(page); inline != "" {
		t.Errorf("the page has inline script or style: %q", inline)
	}
	for _, name := range []string{"verify.css", "i18n.js", "hash.js", "verify.js", "verify-doc.js"} {
		if !strings.Contains(page, `"/static/`+name+`"`) {
			t.Errorf("the page does not load %s", name)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest("GET", "/static/"+name, nil))
		if rec.Code != 200 || rec.Body.Len() == 0 {
			t.Errorf("GET /static/%s = %d (%d bytes)", name, rec.Code, rec.Body.Len())
		}
	}
}

// TestRootRedirect: a node's address opened in a browser (GET or HEAD /)
// is sent on to /verify with 303, its query kept; every other unknown
// path, under /api/ or not, is still a problem+json 404.
func TestRootRedirect(t *testing.T) {
	s := newRouteTestServer(t)
	for _, c := range []struct{ method, target, location string }{
		{http.MethodGet, "/", "/verify"},
		{http.MethodHead, "/", "/verify"},
		{http.MethodGet, "/?lang=zh", "/verify?lang=zh"},
	} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(c.method, c.target, nil))
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != c.location {
			t.Errorf("%s %s = %d, Location %q; want 303 to %s", c.method, c.target, rec.Code, rec.Header().Get("Location"), c.location)
		}
	}
	for _, path := range []string{"/api/v1/nope", "/api/", "/index.html", "/verify/"} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if ct := rec.Header().Get("Content-Type"); rec.Code != http.StatusNotFound || !strings.HasPrefix(ct, "application/problem+json") ||
			!strings.Contains(rec.Body.String(), ProblemBase+"no-such-endpoint") {
			t.Errorf("GET %s = %d %s %s, want a problem+json 404 no-such-endpoint", path, rec.Code, ct, rec.Body)
		}
	}
}
