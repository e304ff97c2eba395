package main

import (
	"fmt"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// How the commands show their progress: on standard error, and only when
// it is a terminal (a person watches it), so that scripts, pipes and JSON
// stay clean.

// progressThreshold is the size from which submit shows a progress bar.
const progressThreshold = 8 << 20

// progressOn reports whether a command shows its progress on stderr: when
// stderr is a terminal, unless --quiet.
func progressOn(stderr *os.File, quiet bool) bool {
	return !quiet && term.IsTerminal(int(stderr.Fd()))
}

// bytesBar is progressbar.DefaultBytes in binary units (64 MiB, as the
// tables print sizes, where DefaultBytes says 67 MB): on standard error,
// with the bytes, the percentage and the rate.
func bytesBar(size int64, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(size,
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetWidth(10),
		progressbar.OptionThrottle(65*time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(os.Stderr) }),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionFullWidth(),
		progressbar.OptionSetRenderBlankState(true),
	)
}
