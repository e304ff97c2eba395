package evidence

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

const (
	certFirm   = "firmaaaaaaaaaaaaaaaaaaaaaa"
	certNotary = "notaryaaaaaaaaaaaaaaaaaaaa"
)

func uploadAs(t *testing.T, s *Service, owner, data string) *Record {
	t.Helper()
	ctx := context.Background()
	u, err := s.NewUpload(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.ReadFrom(strings.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	r, err := u.Finish(ctx, Meta{Title: data})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestMatterEvidence(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t, newMemBlobs())
	m, err := s.CreateMatter(ctx, certFirm, certFirm+":k", MatterInput{Title: "Case"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, data := range []string{"first", "second"} {
		u, err := s.NewUpload(ctx, certFirm+":k")
		if err != nil {
			t.Fatal(err)
		}
		u.ReadFrom(strings.NewReader(data))
		r, err := u.Finish(ctx, Meta{Title: data, Matter: m.ID})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	uploadAs(t, s, certFirm+":k", "not in the matter")
	got := func(org string) ([]string, error) {
		recs, err := s.MatterEvidence(ctx, m.ID, org)
		var out []string
		for _, r := range recs {
			out = append(out, r.ID)
		}
		return out, err
	}
	if list, err := got(certFirm); err != nil || !slices.Equal(list, ids) {
		t.Errorf("MatterEvidence(owner) = %v, %v; want %v, oldest first", list, err, ids)
	}
	if _, err := got(certNotary); !errors.Is(err, ErrNotFound) {
		t.Errorf("MatterEvidence(not shared) = %v, want ErrNotFound", err)
	}
	if _, _, err := s.ShareTarget(ctx, certFirm, certFirm+":k", ShareMatter, m.ID, certNotary, nil); err != nil {
		t.Fatal(err)
	}
	if list, err := got(certNotary); err != nil || !slices.Equal(list, ids) {
		t.Errorf("MatterEvidence(shared) = %v, %v; want %v", list, err, ids)
	}
}
