package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"github.com/custos-project/custos/evidence"
)

func TestRangeSatisfiable(t *testing.T) {
	tests := []struct {
		h    string
		size int64
		want bool
	}{
		{"bytes=0-0", 10, true},
		{"bytes=9-", 10, true},
		{"bytes=10-", 10, false},
		{"bytes=-3", 10, true},
		{"bytes=-0", 10, false},
		{"bytes=20-30, 2-3", 10, true},
		{"bytes=20-30,40-", 10, false},
		{"bytes=5-2", 10, false},
		{"bytes=x-2", 10, false},
		{"items=0-1", 10, false},
		{"bytes=", 10, false},
		{"bytes=0-", 0, false},
	}
	for _, tt := range tests {
		if got := rangeSatisfiable(tt.h, tt.size); got != tt.want {
			t.Errorf("rangeSatisfiable(%q, %d) = %v, want %v", tt.h, tt.size, got, tt.want)
		}
	}
}

func TestVerifier(t *testing.T) {
	data := bytes.Repeat([]byte("evidence "), 1000)
	sum := sha256.Sum256(data)
	rec := &evidence.Record{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data))}
	tests := []struct {
		name    string
		stored  []byte
		wantErr bool
	}{
		{"intact", data, false},
		{"altered byte", append(append([]byte{}, data[:500]...), append([]byte{'X'}, data[501:]...)...), true},
		{"truncated", data[:len(data)-1], true},
		{"extended", append(append([]byte{}, data...), '!'), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reported bool
			v := newVerifier(bytes.NewReader(tt.stored), rec, func(string) { reported = true })
			// What http.ServeContent does: size by seeking, rewind, copy.
			size, err := v.Seek(0, io.SeekEnd)
			if err != nil {
				t.Fatal(err)
			}
			v.Seek(0, io.SeekStart)
			var out bytes.Buffer
			_, err = io.CopyN(&out, v, size)
			if tt.wantErr {
				if !errors.Is(err, errCorrupt) && !errors.Is(err, io.EOF) || !reported {
					t.Errorf("copy = %v (reported %v), want errCorrupt", err, reported)
				}
				if bytes.Equal(out.Bytes(), tt.stored) && len(tt.stored) == len(data) {
					t.Errorf("altered bytes were delivered completely")
				}
				return
			}
			if err != nil || reported || !bytes.Equal(out.Bytes(), data) {
				t.Errorf("intact copy = %v, reported %v", err, reported)
			}
		})
	}
}
