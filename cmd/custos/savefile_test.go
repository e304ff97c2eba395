package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// custosOutErr runs the custos binary and returns its standard output and
// standard error apart.
func custosOutErr(t testing.TB, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(custosBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// TestSavedNoticeLocal: the commands that write a key's certificate
// request (pki request -o), a governance certificate (consortium
// governance-cert -o) or a join request (consortium join --out) say so as
// the -o FILE commands do, in the CLI's language: standard output empty,
// savedNotice's line on standard error with the file and its size, and
// beside it what to do next, in Chinese in a Chinese locale.
func TestSavedNoticeLocal(t *testing.T) {
	tmp := t.TempDir()
	now := time.Now()
	_, _, caPath, caKeyPath := courtCAFiles(t, tmp, now)
	cases := []struct {
		name string
		args func(dir string) (args []string, file string)
		en   []string // beside the saved line, in English; none of it in Chinese
		zh   []string
	}{
		{"pki request", func(dir string) ([]string, string) {
			f := filepath.Join(dir, "notary.csr")
			return []string{"pki", "request", "--data", filepath.Join(tmp, "data"), "--for", "notary", "--cn", "李四", "-o", f}, f
		}, []string{"key in the file", "send the certificate request to the CA"}, []string{"密钥，位于文件", "请将证书请求发给 CA"}},
		{"consortium governance-cert", func(dir string) ([]string, string) {
			f := filepath.Join(dir, "governance.pem")
			return []string{"consortium", "governance-cert", "--ca", caPath, "--ca-key", caKeyPath, "--key", filepath.Join(dir, "governance.key"), "-o", f}, f
		}, []string{"made a new governance key", "sign proposals and votes"}, []string{"已生成新的治理密钥", "签署提案和投票"}},
		{"consortium join", func(dir string) ([]string, string) {
			out := filepath.Join(dir, "shanghai")
			return []string{"consortium", "join", "--out", out, "--org", "court:Shanghai Court"}, filepath.Join(out, "join-request.json")
		}, []string{"join request of Shanghai Court (court)", "off the node"}, []string{"Shanghai Court（法院）的加入请求", "移出节点"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i, l := range []struct {
				locale, saved string
				want, not     []string
			}{
				{"C.UTF-8", "saved as %s (%s)", tc.en, tc.zh},
				{"zh_CN.UTF-8", "已保存为 %s（%s）", tc.zh, tc.en},
			} {
				args, file := tc.args(filepath.Join(tmp, strings.ReplaceAll(tc.name, " ", "-"), fmt.Sprint(i)))
				os.MkdirAll(filepath.Dir(file), 0o755)
				stdout, stderr, err := custosOutErr(t, []string{"LC_ALL=" + l.locale}, args...)
				if err != nil {
					t.Fatalf("%s: custos %s: %v\n%s", l.locale, strings.Join(args, " "), err, stderr)
				}
				if stdout != "" {
					t.Errorf("%s: custos %s printed %q on standard output, want nothing", l.locale, tc.name, stdout)
				}
				st, err := os.Stat(file)
				if err != nil {
					t.Fatal(err)
				}
				want := append([]string{fmt.Sprintf(l.saved, file, humanSize(st.Size()))}, l.want...)
				for _, w := range want {
					if !strings.Contains(stderr, w) {
						t.Errorf("%s: custos %s said on standard error:\n%s\nwant %q", l.locale, tc.name, stderr, w)
					}
				}
				for _, w := range l.not {
					if strings.Contains(stderr, w) {
						t.Errorf("%s: custos %s said on standard error:\n%s\nwant no %q", l.locale, tc.name, stderr, w)
					}
				}
				if strings.Count(stderr, "saved as")+strings.Count(stderr, "已保存为") != 1 {
					t.Errorf("%s: custos %s: want one saved line:\n%s", l.locale, tc.name, stderr)
				}
			}
		})
	}
}
