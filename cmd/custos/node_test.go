package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/testenv"
)

// The end-to-end tests run the real custos binary, built once by TestMain
// (with -race when the tests are and CUSTOS_TEST_BINARY_RACE=1).
var (
	custosBin  string
	buildFlags []string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "custos-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	custosBin = filepath.Join(dir, "custos")
	// No saved profile or output choice of the person running the tests
	// reaches the binary (docs/cli.md, "Profiles").
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	os.Unsetenv("CUSTOS_PROFILE")
	os.Unsetenv("CUSTOS_OUTPUT")
	os.Unsetenv("CUSTOS_TIMEOUT")
	// Nor does their language: the client asks for problem details in the
	// locale's (LC_ALL first), and the tests read English ones.
	os.Setenv("LC_ALL", "C.UTF-8")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	args := append(append([]string{"build"}, buildFlags...), "-o", custosBin, ".")
	if out, err := exec.Command(goTool, args...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building custos: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running `custos serve`.
type proc struct {
	t       testing.TB
	dir     string // data folder
	URL     string
	Token   string // printed admin token ("" if not printed)
	cmd     *exec.Cmd
	stdout  *syncBuffer
	logPath string
	done    chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startNode runs `custos serve` on dir with an optional config file body
// and extra environment, and waits until /healthz answers.
func startNode(t testing.TB, dir, config string, env ...string) *proc {
	t.Helper()
	args := []string{"serve", "--data", dir, "--listen", "127.0.0.1:0"}
	if config != "" {
		path := filepath.Join(t.TempDir(), "custos.toml")
		if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", path)
	}
	return startServe(t, dir, args, env...)
}

// startServe runs `custos` with args (a serve command) and waits until
// /healthz answers. dir is the node's data folder.
func startServe(t testing.TB, dir string, args []string, env ...string) *proc {
	t.Helper()
	return startServeBin(t, custosBin, dir, args, env...)
}

// startServeBin is startServe with another custos binary (webNodeBinary's).
func startServeBin(t testing.TB, bin, dir string, args []string, env ...string) *proc {
	t.Helper()
	p := &proc{t: t, dir: dir, stdout: &syncBuffer{}, done: make(chan struct{})}
	p.logPath = filepath.Join(t.TempDir(), "custos.log")
	logf, err := os.Create(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stderr = logf
	pr, pw := io.Pipe()
	p.cmd.Stdout = pw
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); pw.Close(); logf.Close(); close(p.done) }()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.stdout.Write([]byte(sc.Text() + "\n"))
			lines <- sc.Text()
		}
		close(lines)
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			logs, _ := os.ReadFile(p.logPath)
			t.Logf("custos stdout:\n%s\ncustos log (tail):\n%s", p.stdout.String(), tailString(string(logs), 4000))
		}
	})
	deadline := time.After(60 * time.Second)
	sawToken := false
	for p.URL == "" || !sawToken {
		select {
		case l, ok := <-lines:
			if !ok {
				logs, _ := os.ReadFile(p.logPath)
				t.Fatalf("custos serve exited early:\n%s\n%s", p.stdout.String(), logs)
			}
			if u, found := strings.CutPrefix(l, "Custos is serving on "); found {
				p.URL = u
			}
			if tok, found := strings.CutPrefix(strings.TrimSpace(l), "admin token: "); found {
				sawToken = true
				if strings.HasPrefix(tok, "cst_") {
					p.Token = tok
				}
			}
		case <-deadline:
			t.Fatalf("custos serve did not start in time:\n%s", p.stdout.String())
		}
	}
	go func() {
		for range lines {
		}
	}()
	waitHealthy(t, p.URL)
	return p
}

func waitHealthy(t testing.TB, url string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/healthz never answered 200", url)
}

// Kill stops the node with SIGKILL (a crash) and waits for it to exit.
func (p *proc) Kill() {
	if p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

// Stop stops the node gracefully (SIGTERM).
func (p *proc) Stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.t.Errorf("custos did not stop within 30s of SIGTERM")
		p.Kill()
	}
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// call makes an HTTP request to the node and returns status, headers, body.
func (p *proc) call(method, path, token string, body io.Reader, hdr ...string) (int, http.Header, []byte) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, p.URL+path, body)
	if err != nil {
		p.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, b
}

func mustJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %q: %v", tailString(string(b), 500), err)
	}
}

// openssl runs openssl with args and returns its combined output.
func openssl(t testing.TB, args ...string) (string, error) {
	t.Helper()
	bin := testenv.LookBinary(t, "openssl")
	out, err := exec.Command(bin, args...).CombinedOutput()
	return string(out), err
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
