//go:build linux

package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/internal/testenv"
)

// openTerminal opens a pseudo-terminal and returns its terminal side, as a
// command's standard error on a person's screen.
func openTerminal(t *testing.T) *os.File {
	_, tty := testenv.OpenPTY(t)
	return tty
}

// TestProgressOn: progress (submit's and download's bars, the waits, verify
// --file's hashing) is shown on a terminal only, and never with --quiet:
// not on a pipe or a file, where scripts and JSON stay clean.
func TestProgressOn(t *testing.T) {
	tty := openTerminal(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, tc := range []struct {
		name  string
		file  *os.File
		quiet bool
		want  bool
	}{
		{"terminal", tty, false, true},
		{"terminal --quiet", tty, true, false},
		{"pipe", w, false, false},
		{"file", f, false, false},
	} {
		if got := progressOn(tc.file, tc.quiet); got != tc.want {
			t.Errorf("progressOn(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestWaiting: a wait on a terminal shows what it waits for, a spinner and
// the time since it began, and clears its line when it ends; without a
// terminal (progressOn false) it shows nothing.
func TestWaiting(t *testing.T) {
	var b bytes.Buffer
	stop := waitingTo(&b, "waiting up to 20s for x to be anchored")
	time.Sleep(250 * time.Millisecond) // the spinner turns every 100 ms
	stop()
	got := b.String()
	if !strings.Contains(got, "waiting up to 20s for x to be anchored") || !strings.Contains(got, "[0s]") || !strings.HasSuffix(got, "\r") {
		t.Errorf("waitingTo(250 ms) wrote %q, want the description, the time since it began, and the line cleared", got)
	}
	n := b.Len()
	time.Sleep(250 * time.Millisecond)
	if b.Len() != n {
		t.Errorf("waitingTo wrote %q after stop", b.String()[n:])
	}
	waiting(false, "nothing")() // nothing to see: it would have written to os.Stderr
}

// TestWaitShown runs receipt --wait against a server that answers in
// 700 ms: on a terminal, standard error shows the wait in the CLI's
// language; on a pipe, nothing, and the receipt is the same.
func TestWaitShown(t *testing.T) {
	srv := heldServer(t, func(w http.ResponseWriter, r *http.Request, _ <-chan struct{}) {
		time.Sleep(700 * time.Millisecond)
		io.WriteString(w, `{"receipt":1}`)
	})
	args := []string{"receipt", "x", "--wait", "3s", "--server", srv.URL, "--token", "cst_x"}
	for locale, want := range map[string]string{
		"C.UTF-8":     "waiting up to 3s for x to be anchored",
		"zh_CN.UTF-8": "最多等待 3s，待 x 上链",
	} {
		ptmx, tty := testenv.OpenPTY(t)
		cmd := exec.Command(custosBin, args...)
		cmd.Env = append(os.Environ(), "LC_ALL="+locale)
		var stdout bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, tty
		shown := make(chan string)
		go func() {
			var b bytes.Buffer
			io.Copy(&b, ptmx) // until tty's last holder closes it
			shown <- b.String()
		}()
		err := cmd.Run()
		tty.Close()
		got := <-shown
		if err != nil || stdout.String() != `{"receipt":1}` || !strings.Contains(got, want) {
			t.Errorf("LC_ALL=%s custos receipt --wait 3s, stderr a terminal: %v, %q; the terminal showed %q, want %q", locale, err, stdout.String(), got, want)
		}
	}
	code, stdout, stderr := custosExit(t, nil, args...)
	if code != 0 || stdout != `{"receipt":1}` || stderr != "" {
		t.Errorf("custos receipt --wait 3s, stderr a pipe = exit %d, %q, stderr %q; want 0, the receipt, nothing on stderr", code, stdout, stderr)
	}
}
