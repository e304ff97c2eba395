package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/evidence/copyright"
	prob "github.com/custos-project/custos/internal/problem"
)

// TestUnreachable asks a port nothing listens on: the error names the
// server and says why in the CLI's language, with exit status 1, instead
// of Go's 'dial tcp …: connect: connection refused'.
func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := "http://" + ln.Addr().String()
	ln.Close()
	_, callErr := client.New(server, "cst_x").Me(context.Background())
	if callErr == nil {
		t.Fatalf("GET %s/api/v1/me: no error", server)
	}
	defer func(l prob.Lang) { lang = l }(lang)
	for _, tc := range []struct {
		lang prob.Lang
		want string
	}{
		{prob.English, "cannot reach the Custos server at " + server + ": nothing is listening there"},
		{prob.Chinese, "无法连接 Custos 服务器 " + server + "：该地址上没有服务在监听"},
	} {
		lang = tc.lang
		err := unreachable(callErr)
		var ee exitError
		if !errors.As(err, &ee) || ee.code != 1 || !strings.HasPrefix(ee.msg, tc.want) {
			t.Errorf("unreachable(%v) = %v, want exit 1 with %q", callErr, err, tc.want)
		}
	}
	if err := unreachable(errors.New("404 Not found")); err != nil {
		t.Errorf("unreachable(a refusal) = %v, want nil", err)
	}
}

// TestServerURL refuses a server address without http:// or https:// as a
// usage error that says where it came from, and accepts URLs.
func TestServerURL(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "https://custos.court.example/", "http://[::1]:8080"} {
		if err := checkServerURL(ok, "flag"); err != nil {
			t.Errorf("checkServerURL(%q) = %v", ok, err)
		}
	}
	for _, tc := range []struct{ server, from, want string }{
		{"127.0.0.1:8080", "flag", "(from --server)"},
		{"custos.court.example", "env", "(from $CUSTOS_SERVER)"},
		{"ftp://custos.court.example", "profile", "(from the saved profile)"},
		// It begins with http://, so it is not told to (a port with a letter).
		{"http://127.0.0.1:8099x", "flag", `the server address "http://127.0.0.1:8099x" (from --server) is not a valid URL: write it as http://HOST:PORT`},
	} {
		err := checkServerURL(tc.server, tc.from)
		var ee exitError
		if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(ee.msg, tc.want) {
			t.Errorf("checkServerURL(%q, %s) = %v, want a usage error with %q", tc.server, tc.from, err, tc.want)
		}
	}
}

// TestFileWhy: a missing file is said in the CLI's language, not as Go's
// "open X: no such file or directory".
func TestFileWhy(t *testing.T) {
	_, err := os.Open(filepath.Join(t.TempDir(), "missing.pdf"))
	defer func(l prob.Lang) { lang = l }(lang)
	for l, want := range map[prob.Lang]string{prob.English: "no such file", prob.Chinese: "文件不存在"} {
		lang = l
		if got := fileWhy(err); got != want {
			t.Errorf("fileWhy(%v) in %v = %q, want %q", err, l, got, want)
		}
	}
}

// TestFileUnreadZH: a file the CLI cannot read, for custos lookup or for
// copyright register or search, is said as custos verify says it, 读取 X
// 失败：文件不存在, not as Go's "open X: no such file or directory" or
// "X: 文件不存在". Both failed before.
func TestFileUnreadZH(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.pdf")
	t.Setenv("LC_ALL", "zh_CN.UTF-8")
	defer func(l prob.Lang) { lang = l }(lang)
	want := "读取 " + missing + " 失败：文件不存在"
	if err := run([]string{"lookup", missing, "--server", "http://127.0.0.1:1"}); err == nil || err.Error() != want {
		t.Errorf("custos lookup of a missing file = %v, want %q", err, want)
	}
	if _, _, err := openFiles([]string{missing}); err == nil || err.Error() != want {
		t.Errorf("openFiles(missing) = %v, want %q", err, want)
	}
}

