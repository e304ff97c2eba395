package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custos-project/custos/api/wire"
)

// custosIn runs the custos binary with standard input and an environment
// of its own (not the test's CUSTOS_* variables), returning its stdout.
func custosIn(t *testing.T, env []string, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(custosBin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CUSTOS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Logf("custos %s: stderr: %s", strings.Join(args, " "), stderr.String())
	}
	return string(out), err
}

// TestLoginProfileList runs the CLI as a person would against a real node:
// log in with a token on standard input, then list evidence with no
// --server or --token, as a table and, piped, as JSON lines; a wrong token
// saves nothing, and no listing shows the token.
func TestLoginProfileList(t *testing.T) {
	n := startNode(t, t.TempDir(), "")
	dir := t.TempDir()
	file := writeFile(t, dir, "合同.txt", bytes.Repeat([]byte("甲方与乙方\n"), 300)) // 4800 bytes
	out, err := runCustosEnv(t, []string{"CUSTOS_SERVER=" + n.URL, "CUSTOS_TOKEN=" + n.Token}, "submit", "--json", file)
	if err != nil {
		t.Fatal(err)
	}
	// Listed once anchored, so that every listing below shows the same item.
	var v wire.EvidenceView
	mustJSON(t, []byte(out), &v)
	if status, _, b := n.call("GET", "/api/v1/evidence/"+v.ID+"/receipt?wait=20s", n.Token, nil); status != 200 {
		t.Fatalf("receipt of the submitted item = %d %s", status, b)
	}
	home := []string{"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "HOME=" + dir}

	if _, err := custosIn(t, home, "not-a-token-of-this-node-at-all-xxxxxxxx\n", "login", "--server", n.URL, "--token-stdin"); exitCode(err) != 1 {
		t.Errorf("login with a wrong token: %v, want exit 1", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "config", "custos", "config.json")); err == nil {
		t.Errorf("a refused login saved a profile")
	}
	if _, err := custosIn(t, home, n.Token+"\n", "login", "--server", n.URL, "--token-stdin", "--profile", "local"); err != nil {
		t.Fatalf("custos login: %v", err)
	}
	cfgPath := filepath.Join(dir, "config", "custos", "config.json")
	if st, err := os.Stat(cfgPath); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("profile file %s: %v, %v; want mode 0600", cfgPath, st, err)
	}

	table, err := custosIn(t, append(home, "CUSTOS_OUTPUT=table"), "", "list")
	if err != nil {
		t.Fatalf("custos list (table): %v", err)
	}
	if lines := strings.Split(strings.TrimSpace(table), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") ||
		!strings.Contains(lines[1], "合同.txt") || !strings.Contains(lines[1], "4.7 KiB") {
		t.Errorf("custos list on a terminal printed:\n%s\nwant a header and one row with the file name and its size", table)
	}
	piped, err := custosIn(t, home, "", "list")
	if err != nil {
		t.Fatalf("custos list (piped): %v", err)
	}
	items := jsonLines[wire.EvidenceView](t, piped)
	if len(items) != 1 || items[0].FileName != "合同.txt" {
		t.Errorf("custos list piped = %+v, want one JSON line for 合同.txt", items)
	}
	forced, err := custosIn(t, append(home, "CUSTOS_OUTPUT=table"), "", "list", "--json")
	if err != nil || forced != piped {
		t.Errorf("custos list --json on a 'terminal' = %q, %v; want the piped JSON", forced, err)
	}

	for _, args := range [][]string{{"profile", "list"}, {"profile", "show"}, {"me"}} {
		out, err := custosIn(t, append(home, "CUSTOS_OUTPUT=table"), "", args...)
		if err != nil {
			t.Errorf("custos %s: %v", strings.Join(args, " "), err)
		}
		if strings.Contains(out, n.Token) {
			t.Errorf("custos %s printed the token:\n%s", strings.Join(args, " "), out)
		}
		if args[0] == "profile" && !strings.Contains(out, "local") {
			t.Errorf("custos %s does not name the profile:\n%s", strings.Join(args, " "), out)
		}
	}

	if err := os.Chmod(cfgPath, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := custosIn(t, home, "", "list"); exitCode(err) != 1 {
		t.Errorf("custos list with a world-readable profile file: %v, want a refusal (exit 1)", err)
	}
	os.Chmod(cfgPath, 0o600)
	if _, err := custosIn(t, home, "", "logout"); err != nil {
		t.Fatalf("custos logout: %v", err)
	}
	if _, err := custosIn(t, home, "", "list"); exitCode(err) != 2 {
		t.Errorf("custos list after logout: %v, want exit 2 (no token)", err)
	}
}
