package storage

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestOpenDBSyncsNewFile: OpenDB fsyncs the folder of a file it creates
// (bbolt fsyncs the file, never its folder), and not on a later open.
// Before, a new custos.db, anchor.db or app.db had its name made durable
// only by some later fsync of the same folder.
func TestOpenDBSyncsNewFile(t *testing.T) {
	var synced []string
	orig := syncDir
	syncDir = func(dir string) error { synced = append(synced, dir); return orig(dir) }
	t.Cleanup(func() { syncDir = orig })
	dir := t.TempDir()
	path := filepath.Join(dir, "custos.db")
	db, err := OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if !slices.Equal(synced, []string{dir}) {
		t.Errorf("OpenDB(new file) fsynced %q, want [%q]", synced, dir)
	}
	synced = nil
	db, err = OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if len(synced) != 0 {
		t.Errorf("OpenDB(existing file) fsynced %q, want nothing", synced)
	}
}
