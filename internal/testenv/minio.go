package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// MinIOServer is a MinIO server started for one test. Its data directory
// and log file live in the test's temporary directory.
type MinIOServer struct {
	// Endpoint is "127.0.0.1:PORT", without scheme, as minio-go wants it.
	Endpoint  string
	AccessKey string
	SecretKey string
	// Dir is the data directory; Log the server's combined output.
	Dir string
	Log string

	t       testing.TB
	bin     string
	console string

	mu   sync.Mutex
	cmd  *exec.Cmd
	exit chan struct{} // closed when cmd has exited
}

const (
	minioReadyTimeout = 60 * time.Second
	minioStopTimeout  = 15 * time.Second
)

// MinIO starts a MinIO server on 127.0.0.1 (free ports, a fresh data
// directory, random root credentials, no console), waits until
// /minio/health/ready answers 200, and stops it in t.Cleanup. The server's
// log is printed if the test fails.
func MinIO(t testing.TB) *MinIOServer {
	t.Helper()
	bin := LookBinary(t, "minio")
	tmp := t.TempDir()
	m := &MinIOServer{
		AccessKey: "custos-" + randomHex(6),
		SecretKey: randomHex(20),
		Dir:       filepath.Join(tmp, "data"),
		Log:       filepath.Join(tmp, "minio.log"),
		t:         t,
		bin:       bin,
	}
	if err := os.Mkdir(m.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		m.kill()
		if t.Failed() {
			if b, err := os.ReadFile(m.Log); err == nil {
				t.Logf("MinIO log (%s):\n%s", m.Log, tail(b, 16<<10))
			}
		}
	})
	// A port picked by listening on :0 may be taken again before MinIO
	// binds it; retry with new ports.
	var err error
	for range 3 {
		m.Endpoint, m.console = freeAddr(t), freeAddr(t)
		if err = m.start(); err == nil {
			return m
		}
	}
	t.Fatalf("testenv: MinIO did not start: %v", err)
	return nil
}

// Start starts the server again after Stop, on the same ports and data
// directory.
func (m *MinIOServer) Start() {
	m.t.Helper()
	if err := m.start(); err != nil {
		m.t.Fatalf("testenv: restart MinIO: %v", err)
	}
}

// Stop stops the server gracefully (SIGTERM) and waits for it to exit, so
// that tests can see how clients behave with the object store down.
func (m *MinIOServer) Stop() {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exit:
	case <-time.After(minioStopTimeout):
		m.t.Fatalf("testenv: MinIO (pid %d) did not stop within %v after SIGTERM", m.cmd.Process.Pid, minioStopTimeout)
	}
	m.cmd = nil
}

// kill stops the server by PID: SIGTERM, then SIGKILL after a grace period.
func (m *MinIOServer) kill() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exit:
	case <-time.After(5 * time.Second):
		m.cmd.Process.Kill()
		<-m.exit
	}
	m.cmd = nil
}

func (m *MinIOServer) start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cmd != nil {
		return errors.New("already running")
	}
	log, err := os.OpenFile(m.Log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer log.Close() // the child has its own descriptor
	cmd := exec.Command(m.bin, "server", m.Dir, "--address", m.Endpoint, "--console-address", m.console, "--quiet")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+m.AccessKey,
		"MINIO_ROOT_PASSWORD="+m.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=1",
	)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	exit := make(chan struct{})
	go func() { cmd.Wait(); close(exit) }()
	if err := waitReady(m.Endpoint, exit); err != nil {
		cmd.Process.Kill()
		<-exit
		return err
	}
	m.cmd, m.exit = cmd, exit
	return nil
}

// waitReady polls /minio/health/ready until it answers 200 and the S3 API
// no longer answers 503 (on a loaded machine MinIO has answered ready while
// its S3 calls still said "Server not initialized yet"), the process
// exits, or minioReadyTimeout passes.
func waitReady(endpoint string, exit <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), minioReadyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	ready := func(url string, ok func(int) bool) bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return ok(resp.StatusCode)
	}
	for {
		// An unsigned GET / is refused (403) once the S3 API serves.
		if ready("http://"+endpoint+"/minio/health/ready", func(c int) bool { return c == http.StatusOK }) &&
			ready("http://"+endpoint+"/", func(c int) bool { return c != http.StatusServiceUnavailable }) {
			return nil
		}
		select {
		case <-exit:
			return errors.New("minio exited before it was ready (see its log)")
		case <-ctx.Done():
			return fmt.Errorf("minio not ready after %v", minioReadyTimeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
