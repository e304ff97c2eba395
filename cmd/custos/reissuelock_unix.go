//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockReissue takes an exclusive lock (flock(2)) on the PKI folder itself,
// no file written for it, which the kernel lets go when the process ends
// however it ends; a second reissue of the node fails at once
// (fail.reissue-twice). custos serve does not take it: the chain state's
// lock keeps it out.
func lockReissue(pki string) (unlock func(), err error) {
	dir, err := os.Open(pki)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(dir.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		dir.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, failure(1, "fail.reissue-twice", "path", pki)
		}
		return nil, fmt.Errorf("lock %s: %w", pki, err)
	}
	return func() { dir.Close() }, nil
}
