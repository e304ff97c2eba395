package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// server is a server process started by a benchmark.
type server struct {
	URL   string // http://127.0.0.1:PORT
	Token string // the bootstrap admin token (custos only)
	Dir   string // its data folder (custos only)
	cmd   *exec.Cmd
	log   string // the file its stderr goes to
}

// PID is the server's process ID.
func (s *server) PID() int { return s.cmd.Process.Pid }

// custosBin returns the binary under test: CUSTOS_BIN, else ../bin/custos
// (go test runs in this directory). The benchmark is skipped without it.
func custosBin(b *testing.B) string {
	b.Helper()
	bin := os.Getenv("CUSTOS_BIN")
	if bin == "" {
		bin = filepath.Join("..", "bin", "custos")
	}
	abs, err := filepath.Abs(bin)
	if err == nil {
		_, err = os.Stat(abs)
	}
	if err != nil {
		b.Skipf("custos binary %s is missing (set CUSTOS_BIN or run `make build`): %v", bin, err)
	}
	return abs
}

// unlimited is a config fragment that turns every rate limit off.
const unlimited = "[limits]\nrate = -1\nupload_rate = -1\npublic_rate = -1\n"

// startCustos runs `custos serve` on a fresh data folder and a free port.
func startCustos(b *testing.B) *server {
	b.Helper()
	return startCustosIn(b, b.TempDir(), "")
}

// startCustosIn runs `custos serve` on tmp/data and a free port. With token
// "" it waits for the admin token a first start prints; otherwise the data
// folder was bootstrapped before and token is its admin token.
func startCustosIn(b *testing.B, tmp, token string) *server {
	b.Helper()
	return startBinIn(b, custosBin(b), tmp, token)
}

// startBinIn is startCustosIn with the binary bin.
func startBinIn(b *testing.B, bin, tmp, token string) *server {
	b.Helper()
	data := filepath.Join(tmp, "data")
	// The benchmarks measure capacity, not the rate limiter: turn it off.
	cfg := filepath.Join(tmp, "custos.toml")
	if err := os.WriteFile(cfg, []byte(unlimited), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", cfg, "--data", data, "--listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "CUSTOS_BOOTSTRAP_TOKEN=") // let it generate and print one
	s := start(b, cmd, filepath.Join(tmp, "custos.log"), token == "")
	s.Dir = data
	if token != "" {
		s.Token = token
	}
	return s
}

// startBaseline runs this test binary as a baseline server (see TestMain).
func startBaseline(b *testing.B, mode string) *server {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+mode)
	return start(b, cmd, filepath.Join(b.TempDir(), "baseline.log"), false)
}

// start starts cmd and waits for the lines `custos serve` prints:
// "Custos is serving on http://ADDR" and, with wantToken, "admin token: T".
// The process is stopped with SIGTERM when the benchmark ends.
func start(b *testing.B, cmd *exec.Cmd, logPath string, wantToken bool) *server {
	b.Helper()
	// Write back what earlier benchmarks left dirty in the page cache (the
	// large ingest leaves up to a GiB), so that this server's fsyncs do not
	// pay for another benchmark's writes.
	syscall.Sync()
	logf, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatalf("start %s: %v", cmd.Path, err)
	}
	s := &server{cmd: cmd, log: logPath}
	b.Cleanup(func() { s.stop(b); logf.Close() })
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if u, ok := strings.CutPrefix(line, "Custos is serving on "); ok {
				s.URL = u
			}
			if t, ok := strings.CutPrefix(line, "admin token: "); ok && strings.HasPrefix(t, "cst_") {
				s.Token = t
			}
			if !sent && s.URL != "" && (s.Token != "" || !wantToken) {
				sent = true
				ready <- nil
			}
		}
		if !sent {
			ready <- fmt.Errorf("stdout closed before the server was ready: %v", sc.Err())
		}
	}()
	select {
	case err := <-ready:
		if err != nil {
			b.Fatalf("%s: %v\n%s", cmd.Path, err, s.logTail())
		}
	case <-time.After(60 * time.Second):
		b.Fatalf("%s: not ready after 60s\n%s", cmd.Path, s.logTail())
	}
	return s
}

// stop sends SIGTERM to the server's PID and waits for it to exit.
func (s *server) stop(b *testing.B) {
	if s.cmd.Process == nil || s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			b.Logf("%s exited: %v\n%s", s.cmd.Path, err, s.logTail())
		}
	case <-time.After(40 * time.Second):
		b.Logf("%s (pid %d) ignored SIGTERM for 40s; killing it", s.cmd.Path, s.PID())
		_ = s.cmd.Process.Kill()
		<-done
	}
}

func (s *server) logTail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// vmHWM is the process's peak resident set size in bytes (VmHWM in
// /proc/PID/status).
func vmHWM(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := strings.Fields(string(v)) // "123456 kB"
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}

// cpuTime is the user and system CPU time the process pid has used
// (fields 14 and 15 of /proc/PID/stat, in clock ticks of 10ms).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	_, rest, _ := bytes.Cut(b, []byte(") ")) // the command name may hold spaces
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * 10 * time.Millisecond
}

// load1 is the one-minute load average.
func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
