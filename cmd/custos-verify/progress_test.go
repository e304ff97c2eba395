package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

// TestHashProgressOnlyOnTerminal: no line unless standard error is a
// character device, and none for a file under the threshold.
func TestHashProgressOnlyOnTerminal(t *testing.T) {
	if hashProgress(&bytes.Buffer{}, "f", false) != nil {
		t.Error("a line for a buffer (a pipe or a file), want none")
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	progress := hashProgress(null, "f", false)
	if progress == nil {
		t.Fatal("no line for a character device")
	}
	if w := progress(progressThreshold - 1); w != nil {
		t.Error("a line for a file under the threshold")
	}
	if w := progress(progressThreshold); w == nil {
		t.Error("no line for a file at the threshold")
	}
}

// TestProgressLine: the first write draws at once, later ones at most
// every progressEvery, each redraw in place; Close clears the line, and
// draws nothing if nothing was drawn.
func TestProgressLine(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(0, 0)
	p := &progressLine{w: &out, name: "video.mp4", size: 16 << 20, now: func() time.Time { return clock }}
	chunk := make([]byte, 4<<20)
	p.Write(chunk)
	first := "\rhashing video.mp4: 4.0 MiB of 16.0 MiB (25%)"
	if out.String() != first {
		t.Fatalf("first write drew %q, want %q", out.String(), first)
	}
	clock = clock.Add(progressEvery / 2)
	p.Write(chunk)
	if out.String() != first {
		t.Errorf("a write within %v redrew: %q", progressEvery, out.String())
	}
	clock = clock.Add(progressEvery)
	p.Write(chunk)
	third := "\rhashing video.mp4: 12.0 MiB of 16.0 MiB (75%)"
	if want := first + third; out.String() != want {
		t.Errorf("after %v: %q, want %q", progressEvery, out.String(), want)
	}
	out.Reset()
	p.Close()
	if want := "\r" + strings.Repeat(" ", len(third)-1) + "\r"; out.String() != want {
		t.Errorf("Close wrote %q, want %q", out.String(), want)
	}

	out.Reset()
	zh := &progressLine{w: &out, name: "录像.mp4", size: 8 << 30, chinese: true, now: func() time.Time { return clock }}
	zh.Write(make([]byte, 1536))
	if want := "\r正在计算 录像.mp4 的摘要：1.5 KiB / 8.0 GiB（0%）"; out.String() != want {
		t.Errorf("Chinese line %q, want %q", out.String(), want)
	}

	out.Reset()
	(&progressLine{w: &out, size: 1, now: time.Now}).Close()
	if out.Len() != 0 {
		t.Errorf("Close of an undrawn line wrote %q", out.String())
	}
}
