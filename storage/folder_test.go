package storage_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/custos-project/custos/storage"
	"github.com/custos-project/custos/storage/storagetest"
)

func newFolder(t *testing.T) *storage.Folder {
	t.Helper()
	f, err := storage.NewFolder(t.TempDir())
	if err != nil {
		t.Fatalf("NewFolder() = %v", err)
	}
	return f
}

func TestFolderConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Store { return newFolder(t) })
}

func TestFolderLayout(t *testing.T) {
	f := newFolder(t)
	data := []byte("evidence")
	key := storagetest.PutPromote(t, f, "up1", data)
	path := storage.KeyPath(f, key)
	hex := key[len("sha256/"):]
	if want := filepath.Join("sha256", hex[:2], hex[2:4], hex); !bytes.HasSuffix([]byte(path), []byte(want)) {
		t.Errorf("KeyPath(%q) = %q, want suffix %q", key, path, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o444 {
		t.Errorf("promoted file mode = %v, want 0444", got)
	}
	if _, err := os.Stat(storage.StagedPath(f, "up1")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("staged file after Promote: Stat = %v, want ErrNotExist", err)
	}
}

// A process that dies between Write and Commit, or between Commit and
// Promote, leaves its staged file; a new Folder on the same directory lists
// it for the recovery sweep.
func TestFolderCrashLeftover(t *testing.T) {
	dir := t.TempDir()
	f, err := storage.NewFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.Stage(t.Context(), "half-written")
	if err != nil {
		t.Fatal(err)
	}
	st.Write([]byte("partial")) // crash: no Commit, no Abort
	storagetest.Put(t, f, "committed", []byte("whole"), 2)

	f2, err := storage.NewFolder(dir) // after restart
	if err != nil {
		t.Fatal(err)
	}
	list, err := f2.ListStaged(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range list {
		names = append(names, i.Name)
	}
	slices.Sort(names)
	if want := []string{"committed", "half-written"}; !slices.Equal(names, want) {
		t.Errorf("ListStaged() = %q, want %q", names, want)
	}
	if err := f2.Promote(t.Context(), "committed", storagetest.Key([]byte("whole"))); err != nil {
		t.Errorf("Promote(committed) after restart = %v", err)
	}
	if err := f2.Discard(t.Context(), "half-written"); err != nil {
		t.Errorf("Discard(half-written) = %v", err)
	}
}

// Promote never replaces an existing file, even one whose bytes do not
// match its key (a corrupted or tampered store is for the verifier to
// report, not for Promote to paper over).
func TestFolderNeverReplaces(t *testing.T) {
	for _, tt := range []struct {
		name    string
		staged  []byte
		wantErr error
	}{
		{"same size, different bytes", []byte("BBBB"), nil},
		{"different size", []byte("BBBBB"), storage.ErrConflict},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFolder(t)
			existing := []byte("AAAA")
			key := storagetest.PutPromote(t, f, "a", existing)
			storagetest.Put(t, f, "b", tt.staged, 10)
			if err := f.Promote(t.Context(), "b", key); !errors.Is(err, tt.wantErr) {
				t.Fatalf("Promote(b, %s) = %v, want %v", key, err, tt.wantErr)
			}
			if got := storagetest.ReadAll(t, f, key); !bytes.Equal(got, existing) {
				t.Errorf("content of %s = %q, want %q", key, got, existing)
			}
		})
	}
}

func TestFolderStageExisting(t *testing.T) {
	f := newFolder(t)
	storagetest.Put(t, f, "dup", []byte("x"), 1)
	if _, err := f.Stage(t.Context(), "dup"); err == nil {
		t.Errorf("Stage(existing name) = nil error, want an error")
	}
}
