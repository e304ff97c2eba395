package api

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/webhooks"
)

// TestInvisibleCharactersRefused drives every place where text enters the
// API with a right-to-left override (U+202E) and expects 400
// invisible-character naming the field and the code point, and nothing
// created.
func TestInvisibleCharactersRefused(t *testing.T) {
	w := newUploadWorld(t)
	hooks, err := webhooks.New(webhooks.Config{DB: openTestDB(t), Sealer: testSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(withEvidence(withProver(t, w.ev), Config{Access: w.orgs, TSA: w.tsa, DB: openTestDB(t), Copyrights: w.crs, Transfers: w.crs, Webhooks: hooks}))
	if err != nil {
		t.Fatal(err)
	}
	op, err := w.orgs.CreateOrg(access.KindOperator, "Operator")
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := w.orgs.CreateKey(op.ID, access.RoleAdmin, "admin", nil)
	if err != nil {
		t.Fatal(err)
	}

	const rlo = "\u202e"
	jsonRLO := `\u202e` // as a client's JSON encoder escapes it
	meta := func(field string) string { return `{"` + field + `":"invoice` + jsonRLO + `fdp.exe"}` }
	multipartBody := func(fileName, metadata string) (io.Reader, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		if metadata != "" {
			mw.WriteField("metadata", metadata)
		}
		fw, _ := mw.CreateFormFile("file", fileName)
		fw.Write([]byte("contents"))
		mw.Close()
		return &b, mw.FormDataContentType()
	}
	work := func(field, value string) string {
		m := map[string]any{"title": "Lake", "type": "text", "authors": []string{"Li Ming"}, "owner": "Li Ming", "created": "2025-06-01"}
		switch field {
		case "authors[0]":
			m["authors"] = []string{value}
		case "place":
			m["first_publication"] = map[string]string{"date": "2025-06-02", "place": value}
		default:
			m[field] = value
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	registration := func(fileName, metadata string) (io.Reader, string) { return multipartBody(fileName, metadata) }

	type req struct {
		method, path, token string
		body                func() (io.Reader, string)
		header              map[string]string
	}
	jsonBody := func(s string) func() (io.Reader, string) {
		return func() (io.Reader, string) { return strings.NewReader(s), "application/json" }
	}
	raw := func() (io.Reader, string) { return strings.NewReader("contents"), "text/plain" }
	tests := []struct {
		name  string
		req   req
		field string
	}{
		{"upload title", req{method: "POST", path: "/api/v1/evidence", body: raw, header: map[string]string{wire.MetadataHeader: meta("title")}}, "title"},
		{"upload description", req{method: "POST", path: "/api/v1/evidence", body: raw, header: map[string]string{wire.MetadataHeader: meta("description")}}, "description"},
		{"upload case_ref", req{method: "POST", path: "/api/v1/evidence", body: raw, header: map[string]string{wire.MetadataHeader: meta("case_ref")}}, "case_ref"},
		{"upload file_name", req{method: "POST", path: "/api/v1/evidence", body: raw, header: map[string]string{wire.MetadataHeader: meta("file_name")}}, "file_name"},
		{"upload media_type", req{method: "POST", path: "/api/v1/evidence", body: raw, header: map[string]string{wire.MetadataHeader: `{"media_type":"text/plain; name=\"a` + jsonRLO + `b\""}`}}, "media_type"},
		{"upload Content-Disposition file name", req{method: "POST", path: "/api/v1/evidence", body: raw, header: map[string]string{"Content-Disposition": `attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe`}}, "file_name"},
		{"multipart file name", req{method: "POST", path: "/api/v1/evidence", body: func() (io.Reader, string) { return multipartBody("invoice"+rlo+"fdp.exe", "") }}, "file_name"},
		{"multipart metadata", req{method: "POST", path: "/api/v1/evidence", body: func() (io.Reader, string) { return multipartBody("a.txt", meta("title")) }}, "title"},
		{"matter title", req{method: "POST", path: "/api/v1/matters", body: jsonBody(`{"title":"A` + jsonRLO + `"}`)}, "title"},
		{"matter party", req{method: "POST", path: "/api/v1/matters", body: jsonBody(`{"title":"A","parties":["B` + jsonRLO + `"]}`)}, "parties[0]"},
		{"matter case number", req{method: "POST", path: "/api/v1/matters", body: jsonBody(`{"title":"A","case_number":"(2026)` + jsonRLO + `"}`)}, "case_number"},
		{"organization name", req{method: "POST", path: "/api/v1/orgs", token: admin, body: jsonBody(`{"kind":"court","name":"Court` + jsonRLO + `"}`)}, "name"},
		{"key name", req{method: "POST", path: "/api/v1/orgs/" + op.ID + "/keys", token: admin, body: jsonBody(`{"role":"viewer","name":"clerk` + jsonRLO + `"}`)}, "name"},
		{"webhook url", req{method: "POST", path: "/api/v1/webhooks", body: jsonBody(`{"url":"https://hooks.example.com/` + jsonRLO + `","events":["evidence.shared"]}`)}, "url"},
		{"copyright title", req{method: "POST", path: "/api/v1/copyrights", body: func() (io.Reader, string) { return registration("a.txt", work("title", "Lake"+rlo)) }}, "title"},
		{"copyright author", req{method: "POST", path: "/api/v1/copyrights", body: func() (io.Reader, string) { return registration("a.txt", work("authors[0]", "Li"+rlo)) }}, "authors[0]"},
		{"copyright owner", req{method: "POST", path: "/api/v1/copyrights", body: func() (io.Reader, string) { return registration("a.txt", work("owner", "Li"+rlo)) }}, "owner"},
		{"copyright publication place", req{method: "POST", path: "/api/v1/copyrights", body: func() (io.Reader, string) { return registration("a.txt", work("place", "Hangzhou"+rlo)) }}, "place"},
		{"copyright file name", req{method: "POST", path: "/api/v1/copyrights", body: func() (io.Reader, string) { return registration("a"+rlo+".txt", work("title", "Lake")) }}, "file[0].file_name"},
		{"copyright revocation reason", req{method: "POST", path: "/api/v1/copyrights/x/revoke", body: jsonBody(`{"reason":"duplicate` + jsonRLO + `"}`)}, "reason"},
		{"listing title filter", req{method: "GET", path: "/api/v1/evidence?title=" + url.QueryEscape("a"+rlo)}, "title"},
	}
	before := w.records(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			ct := ""
			if tt.req.body != nil {
				body, ct = tt.req.body()
			}
			r := httptest.NewRequest(tt.req.method, tt.req.path, body)
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			tok := tt.req.token
			if tok == "" {
				tok = w.token
			}
			r.Header.Set("Authorization", "Bearer "+tok)
			for k, v := range tt.req.header {
				r.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, r)
			var p Problem
			if rec.Code != http.StatusBadRequest || rec.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(rec.Body.Bytes(), &p) != nil {
				t.Fatalf("%s %s = %d %s, want 400 problem+json", tt.req.method, tt.req.path, rec.Code, rec.Body)
			}
			want := tt.field + " contains an invisible or direction-changing character U+202E"
			if p.Type != ProblemBase+"invisible-character" || !strings.HasPrefix(p.Detail, want) {
				t.Errorf("problem = %s: %q, want invisible-character: %q", p.Type, p.Detail, want)
			}
			if len(p.Errors) == 0 || p.Errors[0].Field != tt.field || !strings.Contains(p.Errors[0].Message, "U+202E") {
				t.Errorf("problem errors = %+v, want %s first", p.Errors, tt.field)
			}
		})
	}
	if n := w.records(t); n != before {
		t.Errorf("%d records after the refused requests, want %d", n, before)
	}
	if orgs, _ := w.orgs.Orgs(); len(orgs) != 2 {
		t.Errorf("%d organizations after the refused requests, want 2", len(orgs))
	}
}
