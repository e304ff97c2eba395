package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
)

// internalFragments are pieces of Go's and its libraries' error texts:
// none may reach a client, in either language.
var internalFragments = []string{
	"strconv.", "EOF", "invalid character", "context deadline", "context canceled", "json:", "asn1:",
	"unexpected end", "parsing time", "cannot unmarshal", "multipart:", "mime:", "http:", "time.Time",
	"int64", "uint64", "float64", "reflect", "<nil>", "%!", "code=", "bufio:",
}

// englishWords is an English phrase left in a Chinese text (three words
// or more; names, field names and lists of values are shorter or comma
// separated).
var englishWords = regexp.MustCompile(`[A-Za-z]+(?: [a-z]+){2,}`)

// TestMalformedInputAnswers sends malformed input (bad JSON, truncated
// bodies, bad numbers, dates, hex and huge values) to the main routes, in
// English and Chinese. Each answer must be a 4xx problem in the language
// asked for (Content-Language, Vary), whose title, detail and field
// messages hold no Go-internal text, and, in Chinese, are Chinese.
func TestMalformedInputAnswers(t *testing.T) {
	w := newUploadWorld(t)
	up := w.upload(t, strings.NewReader("Scan of the signed contract.\n"), "text/plain")
	if up.Code != http.StatusCreated {
		t.Fatalf("upload = %d %s", up.Code, up.Body)
	}
	id := strings.TrimPrefix(up.Header().Get("Location"), "/api/v1/evidence/")
	op, err := w.orgs.CreateOrg(access.KindOperator, "Node Operator")
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := w.orgs.CreateKey(op.ID, access.RoleAdmin, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	huge := strings.Repeat("9", 400)
	multi := "multipart/form-data; boundary=b"
	type request struct {
		name, method, path, ctype, body string
		hdr                             []string // name, value pairs
		admin                           bool
	}
	cases := []request{
		{name: "metadata header bad json", method: "POST", path: "/api/v1/evidence", ctype: "text/plain", body: "x", hdr: []string{wire.MetadataHeader, `{"title":`}},
		{name: "metadata header wrong type", method: "POST", path: "/api/v1/evidence", ctype: "text/plain", body: "x", hdr: []string{wire.MetadataHeader, `{"title":5}`}},
		{name: "metadata header bad date", method: "POST", path: "/api/v1/evidence", ctype: "text/plain", body: "x", hdr: []string{wire.MetadataHeader, `{"captured_at":"yesterday"}`}},
		{name: "metadata header unknown field", method: "POST", path: "/api/v1/evidence", ctype: "text/plain", body: "x", hdr: []string{wire.MetadataHeader, `{"sha256":"00"}`}},
		{name: "metadata header invalid char", method: "POST", path: "/api/v1/evidence", ctype: "text/plain", body: "x", hdr: []string{wire.MetadataHeader, `{"title":"a\u202eb"}`}},
		{name: "metadata header too long", method: "POST", path: "/api/v1/evidence", ctype: "text/plain", body: "x", hdr: []string{wire.MetadataHeader, `{"title":"` + strings.Repeat("a", 600) + `"}`}},
		{name: "multipart truncated", method: "POST", path: "/api/v1/evidence", ctype: multi, body: "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc"},
		{name: "multipart garbage", method: "POST", path: "/api/v1/evidence", ctype: multi, body: "not multipart at all"},
		{name: "multipart no boundary", method: "POST", path: "/api/v1/evidence", ctype: "multipart/form-data", body: "x"},
		{name: "multipart bad metadata", method: "POST", path: "/api/v1/evidence", ctype: multi, body: "--b\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"title\":tru\r\n--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--b--\r\n"},
		{name: "empty upload", method: "POST", path: "/api/v1/evidence", ctype: "text/plain", body: ""},
		{name: "matter truncated json", method: "POST", path: "/api/v1/matters", ctype: "application/json", body: `{"title":`},
		{name: "matter not an object", method: "POST", path: "/api/v1/matters", ctype: "application/json", body: `[1,2]`},
		{name: "matter trailing", method: "POST", path: "/api/v1/matters", ctype: "application/json", body: `{"title":"a"} {}`},
		{name: "matter huge", method: "POST", path: "/api/v1/matters", ctype: "application/json", body: `{"title":"` + strings.Repeat("a", 70<<10) + `"}`},
		{name: "matter bad syntax", method: "POST", path: "/api/v1/matters", ctype: "application/json", body: `{"title" "a"}`},
		{name: "share wrong type", method: "POST", path: "/api/v1/shares", ctype: "application/json", body: `{"evidence":12,"org":"x"}`},
		{name: "share bad date", method: "POST", path: "/api/v1/shares", ctype: "application/json", body: `{"evidence":"` + id + `","org":"x","expires_at":"2026-13-45"}`},
		{name: "share huge number", method: "POST", path: "/api/v1/shares", ctype: "application/json", body: `{"evidence":` + huge + `}`},
		{name: "share with itself", method: "POST", path: "/api/v1/shares", ctype: "application/json", body: `{"evidence":"` + id + `","org":"` + w.org + `"}`},
		{name: "share expired", method: "POST", path: "/api/v1/shares", ctype: "application/json", body: `{"evidence":"` + id + `","org":"` + op.ID + `","expires_at":"2001-01-01T00:00:00Z"}`},
		{name: "share truncated", method: "POST", path: "/api/v1/shares", ctype: "application/json", body: `{"evidence":"`},
		{name: "list bad limit", method: "GET", path: "/api/v1/evidence?limit=abc"},
		{name: "list huge limit", method: "GET", path: "/api/v1/evidence?limit=" + huge},
		{name: "list bad date", method: "GET", path: "/api/v1/evidence?from=2026-13-45"},
		{name: "list bad cursor", method: "GET", path: "/api/v1/evidence?cursor=%ff%fe"},
		{name: "shares bad direction", method: "GET", path: "/api/v1/shares?direction=sideways"},
		{name: "lookup bad hex", method: "GET", path: "/api/v1/lookup?sha256=zz"},
		{name: "lookup huge hex", method: "GET", path: "/api/v1/lookup?sha256=" + strings.Repeat("a", 5000)},
		{name: "lookup two digests", method: "GET", path: "/api/v1/lookup?sha256=00&sm3=00"},
		{name: "receipt bad wait", method: "GET", path: "/api/v1/evidence/" + id + "/receipt?wait=forever"},
		{name: "receipt bad page", method: "GET", path: "/api/v1/evidence/" + id + "/receipt?from=-1&limit=x"},
		{name: "timestamp huge index", method: "GET", path: "/api/v1/evidence/" + id + "/timestamp?tsa=" + huge},
		{name: "timestamp missing index", method: "GET", path: "/api/v1/evidence/" + id + "/timestamp?tsa=7"},
		{name: "content bad range", method: "GET", path: "/api/v1/evidence/" + id + "/content", hdr: []string{"Range", "bytes=" + huge + "-"}},
		{name: "unknown evidence", method: "GET", path: "/api/v1/evidence/nope"},
		{name: "checkpoint bad height", method: "GET", path: "/api/v1/log/checkpoint?height=x"},
		{name: "consistency bad sizes", method: "GET", path: "/api/v1/log/consistency?first=a&second=" + huge},
		{name: "copyright not multipart", method: "POST", path: "/api/v1/copyrights", ctype: "application/json", body: `{}`},
		{name: "copyright bad metadata", method: "POST", path: "/api/v1/copyrights", ctype: multi, body: "--b\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{\"title\":\r\n--b--\r\n"},
		{name: "copyright search bad hex", method: "GET", path: "/api/v1/copyrights/search?sha256=XYZ"},
		{name: "copyright search huge number", method: "GET", path: "/api/v1/copyrights/search?number=" + huge},
		{name: "transfer bad json", method: "POST", path: "/api/v1/copyrights/x/transfers", ctype: "application/json", body: `{"to":5,"days":"x"}`},
		{name: "transfers bad status", method: "GET", path: "/api/v1/copyrights/transfers?status=maybe"},
		{name: "certificate truncated", method: "POST", path: "/api/v1/certificates", ctype: "application/json", body: `{"evidence":[`},
		{name: "bad idempotency key", method: "POST", path: "/api/v1/matters", ctype: "application/json", body: `{"title":"a"}`, hdr: []string{"Idempotency-Key", "a\x01b"}},
		{name: "no such endpoint", method: "GET", path: "/api/v1/nothing-here"},
		{name: "method not allowed", method: "PUT", path: "/api/v1/evidence"},
		{name: "org bad json", method: "POST", path: "/api/v1/orgs", ctype: "application/json", body: `{"kind":1`, admin: true},
		{name: "org bad kind", method: "POST", path: "/api/v1/orgs", ctype: "application/json", body: `{"kind":"bank","name":"A"}`, admin: true},
		{name: "org invisible name", method: "POST", path: "/api/v1/orgs", ctype: "application/json", body: `{"kind":"court","name":"a\u200bb"}`, admin: true},
		{name: "org patch empty", method: "PATCH", path: "/api/v1/orgs/" + op.ID, ctype: "application/json", body: `{}`, admin: true},
		{name: "key bad expiry", method: "POST", path: "/api/v1/orgs/" + op.ID + "/keys", ctype: "application/json", body: `{"role":"admin","expires_at":"soon"}`, admin: true},
		{name: "key past expiry", method: "POST", path: "/api/v1/orgs/" + op.ID + "/keys", ctype: "application/json", body: `{"role":"admin","expires_at":"2001-01-01T00:00:00Z"}`, admin: true},
		{name: "org name too long", method: "POST", path: "/api/v1/orgs", ctype: "application/json", body: `{"kind":"court","name":"` + strings.Repeat("法", 201) + `"}`, admin: true},
		{name: "key bad role", method: "POST", path: "/api/v1/orgs/" + op.ID + "/keys", ctype: "application/json", body: `{"role":"king"}`, admin: true},
		{name: "chain upgrade bad json", method: "POST", path: "/api/v1/admin/chain/upgrade", ctype: "application/json", body: `{"height":"x"}`, admin: true},
		{name: "bad token", method: "GET", path: "/api/v1/me", hdr: []string{"Authorization", "Bearer " + huge}},
		{name: "basic auth", method: "GET", path: "/api/v1/me", hdr: []string{"Authorization", "Basic eDp5"}},
	}
	for _, tc := range cases {
		for _, lang := range []string{"en", "zh-CN"} {
			t.Run(tc.name+"/"+lang, func(t *testing.T) {
				req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
				tok := w.token
				if tc.admin {
					tok = admin
				}
				req.Header.Set("Authorization", "Bearer "+tok)
				if tc.ctype != "" {
					req.Header.Set("Content-Type", tc.ctype)
				}
				for i := 0; i+1 < len(tc.hdr); i += 2 {
					req.Header.Set(tc.hdr[i], tc.hdr[i+1])
				}
				req.Header.Set("Accept-Language", lang)
				rec := httptest.NewRecorder()
				w.s.e.ServeHTTP(rec, req)
				checkLocalizedProblem(t, rec, lang)
			})
		}
	}
}

// checkLocalizedProblem checks a 4xx problem answer in language lang
// ("en" or "zh-CN") that shows no internal text.
func checkLocalizedProblem(t *testing.T, rec *httptest.ResponseRecorder, lang string) {
	t.Helper()
	var p Problem
	if rec.Code < 400 || rec.Code >= 500 || rec.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(rec.Body.Bytes(), &p) != nil {
		t.Fatalf("answer = %d %q %s, want a 4xx problem", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	if got := rec.Header().Get("Content-Language"); got != lang {
		t.Errorf("Content-Language = %q, want %q", got, lang)
	}
	if !strings.Contains(strings.Join(rec.Header().Values("Vary"), ","), "Accept-Language") {
		t.Errorf("Vary = %q, want Accept-Language in it", rec.Header().Values("Vary"))
	}
	texts := []string{p.Title, p.Detail}
	for _, f := range p.Errors {
		texts = append(texts, f.Message)
	}
	for _, s := range texts {
		for _, frag := range internalFragments {
			if strings.Contains(s, frag) {
				t.Errorf("%q holds internal text %q (answer %s)", s, frag, rec.Body)
			}
		}
	}
	if lang == "zh-CN" {
		for _, s := range texts {
			if s != "" && !strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
				t.Errorf("%q is not Chinese (answer %s)", s, rec.Body)
			}
			if m := englishWords.FindString(s); m != "" {
				t.Errorf("%q holds English words %q (answer %s)", s, m, rec.Body)
			}
		}
	}
}

// TestClientChineseProblem runs the CLI's client against the real server
// with a Chinese locale: the problem it gets, and prints, is Chinese.
func TestClientChineseProblem(t *testing.T) {
	t.Setenv("LC_ALL", "zh_CN.UTF-8")
	w := newUploadWorld(t)
	srv := httptest.NewServer(w.s.Handler())
	t.Cleanup(srv.Close)
	_, err := client.New(srv.URL, w.token).Get(context.Background(), "nope")
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != http.StatusNotFound {
		t.Fatalf("Get = %v, want a 404 problem", err)
	}
	if ce.Problem.Title != "未找到" || ce.Problem.Detail != "没有此 ID 的证据，或您无权查看。" {
		t.Errorf("problem = %q: %q, want it in Chinese", ce.Problem.Title, ce.Problem.Detail)
	}
}

// FuzzProblemText posts arbitrary bodies to the JSON routes and the
// upload metadata header: an answer that is a problem must be a 4xx whose
// words hold no Go-internal text, in English or Chinese.
func FuzzProblemText(f *testing.F) {
	for _, s := range []string{`{"title":`, `[1]`, `{"evidence":1e999}`, `{"title":"a"}x`, "{\"title\":\"\xff\"}", `{"expires_at":"2026-02-30T00:00:00Z"}`, `{"org":{"a":[`, `"` + strings.Repeat(`\u`, 50)} {
		f.Add(s, uint8(0))
	}
	w := newUploadWorld(f)
	f.Fuzz(func(t *testing.T, body string, route uint8) {
		var req *http.Request
		switch route % 4 {
		case 0:
			req = httptest.NewRequest("POST", "/api/v1/matters", strings.NewReader(body))
		case 1:
			req = httptest.NewRequest("POST", "/api/v1/shares", strings.NewReader(body))
		case 2:
			req = httptest.NewRequest("POST", "/api/v1/copyrights/x/transfers", strings.NewReader(body))
		default:
			req = httptest.NewRequest("POST", "/api/v1/evidence", strings.NewReader("x"))
			req.Header.Set(wire.MetadataHeader, strings.Map(func(r rune) rune {
				if r < 0x20 || r == 0x7f {
					return -1 // not a header value
				}
				return r
			}, body))
		}
		req.Header.Set("Authorization", "Bearer "+w.token)
		req.Header.Set("Content-Type", "application/json")
		lang := "en"
		if route&4 != 0 {
			lang = "zh-CN"
		}
		req.Header.Set("Accept-Language", lang)
		rec := httptest.NewRecorder()
		w.s.e.ServeHTTP(rec, req)
		if rec.Code >= 400 {
			checkLocalizedProblem(t, rec, lang)
		}
	})
}
