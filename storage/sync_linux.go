package storage

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// fdatasync flushes a file's data and the metadata needed to read it back
// (its size), skipping the timestamps fsync would also write.
func fdatasync(f *os.File) error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err != unix.EINTR {
			return err
		}
	}
}

// syncRange starts the writeback of [off, off+n) (sync_file_range(2) with
// SYNC_FILE_RANGE_WRITE) and, with wait, waits for the writeback of that
// range to complete, starting it first where needed. It returns
// errUnsupportedSync where the file system cannot do it.
func syncRange(f *os.File, off, n int64, wait bool) error {
	flags := unix.SYNC_FILE_RANGE_WRITE
	if wait {
		flags |= unix.SYNC_FILE_RANGE_WAIT_BEFORE | unix.SYNC_FILE_RANGE_WAIT_AFTER
	}
	for {
		err := unix.SyncFileRange(int(f.Fd()), off, n, flags)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		case unix.EINVAL, unix.ESPIPE, unix.ENOSYS, unix.EOPNOTSUPP:
			return fmt.Errorf("%w: %w", errUnsupportedSync, err)
		}
		return err
	}
}

// setDirect turns O_DIRECT on or off for f (fcntl F_SETFL). File systems
// without direct I/O (tmpfs) refuse it with EINVAL.
func setDirect(f *os.File, on bool) error {
	fd := int(f.Fd())
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	if on {
		fl |= unix.O_DIRECT
	} else {
		fl &^= unix.O_DIRECT
	}
	_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl)
	return err
}
