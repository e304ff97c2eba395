package testenv

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeTB records Skip and Fatal instead of stopping the goroutine.
type fakeTB struct {
	testing.TB
	skipped, fatal string
}

func (f *fakeTB) Helper()                      {}
func (f *fakeTB) Skip(args ...any)             { f.skipped = fmt.Sprint(args...) }
func (f *fakeTB) Fatal(args ...any)            { f.fatal = fmt.Sprint(args...) }
func (f *fakeTB) Fatalf(s string, args ...any) { f.fatal = fmt.Sprintf(s, args...) }

func TestLookBinaryMissing(t *testing.T) {
	for _, tt := range []struct {
		env                 string
		wantSkip, wantFatal bool
	}{
		{"", true, false},
		{"1", false, true},
	} {
		t.Setenv("CUSTOS_REQUIRE_INTEGRATION", tt.env)
		f := &fakeTB{TB: t}
		if got := LookBinary(f, "custos-no-such-binary"); got != "" {
			t.Errorf("LookBinary(missing) = %q, want empty", got)
		}
		if (f.skipped != "") != tt.wantSkip || (f.fatal != "") != tt.wantFatal {
			t.Errorf("CUSTOS_REQUIRE_INTEGRATION=%q: skipped %q, fatal %q; want skip %v, fatal %v",
				tt.env, f.skipped, f.fatal, tt.wantSkip, tt.wantFatal)
		}
	}
	t.Setenv("CUSTOS_REQUIRE_INTEGRATION", "")
	f := &fakeTB{TB: t}
	LookBinary(f, "custos-no-such-binary")
	if !strings.Contains(f.skipped, "custos-no-such-binary") || !strings.Contains(f.skipped, "CUSTOS_REQUIRE_INTEGRATION=1") {
		t.Errorf("skip message = %q, want the binary's name and how to require it", f.skipped)
	}
}

func TestLookBinaryExtraDir(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "custos-fake-tool")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := LookBinary(t, "custos-fake-tool", dir); got != p {
		t.Errorf("LookBinary(custos-fake-tool, %s) = %q, want %q", dir, got, p)
	}
}

func ready(m *MinIOServer) bool {
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + m.Endpoint + "/minio/health/ready")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestMinIOStopStart(t *testing.T) {
	m := MinIO(t)
	if !ready(m) {
		t.Fatalf("MinIO at %s not ready after MinIO()", m.Endpoint)
	}
	m.Stop()
	if ready(m) {
		t.Fatalf("MinIO at %s still answers after Stop()", m.Endpoint)
	}
	m.Start()
	if !ready(m) {
		t.Fatalf("MinIO at %s not ready after Start()", m.Endpoint)
	}
}
