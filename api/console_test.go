package api

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// The console (/console) is served from the embedded files like /verify:
// with the page's Content Security Policy and security headers, no inline
// script or style, and every file it loads served from /static/.
func TestConsoleEmbedded(t *testing.T) {
	e := echo.New()
	e.Use(securityHeaders)
	e.GET("/console", func(c echo.Context) error { return pageFiles.serve(c, "console.html") })
	e.GET("/static/:name", serveStatic)
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec
	}

	rec := get("/console")
	if rec.Code != 200 {
		t.Fatalf("GET /console = %d", rec.Code)
	}
	h := rec.Header()
	if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if h.Get("Content-Security-Policy") != webCSP || h.Get("X-Frame-Options") != "DENY" ||
		h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" ||
		h.Get("Cross-Origin-Opener-Policy") != "same-origin" {
		t.Errorf("GET /console: security headers = %v", h)
	}
	page := rec.Body.String()
	// No inline script or style of any kind: no <script> without src, no
	// <style>, no style= or on...= attributes, no javascript: URLs.
	for _, re := range []string{`<script(\s[^>]*)?>\s*[^<\s]`, `<script(?:\s+(?:defer|type="[^"]*"))*\s*>`, `<style`, `\sstyle=`, `\son[a-z]+=`, `(?i)javascript:`} {
		if m := regexp.MustCompile(re).FindString(page); m != "" {
			t.Errorf("the console has inline script or style: %q", m)
		}
	}
	srcs := regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`).FindAllStringSubmatch(page, -1)
	var loaded []string
	for _, m := range srcs {
		loaded = append(loaded, m[1])
	}
	for _, want := range []string{"/static/i18n.js", "/static/console.js", "/static/verify.css", "/static/console.css"} {
		if !strings.Contains(strings.Join(loaded, " "), want) {
			t.Errorf("the console does not load %s (it loads %v)", want, loaded)
		}
	}
	for _, p := range loaded {
		rec := get(p)
		if rec.Code != 200 || rec.Body.Len() == 0 {
			t.Errorf("GET %s = %d (%d bytes)", p, rec.Code, rec.Body.Len())
		}
		if rec.Header().Get("Content-Security-Policy") != webCSP {
			t.Errorf("GET %s: no CSP", p)
		}
	}

	// The script keeps the API key in memory: it never touches storage or
	// cookies, and talks only to this server.
	js := get("/static/console.js").Body.String()
	for _, bad := range []string{"localStorage", "sessionStorage", "document.cookie", "indexedDB", "eval(", "new Function", "innerHTML", "http://", "https://"} {
		if strings.Contains(js, bad) {
			t.Errorf("console.js uses %q", bad)
		}
	}
	// Every data-i18n key of the page is translated in both languages.
	i18n := get("/static/i18n.js").Body.String()
	for _, m := range regexp.MustCompile(`data-i18n="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if n := strings.Count(i18n, "'"+m[1]+"':") + strings.Count(i18n, "\n      "+m[1]+":"); n != 2 {
			t.Errorf("i18n key %q is defined %d times, want 2 (en and zh)", m[1], n)
		}
	}
	// So is every key the script names whole ('console.share.check'; not
	// a prefix it completes, 'console.kind.').
	for _, m := range regexp.MustCompile(`'((?:console|step)\.[A-Za-z0-9_.]*[A-Za-z0-9_])'`).FindAllStringSubmatch(js, -1) {
		if n := strings.Count(i18n, "'"+m[1]+"':"); n != 2 {
			t.Errorf("i18n key %q (console.js) is defined %d times, want 2 (en and zh)", m[1], n)
		}
	}
}
