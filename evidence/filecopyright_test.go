package evidence

import (
	"context"
	"crypto"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/custos-project/custos/notary"
)

// failingNth is a TSA that fails its n-th stamp (from 1) and answers the
// others as fakeTSA does.
type failingNth struct {
	n     int64
	calls atomic.Int64
}

func (f *failingNth) Stamp(ctx context.Context, h crypto.Hash, d []byte) (*notary.Token, error) {
	if f.calls.Add(1) == f.n {
		return nil, notary.ErrUnavailable
	}
	return fakeTSA{}.Stamp(ctx, h, d)
}

// readUploads starts one upload by owner per body, its bytes read.
func readUploads(t *testing.T, s *Service, owner string, bodies ...string) ([]*Upload, []RegisterFile) {
	t.Helper()
	var ups []*Upload
	var files []RegisterFile
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
		files = append(files, RegisterFile{Upload: u, Meta: Meta{Title: "work"}})
	}
	return ups, files
}

// TestFileCopyrightAtomic: the files of a registration are filed in the
// registration's own transaction, so a failure after some files are ready
// (a TSA outage on the second file, or a registration refused in the
// transaction) leaves no file filed outside a registration, and the
// aborted uploads leave no staged bytes.
func TestFileCopyrightAtomic(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		tsa  Stamper
		org  string // the registering organization; the files are orgA's
		want error
	}{
		{"TSA fails on the second file", &failingNth{n: 2}, orgA, ErrUnavailable},
		{"registration refused in the transaction", fakeTSA{}, orgB, ErrBadRegistration},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blobs := newMemBlobs()
			s := newTestService(t, blobs)
			s.cfg.TSA = tc.tsa
			ups, files := readUploads(t, s, orgA+":key", "first file", "second file")
			if _, err := s.FileCopyright(ctx, tc.org, orgA+":key", testWork(), files); !errors.Is(err, tc.want) {
				t.Fatalf("FileCopyright = %v, want %v", err, tc.want)
			}
			for _, u := range ups {
				if _, err := s.Get(ctx, u.id); !errors.Is(err, ErrNotFound) {
					t.Errorf("Get(%s) after a failed registration = %v, want ErrNotFound", u.id, err)
				}
				u.Abort()
			}
			rep, err := s.Audit(ctx, AuditOptions{})
			if err != nil || rep.Records != 0 || rep.Copyrights != 0 {
				t.Errorf("Audit after a failed registration = %+v, %v; want no record and no registration", rep, err)
			}
			if len(blobs.staged) != 0 || len(blobs.blobs) != 0 {
				t.Errorf("a failed registration left %d staged and %d blobs", len(blobs.staged), len(blobs.blobs))
			}
		})
	}
}

// TestFileCopyright files two uploads with their registration: each is an
// evidence item of the registrant with created and registered events, and
// its blob is promoted.
func TestFileCopyright(t *testing.T) {
	ctx := context.Background()
	blobs := newMemBlobs()
	s := newTestService(t, blobs)
	_, files := readUploads(t, s, orgA+":key", "first file", "second file")
	c, err := s.FileCopyright(ctx, orgA, orgA+":key", testWork(), files)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Items) != 2 || c.Number == "" {
		t.Fatalf("FileCopyright = %+v", c)
	}
	for _, id := range c.Items {
		_, types := custodyTypes(t, s, id)
		if got := strings.Join(types, " "); got != "created "+EventCopyrightRegistered {
			t.Errorf("custody of %s = %s, want created then %s", id, got, EventCopyrightRegistered)
		}
	}
	waitPromoted(t, s)
	if len(blobs.blobs) != 2 || len(blobs.staged) != 0 {
		t.Errorf("after FileCopyright: %d blobs, %d staged; want 2, 0", len(blobs.blobs), len(blobs.staged))
	}
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
	// As FileCopyright does before its transaction: staged and committed.
	ups, _ := readUploads(t, s, orgA+":key", "crashed registration file")
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
