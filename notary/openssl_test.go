package notary

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

// needOpenSSL returns the path of openssl, skipping the test without it
// unless CUSTOS_REQUIRE_INTEGRATION=1.
func needOpenSSL(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CUSTOS_REQUIRE_INTEGRATION") == "1" {
			t.Fatalf("openssl not found and CUSTOS_REQUIRE_INTEGRATION=1: %v", err)
		}
		t.Skip("openssl not found; set CUSTOS_REQUIRE_INTEGRATION=1 to make this a failure")
	}
	return path
}

// openssl runs openssl with args in dir and returns its combined output.
func openssl(t *testing.T, bin, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestOpenSSL drives the HTTP handler with `openssl ts -query` and checks
// its replies with `openssl ts -verify`, an independent implementation.
func TestOpenSSL(t *testing.T) {
	bin := needOpenSSL(t)
	p := newTestPKI(t, time.Now())
	tsa := newTestTSA(t, p, nil)
	srv := httptest.NewServer(tsa)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "root.pem"), certs.EncodePEM(p.root.Cert))
	writeFile(t, filepath.Join(dir, "org-ca.pem"), certs.EncodePEM(p.org.Cert))
	writeFile(t, filepath.Join(dir, "tsa-chain.pem"), certs.EncodePEM(p.tsa.Cert, p.org.Cert))
	writeFile(t, filepath.Join(dir, "data.txt"), []byte("evidence for openssl\n"))
	writeFile(t, filepath.Join(dir, "other.txt"), []byte("something else\n"))

	tests := []struct {
		name      string
		queryArgs []string
		untrusted string
	}{
		{"certs embedded", []string{"-sha256", "-cert"}, "org-ca.pem"},
		{"certs not embedded", []string{"-sha256"}, "tsa-chain.pem"},
		{"SHA-512 without nonce", []string{"-sha512", "-cert", "-no_nonce"}, "org-ca.pem"},
		{"our policy", []string{"-sha384", "-cert", "-tspolicy", DefaultPolicy.String()}, "org-ca.pem"},
		{"SM3 imprint", []string{"-sm3", "-cert"}, "org-ca.pem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"ts", "-query", "-data", "data.txt", "-out", "q.tsq"}, tt.queryArgs...)
			if out, err := openssl(t, bin, dir, args...); err != nil {
				t.Fatalf("openssl ts -query: %v\n%s", err, out)
			}
			query, err := os.ReadFile(filepath.Join(dir, "q.tsq"))
			if err != nil {
				t.Fatal(err)
			}
			reply := post(t, srv.URL, query)
			writeFile(t, filepath.Join(dir, "reply.tsr"), reply)

			out, err := openssl(t, bin, dir, "ts", "-reply", "-in", "reply.tsr", "-text")
			if err != nil || !strings.Contains(out, "Status: Granted.") || !strings.Contains(out, "Policy OID: "+DefaultPolicy.String()) {
				t.Errorf("openssl ts -reply -text: %v\n%s", err, out)
			}
			out, err = openssl(t, bin, dir, "ts", "-verify", "-in", "reply.tsr", "-queryfile", "q.tsq", "-CAfile", "root.pem", "-untrusted", tt.untrusted)
			if err != nil || !strings.Contains(out, "Verification: OK") {
				t.Errorf("openssl ts -verify -queryfile: %v\n%s", err, out)
			}
			out, err = openssl(t, bin, dir, "ts", "-verify", "-in", "reply.tsr", "-data", "data.txt", "-CAfile", "root.pem", "-untrusted", tt.untrusted)
			if err != nil || !strings.Contains(out, "Verification: OK") {
				t.Errorf("openssl ts -verify -data: %v\n%s", err, out)
			}
			out, err = openssl(t, bin, dir, "ts", "-verify", "-in", "reply.tsr", "-data", "other.txt", "-CAfile", "root.pem", "-untrusted", tt.untrusted)
			if err == nil || strings.Contains(out, "Verification: OK") {
				t.Errorf("openssl ts -verify accepted the reply for other data:\n%s", out)
			}
		})
	}

	t.Run("in-process token", func(t *testing.T) {
		data := []byte("stamped in process\n")
		sum := sha256.Sum256(data)
		tok, err := tsa.Stamp(context.Background(), crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "stamp.tsr"), tok.Reply)
		out, err := openssl(t, bin, dir, "ts", "-verify", "-in", "stamp.tsr", "-digest", hex.EncodeToString(sum[:]), "-CAfile", "root.pem")
		if err != nil || !strings.Contains(out, "Verification: OK") {
			t.Errorf("openssl ts -verify -digest: %v\n%s", err, out)
		}
	})

	t.Run("unknown policy rejected", func(t *testing.T) {
		if out, err := openssl(t, bin, dir, "ts", "-query", "-data", "data.txt", "-sha256", "-tspolicy", "1.2.3.4", "-out", "p.tsq"); err != nil {
			t.Fatalf("openssl ts -query: %v\n%s", err, out)
		}
		query, _ := os.ReadFile(filepath.Join(dir, "p.tsq"))
		writeFile(t, filepath.Join(dir, "p.tsr"), post(t, srv.URL, query))
		out, err := openssl(t, bin, dir, "ts", "-reply", "-in", "p.tsr", "-text")
		if err != nil || !strings.Contains(out, "Status: Rejected") || !strings.Contains(out, "requested TSA policy is not supported") {
			t.Errorf("openssl ts -reply -text: %v\n%s", err, out)
		}
	})
}

// TestTestdataQuery regenerates testdata/query.tsq (no nonce, so the bytes
// are reproducible) and checks it is the committed one. The other seed,
// query-nonce.tsq, was made by `openssl ts -query -data evidence.txt
// -sha512 -out query-nonce.tsq` and carries a random nonce.
func TestTestdataQuery(t *testing.T) {
	bin := needOpenSSL(t)
	out := filepath.Join(t.TempDir(), "query.tsq")
	if msg, err := openssl(t, bin, "testdata", "ts", "-query", "-data", "evidence.txt", "-sha256", "-cert", "-no_nonce", "-out", out); err != nil {
		t.Fatalf("openssl ts -query: %v\n%s", err, msg)
	}
	got, _ := os.ReadFile(out)
	want, err := os.ReadFile(filepath.Join("testdata", "query.tsq"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("testdata/query.tsq differs from a regenerated one (%v)", err)
	}
}

// post sends a query to the TSA over HTTP and returns the 200 reply.
func post(t *testing.T, url string, query []byte) []byte {
	t.Helper()
	resp, err := http.Post(url, QueryType, bytes.NewReader(query))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ReplyType {
		t.Fatalf("POST = %d %s %v: %s", resp.StatusCode, resp.Header.Get("Content-Type"), err, body)
	}
	return body
}
