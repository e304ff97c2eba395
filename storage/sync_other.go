//go:build !linux

package storage

import "os"

func fdatasync(f *os.File) error { return f.Sync() }

func startWriteback(f *os.File, off, n int64) {}
