package notary

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

// tamperingTSA answers through tsa after rewriting the query with f.
func tamperingTSA(t *testing.T, tsa *TSA, f func(r *timestamp.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			t.Errorf("ParseRequest() = %v", err)
			return
		}
		f(req)
		reply, err := tsa.Respond(mustQuery(t, *req))
		if err != nil {
			t.Errorf("Respond() = %v", err)
			return
		}
		w.Header().Set("Content-Type", ReplyType)
		_, _ = w.Write(reply)
	})
}

func TestClient(t *testing.T) {
	p := newTestPKI(t, time.Now())
	other := newTestPKI(t, time.Now())
	tsa := newTestTSA(t, p, nil)
	otherTSA := newTestTSA(t, other, nil)
	digest := digestOf("evidence")
	tests := []struct {
		name     string
		handler  http.Handler
		timeout  time.Duration
		wantErrs []error
	}{
		{"granted", tsa, 0, nil},
		{"other TSA", otherTSA, 0, []error{ErrBadReply, ErrUntrusted}},
		{"wrong digest", tamperingTSA(t, tsa, func(r *timestamp.Request) { r.HashedMessage = digestOf("other") }), 0, []error{ErrBadReply, ErrMismatch}},
		{"nonce mismatch", tamperingTSA(t, tsa, func(r *timestamp.Request) { r.Nonce = new(big.Int).Add(r.Nonce, big.NewInt(1)) }), 0, []error{ErrBadReply, ErrMismatch}},
		{"nonce dropped", tamperingTSA(t, tsa, func(r *timestamp.Request) { r.Nonce = nil }), 0, []error{ErrBadReply, ErrMismatch}},
		{"certificates withheld", tamperingTSA(t, tsa, func(r *timestamp.Request) { r.Certificates = false }), 0, []error{ErrBadReply}},
		{"rejection", tamperingTSA(t, tsa, func(r *timestamp.Request) { r.TSAPolicyOID = []int{1, 2, 3} }), 0, []error{ErrBadReply}},
		{"503", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
		}), 0, []error{ErrUnavailable}},
		{"404", http.NotFoundHandler(), 0, []error{ErrBadReply}},
		{"wrong content type", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>"))
		}), 0, []error{ErrBadReply}},
		{"garbage reply", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", ReplyType)
			_, _ = w.Write([]byte("garbage"))
		}), 0, []error{ErrBadReply}},
		{"connection closed", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}), 0, []error{ErrUnavailable}},
		{"timeout", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body) // lets the server notice the client leaving
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}), 100 * time.Millisecond, []error{ErrUnavailable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			t.Cleanup(srv.Close)
			hc := srv.Client()
			hc.Timeout = tt.timeout
			c := &Client{Name: "External TSA", URL: srv.URL, HTTP: hc, Roots: p.roots}
			tok, err := c.Stamp(context.Background(), crypto.SHA256, digest)
			for _, want := range tt.wantErrs {
				if !errors.Is(err, want) {
					t.Errorf("Stamp() = %v, want %v", err, want)
				}
			}
			if len(tt.wantErrs) > 0 {
				return
			}
			if err != nil {
				t.Fatalf("Stamp() = %v", err)
			}
			if tok.TSA != "External TSA" || tok.URL != srv.URL || tok.Serial == "" || time.Since(tok.Time) > time.Minute {
				t.Errorf("token = %+v", tok)
			}
			if _, err := Check(tok.Reply, crypto.SHA256, digest, p.roots, nil); err != nil {
				t.Errorf("Check(client token) = %v", err)
			}
		})
	}
}

func TestClientNoRoots(t *testing.T) {
	p := newTestPKI(t, time.Now())
	srv := httptest.NewServer(newTestTSA(t, p, nil))
	t.Cleanup(srv.Close)
	c := &Client{Name: "x", URL: srv.URL}
	if _, err := c.Stamp(context.Background(), crypto.SHA256, digestOf("x")); err != nil {
		t.Errorf("Stamp() without Roots = %v", err)
	}
	if _, err := c.Stamp(context.Background(), crypto.SHA256, digestOf("x")[:5]); !errors.Is(err, ErrDigestSize) {
		t.Errorf("Stamp(short digest) = %v, want ErrDigestSize", err)
	}
	down := &Client{Name: "down", URL: "http://127.0.0.1:1/tsa"}
	if _, err := down.Stamp(context.Background(), crypto.SHA256, digestOf("x")); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Stamp(refused) = %v, want ErrUnavailable", err)
	}
}

// TestNewQueryAsDigitorus checks that the client's query is, byte for byte,
// the one digitorus/timestamp (which it used before) writes for the same
// hash, digest and nonce.
func TestNewQueryAsDigitorus(t *testing.T) {
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		for _, nonce := range []*big.Int{big.NewInt(0), big.NewInt(0x7f), big.NewInt(0x80), new(big.Int).SetUint64(1<<64 - 1)} {
			digest := hashOf(h, "evidence")
			got, err := newQuery(h, digest, nonce)
			if err != nil {
				t.Fatal(err)
			}
			want := mustQuery(t, timestamp.Request{HashAlgorithm: h, HashedMessage: digest, Certificates: true, Nonce: nonce})
			if !bytes.Equal(got, want) {
				t.Errorf("newQuery(%v, nonce %v) = %x, want %x (digitorus)", h, nonce, got, want)
			}
		}
	}
}
