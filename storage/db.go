package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"

	"github.com/custos-project/custos/internal/atomicfile"
)

// OpenDB opens (creating if needed) the bbolt database at path with the
// options this service relies on:
//
//   - mode 0600: the file holds evidence metadata, readable by the service
//     user only;
//   - Timeout 1s: bbolt takes an exclusive flock; without a timeout a second
//     process (a second "custos serve" on the same data directory) would
//     block forever. It fails fast with an error that names the file instead;
//   - NoFreelistSync with the map freelist: the freelist is not written on
//     every commit (fewer pages to fsync per commit) but rebuilt by scanning
//     at open, and the hashmap freelist keeps allocation O(1) on a large,
//     fragmented file. Both are what etcd runs with;
//   - MaxBatchDelay 2ms and MaxBatchSize 1000, for any caller of DB.Batch.
//     The evidence service does not use DB.Batch: Batch closes a batch after
//     MaxBatchDelay rather than when the previous commit ends, which under
//     load made many small batches queue on the writer lock. It groups its
//     writes with its own committer instead (evidence/commit.go), whose
//     batches grow with the commit time.
//
// A file it creates has its folder fsynced before OpenDB returns, so that a
// crash cannot lose the file's name after a commit to it was acknowledged.
func OpenDB(path string) (*bbolt.DB, error) {
	_, statErr := os.Stat(path)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:        time.Second,
		NoFreelistSync: true,
		FreelistType:   bbolt.FreelistMapType,
	})
	if errors.Is(err, bbolt.ErrTimeout) {
		return nil, fmt.Errorf("storage: %s is locked by another process (is another custos running on this data directory?): %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", path, err)
	}
	db.MaxBatchDelay = 2 * time.Millisecond
	db.MaxBatchSize = 1000
	if errors.Is(statErr, os.ErrNotExist) {
		// A new file: its name in the folder must be as durable as the
		// commits it will hold (bbolt fsyncs the file, not the folder).
		if err := syncDir(filepath.Dir(path)); err != nil {
			db.Close()
			return nil, fmt.Errorf("storage: open %s: %w", path, err)
		}
	}
	return db, nil
}

// Compact rewrites the bbolt database at path with only its live data. A
// page that bbolt frees keeps its old bytes in the file until it is
// reused; after removing something that must leave no trace in the file
// (see access.Upgrade), Compact drops them. The database must not be open.
// It writes path+".compact", syncs it, renames it over path and syncs the
// folder, so a crash leaves either file whole. It needs free disk space
// about the size of the live data.
func Compact(path string) error {
	tmp := path + ".compact"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	src, err := OpenDB(path)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := OpenDB(tmp)
	if err != nil {
		return err
	}
	if err := bbolt.Compact(dst, src, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("storage: compact %s: %w", path, err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	if err := src.Close(); err != nil {
		return err
	}
	return atomicfile.Rename(tmp, path)
}
