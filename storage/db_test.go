package storage_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/custos-project/custos/storage"
)

func TestOpenDB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "custos.db")
	db, err := storage.OpenDB(path)
	if err != nil {
		t.Fatalf("OpenDB() = %v", err)
	}
	defer db.Close()
	if db.MaxBatchSize != 1000 || db.MaxBatchDelay != 2*time.Millisecond {
		t.Errorf("batch = %d, %v, want 1000, 2ms", db.MaxBatchSize, db.MaxBatchDelay)
	}
	if !db.NoFreelistSync || db.FreelistType != bbolt.FreelistMapType {
		t.Errorf("freelist: NoFreelistSync = %v, FreelistType = %q", db.NoFreelistSync, db.FreelistType)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("os.Stat(%s) = %v, %v, want mode 0600", path, fi, err)
	}

	// A second open of the same file (another process, in production)
	// fails fast with a clear message instead of hanging.
	start := time.Now()
	_, err = storage.OpenDB(path)
	if err == nil || !strings.Contains(err.Error(), "locked by another process") {
		t.Errorf("second OpenDB() = %v, want a lock error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second OpenDB() took %v", d)
	}
}
