package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/api/client"
)

// heldServer starts a server of handler, whose handlers are released when
// the test ends (one that never answers would else hold Close).
func heldServer(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, release <-chan struct{})) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler(w, r, release) }))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

// custosExit runs custos with env added and returns its exit status, its
// standard output and its standard error.
func custosExit(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(custosBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

// TestNoAnswer asks a server that takes the request and never answers:
// the command gives up after $CUSTOS_TIMEOUT and says in the CLI's
// language which server did not answer in how long and what to check,
// with exit status 1. A bad $CUSTOS_TIMEOUT is a usage error.
func TestNoAnswer(t *testing.T) {
	srv := heldServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		io.Copy(io.Discard, r.Body)
		<-release
	})
	dir := t.TempDir()
	file := writeFile(t, dir, "a.txt", []byte("exhibit\n"))
	common := []string{"--server", srv.URL, "--token", "cst_x"}
	for _, tc := range []struct {
		locale string
		args   []string
		want   string
	}{
		{"C.UTF-8", []string{"list"}, "custos: the Custos server at " + srv.URL + " took the request but did not answer in 1 second: it may be overloaded"},
		{"zh_CN.UTF-8", []string{"list"}, "custos: Custos 服务器 " + srv.URL + " 已接收请求，但在 1 秒内未应答："},
		{"C.UTF-8", []string{"submit", file}, "custos: the Custos server at " + srv.URL + " took the request but did not answer in 1 second"},
		{"zh_CN.UTF-8", []string{"receipt", "x"}, "custos: Custos 服务器 " + srv.URL + " 已接收请求，但在 1 秒内未应答："},
		// The wait asked is added: the receipt's answer is given 2 s.
		{"C.UTF-8", []string{"receipt", "x", "--wait", "1s"}, "custos: the Custos server at " + srv.URL + " took the request but did not answer in 2 seconds"},
	} {
		start := time.Now()
		code, _, stderr := custosExit(t, []string{"LC_ALL=" + tc.locale, "CUSTOS_TIMEOUT=1s"}, append(tc.args, common...)...)
		if code != 1 || !strings.HasPrefix(stderr, tc.want) || !strings.Contains(stderr, "CUSTOS_TIMEOUT=5m") {
			t.Errorf("LC_ALL=%s custos %s (no answer) = exit %d\n%s\nwant exit 1 and %q", tc.locale, strings.Join(tc.args, " "), code, stderr, tc.want)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("custos %s took %v", strings.Join(tc.args, " "), d)
		}
	}
	code, _, stderr := custosExit(t, []string{"CUSTOS_TIMEOUT=5"}, append([]string{"list"}, common...)...)
	if want := `custos: $CUSTOS_TIMEOUT is a duration such as 30s, 5m or 0 (no limit), not "5"`; code != 2 || !strings.HasPrefix(stderr, want) {
		t.Errorf("CUSTOS_TIMEOUT=5 custos list = exit %d\n%s\nwant exit 2 and %q", code, stderr, want)
	}
}

// TestLongWait: receipt --wait longer than the answer's timeout gets the
// receipt of a server that answers after the timeout, within the wait.
func TestLongWait(t *testing.T) {
	srv := heldServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		if r.URL.Query().Get("wait") == "" {
			t.Errorf("%s: no wait asked", r.URL)
		}
		time.Sleep(2 * time.Second)
		io.WriteString(w, `{"receipt":1}`)
	})
	code, stdout, stderr := custosExit(t, []string{"CUSTOS_TIMEOUT=1s"}, "receipt", "x", "--wait", "3s", "--server", srv.URL, "--token", "cst_x")
	if code != 0 || stdout != `{"receipt":1}` {
		t.Errorf("CUSTOS_TIMEOUT=1s custos receipt x --wait 3s (answered in 2 s) = exit %d, %q\n%s\nwant exit 0 and the receipt", code, stdout, stderr)
	}
}

