//go:build windows

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// reissueLockFile is the file in the PKI folder whose lock (LockFileEx)
// one reissue holds; Windows locks files, not folders. It stays empty and
// may stay behind: only the lock counts, which the system lets go when
// the process ends however it ends.
const reissueLockFile = "reissue.lock"

// lockReissue takes an exclusive lock on PKI/reissue.lock; a second
// reissue of the node fails at once (fail.reissue-twice).
func lockReissue(pki string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(pki, reissueLockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	flags := uint32(windows.LOCKFILE_EXCLUSIVE_LOCK | windows.LOCKFILE_FAIL_IMMEDIATELY)
	if err := windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, &windows.Overlapped{}); err != nil {
		f.Close()
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			return nil, failure(1, "fail.reissue-twice", "path", pki)
		}
		return nil, fmt.Errorf("lock %s: %w", pki, err)
	}
	return func() { f.Close() }, nil
}
