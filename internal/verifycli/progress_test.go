package verifycli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// progressSink records what Check reports of the file it hashes.
type progressSink struct {
	size   int64
	got    bytes.Buffer
	closed bool
	wrote  bool // a write after Close
}

func (p *progressSink) Write(b []byte) (int, error) {
	p.wrote = p.wrote || p.closed
	return p.got.Write(b)
}

func (p *progressSink) Close() error { p.closed = true; return nil }

// TestCheckProgress: Options.Progress is given the file's size and sees
// every byte hashed, and is closed before the report; a check without
// --file asks nothing of it.
func TestCheckProgress(t *testing.T) {
	file := filepath.Join("..", "..", "receipt", "testdata", "vectors", "evidence.txt")
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var sink progressSink
	var out bytes.Buffer
	progress := func(size int64) io.WriteCloser { sink.size = size; return &sink }
	err = Check(context.Background(), &out, Options{Receipt: vectorReceipt, File: file, Trust: vectorTrust, Progress: progress})
	if err != nil || !strings.Contains(out.String(), "VALID") {
		t.Fatalf("Check(--file, Progress) = %v\n%s", err, out.String())
	}
	if sink.size != int64(len(want)) || !bytes.Equal(sink.got.Bytes(), want) || !sink.closed || sink.wrote {
		t.Errorf("Progress: size %d, %d bytes, closed %v, written after Close %v; want size %d, the file's bytes, closed",
			sink.size, sink.got.Len(), sink.closed, sink.wrote, len(want))
	}
	asked := false
	progress = func(int64) io.WriteCloser { asked = true; return nil }
	if err := Check(context.Background(), &out, Options{Receipt: vectorReceipt, Trust: vectorTrust, Progress: progress}); err != nil || asked {
		t.Errorf("Check(no --file, Progress) = %v, Progress asked %v; want nil, not asked", err, asked)
	}
}
