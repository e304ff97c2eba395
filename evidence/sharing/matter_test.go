package sharing

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
)

const (
	certFirm   = "firmaaaaaaaaaaaaaaaaaaaaaa"
	certNotary = "notaryaaaaaaaaaaaaaaaaaaaa"
)

func TestMatterEvidence(t *testing.T) {
	ctx := context.Background()
	ev, s := newTestService(t, evidence.Config{})
	m, err := s.CreateMatter(ctx, certFirm, certFirm+":k", MatterInput{Title: "Case"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, data := range []string{"first", "second"} {
		u, err := ev.NewUpload(ctx, certFirm+":k")
		if err != nil {
			t.Fatal(err)
		}
		u.ReadFrom(strings.NewReader(data))
		r, err := u.Finish(ctx, evidence.Meta{Title: data, Matter: m.ID})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	evidencetest.File(t, ev, certFirm, "not in the matter")
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
	if _, err := got(certNotary); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("MatterEvidence(not shared) = %v, want ErrNotFound", err)
	}
	if _, _, err := s.ShareTarget(ctx, certFirm, certFirm+":k", evidence.ShareMatter, m.ID, certNotary, nil); err != nil {
		t.Fatal(err)
	}
	if list, err := got(certNotary); err != nil || !slices.Equal(list, ids) {
		t.Errorf("MatterEvidence(shared) = %v, %v; want %v", list, err, ids)
	}
}
