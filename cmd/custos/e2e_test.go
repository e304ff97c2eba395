package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"

	"github.com/custos-project/custos/api"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/receipt"
)

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// upload files raw bytes and returns the 201 view.
func (p *proc) upload(token string, data []byte, hdr ...string) wire.EvidenceView {
	p.t.Helper()
	status, h, body := p.call("POST", "/api/v1/evidence", token, bytes.NewReader(data), hdr...)
	if status != http.StatusCreated {
		p.t.Fatalf("POST /api/v1/evidence = %d %s, want 201", status, body)
	}
	var v wire.EvidenceView
	mustJSON(p.t, body, &v)
	if h.Get("Location") != "/api/v1/evidence/"+v.ID {
		p.t.Errorf("Location = %q, want /api/v1/evidence/%s", h.Get("Location"), v.ID)
	}
	return v
}

// TestEmbeddedDefault runs `custos serve` with no configuration and walks
// through everything the ingest contract promises.
func TestEmbeddedDefault(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir, "")
	if !strings.HasPrefix(n.Token, "cst_") {
		t.Fatalf("serve printed no admin token:\n%s", n.stdout.String())
	}
	fi, err := os.Stat(filepath.Join(dir, "bootstrap-token"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("bootstrap-token: %v, mode %v; want mode 0600", err, fi)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "bootstrap-token")); strings.TrimSpace(string(b)) != n.Token {
		t.Errorf("bootstrap-token holds %q, want the printed token", b)
	}
	data := []byte("Scan of the signed contract, page 1.\n")
	var v wire.EvidenceView

	t.Run("upload raw", func(t *testing.T) {
		before := time.Now()
		v = n.upload(n.Token, data, "Content-Type", "text/plain; charset=utf-8",
			"Custos-Metadata", `{"title":"合同扫描件","case_ref":"(2026)浙0192民初1号"}`,
			"Content-Disposition", `attachment; filename="contract.txt"`)
		if v.SHA256 != sha256Hex(data) || v.Size != int64(len(data)) || v.Status != evidence.StatusTimestamped {
			t.Errorf("upload = %+v; want sha256 %s, size %d, status timestamped", v, sha256Hex(data), len(data))
		}
		if v.Title != "合同扫描件" || v.FileName != "contract.txt" || v.MediaType != "text/plain" {
			t.Errorf("upload metadata = %q %q %q", v.Title, v.FileName, v.MediaType)
		}
		if v.Timestamp.TSA == "" || v.Timestamp.Time.Before(before.Add(-2*time.Second)) || v.Timestamp.Time.After(time.Now().Add(2*time.Second)) {
			t.Errorf("timestamp = %+v; want the built-in TSA's, at about now", v.Timestamp)
		}
	})

	t.Run("read back", func(t *testing.T) {
		status, _, body := n.call("GET", "/api/v1/evidence/"+v.ID, n.Token, nil)
		var got wire.EvidenceView
		mustJSON(t, body, &got)
		if status != 200 || got.ID != v.ID || got.SHA256 != v.SHA256 {
			t.Errorf("GET evidence = %d %+v", status, got)
		}
		status, h, body := n.call("GET", "/api/v1/evidence/"+v.ID+"/content", n.Token, nil)
		if status != 200 || !bytes.Equal(body, data) {
			t.Errorf("GET content = %d, %d bytes; want 200 and the uploaded bytes", status, len(body))
		}
		if h.Get("Content-Type") != "text/plain" || h.Get("Content-Length") != "37" {
			t.Errorf("GET content headers: Content-Type %q, Content-Length %q", h.Get("Content-Type"), h.Get("Content-Length"))
		}
		status, h, body = n.call("GET", "/api/v1/evidence/"+v.ID+"/content", n.Token, nil, "Range", "bytes=8-15")
		if status != http.StatusPartialContent || string(body) != string(data[8:16]) || h.Get("Content-Range") != "bytes 8-15/37" {
			t.Errorf("GET content Range = %d %q %q", status, body, h.Get("Content-Range"))
		}
		status, h, body = n.call("GET", "/api/v1/evidence/"+v.ID+"/timestamp", n.Token, nil)
		if status != 200 || h.Get("Content-Type") != "application/timestamp-reply" {
			t.Fatalf("GET timestamp = %d %q", status, h.Get("Content-Type"))
		}
		tmp := t.TempDir()
		verifyWithOpenSSL(t, n, tmp, body, data)
	})

	t.Run("custody chain", func(t *testing.T) {
		status, _, body := n.call("GET", "/api/v1/evidence/"+v.ID+"/custody", n.Token, nil)
		var c wire.CustodyView
		mustJSON(t, body, &c)
		var types []string
		for _, e := range c.Events {
			types = append(types, e.Type+":"+e.Subject)
		}
		// The second download folds into the first one's window: counted
		// durably, pending until the window closes.
		want := "created:,viewed:metadata,downloaded:,viewed:timestamp,viewed:custody"
		if status != 200 || strings.Join(types, ",") != want {
			t.Fatalf("custody = %d %v, want %s", status, types, want)
		}
		if p := c.PendingReads; len(p) != 1 || p[0].Type != custody.EventDownloaded || p[0].Reads != 1 {
			t.Errorf("pending reads = %+v, want the second download", p)
		}
		if i, err := custody.CheckChain(c.Chain()); err != nil {
			t.Errorf("CheckChain(custody) = %d, %v", i, err)
		}
		created := c.Events[0]
		if created.SHA256 != v.SHA256 || created.Size != v.Size || len(created.Tokens) != 1 || created.Tokens[0] != v.Timestamp.SHA256 {
			t.Errorf("created event %+v does not carry the digest, size and token hash", created)
		}
	})

	t.Run("multipart", func(t *testing.T) {
		pdf := append([]byte("%PDF-1.7\n"), randomBytes(t, 3000)...)
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("metadata", `{"title":"Exhibit A","captured_at":"2026-11-20T10:00:00Z","description":"photo of the screen"}`)
		ph := textproto.MIMEHeader{}
		ph.Set("Content-Disposition", `form-data; name="file"; filename="exhibit-a.pdf"`)
		ph.Set("Content-Type", "application/pdf")
		pw, _ := mw.CreatePart(ph)
		pw.Write(pdf)
		mw.Close()
		got := n.upload(n.Token, buf.Bytes(), "Content-Type", mw.FormDataContentType())
		if got.SHA256 != sha256Hex(pdf) || got.FileName != "exhibit-a.pdf" || got.MediaType != "application/pdf" || got.Title != "Exhibit A" || got.CapturedAt == nil {
			t.Errorf("multipart upload = %+v", got)
		}
	})

	t.Run("identical bytes stored once, recorded twice", func(t *testing.T) {
		same := randomBytes(t, 200_000) // above the inline threshold: a file in the blob folder
		a, b := n.upload(n.Token, same), n.upload(n.Token, same)
		if a.ID == b.ID || a.SHA256 != b.SHA256 {
			t.Fatalf("two uploads of the same bytes: ids %s %s", a.ID, b.ID)
		}
		var copies int
		filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && d.Name() == a.SHA256 {
				copies++
			}
			return nil
		})
		if copies != 1 {
			t.Errorf("blob %s stored %d times, want 1", a.SHA256, copies)
		}
	})

	t.Run("errors are problem+json", func(t *testing.T) {
		mp := func(parts ...string) (string, []byte) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			for i := 0; i+1 < len(parts); i += 2 {
				mw.WriteField(parts[i], parts[i+1])
			}
			mw.Close()
			return mw.FormDataContentType(), buf.Bytes()
		}
		noFileCT, noFile := mp("metadata", `{}`)
		twoCT, two := mp("file", "a", "file", "b")
		badMetaCT, badMeta := mp("metadata", `{"title":`, "file", "x")
		tests := []struct {
			name, method, path, token string
			body                      []byte
			hdr                       []string
			status                    int
			slug                      string
		}{
			{"no token", "POST", "/api/v1/evidence", "", data, nil, 401, "unauthorized"},
			{"wrong token", "POST", "/api/v1/evidence", "cst_wrong", data, nil, 401, "unauthorized"},
			{"basic auth", "GET", "/api/v1/evidence/" + v.ID, "", nil, []string{"Authorization", "Basic YTpi"}, 401, "unauthorized"},
			{"empty body", "POST", "/api/v1/evidence", n.Token, nil, nil, 400, "empty-upload"},
			{"multipart without file", "POST", "/api/v1/evidence", n.Token, noFile, []string{"Content-Type", noFileCT}, 400, "bad-multipart"},
			{"two files", "POST", "/api/v1/evidence", n.Token, two, []string{"Content-Type", twoCT}, 400, "bad-multipart"},
			{"no boundary", "POST", "/api/v1/evidence", n.Token, data, []string{"Content-Type", "multipart/form-data"}, 400, "bad-multipart"},
			{"broken multipart", "POST", "/api/v1/evidence", n.Token, []byte("--x\r\nnot a part"), []string{"Content-Type", "multipart/form-data; boundary=x"}, 400, "bad-multipart"},
			{"malformed metadata", "POST", "/api/v1/evidence", n.Token, badMeta, []string{"Content-Type", badMetaCT}, 422, "invalid-metadata"},
			{"server-owned field", "POST", "/api/v1/evidence", n.Token, data, []string{"Custos-Metadata", `{"sha256":"00","status":"anchored"}`}, 422, "invalid-metadata"},
			{"field too long", "POST", "/api/v1/evidence", n.Token, data, []string{"Custos-Metadata", `{"title":"` + strings.Repeat("x", 600) + `"}`}, 422, "invalid-metadata"},
			{"unknown id", "GET", "/api/v1/evidence/aaaaaaaaaaaaaaaaaaaaaaaaaa", n.Token, nil, nil, 404, "not-found"},
			{"oversized JSON body", "POST", "/api/v1/matters", n.Token, []byte(`{"title":"` + strings.Repeat("x", 70_000) + `"}`), []string{"Content-Type", "application/json"}, 413, "too-large"},
			{"malformed id", "GET", "/api/v1/evidence/..%2f..%2fetc", n.Token, nil, nil, 404, "not-found"},
			{"bad token index", "GET", "/api/v1/evidence/" + v.ID + "/timestamp?tsa=x", n.Token, nil, nil, 400, "bad-parameter"},
			{"missing token index", "GET", "/api/v1/evidence/" + v.ID + "/timestamp?tsa=5", n.Token, nil, nil, 404, "not-found"},
			{"no such endpoint", "GET", "/api/v1/nothing", n.Token, nil, nil, 404, "no-such-endpoint"},
			{"evidence cannot be deleted", "DELETE", "/api/v1/evidence/" + v.ID, n.Token, nil, nil, 405, "method-not-allowed"},
			{"evidence cannot be replaced", "PUT", "/api/v1/evidence/" + v.ID + "/content", n.Token, data, nil, 405, "method-not-allowed"},
			{"tsa garbage", "POST", "/tsa", "", []byte("not DER"), []string{"Content-Type", "application/timestamp-query"}, 400, ""},
			{"tsa wrong method", "GET", "/tsa", "", nil, nil, 405, ""},
			{"tsa wrong type", "POST", "/tsa", "", []byte{0x30, 0}, []string{"Content-Type", "text/plain"}, 415, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var body *bytes.Reader
				if tt.body != nil {
					body = bytes.NewReader(tt.body)
				} else {
					body = bytes.NewReader(nil)
				}
				status, h, b := n.call(tt.method, tt.path, tt.token, body, tt.hdr...)
				if status != tt.status {
					t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, status, b, tt.status)
				}
				if h.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("Content-Type = %q, want application/problem+json", h.Get("Content-Type"))
				}
				var p api.Problem
				mustJSON(t, b, &p)
				if p.Status != tt.status || p.Title == "" || !strings.HasPrefix(p.Type, api.ProblemBase) {
					t.Errorf("problem = %+v", p)
				}
				if tt.slug != "" && p.Type != api.ProblemBase+tt.slug {
					t.Errorf("problem type = %q, want %s%s", p.Type, api.ProblemBase, tt.slug)
				}
				if status == 401 && h.Get("WWW-Authenticate") == "" {
					t.Errorf("401 without WWW-Authenticate")
				}
				if status == 422 && len(p.Errors) == 0 {
					t.Errorf("422 without field errors: %s", b)
				}
			})
		}
	})

	t.Run("TSA over HTTP verifies with openssl", func(t *testing.T) {
		tmp := t.TempDir()
		file := writeFile(t, tmp, "doc.bin", randomBytes(t, 1000))
		other := writeFile(t, tmp, "other.bin", randomBytes(t, 1000))
		query, reply := stampWithOpenSSL(t, n, tmp, file)
		root, chain := trustFiles(t, n, tmp)
		replyPath := writeFile(t, tmp, "r.tsr", reply)
		out, err := openssl(t, "ts", "-verify", "-in", replyPath, "-queryfile", query, "-CAfile", root, "-untrusted", chain)
		if err != nil || !strings.Contains(out, "Verification: OK") {
			t.Errorf("openssl ts -verify (query) = %v\n%s", err, out)
		}
		out, err = openssl(t, "ts", "-verify", "-in", replyPath, "-data", other, "-CAfile", root, "-untrusted", chain)
		if err == nil || strings.Contains(out, "Verification: OK") {
			t.Errorf("openssl ts -verify accepted the token for other data:\n%s", out)
		}
	})

	t.Run("submit CLI", func(t *testing.T) {
		tmp := t.TempDir()
		f1 := writeFile(t, tmp, "one.txt", []byte("first exhibit\n"))
		f2 := writeFile(t, tmp, "two.bin", randomBytes(t, 20000))
		out, err := exec.Command(custosBin, "submit", "--server", n.URL, "--token", n.Token, "--case", "C-1", f1, f2).Output()
		if err != nil {
			t.Fatalf("custos submit: %v\n%s", err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 2 {
			t.Fatalf("custos submit printed %d lines, want 2:\n%s", len(lines), out)
		}
		for i, f := range []string{f1, f2} {
			var got wire.EvidenceView
			mustJSON(t, []byte(lines[i]), &got)
			b, _ := os.ReadFile(f)
			if got.SHA256 != sha256Hex(b) || got.FileName != filepath.Base(f) || got.CaseRef != "C-1" {
				t.Errorf("submit %s = %+v", f, got)
			}
		}
		cmd := exec.Command(custosBin, "submit", "--server", n.URL, "--token", "cst_nope", f1)
		if err := cmd.Run(); err == nil {
			t.Errorf("custos submit with a wrong token exited 0")
		}
		if err := exec.Command(custosBin, "submit", "--server", n.URL).Run(); exitCode(err) != 2 {
			t.Errorf("custos submit without files: exit %d, want 2 (usage)", exitCode(err))
		}
	})

	t.Run("restart keeps everything, prints no secret", func(t *testing.T) {
		n.Stop()
		again := startNode(t, dir, "")
		if again.Token != "" || strings.Contains(again.stdout.String(), n.Token) {
			t.Errorf("restart printed the token again:\n%s", again.stdout.String())
		}
		status, _, body := again.call("GET", "/api/v1/evidence/"+v.ID+"/content", n.Token, nil)
		if status != 200 || !bytes.Equal(body, data) {
			t.Errorf("after restart, GET content = %d", status)
		}
	})
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// trustFiles fetches the root and TSA chain PEM files from the node.
func trustFiles(t *testing.T, n *proc, dir string) (root, chain string) {
	t.Helper()
	status, _, body := n.call("GET", "/api/v1/trust", "", nil)
	var tr receipt.Trust
	mustJSON(t, body, &tr)
	if status != 200 || !strings.Contains(tr.RootPEM, "BEGIN CERTIFICATE") || strings.Count(tr.TSAChain, "BEGIN CERTIFICATE") != 2 {
		t.Fatalf("GET /api/v1/trust = %d %s", status, body)
	}
	_, _, rootPEM := n.call("GET", "/api/v1/trust/root.pem", "", nil)
	if string(rootPEM) != tr.RootPEM {
		t.Errorf("root.pem differs from the trust bundle's root")
	}
	return writeFile(t, dir, "root.pem", []byte(tr.RootPEM)), writeFile(t, dir, "chain.pem", []byte(tr.TSAChain))
}

// verifyWithOpenSSL checks a stored token with `openssl ts -verify -data`.
func verifyWithOpenSSL(t *testing.T, n *proc, dir string, reply, data []byte) {
	t.Helper()
	root, chain := trustFiles(t, n, dir)
	rp := writeFile(t, dir, "token.tsr", reply)
	dp := writeFile(t, dir, "data.bin", data)
	out, err := openssl(t, "ts", "-verify", "-in", rp, "-data", dp, "-CAfile", root, "-untrusted", chain)
	if err != nil || !strings.Contains(out, "Verification: OK") {
		t.Errorf("openssl ts -verify of the stored token = %v\n%s", err, out)
	}
	tampered := append(bytes.Clone(data), 'x')
	out, err = openssl(t, "ts", "-verify", "-in", rp, "-data", writeFile(t, dir, "tampered.bin", tampered), "-CAfile", root, "-untrusted", chain)
	if err == nil {
		t.Errorf("openssl ts -verify accepted the token for tampered data:\n%s", out)
	}
}

var _ = json.Marshal
