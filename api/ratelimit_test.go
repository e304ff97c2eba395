package api

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	prob "github.com/custos-project/custos/internal/problem"

	"github.com/labstack/echo/v4"
)

// testLimiter is a limiter on a fake clock.
func testLimiter(t *testing.T, rate float64, burst int, now *time.Time) *limiter {
	t.Helper()
	l, err := newLimiter("test", rate, burst, 1)
	if err != nil || l == nil {
		t.Fatalf("newLimiter(%v, %d) = %v, %v", rate, burst, l, err)
	}
	l.now = func() time.Time { return *now }
	return l
}

func TestLimiterTake(t *testing.T) {
	now := time.Unix(1e9, 0)
	l := testLimiter(t, 2, 3, &now)
	steps := []struct {
		advance  time.Duration
		key      string
		ok       bool
		wantWait time.Duration
	}{
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", false, 500 * time.Millisecond}, // burst spent
		{0, "b", true, 0},                       // another key has its own bucket
		{250 * time.Millisecond, "a", false, 250 * time.Millisecond},
		{250 * time.Millisecond, "a", true, 0}, // one token refilled
		{0, "a", false, 500 * time.Millisecond},
		{time.Hour, "a", true, 0}, // refills to burst, no more
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", false, 500 * time.Millisecond},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		wait, ok := l.take(s.key)
		if ok != s.ok || (math.Abs(float64(wait-s.wantWait)) > float64(time.Microsecond)) {
			t.Errorf("step %d: take(%q) = %v, %v; want %v, %v", i, s.key, wait, ok, s.wantWait, s.ok)
		}
	}
}

func TestLimiterEvict(t *testing.T) {
	now := time.Unix(1e9, 0)
	l := testLimiter(t, 1, 2, &now)
	l.max = 3
	for _, k := range []string{"a", "b", "c"} {
		l.take(k)
	}
	l.take("a") // a's bucket is empty
	now = now.Add(time.Second)
	l.take("d") // b and c have not refilled yet (2s): an arbitrary bucket goes
	if len(l.buckets) != 3 {
		t.Errorf("%d buckets, want at most 3", len(l.buckets))
	}
	now = now.Add(2 * time.Second)
	l.take("e") // all refilled: the sweep drops them, losing nothing
	if len(l.buckets) != 1 || l.buckets["e"] == nil {
		t.Errorf("buckets after the sweep: %v, want only e", l.buckets)
	}
	for i := range 1000 {
		l.take(fmt.Sprint(i))
	}
	if len(l.buckets) > l.max {
		t.Errorf("%d buckets, want at most %d", len(l.buckets), l.max)
	}
}

func TestNewLimits(t *testing.T) {
	for _, tc := range []struct {
		name      string
		in        Limits
		wantErr   bool
		key       *limiter // rate and burst only; nil: off
		upload    *limiter
		publicOff bool
	}{
		{name: "defaults", key: &limiter{rate: DefaultRate, burst: 2 * DefaultRate}, upload: &limiter{rate: DefaultUploadRate, burst: 2 * DefaultUploadRate}},
		{name: "set", in: Limits{Rate: 5, Burst: 7, UploadRate: 0.5}, key: &limiter{rate: 5, burst: 7}, upload: &limiter{rate: 0.5, burst: 1}},
		{name: "off", in: Limits{Rate: -1, UploadRate: -1, PublicRate: -1}, publicOff: true},
		{name: "negative burst", in: Limits{Burst: -1}, wantErr: true},
		{name: "NaN", in: Limits{UploadRate: math.NaN()}, wantErr: true},
		{name: "infinite", in: Limits{PublicRate: math.Inf(1)}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := newLimits(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("newLimits(%+v) = %v, want error %v", tc.in, err, tc.wantErr)
			}
			if err != nil {
				return
			}
			for _, c := range []struct {
				name      string
				got, want *limiter
			}{{"key", l.key, tc.key}, {"upload", l.upload, tc.upload}} {
				if (c.got == nil) != (c.want == nil) || (c.got != nil && (c.got.rate != c.want.rate || c.got.burst != c.want.burst)) {
					t.Errorf("%s limiter = %+v, want rate and burst of %+v", c.name, c.got, c.want)
				}
			}
			if (l.public == nil) != tc.publicOff {
				t.Errorf("public limiter = %v, want off %v", l.public, tc.publicOff)
			}
		})
	}
}

