// Package atomicfile writes files that a crash leaves whole or not at all:
// configuration, keys, the seal key, the output of consortium init.
//
// A file is written to a temporary file in its own folder, fsynced, renamed
// over its name, and then the folder is fsynced, so that the rename itself
// is on disk before WriteFile returns (rename(2) alone is atomic, not
// durable: after a power loss the folder may still name the old file, or
// none). See Rename and SyncDir for the steps on their own. A crash can
// leave a temporary file (.NAME.tmp-*) beside the file, never in its place.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile writes data to path, with mode perm exactly (the umask does
// not apply: the mode is set with chmod before any byte is written, so a
// key is never readable by others, not even for a moment). After a crash,
// path holds its old content or data, whole. The folder must exist.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // fails once renamed
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// writeTemp writes data to a new temporary file beside path, mode perm,
// fsynced and closed, and returns its name.
func writeTemp(path string, data []byte, perm fs.FileMode) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", err
	}
	err = f.Chmod(perm) // CreateTemp made it 0600: never more open than perm
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// Rename renames oldpath to newpath, replacing newpath, and fsyncs the
// folder of newpath (and that of oldpath, if it is another), so that the
// rename survives a crash. The file's own bytes must already be durable.
func Rename(oldpath, newpath string) error {
	if err := os.Rename(oldpath, newpath); err != nil {
		return err
	}
	return syncMoved(oldpath, newpath)
}

// syncMoved fsyncs the folder of newpath, and that of oldpath if it is
// another: what a file moved from oldpath to newpath changed.
func syncMoved(oldpath, newpath string) error {
	from, to := filepath.Dir(oldpath), filepath.Dir(newpath)
	if from != to {
		if err := syncDir(from); err != nil {
			return err
		}
	}
	return syncDir(to)
}

// RenameNew is Rename for a newpath that must not exist yet: it fails
// with an error satisfying errors.Is(err, fs.ErrExist) if newpath exists
// (even one made after the caller looked), and never replaces it. oldpath
// is linked to newpath (link(2) never replaces a name), then removed, and
// the folders are fsynced.
//
// On a file system without hard links (FAT, exFAT, many network and FUSE
// mounts), where link(2) fails otherwise, the name is claimed by creating
// it with O_EXCL, then oldpath is renamed over the empty file it made: a
// crash between the two leaves that empty file under newpath.
func RenameNew(oldpath, newpath string) error {
	err := link(oldpath, newpath)
	switch {
	case errors.Is(err, fs.ErrExist):
		return err
	case err != nil:
		f, err := os.OpenFile(newpath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		f.Close()
		if err := os.Rename(oldpath, newpath); err != nil {
			os.Remove(newpath)
			return err
		}
	default:
		// Linked: newpath holds the file whatever comes next, so a part
		// name left behind is litter, not a failure.
		_ = os.Remove(oldpath)
	}
	return syncMoved(oldpath, newpath)
}

// link is os.Link; a variable so that the tests make it fail as a file
// system without hard links does.
var link = os.Link

// SyncDir fsyncs the folder dir, making the entries created, renamed or
// removed in it durable.
func SyncDir(dir string) error { return syncDir(dir) }

// syncDir is SyncDir; a variable so that the tests see every call.
var syncDir = func(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// WriteNew is WriteFile for a file that must not exist yet: it fails
// with an error satisfying errors.Is(err, fs.ErrExist) if path exists, and
// never replaces it. The temporary file is linked to path (link(2) never
// replaces a name), so path appears whole or not at all, as with
// os.O_EXCL but without the torn file a crash mid-write leaves.
func WriteNew(path string, data []byte, perm fs.FileMode) error {
	tmp, err := writeTemp(path, data, perm)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// SetSyncDir replaces, for a test of another package, the function that
// fsyncs a folder (SyncDir and every write here), and returns what puts it
// back. Not for production code.
func SetSyncDir(f func(dir string) error) (restore func()) {
	orig := syncDir
	syncDir = f
	return func() { syncDir = orig }
}
