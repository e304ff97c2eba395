package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// failingReader gives its text, then err.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// A command's -o file is replaced whole or not at all: a transfer that
// fails midway leaves the file that was there, and no part file.
func TestWriteFileFromKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "certificate.pdf")
	if err := os.WriteFile(name, []byte("the certificate saved yesterday"), 0o644); err != nil {
		t.Fatal(err)
	}
	cut := errors.New("connection reset")
	if _, err := writeFileFrom(name, &failingReader{strings.NewReader("%PDF-1.7 half of it"), cut}); !errors.Is(err, cut) {
		t.Fatalf("writeFileFrom = %v, want %v", err, cut)
	}
	if b, err := os.ReadFile(name); err != nil || string(b) != "the certificate saved yesterday" {
		t.Errorf("after a failed transfer the file holds %q, %v; want what it held before", b, err)
	}
	if n, err := writeFileFrom(name, strings.NewReader("%PDF-1.7 whole")); err != nil || n != 14 {
		t.Fatalf("writeFileFrom = %d, %v", n, err)
	}
	if b, _ := os.ReadFile(name); string(b) != "%PDF-1.7 whole" {
		t.Errorf("the file holds %q after a good transfer", b)
	}
	if err := saveOutput(filepath.Join(dir, "reply.tsr"), "", []byte("reply")); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "certificate.pdf reply.tsr" {
		t.Errorf("folder holds %v, want the two files and no part file", names)
	}
}
