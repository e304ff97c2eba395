package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/custos-project/custos/api/wire"
)

func TestCertificateMethods(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.RequestURI())
		w.Header().Set("Content-Type", "application/json")
		switch r.Method + " " + r.URL.Path {
		case "POST /api/v1/certificates":
			var in wire.CertificateInput
			b, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(b, &in); err != nil || len(in.Evidence) != 2 || in.Matter != "" {
				t.Errorf("issue body = %s", b)
			}
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":"c1","number":"(2026)P证字第 1 号"}`)
		case "GET /api/v1/certificates":
			io.WriteString(w, `{"items":[{"id":"c1"}],"next_cursor":"x"}`)
		case "GET /api/v1/certificates/c1":
			io.WriteString(w, `{"id":"c1"}`)
		case "GET /api/v1/certificates/c1.pdf":
			w.Header().Set("Content-Type", "application/pdf")
			io.WriteString(w, "%PDF-")
		case "GET /api/v1/verify/t1":
			io.WriteString(w, `{"kind":"certificate","id":"c1","items":[]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, ctx := New(srv.URL, "cst_t"), context.Background()
	if cert, err := c.IssueCertificate(ctx, wire.CertificateInput{Evidence: []string{"a", "b"}}); err != nil || cert.Number != "(2026)P证字第 1 号" {
		t.Errorf("IssueCertificate = %+v, %v", cert, err)
	}
	if p, err := c.Certificates(ctx, "y", 2); err != nil || len(p.Items) != 1 || p.Next != "x" {
		t.Errorf("Certificates = %+v, %v", p, err)
	}
	if cert, err := c.Certificate(ctx, "c1"); err != nil || cert.ID != "c1" {
		t.Errorf("Certificate = %+v, %v", cert, err)
	}
	rc, err := c.CertificatePDF(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "%PDF-" {
		t.Errorf("CertificatePDF = %q", b)
	}
	if dc, err := c.DocumentCheck(ctx, "t1"); err != nil || dc.Kind != "certificate" {
		t.Errorf("DocumentCheck = %+v, %v", dc, err)
	}
	want := []string{"POST /api/v1/certificates", "GET /api/v1/certificates?cursor=y&limit=2", "GET /api/v1/certificates/c1",
		"GET /api/v1/certificates/c1.pdf", "GET /api/v1/verify/t1"}
	if !slices.Equal(got, want) {
		t.Errorf("requests = %v, want %v", got, want)
	}
}