// TestMetadataWhy: a work's metadata that does not validate is said in
// the CLI's language, field by field, not as "evidence: invalid metadata:
// title: is required" under a Chinese locale, nor in English (a Go
// package's prefix, and only the first field).
func TestMetadataWhy(t *testing.T) {
	_, err := copyright.ParseWork([]byte(`{"title":"","type":"poem","authors":["李明"],"owner":"西湖摄影工作室","created":"2025-06-01"}`), time.Now())
	defer func(l prob.Lang) { lang = l }(lang)
	lang = prob.English
	if got, want := metadataWhy(err), "title is required; type must be one of:"; !strings.HasPrefix(got, want) || strings.Contains(got, "evidence:") {
		t.Errorf("metadataWhy in English = %q, want each field in English, beginning %q (not the Go package's \"evidence: invalid metadata\")", got, want)
	}
	lang = prob.Chinese
	got := metadataWhy(err)
	if !hasHan(got) || strings.Contains(got, "invalid metadata") || strings.Contains(got, "required") || !strings.Contains(got, "title") || !strings.Contains(got, "；type") {
		t.Errorf("metadataWhy in Chinese = %q, want each field in Chinese", got)
	}
	if got, want := metadataWhy(errors.New("x")), "x"; got != want {
		t.Errorf("metadataWhy(other) = %q, want %q", got, want)
	}
}

// TestInterrupted presses ^C while a command waits on its server: a list
// (a GET) and a submit of two files (the first read whole by the server,
// which never answers). Each says in the CLI's language that it was
// interrupted, which server had not answered and what to check, with exit
// status 1, not Go's 'Get "http://…": interrupt signal received' (English
// under a Chinese locale before).
func TestInterrupted(t *testing.T) {
	asked := make(chan struct{}, 4)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		asked <- struct{}{}
		<-release // never answers while the command runs
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	for _, f := range []string{a, b} {
		if err := os.WriteFile(f, []byte("exhibit\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	common := []string{"--server", srv.URL, "--token", "cst_x"}
	for _, tc := range []struct {
		locale string
		args   []string
		want   string
	}{
		{"C.UTF-8", []string{"list"}, "custos: interrupted (Ctrl-C) before " + srv.URL + " answered; a command that changes something"},
		{"zh_CN.UTF-8", []string{"list"}, "custos: 已中断（Ctrl-C），" + srv.URL + " 尚未应答；"},
		{"C.UTF-8", []string{"submit", a, b}, "custos: interrupted (Ctrl-C) while filing " + a + ": it was not filed unless"},
		{"zh_CN.UTF-8", []string{"submit", a, b}, "custos: 提交 " + a + " 时已中断（Ctrl-C）：除非服务器恰好已完成"},
	} {
		cmd := exec.Command(custosBin, append(tc.args, common...)...)
		cmd.Env = append(os.Environ(), "LC_ALL="+tc.locale)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-asked:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("custos %s: no request in 30 s", strings.Join(tc.args, " "))
		}
		cmd.Process.Signal(os.Interrupt)
		err := cmd.Wait()
		var ee *exec.ExitError
		got := stderr.String()
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.HasPrefix(got, tc.want) || strings.Contains(got, "signal received") {
			t.Errorf("LC_ALL=%s custos %s, then ^C: %v\n%s\nwant exit 1 and %q", tc.locale, strings.Join(tc.args, " "), err, got, tc.want)
		}
	}
	defer func(l prob.Lang) { lang = l }(lang)
	lang = prob.Chinese
	if got, want := wrapped(fmt.Errorf("reading: %w", context.Canceled), "fail.transfer", "id", "x").Error(), "x 传输失败，未保存任何内容：已中断（Ctrl-C）"; got != want {
		t.Errorf("wrapped(a canceled read) = %q, want %q", got, want)
	}
}

// TestMetadataWhyListZH: the choices of a field that takes one of several
// are listed with 、 in Chinese (text、image、…), with ", " in English.
func TestMetadataWhyListZH(t *testing.T) {
	_, err := copyright.ParseWork([]byte(`{"title":"T","type":"poem","authors":["李明"],"owner":"西湖摄影工作室","created":"2025-06-01"}`), time.Now())
	defer func(l prob.Lang) { lang = l }(lang)
	lang = prob.Chinese
	if got := metadataWhy(err); !strings.Contains(got, "text、image") {
		t.Errorf("metadataWhy in Chinese = %q, want the types listed with 、", got)
	}
	lang = prob.English
	if got := metadataWhy(err); !strings.Contains(got, "text, image") {
		t.Errorf("metadataWhy in English = %q, want the types listed with commas", got)
	}
}
