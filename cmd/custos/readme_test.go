package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/testenv"
)

// notInTour marks a README sh block that is not part of the tour (how to
// build, test or run the server): it must come before the block's
// opening fence, with nothing but blank lines between. consortiumTour
// marks, the same way, the blocks of the consortium's tour
// (TestReadmeConsortiumTour), which are not part of the first tour either.
const (
	notInTour      = "<!-- not-in-tour -->"
	consortiumTour = "<!-- consortium-tour -->"
)

// tourBlock is one ```sh block of the README's tour.
type tourBlock struct {
	Line int    // the line of its opening fence (1-based)
	Text string // the commands, without the fences
}

// tourBlocks returns, in order, the ```sh blocks of a README that no
// marker marks: the first tour's.
func tourBlocks(readme string) ([]tourBlock, error) { return markedBlocks(readme, "") }

// markedBlocks returns, in order, the ```sh blocks of a README that
// marker marks ("": those no marker marks).
func markedBlocks(readme, marker string) ([]tourBlock, error) {
	var blocks []tourBlock
	var cur *tourBlock
	inBlock, mark, blockMark := false, "", ""
	for i, line := range strings.Split(readme, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case inBlock && trimmed == "```":
			if blockMark == marker {
				blocks = append(blocks, *cur)
			}
			inBlock = false
		case inBlock:
			cur.Text += line + "\n"
		case trimmed == "```sh":
			cur, inBlock, blockMark, mark = &tourBlock{Line: i + 1}, true, mark, ""
		case trimmed == notInTour || trimmed == consortiumTour:
			mark = trimmed
		case trimmed != "":
			mark = ""
		}
	}
	if inBlock {
		return nil, fmt.Errorf("the sh block at line %d is never closed", cur.Line)
	}
	return blocks, nil
}

func TestTourBlocks(t *testing.T) {
	readme := "# T\n```sh\na\n```\n" + notInTour + "\n\n```sh\nskipped\n```\n" + notInTour + "\ntext\n```sh\nb\nc\n```\n```go\nnot sh\n```\n"
	got, err := tourBlocks(readme)
	if err != nil || len(got) != 2 || got[0] != (tourBlock{2, "a\n"}) || got[1] != (tourBlock{12, "b\nc\n"}) {
		t.Errorf("tourBlocks = %+v, %v; want the blocks at lines 2 and 12", got, err)
	}
	if _, err := tourBlocks("```sh\nopen\n"); err == nil {
		t.Errorf("tourBlocks(an unclosed block) = nil error")
	}
	mixed := "```sh\na\n```\n" + consortiumTour + "\n```sh\nc1\n```\n" + notInTour + "\n```sh\nn\n```\n" + consortiumTour + "\n\n```sh\nc2\n```\n"
	if got, err := tourBlocks(mixed); err != nil || len(got) != 1 || got[0].Text != "a\n" {
		t.Errorf("tourBlocks(mixed) = %+v, %v; want block a alone", got, err)
	}
	if got, err := markedBlocks(mixed, consortiumTour); err != nil || len(got) != 2 || got[0].Text != "c1\n" || got[1].Text != "c2\n" {
		t.Errorf("markedBlocks(mixed, consortiumTour) = %+v, %v; want c1 and c2", got, err)
	}
}

// tourToken is the admin token the tour's node is started with: a chosen
// bootstrap token, as CUSTOS_BOOTSTRAP_TOKEN allows (at least 32
// characters, at least 16 different).
const tourToken = "readme-tour-0123456789-abcdefghijklmnopqrstuvwxyz"