// TestSteadyTransfers: a download and an upload that last several times
// $CUSTOS_TIMEOUT, their bytes moving all along, are not cut; a download
// whose bytes stop is given up after it, saying so in the CLI's language.
func TestSteadyTransfers(t *testing.T) {
	body := bytes.Repeat([]byte("exhibit "), 64<<10) // 512 KiB
	sum := sha256.Sum256(body)
	etag := `"sha256:` + hex.EncodeToString(sum[:]) + `"`
	srv := heldServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		switch {
		case r.Method == http.MethodPost: // 16 MiB read 256 KiB every 50 ms: 3.2 s
			buf := make([]byte, 256<<10)
			var n int
			for {
				m, err := io.ReadFull(r.Body, buf)
				n += m
				if err != nil {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, `{"id":"x","size":`+strconv.Itoa(n)+`}`)
		case strings.HasSuffix(r.URL.Path, "/stalls/content"):
			w.Header().Set("ETag", etag)
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body[:1000])
			w.(http.Flusher).Flush()
			<-release
		default: // 512 KiB in 32 steps of 16 KiB every 100 ms: 3.2 s
			w.Header().Set("ETag", etag)
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			for b := body; len(b) > 0; b = b[16<<10:] {
				w.Write(b[:16<<10])
				w.(http.Flusher).Flush()
				time.Sleep(100 * time.Millisecond)
			}
		}
	})
	dir := t.TempDir()
	// 2 s: twenty times the steps' 100 ms, for a loaded machine under
	// -race, and still shorter than each whole transfer (3.2 s).
	env := []string{"CUSTOS_TIMEOUT=2s"}
	common := []string{"--server", srv.URL, "--token", "cst_x"}
	out := filepath.Join(dir, "got.txt")
	code, _, stderr := custosExit(t, env, append([]string{"download", "steady", "-o", out}, common...)...)
	if got, _ := os.ReadFile(out); code != 0 || !bytes.Equal(got, body) {
		t.Errorf("CUSTOS_TIMEOUT=2s custos download (3.2 s, steady) = exit %d, %d bytes\n%s\nwant exit 0 and %d bytes", code, len(got), stderr, len(body))
	}
	big := writeFile(t, dir, "big.bin", make([]byte, 16<<20))
	code, stdout, stderr := custosExit(t, append(env, "CUSTOS_OUTPUT=json"), append([]string{"submit", big}, common...)...)
	if code != 0 || !strings.Contains(stdout, `"size":16777216`) {
		t.Errorf("CUSTOS_TIMEOUT=2s custos submit (16 MiB read in 3.2 s) = exit %d, %s\n%s\nwant exit 0 and the record", code, stdout, stderr)
	}
	for locale, want := range map[string]string{
		"C.UTF-8":     "custos: stalls: the transfer failed, nothing was saved: no byte moved in 2 seconds (the server or the network stalled",
		"zh_CN.UTF-8": "custos: stalls 传输失败，未保存任何内容：2 秒内没有传输任何字节（服务器或网络停滞",
	} {
		code, _, stderr := custosExit(t, append(env, "LC_ALL="+locale), append([]string{"download", "stalls", "-o", filepath.Join(dir, "stalled.txt")}, common...)...)
		if code != 1 || !strings.HasPrefix(stderr, want) {
			t.Errorf("LC_ALL=%s custos download (stalls) = exit %d\n%s\nwant exit 1 and %q", locale, code, stderr, want)
		}
	}
}

// TestCLITimeouts: $CUSTOS_TIMEOUT sets the answer's and the stall's
// bounds, the connection's too when shorter than 10 s; 0 lifts them.
func TestCLITimeouts(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want client.Timeouts
		err  bool
	}{
		{"", client.Timeouts{Connect: 10 * time.Second, Answer: time.Minute, Stall: time.Minute}, false},
		{"5m", client.Timeouts{Connect: 10 * time.Second, Answer: 5 * time.Minute, Stall: 5 * time.Minute}, false},
		{"2s", client.Timeouts{Connect: 2 * time.Second, Answer: 2 * time.Second, Stall: 2 * time.Second}, false},
		{"0", client.Timeouts{Connect: 10 * time.Second}, false},
		{"5", client.Timeouts{}, true},
		{"-1s", client.Timeouts{}, true},
	} {
		got, err := cliTimeouts(func(k string) string {
			if k == "CUSTOS_TIMEOUT" {
				return tc.env
			}
			return ""
		})
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("cliTimeouts(CUSTOS_TIMEOUT=%q) = %+v, %v; want %+v, error %v", tc.env, got, err, tc.want, tc.err)
		}
	}
}

// TestVerifyNodeTimeout: verify --node keeps to $CUSTOS_TIMEOUT like every
// other command (it had a 30 s bound of its own): a node that takes the
// request and never answers leaves the receipt unconfirmed (exit 3), the
// reason naming the bound.
func TestVerifyNodeTimeout(t *testing.T) {
	srv := heldServer(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) { <-release })
	vectors := filepath.Join("..", "..", "receipt", "testdata", "vectors")
	code, stdout, stderr := custosExit(t, []string{"LC_ALL=C.UTF-8", "CUSTOS_TIMEOUT=1s"}, "verify",
		"--receipt", filepath.Join(vectors, "valid", "valid.json"), "--trust", filepath.Join(vectors, "trust.json"), "--node", srv.URL)
	if code != 3 || !strings.Contains(stdout+stderr, "no answer in 1s") {
		t.Errorf("custos verify --node (a node that never answers), CUSTOS_TIMEOUT=1s = exit %d\n%s%s\nwant exit 3, the answer's bound named", code, stdout, stderr)
	}
}
