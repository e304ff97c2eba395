package atomicfile

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// recordSyncs records the folders syncDir is asked to fsync.
func recordSyncs(t *testing.T) *[]string {
	t.Helper()
	var dirs []string
	orig := syncDir
	syncDir = func(dir string) error {
		dirs = append(dirs, dir)
		return orig(dir)
	}
	t.Cleanup(func() { syncDir = orig })
	return &dirs
}

func TestWriteFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		old  []byte // nil: no file before
		perm fs.FileMode
	}{
		{"new key", nil, 0o600},
		{"replace", []byte("old content, longer than the new"), 0o644},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dirs := recordSyncs(t)
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			if tc.old != nil {
				if err := os.WriteFile(path, tc.old, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			want := []byte("new\n")
			if err := WriteFile(path, want, tc.perm); err != nil {
				t.Fatalf("WriteFile = %v", err)
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("ReadFile = %q, %v, want %q", got, err, want)
			}
			fi, _ := os.Stat(path)
			if fi.Mode().Perm() != tc.perm {
				t.Errorf("mode = %v, want %v", fi.Mode().Perm(), tc.perm)
			}
			if len(*dirs) != 1 || (*dirs)[0] != dir {
				t.Errorf("folders fsynced = %q, want [%q]", *dirs, dir)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("folder holds %d entries, want 1 (no temporary file left)", len(entries))
			}
		})
	}
}

// TestWriteFileFails checks that a failed write returns its error and
// leaves no temporary file.
func TestWriteFileFails(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	orig := syncDir
	boom := errors.New("fsync failed")
	syncDir = func(string) error { return boom }
	t.Cleanup(func() { syncDir = orig })
	if err := WriteFile(path, []byte("new"), 0o600); !errors.Is(err, boom) {
		t.Errorf("WriteFile with a failing folder fsync = %v, want %v", err, boom)
	}
	if err := WriteFile(filepath.Join(dir, "missing", "f"), []byte("new"), 0o600); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteFile in a missing folder = %v, want ErrNotExist", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want 1", len(entries))
	}
}

func TestRename(t *testing.T) {
	dirs := recordSyncs(t)
	a, b := t.TempDir(), t.TempDir()
	from, to := filepath.Join(a, "x"), filepath.Join(b, "y")
	if err := os.WriteFile(from, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Rename(from, to); err != nil {
		t.Fatalf("Rename = %v", err)
	}
	if len(*dirs) != 2 || (*dirs)[0] != a || (*dirs)[1] != b {
		t.Errorf("folders fsynced = %q, want [%q %q]", *dirs, a, b)
	}
	if _, err := os.Stat(to); err != nil {
		t.Errorf("Stat(%s) = %v", to, err)
	}
}

func TestWriteNew(t *testing.T) {
	dirs := recordSyncs(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "key")
	if err := WriteNew(path, []byte("first"), 0o600); err != nil {
		t.Fatalf("WriteNew = %v", err)
	}
	if err := WriteNew(path, []byte("second"), 0o600); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteNew over an existing file = %v, want ErrExist", err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "first" {
		t.Errorf("file = %q, want %q (the first write kept)", got, "first")
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", fi.Mode().Perm())
	}
	if len(*dirs) != 1 || (*dirs)[0] != dir {
		t.Errorf("folders fsynced = %q, want [%q]", *dirs, dir)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want 1 (no temporary file left)", len(entries))
	}
}

// TestRenameNew: the file takes the new name, which must be free, and its
// folder is fsynced; over an existing file it fails with ErrExist and both
// files stay as they were.
func TestRenameNew(t *testing.T) {
	dirs := recordSyncs(t)
	dir := t.TempDir()
	part, path := filepath.Join(dir, "a.part"), filepath.Join(dir, "a.txt")
	if err := os.WriteFile(part, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := RenameNew(part, path); err != nil {
		t.Fatalf("RenameNew = %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new" {
		t.Errorf("%s = %q, want %q", path, got, "new")
	}
	if _, err := os.Stat(part); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the old name is left: %v", err)
	}
	if len(*dirs) != 1 || (*dirs)[0] != dir {
		t.Errorf("folders fsynced = %q, want [%q]", *dirs, dir)
	}
	if err := os.WriteFile(part, []byte("other"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := RenameNew(part, path); !errors.Is(err, fs.ErrExist) {
		t.Errorf("RenameNew over an existing file = %v, want ErrExist", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new" {
		t.Errorf("%s = %q after a refused RenameNew, want %q kept", path, got, "new")
	}
	if got, _ := os.ReadFile(part); string(got) != "other" {
		t.Errorf("%s = %q after a refused RenameNew, want it kept", part, got)
	}
}

// TestRenameNewWithoutLinks: where link(2) fails (a FAT or network file
// system), RenameNew claims the name and renames over it: the file takes
// the free name, and an existing file is still never replaced.
func TestRenameNewWithoutLinks(t *testing.T) {
	orig := link
	link = func(string, string) error { return &os.LinkError{Op: "link", Err: syscall.EPERM} }
	defer func() { link = orig }()
	dir := t.TempDir()
	part, path := filepath.Join(dir, "a.part"), filepath.Join(dir, "a.txt")
	if err := os.WriteFile(part, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := RenameNew(part, path); err != nil {
		t.Fatalf("RenameNew without links = %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new" {
		t.Errorf("%s = %q, want %q", path, got, "new")
	}
	if _, err := os.Stat(part); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the old name is left: %v", err)
	}
	if err := os.WriteFile(part, []byte("other"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := RenameNew(part, path); !errors.Is(err, fs.ErrExist) {
		t.Errorf("RenameNew without links over an existing file = %v, want ErrExist", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new" {
		t.Errorf("%s = %q after a refused RenameNew, want %q kept", path, got, "new")
	}
}
