package evidence

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// readUploads starts one upload by owner per body, its bytes read.
func readUploads(t *testing.T, s *Service, owner string, bodies ...string) []*Upload {
	t.Helper()
	var ups []*Upload
	for _, b := range bodies {
		u, err := s.NewUpload(context.Background(), owner)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(u.Abort)
		if _, err := u.ReadFrom(strings.NewReader(b)); err != nil {
			t.Fatal(err)
		}
		ups = append(ups, u)
	}
	return ups
}

// TestUnfinished: the staged bytes of an upload never committed (a crash
// before the registration's transaction) are listed and discarded; a
// staged blob whose record awaits promotion is neither.
func TestUnfinished(t *testing.T) {
	ctx := context.Background()
	blobs := newMemBlobs()
	blobs.failPromote = errors.New("crash before promotion")
	s := newTestService(t, blobs)
	rec, err := ingest(t, s, "committed, not promoted")
	if err != nil {
		t.Fatal(err)
	}
	// As copyright.Register.FileCopyright does before its transaction: staged and committed.
	ups := readUploads(t, s, orgA+":key", "crashed registration file")
	if err := ups[0].staged.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := s.Unfinished(ctx)
	if err != nil || len(got) != 1 || got[0] != ups[0].id {
		t.Fatalf("Unfinished = %v, %v; want [%s]", got, err, ups[0].id)
	}
	if got, err := s.DiscardUnfinished(ctx); err != nil || len(got) != 1 {
		t.Fatalf("DiscardUnfinished = %v, %v", got, err)
	}
	if _, ok := blobs.staged[rec.ID]; !ok || len(blobs.staged) != 1 {
		t.Errorf("staged after DiscardUnfinished: %v; want only the pending %s", blobs.staged, rec.ID)
	}
	if got, _ := s.Unfinished(ctx); len(got) != 0 {
		t.Errorf("Unfinished after discarding = %v", got)
	}
}
