package testenv

import (
	"bytes"
	"os"
	"testing"
)

// UpdateGolden reports whether golden files are to be rewritten, that is
// whether CUSTOS_UPDATE_GOLDEN=1.
func UpdateGolden() bool { return os.Getenv("CUSTOS_UPDATE_GOLDEN") == "1" }

// Golden fails t unless got is byte for byte the golden file at path; with
// CUSTOS_UPDATE_GOLDEN=1 it rewrites the file instead.
func Golden(t testing.TB, path string, got []byte) {
	t.Helper()
	if UpdateGolden() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: %d bytes differ from the golden file's %d (rewrite it with CUSTOS_UPDATE_GOLDEN=1 only for an intended change)", path, len(got), len(want))
	}
}
