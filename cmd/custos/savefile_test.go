package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSavedNotice: every command that writes a file with -o FILE leaves
// standard output empty and says one line on standard error, in the
// CLI's language: what it saved, the file and its size. With -o - the
// bytes go to standard output and nothing is said.
func TestSavedNotice(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 2048)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/trust" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{}`))
			return
		}
		w.Write(body)
	}))
	defer srv.Close()
	const id = "agrezpy4lhvwxgtuv2ubwl7ddu"
	cases := []struct {
		args []string
		anon bool // no ID in the notice
	}{
		{args: []string{"receipt", id}},
		{args: []string{"evidence-record", id}},
		{args: []string{"evidence", "timestamp", id}},
		{args: []string{"certificate", "pdf", id}},
		{args: []string{"copyright", "pdf", id}},
		{args: []string{"trust", "--pem", "root"}, anon: true},
		{args: []string{"trust"}, anon: true},
	}
	run := func(t *testing.T, env []string, args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command(custosBin, args...)
		cmd.Env = append(os.Environ(), append([]string{"CUSTOS_SERVER=" + srv.URL, "CUSTOS_TOKEN=t"}, env...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("custos %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	for _, tc := range cases {
		name := strings.Join(tc.args, " ")
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "out.bin")
			for _, lang := range []struct{ locale, want string }{
				{"C.UTF-8", "saved as " + file + " ("},
				{"zh_CN.UTF-8", "已保存为 " + file + "（"},
			} {
				os.Remove(file)
				stdout, stderr := run(t, []string{"LC_ALL=" + lang.locale}, append(tc.args, "-o", file)...)
				if stdout != "" {
					t.Errorf("%s: custos %s -o FILE printed %q on standard output, want nothing", lang.locale, name, stdout)
				}
				if !strings.Contains(stderr, lang.want) || strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, id) == tc.anon {
					t.Errorf("%s: custos %s -o FILE said %q on standard error, want one line with %q (and the ID: %v)", lang.locale, name, stderr, lang.want, !tc.anon)
				}
				st, err := os.Stat(file)
				if err != nil {
					t.Fatalf("%s: custos %s -o FILE: %v", lang.locale, name, err)
				}
				if size := humanSize(st.Size()); !strings.Contains(stderr, size) {
					t.Errorf("%s: custos %s -o FILE said %q, want the size %s", lang.locale, name, stderr, size)
				}
			}
			stdout, stderr := run(t, nil, append(tc.args, "-o", "-")...)
			if stdout == "" || stderr != "" {
				t.Errorf("custos %s -o -: %d bytes on standard output and %q on standard error; want the bytes and nothing said", name, len(stdout), stderr)
			}
		})
	}
}
