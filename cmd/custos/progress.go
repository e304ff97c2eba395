package main

import (
	"fmt"
	"io"
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
	return progressbar.NewOptions64(size, append(bytesBarOptions(desc),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(os.Stderr) }))...)
}

// passingBar is bytesBar for a step on the way to a report (verify
// --file's hashing): it leaves no line once finished.
func passingBar(size int64, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(size, append(bytesBarOptions(desc), progressbar.OptionClearOnFinish())...)
}

func bytesBarOptions(desc string) []progressbar.Option {
	return []progressbar.Option{
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWriter(os.Stderr),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionUseIECUnits(true),
		progressbar.OptionSetWidth(10),
		progressbar.OptionThrottle(65 * time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionFullWidth(),
		progressbar.OptionSetRenderBlankState(true),
	}
}

// waiting shows on standard error, if on (progressOn), what a command
// waits on its server for (desc), with a spinner and the time since it
// began ("⠹ waiting up to 20s for … to be anchored [3s]"), until stop,
// which clears the line; if not on, nothing.
func waiting(on bool, desc string) (stop func()) {
	if !on {
		return func() {}
	}
	return waitingTo(os.Stderr, desc)
}

// waitingTo is waiting on w.
func waitingTo(w io.Writer, desc string) (stop func()) {
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSetWriter(w),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionFullWidth(),
		progressbar.OptionSetRenderBlankState(true),
	)
	return func() { bar.Finish() }
}

// waitingOn is waiting for a command's wait on its server: shown when
// wait > 0 and progressOn.
func waitingOn(wait time.Duration, desc string) (stop func()) {
	return waiting(wait > 0 && progressOn(os.Stderr, false), desc)
}

// hashProgress is verify --file's bar while it hashes a file of
// progressThreshold or more, on a terminal (verifycli.Options.Progress).
func hashProgress(file string) func(size int64) io.WriteCloser {
	if !progressOn(os.Stderr, false) {
		return nil
	}
	return func(size int64) io.WriteCloser {
		if size < progressThreshold {
			return nil
		}
		return passingBar(size, tr("progress.hash", "file", file))
	}
}
