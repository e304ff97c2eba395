//go:build !linux

package storage

import (
	"errors"
	"os"
)

func fdatasync(f *os.File) error { return f.Sync() }

func syncRange(f *os.File, off, n int64, wait bool) error { return errUnsupportedSync }

func setDirect(f *os.File, on bool) error { return errors.ErrUnsupported }
