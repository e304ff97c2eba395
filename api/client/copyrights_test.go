package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestCopyrightPDFLang(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.RequestURI())
		w.Header().Set("Content-Type", "application/pdf")
		w.Write([]byte("%PDF- " + r.URL.Query().Get("lang")))
	}))
	defer srv.Close()
	c, ctx := New(srv.URL, "cst_t"), context.Background()
	if b, err := c.CopyrightPDF(ctx, "r1"); err != nil || string(b) != "%PDF- " {
		t.Errorf("CopyrightPDF = %q, %v", b, err)
	}
	if b, err := c.CopyrightPDFLang(ctx, "r1", "en"); err != nil || string(b) != "%PDF- en" {
		t.Errorf("CopyrightPDFLang(en) = %q, %v", b, err)
	}
	if want := []string{"/api/v1/copyrights/r1.pdf", "/api/v1/copyrights/r1.pdf?lang=en"}; !slices.Equal(got, want) {
		t.Errorf("requests = %v, want %v", got, want)
	}
}
