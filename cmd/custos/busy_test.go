package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	prob "github.com/custos-project/custos/internal/problem"
)

// TestServeFsckBusy runs what a new user runs beside a node already
// running: a second custos serve on its address (a second make run), a
// second on its data folder, custos fsck of its folder while it runs, and
// fsck of a folder with no store. Each says what is in the way and what to
// do, in the CLI's language, with exit status 1, not Go's 'listen tcp …:
// bind: address already in use' or bbolt's 'timeout' (English under a
// Chinese locale before).
func TestServeFsckBusy(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, dir, "")
	defer n.Stop()
	addr := strings.TrimPrefix(n.URL, "http://")
	missing := filepath.Join(t.TempDir(), "nothing-here")
	for _, tc := range []struct {
		locale string
		args   []string
		want   string
	}{
		{"C.UTF-8", []string{"serve", "--data", t.TempDir(), "--listen", addr},
			"custos: cannot serve on " + addr + ": another program uses that address (a custos serve already running?). Stop it, or serve on another address with --listen"},
		{"zh_CN.UTF-8", []string{"serve", "--data", t.TempDir(), "--listen", addr},
			"custos: 无法在 " + addr + " 上提供服务：该地址已被另一程序占用"},
		{"C.UTF-8", []string{"serve", "--data", dir, "--listen", "127.0.0.1:0"},
			"custos: the data folder " + dir + " is in use by another custos (a node already running on it?): stop that one first"},
		{"C.UTF-8", []string{"fsck", "--data", dir},
			"custos: the data folder " + dir + " is in use by a running node: stop it first"},
		{"zh_CN.UTF-8", []string{"fsck", "--data", dir},
			"custos: 数据文件夹 " + dir + " 正被运行中的节点使用：请先停止该节点"},
		{"C.UTF-8", []string{"fsck", "--data", missing},
			"custos: " + missing + " holds no Custos store (custos.db: no such file): give the node's data folder with --data DIR"},
		{"zh_CN.UTF-8", []string{"fsck", "--data", missing},
			"custos: " + missing + " 中没有 Custos 存储（custos.db：文件不存在）"},
	} {
		cmd := exec.Command(custosBin, tc.args...)
		cmd.Env = append(cmd.Environ(), "LC_ALL="+tc.locale)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.HasPrefix(string(out), tc.want) {
			t.Errorf("LC_ALL=%s custos %s: %v\n%s\nwant exit 1 and %q", tc.locale, strings.Join(tc.args, " "), err, out, tc.want)
		}
	}
}

// TestConfigAndOrgSpecZH: a --config file that is not there or is a
// folder, and a consortium init --org that is not KIND:NAME of a known
// kind, are usage errors said in the CLI's language with what to give
// instead; they were Go's 'open …: no such file or directory' and English
// under a Chinese locale.
func TestConfigAndOrgSpecZH(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "member", "custos.toml")
	defer func(l prob.Lang) { lang = l }(lang)
	for _, tc := range []struct {
		locale string
		args   []string
		want   string
	}{
		{"C.UTF-8", []string{"serve", "--config", missing}, "cannot read the configuration file " + missing + ": no such file; give a member's custos.toml with --config"},
		{"zh_CN.UTF-8", []string{"serve", "--config", missing}, "无法读取配置文件 " + missing + "：文件不存在；请用 --config 给出成员的 custos.toml"},
		{"zh_CN.UTF-8", []string{"fsck", "--config", dir}, "无法读取配置文件 " + dir + "：这是一个文件夹；"},
		{"C.UTF-8", []string{"consortium", "init", "--out", filepath.Join(dir, "c"), "--org", "curt:A Court"},
			`--org "curt:A Court": want KIND:NAME, KIND one of court, notary or arbitration, such as --org court:"Hangzhou Internet Court"`},
		{"zh_CN.UTF-8", []string{"consortium", "init", "--out", filepath.Join(dir, "c"), "--org", "A Court"},
			`--org "A Court"：应为 KIND:NAME，KIND 为 court、notary 或 arbitration 之一`},
		{"zh_CN.UTF-8", []string{"consortium", "init", "--out", filepath.Join(dir, "c"), "--org", "court:A", "--org", "court:A"},
			`--org "court:A"：A 出现了两次`},
	} {
		t.Setenv("LC_ALL", tc.locale)
		err := run(tc.args)
		var ee exitError
		if !errors.As(err, &ee) || ee.code != 2 || !strings.HasPrefix(ee.msg, tc.want) {
			t.Errorf("LC_ALL=%s custos %s = %v, want exit 2 and %q", tc.locale, strings.Join(tc.args, " "), err, tc.want)
		}
	}
}

