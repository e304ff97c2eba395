package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// Upload.SHA256 is the digest the record then states, and asking for it
// does not disturb the digests Finish computes.
func TestUploadSHA256(t *testing.T) {
	s := newTestService(t, newMemBlobs())
	ctx := context.Background()
	u, err := s.NewUpload(ctx, "tester")
	if err != nil {
		t.Fatal(err)
	}
	defer u.Abort()
	if _, err := u.SHA256(); !errors.Is(err, ErrUploadState) {
		t.Errorf("SHA256() before ReadFrom = %v, want ErrUploadState", err)
	}
	data := strings.Repeat("exhibit bytes ", 1000)
	if _, err := u.ReadFrom(strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte(data))
	for range 2 {
		if got, err := u.SHA256(); err != nil || got != want {
			t.Errorf("SHA256() = %x, %v; want %x", got, err, want)
		}
	}
	rec, err := u.Finish(ctx, Meta{Title: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.SHA256 != hex.EncodeToString(want[:]) {
		t.Errorf("record SHA256 = %s, want %x", rec.SHA256, want)
	}
}
