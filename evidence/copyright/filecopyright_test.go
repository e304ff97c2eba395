package copyright

import (
	"context"
	"crypto"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/evidence/integrity"
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/storage"
)

// failingNth is a TSA that fails its n-th stamp (from 1) and answers the
// others as evidencetest.TSA does.
type failingNth struct {
	n     int64
	calls atomic.Int64
}

func (f *failingNth) Stamp(ctx context.Context, h crypto.Hash, d []byte) (*notary.Token, error) {
	if f.calls.Add(1) == f.n {
		return nil, notary.ErrUnavailable
	}
	return evidencetest.TSA{}.Stamp(ctx, h, d)
}

// readUploads starts one upload by owner per body, its bytes read.
func readUploads(t *testing.T, s *world, owner string, bodies ...string) ([]*evidence.Upload, []RegisterFile) {
	t.Helper()
	var ups []*evidence.Upload
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
		files = append(files, RegisterFile{Upload: u, Meta: evidence.Meta{Title: "work"}})
	}
	return ups, files
}

// TestFileCopyrightAtomic: the files of a registration are filed in the
// registration's own transaction, so a failure after some files are ready
// (a TSA outage on the second file, or a registration refused in the
// transaction, or a failure of what the caller runs in it) leaves no file
// filed outside a registration, and the aborted uploads leave no staged
// bytes.
func TestFileCopyrightAtomic(t *testing.T) {
	ctx := context.Background()
	errWithin := errors.New("the caller's write failed")
	for _, tc := range []struct {
		name   string
		tsa    evidence.Stamper
		org    string // the registering organization; the files are orgA's
		within func(*bolt.Tx, *Copyright) error
		want   error
	}{
		{"TSA fails on the second file", &failingNth{n: 2}, orgA, nil, evidence.ErrUnavailable},
		{"registration refused in the transaction", evidencetest.TSA{}, orgB, nil, ErrBadRegistration},
		{"within fails", evidencetest.TSA{}, orgA, func(_ *bolt.Tx, c *Copyright) error {
			if len(c.Items) != 2 || c.Number == "" {
				t.Errorf("within sees %+v, want the registration as committed", c)
			}
			return errWithin
		}, errWithin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blobs := newFolder(t)
			s := newWorld(t, evidence.Config{Blobs: blobs, TSA: tc.tsa, InlineMax: -1})
			ups, files := readUploads(t, s, orgA+":key", "first file", "second file")
			ids, _ := count(t, blobs) // an upload is staged under its ID
			if len(ids) != 2 {
				t.Fatalf("staged before FileCopyright: %v, want the 2 uploads", ids)
			}
			if _, err := s.FileCopyrightWithin(ctx, tc.org, orgA+":key", testWork(), files, tc.within); !errors.Is(err, tc.want) {
				t.Fatalf("FileCopyrightWithin = %v, want %v", err, tc.want)
			}
			for _, id := range ids {
				if _, err := s.Get(ctx, id); !errors.Is(err, evidence.ErrNotFound) {
					t.Errorf("Get(%s) after a failed registration = %v, want ErrNotFound", id, err)
				}
			}
			for _, u := range ups {
				u.Abort()
			}
			rep, err := s.audit(ctx, integrity.Options{})
			if err != nil || rep.Records != 0 || rep.Copyrights != 0 {
				t.Errorf("Audit after a failed registration = %+v, %v; want no record and no registration", rep, err)
			}
			if staged, keys := count(t, blobs); len(staged) != 0 || keys != 0 {
				t.Errorf("a failed registration left %d staged and %d blobs", len(staged), keys)
			}
		})
	}
}

// TestFileCopyright files two uploads with their registration: each is an
// evidence item of the registrant with created and registered events, and
// its blob is promoted.
func TestFileCopyright(t *testing.T) {
	ctx := context.Background()
	blobs := newFolder(t)
	s := newWorld(t, evidence.Config{Blobs: blobs, InlineMax: -1})
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
	// Promotion runs behind the commit; a generous bound, as a busy
	// machine (the race detector, other tests) slows it.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		staged, keys := count(t, blobs)
		if keys == 2 && len(staged) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after FileCopyright: %d blobs, %d staged; want 2, 0", keys, len(staged))
		}
	}
}

func newFolder(t *testing.T) *storage.Folder {
	t.Helper()
	f, err := storage.NewFolder(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// count returns the names of the staged blobs of f and the number of its
// blobs.
func count(t *testing.T, f *storage.Folder) (staged []string, keys int) {
	t.Helper()
	ctx := context.Background()
	infos, err := f.ListStaged(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range infos {
		staged = append(staged, in.Name)
	}
	err = f.Keys(ctx, func(string, int64) error { keys++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return staged, keys
}
