package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// While --file is hashed, custos-verify shows how far it has got, as
// custos verify does: one line on standard error, redrawn in place, and
// only when standard error is a terminal (a person watches it), so that
// scripts, pipes and --json stay clean. It uses the standard library
// alone, to keep what a court must read small.

// progressThreshold is the size from which the line is shown: a smaller
// file is hashed before anyone could read it.
const progressThreshold = 8 << 20

// progressEvery is how often the line is redrawn at most.
const progressEvery = 100 * time.Millisecond

// onTerminal reports whether w is a character device, as a terminal is
// (on Windows too, where a console is one). /dev/null is one as well,
// where the line costs nothing.
func onTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// hashProgress is verifycli's Options.Progress for a file named name:
// nil (no line) unless stderr is a terminal, and then a line for files
// of progressThreshold or more.
func hashProgress(stderr io.Writer, name string, chinese bool) func(size int64) io.WriteCloser {
	if !onTerminal(stderr) {
		return nil
	}
	return func(size int64) io.WriteCloser {
		if size < progressThreshold {
			return nil
		}
		return &progressLine{w: stderr, name: name, size: size, chinese: chinese, now: time.Now}
	}
}

// progressLine counts the bytes written to it and redraws its line at
// most every progressEvery; Close clears the line, so that the report
// starts on a clean one.
type progressLine struct {
	w       io.Writer
	name    string
	size    int64
	chinese bool
	now     func() time.Time

	done  int64
	drawn time.Time
	width int // of the longest line drawn, to clear
}

func (p *progressLine) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if t := p.now(); p.drawn.IsZero() || t.Sub(p.drawn) >= progressEvery {
		p.drawn = t
		p.draw()
	}
	return len(b), nil
}

// text is the line for what is done so far.
func (p *progressLine) text() string {
	pct := 0
	if p.size > 0 {
		pct = int(min(p.done, p.size) * 100 / p.size)
	}
	if p.chinese {
		return fmt.Sprintf("正在计算 %s 的摘要：%s / %s（%d%%）", p.name, iec(p.done), iec(p.size), pct)
	}
	return fmt.Sprintf("hashing %s: %s of %s (%d%%)", p.name, iec(p.done), iec(p.size), pct)
}

func (p *progressLine) draw() {
	line := p.text()
	n := len([]rune(line))
	pad := max(p.width-n, 0)
	p.width = max(p.width, n)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
}

func (p *progressLine) Close() error {
	if !p.drawn.IsZero() {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
	}
	return nil
}

// iec is n bytes in binary units with one decimal: 512 B, 1.5 KiB,
// 8.0 GiB.
func iec(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
