package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custos-project/custos/internal/testenv"
)

// TestVerifyFileShowsProgress: custos-verify --file on a terminal shows
// the hashing line for a large file, and clears it before the report;
// with standard error not a terminal, it writes nothing of it.
func TestVerifyFileShowsProgress(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(big, bytes.Repeat([]byte("custos "), (progressThreshold+7)/7), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--receipt", filepath.Join(vectorsDir, "valid", "valid.json"),
		"--trust", filepath.Join(vectorsDir, "trust.json"), "--file", big}

	master, tty := testenv.OpenPTY(t)
	got := make(chan string)
	go func() { b, _ := io.ReadAll(master); got <- string(b) }()
	var stdout bytes.Buffer
	code := run(args, &stdout, tty)
	tty.Close() // the reader then sees EOF (EIO once no end is open)
	line := <-got
	if code != 1 || !strings.Contains(stdout.String(), "INVALID") {
		t.Fatalf("exit %d, report %q; want 1 and INVALID (the file is not the receipt's)", code, stdout.String())
	}
	if !strings.Contains(line, "hashing big.bin: ") || !strings.Contains(line, "of 8.0 MiB (") {
		t.Errorf("terminal got %q, want the hashing line", line)
	}
	cleared := strings.LastIndex(line, "  \r")
	if report := strings.Index(line, "custos-verify:"); cleared < 0 || report < cleared {
		t.Errorf("terminal got %q, want the line cleared before the report", line)
	}

	var stderr bytes.Buffer
	stdout.Reset()
	if code := run(args, &stdout, &stderr); code != 1 || strings.Contains(stderr.String(), "hashing") {
		t.Errorf("not a terminal: exit %d, stderr %q; want 1 and no hashing line", code, stderr.String())
	}
}
