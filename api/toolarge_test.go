package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/custos-project/custos/evidence"
)

// TestUploadTooLargeNamesLimit: an upload over the node's limit is 413
// too-large, as before, and its detail names the limit in binary units, in
// English and in Chinese: refused by its Content-Length, or cut off while
// it streams (the evidence service's ErrTooLarge, the body reader's
// MaxBytesError).
func TestUploadTooLargeNamesLimit(t *testing.T) {
	s := newRouteTestServer(t) // MaxSize 1 MiB
	tok := newKey(t, s.orgs, "Firm")
	for _, tc := range []struct{ lang, want string }{
		{"en", "The upload is larger than this server accepts: at most 1 MiB."},
		{"zh-CN", "上传的文件超过了本服务器接受的大小：最大 1 MiB。"},
	} {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/evidence", strings.NewReader("x"))
		req.ContentLength = s.records.MaxSize() + multipartSlack + 1
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept-Language", tc.lang)
		rec := httptest.NewRecorder()
		s.e.ServeHTTP(rec, req)
		wantProblem(t, rec, http.StatusRequestEntityTooLarge, "too-large")
		var p Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Detail != tc.want {
			t.Errorf("POST /api/v1/evidence over the limit (%s): detail %q, want %q", tc.lang, p.Detail, tc.want)
		}
	}
	for _, err := range []error{
		fmt.Errorf("staging: %w", evidence.ErrTooLarge),
		&http.MaxBytesError{Limit: s.records.MaxSize() + multipartSlack},
	} {
		if p := s.problemOf(err); p.Status != http.StatusRequestEntityTooLarge || p.Type != ProblemBase+"too-large" ||
			!strings.Contains(p.Detail, "at most 1 MiB") {
			t.Errorf("problemOf(%v) = %d %s %q, want 413 too-large naming 1 MiB", err, p.Status, p.Type, p.Detail)
		}
	}
}

func TestSizeText(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1 KiB"}, {1536, "1.5 KiB"}, {1 << 20, "1 MiB"},
		{2 << 30, "2 GiB"}, {16 << 30, "16 GiB"}, {3<<30 + 1, "3 GiB"}, {(3 << 30) - 1, "2.99 GiB"},
		{5 << 40, "5 TiB"}, {2048 << 40, "2048 TiB"},
	} {
		if got := sizeText(tc.n); got != tc.want {
			t.Errorf("sizeText(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