// TestReadmeTour runs the README's tour as written: every ```sh block not
// marked not-in-tour, in order, in one bash (-euo pipefail, so that
// variables carry over and any failing command fails the test), from a
// folder laid out like the repository after `make run` (bin/custos, the
// node's data in custos-data), against a fresh node. The only change made
// to the blocks is the node's address: the node listens on a free port
// instead of 8080 ($CUSTOS_SERVER for the CLI, and the URLs the blocks
// spell out). A failure prints the block and its output.
func TestReadmeTour(t *testing.T) {
	bash := testenv.LookBinary(t, "bash")
	for _, tool := range []string{"jq", "curl", "pdfdetach"} {
		testenv.LookBinary(t, tool)
	}
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := tourBlocks(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) < 6 {
		t.Fatalf("the README has %d tour blocks; want the whole tour (6 or more)", len(blocks))
	}

	root := t.TempDir() // the repository, as the tour sees it
	if err := os.Mkdir(filepath.Join(root, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(custosBin, filepath.Join(root, "bin", "custos")); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, filepath.Join(root, "custos-data"), "", "CUSTOS_BOOTSTRAP_TOKEN="+tourToken)

	scratch := t.TempDir()
	script := tourScript(t, blocks, scratch, func(text string) string {
		return strings.ReplaceAll(text, "http://127.0.0.1:8080", n.URL)
	})

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "--noprofile", "--norc", "-c", script)
	cmd.Dir = root
	cmd.Env = tourEnv(t, n.URL)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()

	outputs := splitTourOutput(out.String(), len(blocks))
	if runErr != nil || !strings.HasSuffix(strings.TrimSpace(out.String()), "@@done@@") {
		last := len(outputs) - 1
		if last < 0 {
			t.Fatalf("the tour did not start: %v\n%s", runErr, out.String())
		}
		t.Fatalf("README.md tour block %d (line %d) failed: %v\n--- block:\n%s--- its output:\n%s",
			last+1, blocks[last].Line, runErr, blocks[last].Text, outputs[last])
	}
	// The last block prints the certificate's public verification link.
	if final := outputs[len(outputs)-1]; !strings.Contains(final, n.URL+"/verify?document=") || strings.Contains(final, "document=null") {
		t.Errorf("the tour's last block printed %q, want the certificate's verification link", final)
	}
	if c := strings.Count(out.String(), "VALID"); c < 2 {
		t.Errorf("custos verify said VALID %d times, want 2 (the court's receipt, the certificate's):\n%s", c, out.String())
	}
}

// tourScript writes each block, as rewrite leaves it, to a file of its own
// in dir, and returns the script that sources them in order in one shell
// (-euo pipefail), printing a marker before each (splitTourOutput) and one
// at the end.
func tourScript(t *testing.T, blocks []tourBlock, dir string, rewrite func(string) string) string {
	t.Helper()
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for i, blk := range blocks {
		name := filepath.Join(dir, fmt.Sprintf("block-%d.sh", i))
		if err := os.WriteFile(name, []byte(rewrite(blk.Text)), 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&script, "echo '@@block %d@@'\nsource %q\n", i, name)
	}
	script.WriteString("echo '@@done@@'\n")
	return script.String()
}

// tourEnv is the tour shell's environment: the test's, without any
// CUSTOS_ variable it might carry, plus the chosen bootstrap token (which
// the tour reads, as a user who chose one would) and the node's address,
// and a temporary folder of its own for mktemp.
func tourEnv(t *testing.T, url string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CUSTOS_") && !strings.HasPrefix(kv, "TMPDIR=") {
			env = append(env, kv)
		}
	}
	return append(env, "CUSTOS_BOOTSTRAP_TOKEN="+tourToken, "CUSTOS_SERVER="+url, "TMPDIR="+t.TempDir())
}

// splitTourOutput cuts the tour's output at the block markers: element i
// is what block i printed, for the blocks that started.
func splitTourOutput(out string, n int) []string {
	var parts []string
	for i := 0; i < n; i++ {
		marker := fmt.Sprintf("@@block %d@@\n", i)
		at := strings.Index(out, marker)
		if at < 0 {
			break
		}
		rest := out[at+len(marker):]
		if end := strings.Index(rest, "@@block "); end >= 0 {
			rest = rest[:end]
		}
		rest, _, _ = strings.Cut(rest, "@@done@@")
		parts = append(parts, rest)
	}
	return parts
}
