package api

import (
	"net/http/httptest"
	"testing"
	"testing/fstest"
)

// TestWebPrecompressed: verify.wasm is served as the best compressed copy
// the client accepts (br, then gzip), with Content-Encoding, Vary and an
// ETag of its own; as is to a client that accepts neither, or when the copy
// is missing.
func TestWebPrecompressed(t *testing.T) {
	wasm, br, gz := "\x00asm plain", "brotli bytes", "gzip bytes"
	full := fstest.MapFS{"verify.wasm": {Data: []byte(wasm)}, "verify.wasm.br": {Data: []byte(br)}, "verify.wasm.gz": {Data: []byte(gz)}}
	gzipOnly := fstest.MapFS{"verify.wasm": {Data: []byte(wasm)}, "verify.wasm.gz": {Data: []byte(gz)}}
	plain := fstest.MapFS{"verify.wasm": {Data: []byte(wasm)}}
	tests := []struct {
		name     string
		fsys     fstest.MapFS
		accept   string
		encoding string
		body     string
	}{
		{"chromium over https", full, "gzip, deflate, br, zstd", "br", br},
		{"chromium over http", full, "gzip, deflate", "gzip", gz},
		{"br refused", full, "br;q=0, gzip;q=0.5", "gzip", gz},
		{"upper case", full, "GZIP", "gzip", gz},
		{"nothing accepted", full, "", "", wasm},
		{"identity", full, "identity", "", wasm},
		{"gzip refused", gzipOnly, "gzip;q=0", "", wasm},
		{"no brotli copy", gzipOnly, "br, gzip", "gzip", gz},
		{"no copies", plain, "br, gzip", "", wasm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := webServer(tt.fsys)
			req := httptest.NewRequest("GET", "/static/verify.wasm", nil)
			if tt.accept != "" {
				req.Header.Set("Accept-Encoding", tt.accept)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			h := rec.Header()
			if rec.Code != 200 || rec.Body.String() != tt.body || h.Get("Content-Encoding") != tt.encoding {
				t.Fatalf("GET verify.wasm (Accept-Encoding %q) = %d, Content-Encoding %q, body %q; want %q, %q",
					tt.accept, rec.Code, h.Get("Content-Encoding"), rec.Body.String(), tt.encoding, tt.body)
			}
			if h.Get("Content-Type") != "application/wasm" || h.Get("Vary") != "Accept-Encoding" {
				t.Errorf("GET verify.wasm: Content-Type %q, Vary %q", h.Get("Content-Type"), h.Get("Vary"))
			}
			// The ETag names the bytes sent: a client holding the
			// plain file's tag gets the compressed copy again, not 304.
			plainTag := webServer(plain)
			rec2 := httptest.NewRecorder()
			plainTag.ServeHTTP(rec2, httptest.NewRequest("GET", "/static/verify.wasm", nil))
			if same := h.Get("ETag") == rec2.Header().Get("ETag"); same != (tt.encoding == "") {
				t.Errorf("GET verify.wasm (%q): ETag %s, plain file's %s", tt.encoding, h.Get("ETag"), rec2.Header().Get("ETag"))
			}
		})
	}
	// The copies are never served under their own names.
	rec := httptest.NewRecorder()
	webServer(full).ServeHTTP(rec, httptest.NewRequest("GET", "/static/verify.wasm.gz", nil))
	if rec.Code != 404 {
		t.Errorf("GET /static/verify.wasm.gz = %d, want 404", rec.Code)
	}
}