// TestReceiptPendingZH: custos receipt of an item the chain has not
// anchored yet (the server's 202) says its status in the CLI's words and
// what to do, exit 1; in Chinese it was the client's English ("evidence …
// is timestamped, not anchored yet") before the Chinese advice.
func TestReceiptPendingZH(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, `{"id":"agrfaaqd6udrh7vfh7e4yxbepa","status":"timestamped","detail":"not anchored yet"}`)
	}))
	defer srv.Close()
	defer func(l prob.Lang) { lang = l }(lang)
	for locale, want := range map[string]string{
		"C.UTF-8":     "agrfaaqd6udrh7vfh7e4yxbepa is timestamped, not anchored yet: retry, or wait longer with --wait (at most 60s)",
		"zh_CN.UTF-8": "agrfaaqd6udrh7vfh7e4yxbepa 状态为“已加盖时间戳”，尚未上链：请重试，或用 --wait 等待更久（最长 60s）",
	} {
		t.Setenv("LC_ALL", locale)
		err := run([]string{"receipt", "agrfaaqd6udrh7vfh7e4yxbepa", "--server", srv.URL, "--token", "cst_x", "-o", filepath.Join(t.TempDir(), "r.json")})
		var ee exitError
		if !errors.As(err, &ee) || ee.code != 1 || ee.msg != want {
			t.Errorf("LC_ALL=%s custos receipt (202) = %v, want exit 1 and %q", locale, err, want)
		}
	}
}

// TestCopyrightPendingNotice: copyright register that the chain has not
// numbered within --wait (a halted chain, say) prints the registration as
// pending, exit 0 as before, and says so on standard error with how to
// get the number later; it said nothing, and a script's NUMBER=$(… | jq
// -r .number) was empty.
func TestCopyrightPendingNotice(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"hgyzs7molsznwpqx3uzwhbekum","number":"","status":"pending"}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	work, file := filepath.Join(dir, "work.json"), filepath.Join(dir, "xihu.txt")
	os.WriteFile(work, []byte(`{"title":"西湖晨雾","type":"text","authors":["李明"],"owner":"West Lake Photo Studio","created":"2025-06-01"}`), 0o644)
	os.WriteFile(file, []byte("西湖晨雾\n"), 0o644)
	for locale, want := range map[string]string{
		"C.UTF-8":     "custos: hgyzs7molsznwpqx3uzwhbekum is registered, but the chain has not numbered it within 2s (pending): custos copyright get hgyzs7molsznwpqx3uzwhbekum shows its number once it is assigned\n",
		"zh_CN.UTF-8": "custos: hgyzs7molsznwpqx3uzwhbekum 已登记，但联盟链在 2s 内尚未为其编号（待处理）：编号分配后，可用 custos copyright get hgyzs7molsznwpqx3uzwhbekum 查看\n",
	} {
		cmd := exec.Command(custosBin, "copyright", "register", "--metadata", work, file, "--wait", "2s", "--server", srv.URL, "--token", "cst_x")
		cmd.Env = append(os.Environ(), "LC_ALL="+locale)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || stderr.String() != want || !strings.Contains(string(out), `"status": "pending"`) {
			t.Errorf("LC_ALL=%s custos copyright register (pending) = %v, stdout %s, stderr %q; want exit 0, the registration, and %q", locale, err, out, stderr.String(), want)
		}
	}
}

// TestEmptyArg: a command given an empty ID ("$ID" of a variable a failed
// step left unset, as a pasted tour block does) is a usage error that
// says so, exit 2, before anything is sent; it asked the server, which
// answered 404 no such evidence.
func TestEmptyArg(t *testing.T) {
	defer func(l prob.Lang) { lang = l }(lang)
	for _, tc := range []struct {
		locale string
		args   []string
		want   string
	}{
		{"C.UTF-8", []string{"receipt", "", "--wait", "20s"}, "custos receipt was given an empty argument: is the shell variable meant to hold it set?"},
		{"zh_CN.UTF-8", []string{"custody", ""}, "custos custody 收到了一个空参数：应保存它的 shell 变量是否已设置？"},
	} {
		t.Setenv("LC_ALL", tc.locale)
		err := run(append(tc.args, "--server", "http://127.0.0.1:1", "--token", "cst_x"))
		var ee exitError
		if !errors.As(err, &ee) || ee.code != 2 || !strings.HasPrefix(ee.msg, tc.want) {
			t.Errorf("LC_ALL=%s custos %q = %v, want exit 2 and %q", tc.locale, tc.args, err, tc.want)
		}
	}
}
