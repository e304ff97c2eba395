package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custos-project/custos/api/wire"
)

// TestContentReadsRecordWhatHappened: HEAD is a view, an unsatisfiable
// range is a problem and records nothing, and bytes altered at rest are
// never delivered as a complete download.
func TestContentReadsRecordWhatHappened(t *testing.T) {
	n := startNode(t, t.TempDir(), "")
	data := randomBytes(t, 3<<20+11) // several pipeline buffers
	v := n.upload(n.Token, data)
	path := "/api/v1/evidence/" + v.ID

	if status, h, _ := n.call("HEAD", path+"/content", n.Token, nil); status != 200 || h.Get("Content-Length") != "3145739" {
		t.Errorf("HEAD content = %d, Content-Length %q", status, h.Get("Content-Length"))
	}
	status, h, b := n.call("GET", path+"/content", n.Token, nil, "Range", "bytes=99999999-")
	if status != http.StatusRequestedRangeNotSatisfiable || h.Get("Content-Type") != "application/problem+json" || h.Get("Content-Range") != "bytes */3145739" {
		t.Errorf("unsatisfiable range = %d %q %q %s", status, h.Get("Content-Type"), h.Get("Content-Range"), b)
	}
	if status, _, _ := n.call("GET", path+"/content", n.Token, nil, "If-None-Match", `"sha256:`+v.SHA256+`"`); status != 200 {
		t.Errorf("conditional GET = %d, want 200 (conditional requests are not honoured)", status)
	}
	_, _, b = n.call("GET", path+"/custody", n.Token, nil)
	var c wire.CustodyView
	mustJSON(t, b, &c)
	var types []string
	for _, e := range c.Events {
		types = append(types, e.Type+":"+e.Subject)
	}
	if got, want := strings.Join(types, ","), "created:,viewed:content,downloaded:,viewed:custody"; got != want {
		t.Errorf("custody = %s, want %s", got, want)
	}

	// Alter one byte of the stored blob, keeping its size.
	alterBlob(t, filepath.Join(n.dir, "blobs"), v.SHA256, 1<<20)

	req, _ := http.NewRequest("GET", n.URL+path+"/content", nil)
	req.Header.Set("Authorization", "Bearer "+n.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr == nil && int64(len(got)) == v.Size {
		t.Fatalf("altered evidence was delivered completely (status %d)", resp.StatusCode)
	}
	if bytes.Equal(got, data) {
		t.Fatalf("the download matches the original bytes although the blob was altered")
	}
	n.Stop()
	logs, _ := os.ReadFile(n.logPath)
	if !strings.Contains(string(logs), "do not match their recorded digest") {
		t.Errorf("the server did not log the digest mismatch:\n%s", tailString(string(logs), 2000))
	}
	out, err := runCustos(t, "fsck", "--deep", "--data", n.dir)
	if err == nil || !strings.Contains(out, v.ID) {
		t.Errorf("fsck --deep on an altered blob: %v\n%s", err, out)
	}
}
