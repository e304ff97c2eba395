package notary

import (
	"bytes"
	"crypto"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

func TestServeHTTP(t *testing.T) {
	p := newTestPKI(t, time.Now())
	tsa := newTestTSA(t, p, nil)
	srv := httptest.NewServer(tsa)
	t.Cleanup(srv.Close)
	query := mustQuery(t, timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digestOf("x"), Certificates: true})
	tests := []struct {
		name        string
		method      string
		contentType string
		body        io.Reader
		wantStatus  int
		wantType    string
	}{
		{"granted", http.MethodPost, QueryType, bytes.NewReader(query), http.StatusOK, ReplyType},
		{"type with parameter", http.MethodPost, QueryType + "; charset=binary", bytes.NewReader(query), http.StatusOK, ReplyType},
		{"unknown length", http.MethodPost, QueryType, io.MultiReader(bytes.NewReader(query)), http.StatusOK, ReplyType},
		{"GET", http.MethodGet, "", nil, http.StatusMethodNotAllowed, "application/problem+json"},
		{"PUT", http.MethodPut, QueryType, bytes.NewReader(query), http.StatusMethodNotAllowed, "application/problem+json"},
		{"wrong type", http.MethodPost, "application/octet-stream", bytes.NewReader(query), http.StatusUnsupportedMediaType, "application/problem+json"},
		{"no type", http.MethodPost, "", bytes.NewReader(query), http.StatusUnsupportedMediaType, "application/problem+json"},
		{"too large", http.MethodPost, QueryType, bytes.NewReader(make([]byte, MaxQuerySize+1)), http.StatusRequestEntityTooLarge, "application/problem+json"},
		{"too large, unknown length", http.MethodPost, QueryType, io.MultiReader(bytes.NewReader(make([]byte, MaxQuerySize+1))), http.StatusRequestEntityTooLarge, "application/problem+json"},
		{"garbage", http.MethodPost, QueryType, strings.NewReader("hello"), http.StatusBadRequest, "application/problem+json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Content-Type") != tt.wantType {
				t.Fatalf("%s = %d %s, want %d %s (%s)", tt.name, resp.StatusCode, resp.Header.Get("Content-Type"), tt.wantStatus, tt.wantType, body)
			}
			if tt.wantStatus == http.StatusMethodNotAllowed && resp.Header.Get("Allow") != http.MethodPost {
				t.Errorf("Allow = %q, want POST", resp.Header.Get("Allow"))
			}
			if tt.wantStatus == http.StatusOK {
				if _, err := Check(body, crypto.SHA256, digestOf("x"), p.roots, nil); err != nil {
					t.Errorf("Check(reply) = %v", err)
				}
				return
			}
			var prob map[string]any
			if err := json.Unmarshal(body, &prob); err != nil {
				t.Fatalf("problem body %q: %v", body, err)
			}
			if !strings.HasPrefix(prob["type"].(string), "urn:custos:problem:") || prob["title"] == "" ||
				prob["status"] != float64(tt.wantStatus) || prob["detail"] == "" || len(prob) != 4 {
				t.Errorf("problem = %v, want RFC 9457 type, title, status %d, detail", prob, tt.wantStatus)
			}
			if d := prob["detail"].(string); strings.Contains(d, "asn1") || strings.Contains(d, "EOF") {
				t.Errorf("detail %q quotes a library's error", d)
			}
		})
	}
}

// TestServeHTTPChinese: the TSA's problems are in Chinese when the
// request asks for it (docs/api.md, "Languages").
func TestServeHTTPChinese(t *testing.T) {
	srv := httptest.NewServer(newTestTSA(t, newTestPKI(t, time.Now()), nil))
	t.Cleanup(srv.Close)
	req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", QueryType)
	req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var prob struct{ Title, Detail string }
	if err := json.NewDecoder(resp.Body).Decode(&prob); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Language") != "zh-CN" ||
		!strings.Contains(prob.Title, "时间戳") || !strings.Contains(prob.Detail, "TimeStampReq") {
		t.Errorf("garbage asking for Chinese = %d %q %+v, want 400 in Chinese", resp.StatusCode, resp.Header.Get("Content-Language"), prob)
	}
}
