package api

import (
	"context"
	"io"
	"maps"
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
	// reads counts the reads recorded on the item, by type and subject:
	// events (a folded one counts its reads) and reads pending in open
	// fold windows, so that a read folded into the window of the one
	// before still counts.
	reads := func() map[string]int64 {
		evs, pending, err := w.ev.CustodyPending(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, e := range evs {
			out[e.Type+"/"+e.Subject] += e.Count()
		}
		for _, p := range pending {
			out[p.Type+"/"+p.Subject] += int64(p.Reads)
		}
		return out
	}
	diff := func(after, before map[string]int64) map[string]int64 {
		d := map[string]int64{}
		for k, n := range after {
			if n != before[k] {
				d[k] = n - before[k]
			}
		}
		return d
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
			before := reads()
			get, _ := do(http.MethodGet, path)
			afterGET := reads()
			byGET := diff(afterGET, before)
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
			// (A GET that recorded a read changed the custody the HEAD
			// shows.)
			if get.ContentLength >= 0 && head.ContentLength != get.ContentLength && !(strings.HasSuffix(r.Path, "/custody") && len(byGET) > 0) {
				t.Errorf("HEAD %s Content-Length = %d, GET's = %d", path, head.ContentLength, get.ContentLength)
			}
			if w.s.heads[r.Path] {
				return // a HEAD route of its own (evidence content: tested with it)
			}
			if byHEAD := diff(reads(), afterGET); !maps.Equal(byHEAD, byGET) {
				t.Errorf("HEAD %s recorded reads %v, GET %v", path, byHEAD, byGET)
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
