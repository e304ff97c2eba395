package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/testenv"
)

// TestReadmeConsortiumTour runs the README's consortium tour as written:
// every ```sh block marked consortium-tour, in order, in one bash (-euo
// pipefail), from a folder laid out like the repository after `make
// build`. The blocks create the consortium with `custos consortium init`,
// start its four members as `custos serve` processes in the background,
// admit a court, a firm and a copyright owner at three different members,
// and go through lookup, the directory, confirmation at the court's node,
// a share delivered through the court's node, and the one copyright
// register. The only change made to the blocks is the ports: `consortium
// init` is given free ones (--api-port, --p2p-port, --peer-port) and the
// API ports 8081-8084 the blocks name are replaced by those.
func TestReadmeConsortiumTour(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 4-node consortium")
	}
	t.Parallel() // see parallelNote
	for _, tool := range []string{"jq", "curl"} {
		testenv.LookBinary(t, tool)
	}
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := markedBlocks(string(b), consortiumTour)
	if err != nil {
		t.Fatal(err)
	}
	const initLine = "consortium init --out consortium"
	if len(blocks) < 5 || !strings.Contains(blocks[0].Text, initLine) {
		t.Fatalf("the README's consortium tour has %d blocks; want 5 or more, the first running %q", len(blocks), initLine)
	}

	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(custosBin, filepath.Join(root, "bin", "custos")); err != nil {
		t.Fatal(err)
	}
	api, p2p, peer := freePortRun(t, 4), freePortRun(t, 4), freePortRun(t, 4)
	ports := strings.NewReplacer(
		initLine, fmt.Sprintf("%s --api-port %d --p2p-port %d --peer-port %d", initLine, api, p2p, peer),
		"8081", fmt.Sprint(api), "8082", fmt.Sprint(api+1), "8083", fmt.Sprint(api+2), "8084", fmt.Sprint(api+3))

	script := tourScript(t, blocks, t.TempDir(), ports.Replace)

	all := runTour(t, root, script, blocks, filepath.Join(root, "consortium", "*.log"))
	checkConsortiumTour(t, all)
}

// runTour runs script (tourScript of blocks) in one bash from root, with
// no CUSTOS_ variable and a TMPDIR of its own, and returns what it
// printed. Whatever the script starts in the background is stopped with
// it. When a block fails, t fails with that block, its output and the
// last lines of the members' logs (the files logs matches).
func runTour(t *testing.T, root, script string, blocks []tourBlock, logs string) string {
	t.Helper()
	bash := testenv.LookBinary(t, "bash")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "--noprofile", "--norc", "-c", script)
	cmd.Dir = root
	// The tour reads each node's generated admin token: no chosen
	// bootstrap token, nor any other CUSTOS_ variable, reaches it.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CUSTOS_") && !strings.HasPrefix(kv, "TMPDIR=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "TMPDIR="+t.TempDir())
	// The members run in the background of the tour's shell, in its
	// process group: stopped with it, whatever happens.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	t.Cleanup(func() { stopGroup(pgid) })
	runErr := cmd.Wait()

	outputs := splitTourOutput(out.String(), len(blocks))
	if runErr != nil || !strings.HasSuffix(strings.TrimSpace(out.String()), "@@done@@") {
		files, _ := filepath.Glob(logs)
		var tails strings.Builder
		for _, l := range files {
			lb, _ := os.ReadFile(l)
			fmt.Fprintf(&tails, "--- %s (end):\n%s\n", filepath.Base(l), lastLines(string(lb), 15))
		}
		last := max(len(outputs)-1, 0)
		t.Fatalf("README.md consortium tour block %d (line %d) failed: %v\n--- block:\n%s--- its output:\n%s\n%s",
			last+1, blocks[last].Line, runErr, blocks[last].Text, strings.Join(outputs[last:], ""), tails.String())
	}
	return out.String()
}

// checkConsortiumTour checks what the README's consortium tour printed.
func checkConsortiumTour(t *testing.T, all string) {
	t.Helper()
	for _, want := range []string{
		`"member_name": "Qiantang Notary Office"`, // the lookup at the court's node names the filing member
		"VALID", "CONFIRMED by the node",
		`"name": "Zhong Lun Law Firm"`,                              // the directory at the court's node
		"downloaded ",                                               // the court's download, in the custody chain at the firm's node
		`"member_name": "Beijing Internet Court"`, `"remote": true`, // the register at the court's node
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the consortium tour never printed %q:\n%s", want, all)
		}
	}
	// The court's download, relayed, was checked against the item's
	// SHA-256 by the CLI (and by the court's node as it streamed).
	if !strings.Contains(all, "checked)") {
		t.Errorf("custos download at the court's node did not say the bytes were checked:\n%s", all)
	}
	// The download came through the court's node: its custody event names
	// the key and, after "@", the node it came through.
	if i := strings.Index(all, "downloaded "); i >= 0 {
		line, _, _ := strings.Cut(all[i:], "\n")
		if !strings.Contains(line, "@") {
			t.Errorf("the download's custody event %q does not name the node it came through", line)
		}
	}
}

// stopGroup ends a process group: SIGTERM, then SIGKILL after a grace
// period.
func stopGroup(pgid int) {
	if syscall.Kill(-pgid, syscall.SIGTERM) != nil {
		return
	}
	for i := 0; i < 50; i++ {
		if syscall.Kill(-pgid, 0) != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}
