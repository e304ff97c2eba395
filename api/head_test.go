package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestHEADEveryGETRoute: every route registered for GET answers HEAD with
// the status, Content-Type and Content-Length of the GET and no content
// (RFC 9110 §9.3.2), and a HEAD on an evidence route records the custody
// event its GET records.
func TestHEADEveryGETRoute(t *testing.T) {
	w := newUploadWorld(t)
	up := w.upload(t, strings.NewReader("Scan of the signed contract.\n"), "text/plain")
	if up.Code != http.StatusCreated {
		t.Fatalf("upload = %d %s", up.Code, up.Body)
	}
	id := strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")
	srv := httptest.NewServer(w.s.Handler())
	t.Cleanup(srv.Close)

	param := regexp.MustCompile(`:[A-Za-z0-9_]+`)
	do := func(method, path string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+w.token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	events := func() int {
		evs, err := w.ev.Custody(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	lastEvent := func() string {
		evs, _ := w.ev.Custody(context.Background(), id)
		e := evs[len(evs)-1]
		return e.Type + "/" + e.Subject
	}

	n := 0
	for _, r := range w.s.e.Routes() {
		if r.Method != http.MethodGet {
			continue
		}
		n++
		path := param.ReplaceAllStringFunc(r.Path, func(p string) string {
			switch {
			case p == ":id" && strings.HasPrefix(r.Path, "/api/v1/evidence/"):
				return id
			case p == ":id" && strings.HasPrefix(r.Path, "/api/v1/orgs/"):
				return w.org
			}
			return "x"
		})
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			before := events()
			get, _ := do(http.MethodGet, path)
			afterGET := events()
			getEvent := ""
			if afterGET > before {
				getEvent = lastEvent()
			}
			head, body := do(http.MethodHead, path)
			if head.StatusCode != get.StatusCode {
				t.Errorf("HEAD %s = %d, GET = %d", path, head.StatusCode, get.StatusCode)
			}
			if len(body) != 0 {
				t.Errorf("HEAD %s sent %d bytes of content", path, len(body))
			}
			if g, h := get.Header.Get("Content-Type"), head.Header.Get("Content-Type"); g != h {
				t.Errorf("HEAD %s Content-Type = %q, GET's = %q", path, h, g)
			}
			// (A GET that added a custody event changed the custody
			// chain the HEAD shows.)
			if get.ContentLength >= 0 && head.ContentLength != get.ContentLength && !(strings.HasSuffix(r.Path, "/custody") && afterGET > before) {
				t.Errorf("HEAD %s Content-Length = %d, GET's = %d", path, head.ContentLength, get.ContentLength)
			}
			if w.s.heads[r.Path] {
				return // a HEAD route of its own (evidence content: tested with it)
			}
			afterHEAD := events()
			if afterHEAD-afterGET != afterGET-before {
				t.Errorf("HEAD %s recorded %d custody events, GET %d", path, afterHEAD-afterGET, afterGET-before)
			} else if afterHEAD > afterGET && lastEvent() != getEvent {
				t.Errorf("HEAD %s recorded %s, GET %s", path, lastEvent(), getEvent)
			}
		})
	}
	if n < 20 {
		t.Fatalf("found %d GET routes", n)
	}
}

// TestHEADContentIsAView: HEAD on the content keeps its own route, which
// records a view of the content rather than a download.
func TestHEADContentIsAView(t *testing.T) {
	w := newUploadWorld(t)
	up := w.upload(t, strings.NewReader("bytes"), "text/plain")
	id := strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")
	srv := httptest.NewServer(w.s.Handler())
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest(http.MethodHead, srv.URL+"/api/v1/evidence/"+id+"/content", nil)
	req.Header.Set("Authorization", "Bearer "+w.token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength != 5 {
		t.Fatalf("HEAD content = %d, Content-Length %d", resp.StatusCode, resp.ContentLength)
	}
	evs, err := w.ev.Custody(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if e := evs[len(evs)-1]; e.Type != "viewed" || e.Subject != "content" {
		t.Errorf("HEAD content recorded %s/%s, want viewed/content", e.Type, e.Subject)
	}
}

// TestHEADUnauthenticated: a HEAD is authenticated like its GET.
func TestHEADUnauthenticated(t *testing.T) {
	s := newRouteTestServer(t)
	for _, path := range []string{"/api/v1/evidence/x", "/api/v1/me", "/api/v1/orgs"} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodHead, path, nil))
		if rec.Code != http.StatusUnauthorized || rec.Body.Len() != 0 {
			t.Errorf("HEAD %s without a key = %d with %d bytes, want 401 without content", path, rec.Code, rec.Body.Len())
		}
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/verify", nil))
	if allow := rec.Header().Get(echo.HeaderAllow); rec.Code != http.StatusMethodNotAllowed || !strings.Contains(allow, "HEAD") {
		t.Errorf("POST /verify = %d, Allow %q, want 405 with HEAD allowed", rec.Code, allow)
	}
}