func TestClientIP(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7:5555":                 "192.0.2.7",
		"[::ffff:192.0.2.7]:5555":        "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443":     "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443":     "2001:db8:1:2::/64",
		"[fe80::1%eth0]:1":               "fe80::/64",
		"not an address":                 "not an address",
		"[2001:db8:1:3:3:4:5:6]:443":     "2001:db8:1:3::/64",
		"[2001:db8:0:0:0:0:0:1]:8080":    "2001:db8::/64",
		"[::1]:8080":                     "::/64",
		"127.0.0.1:8080":                 "127.0.0.1",
		"[2001:db8:1:2:3:4:5:6%zone]:44": "2001:db8:1:2::/64",
	} {
		if got := clientIP(&http.Request{RemoteAddr: addr}); got != want {
			t.Errorf("clientIP(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestErrRateLimitedRetryAfter(t *testing.T) {
	for wait, want := range map[time.Duration]int{0: 1, 10 * time.Millisecond: 1, time.Second: 1, 1200 * time.Millisecond: 2, 59*time.Second + 1: 60} {
		if got := errRateLimited(prob.M("who.key"), 1, 1, wait).retryAfter; got != want {
			t.Errorf("errRateLimited(wait %v).retryAfter = %d, want %d", wait, got, want)
		}
	}
}

// TestRateLimitMiddleware runs the limits over HTTP: the requests over a
// bucket get 429 problem+json with Retry-After and never reach the handler.
func TestRateLimitMiddleware(t *testing.T) {
	s := newRouteTestServer(t)
	tokA, tokB := newKey(t, s.orgs, "Firm A"), newKey(t, s.orgs, "Firm B")
	lim, err := newLimits(Limits{Rate: 1, Burst: 2, UploadRate: 1, UploadBurst: 1, PublicRate: 1, PublicBurst: 2})
	if err != nil {
		t.Fatal(err)
	}
	var ran int
	h := func(c echo.Context) error { ran++; return c.NoContent(http.StatusNoContent) }
	s.e.GET("/test/keyed", h, then(s.requireAuth, lim.perKey))
	s.e.POST("/test/upload", h, then(s.requireAuth, lim.perKey), lim.perKeyUpload)
	s.e.GET("/test/public", h, lim.perIP)

	call := func(method, path, token, addr string, i int) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i)) // a new client each time, if it were trusted
		req.Header.Set("X-Real-IP", fmt.Sprintf("198.51.100.%d", i))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, req)
		return rec
	}
	steps := []struct {
		name, method, path, token, addr string
		want                            int
	}{
		{"A 1", "GET", "/test/keyed", tokA, "192.0.2.1:1", 204},
		{"A 2", "GET", "/test/keyed", tokA, "192.0.2.1:1", 204},
		{"A over", "GET", "/test/keyed", tokA, "192.0.2.1:1", 429},
		{"B has its own bucket", "GET", "/test/keyed", tokB, "192.0.2.1:1", 204},
		{"B upload", "POST", "/test/upload", tokB, "192.0.2.1:1", 204},
		{"B upload over", "POST", "/test/upload", tokB, "192.0.2.1:1", 429},
		{"bad token is 401, not counted", "GET", "/test/keyed", "cst_nope", "192.0.2.1:1", 401},
		{"public 1", "GET", "/test/public", "", "192.0.2.1:1", 204},
		{"public 2, other port", "GET", "/test/public", "", "192.0.2.1:2", 204},
		{"public over", "GET", "/test/public", "", "192.0.2.1:3", 429},
		{"public other address", "GET", "/test/public", "", "192.0.2.2:1", 204},
		{"forwarding headers are not trusted", "GET", "/test/public", "", "192.0.2.1:1", 429},
	}
	for i, st := range steps {
		before := ran
		rec := call(st.method, st.path, st.token, st.addr, i)
		if rec.Code != st.want {
			t.Errorf("%s: %s %s = %d %s, want %d", st.name, st.method, st.path, rec.Code, rec.Body, st.want)
		}
		if st.want != 429 {
			continue
		}
		wantProblem(t, rec, http.StatusTooManyRequests, "rate-limited")
		if ra := rec.Header().Get("Retry-After"); ra != "1" {
			t.Errorf("%s: Retry-After = %q, want 1", st.name, ra)
		}
		if ran != before {
			t.Errorf("%s: the handler ran on a refused request", st.name)
		}
	}
}

// TestTooLargeStaysProblem: the upload size limit answers 413 problem+json,
// with no Retry-After (413 is not transient).
func TestTooLargeStaysProblem(t *testing.T) {
	s := newRouteTestServer(t)
	tok := newKey(t, s.orgs, "Firm")
	req := httptest.NewRequest(http.MethodPost, "/api/v1/evidence", strings.NewReader("x"))
	req.ContentLength = s.records.MaxSize() + multipartSlack + 1
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	s.e.ServeHTTP(rec, req)
	wantProblem(t, rec, http.StatusRequestEntityTooLarge, "too-large")
	if ra := rec.Header().Get("Retry-After"); ra != "" {
		t.Errorf("413 carries Retry-After %q, want none", ra)
	}
}
