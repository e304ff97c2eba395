package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal and returns its two ends.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("the pty's number: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open the pty: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return master, tty
}

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

	master, tty := openPTY(t)
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
