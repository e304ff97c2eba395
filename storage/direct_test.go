package storage

import (
	"bytes"
	"os"
	"testing"
	"unsafe"
)

// Aligned chunks go through O_DIRECT and the rest through the page cache,
// on a file system with direct I/O (t.TempDir) and on one that refuses it
// (tmpfs, when /dev/shm is one); the bytes read back the same either way.
func TestFolderDirectWrites(t *testing.T) {
	dirs := map[string]string{"tempdir": t.TempDir()}
	if shm, err := os.MkdirTemp("/dev/shm", "custos-direct"); err == nil {
		t.Cleanup(func() { os.RemoveAll(shm) })
		dirs["shm"] = shm
	}
	raw := make([]byte, 3<<20+directAlign)
	off := (directAlign - int(uintptr(unsafe.Pointer(&raw[0])))%directAlign) % directAlign
	chunk := raw[off : off+1<<20]
	for name, dir := range dirs {
		t.Run(name, func(t *testing.T) {
			f, err := NewFolder(dir)
			if err != nil {
				t.Fatal(err)
			}
			f.direct = true // off by default (see defaultWriteback)
			st, err := f.Stage(t.Context(), "direct")
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			for i, p := range [][]byte{chunk, chunk[:100], chunk, chunk[1:], chunk} { // aligned, tail, misaligned offset...
				for j := range p {
					p[j] = byte(i + j)
				}
				if _, err := st.Write(p); err != nil {
					t.Fatalf("Write(%d bytes) = %v", len(p), err)
				}
				want.Write(p)
			}
			if err := st.Commit(); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(f.stagedPath("direct"))
			if err != nil || !bytes.Equal(got, want.Bytes()) {
				t.Errorf("staged file = %d bytes, %v; want the %d written", len(got), err, want.Len())
			}
		})
	}
}
