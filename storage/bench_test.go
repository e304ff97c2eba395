package storage

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// benchSize is the blob size of the stage benchmarks: 256 MiB, or
// CUSTOS_BENCH_SIZE bytes (e.g. 1073741824 for the 1 GiB goal).
func benchSize(b *testing.B) int64 {
	if s := os.Getenv("CUSTOS_BENCH_SIZE"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return 256 << 20
}

// BenchmarkFolderStage streams benchSize bytes into a staged blob and
// commits it (fdatasync included), in writes of 32 KiB (io.Copy's buffer)
// and 1 MiB. "dd" is the baseline: plain writes then one fsync, as
// `dd bs=1M conv=fsync` does. The others are the Folder with its tuning
// switched on and off.
func BenchmarkFolderStage(b *testing.B) {
	size := benchSize(b)
	for _, chunk := range []int{32 << 10, 1 << 20} {
		buf := make([]byte, chunk)
		for i := range buf {
			buf[i] = byte(i * 7)
		}
		b.Run(fmt.Sprintf("write=%dKiB/dd", chunk>>10), func(b *testing.B) {
			dir := b.TempDir()
			b.SetBytes(size)
			for i := 0; i < b.N; i++ {
				path := filepath.Join(dir, "dd")
				f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
				if err != nil {
					b.Fatal(err)
				}
				for n := int64(0); n < size; n += int64(len(buf)) {
					if _, err := f.Write(buf); err != nil {
						b.Fatal(err)
					}
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				f.Close()
				b.StopTimer()
				os.Remove(path)
				b.StartTimer()
			}
		})
		for _, tune := range []struct {
			name      string
			bufSize   int
			writeback int64
			direct    bool
		}{
			{"folder-default", defaultBufSize, defaultWriteback, false},
			{"folder-nowriteback", defaultBufSize, 0, false},
			{"folder-nobuffer", 0, defaultWriteback, false},
			{"folder-plain", 0, 0, false},
			{"folder-buffer1MiB", 1 << 20, defaultWriteback, false},
			{"folder-writeback32MiB", defaultBufSize, 32 << 20, false},
			{"folder-direct", defaultBufSize, defaultWriteback, true},
		} {
			b.Run(fmt.Sprintf("write=%dKiB/%s", chunk>>10, tune.name), func(b *testing.B) {
				f, err := NewFolder(b.TempDir())
				if err != nil {
					b.Fatal(err)
				}
				f.bufSize, f.writeback, f.direct = tune.bufSize, tune.writeback, tune.direct
				b.SetBytes(size)
				for i := 0; i < b.N; i++ {
					st, err := f.Stage(b.Context(), "bench")
					if err != nil {
						b.Fatal(err)
					}
					for n := int64(0); n < size; n += int64(len(buf)) {
						if _, err := st.Write(buf); err != nil {
							b.Fatal(err)
						}
					}
					if err := st.Commit(); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					st.Abort()
					b.StartTimer()
				}
			})
		}
	}
}
