package copyright

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
)

// TestReadFiles: the registrant's read of some of a registration's files
// is a viewed event with the subject on each of those, and on no other
// file; another organization's is ErrNotVisible, and a list naming an
// item that is not a file of the registration is an error; neither
// records anything, on any file. With no files, the right is decided all
// the same.
func TestReadFiles(t *testing.T) {
	ctx := context.Background()
	s := newWorld(t, evidence.Config{})
	f1, f2 := fileAs(t, s, orgA, "verse one"), fileAs(t, s, orgA, "verse two")
	other := fileAs(t, s, orgA, "not a file of it")
	c, err := s.RegisterCopyright(ctx, orgA, orgA+":key", testWork(), []RegisterItem{{ID: f1.ID}, {ID: f2.ID}})
	if err != nil {
		t.Fatal(err)
	}
	viewed := func(id string) []string {
		t.Helper()
		evs, _ := custodyTypes(t, s, id)
		var out []string
		for _, e := range evs {
			if e.Type == custody.EventViewed {
				out = append(out, e.Actor+" "+e.Subject)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name, org string
		items     []string
		ok        func(error) bool
	}{
		{"another organization", orgB, []string{f1.ID}, isNotVisible},
		{"another organization, no files", orgB, nil, isNotVisible},
		{"not a file of it", orgA, []string{f1.ID, other.ID}, func(err error) bool { return err != nil && strings.Contains(err.Error(), "not a file") }},
		{"the registrant, no files", orgA, nil, func(err error) bool { return err == nil }},
	} {
		if err := s.ReadFiles(ctx, c.ID, tc.org, tc.org+":key", "evidence-record", tc.items); !tc.ok(err) {
			t.Errorf("%s: ReadFiles = %v", tc.name, err)
		}
	}
	for _, f := range []*evidence.Record{f1, f2, other} {
		if v := viewed(f.ID); len(v) != 0 {
			t.Errorf("reads recorded on %s = %v, want none", f.ID, v)
		}
	}
	if err := s.ReadFiles(ctx, c.ID, orgA, orgA+":key", "evidence-record", []string{f2.ID}); err != nil {
		t.Fatal(err)
	}
	if v1, v2 := viewed(f1.ID), viewed(f2.ID); len(v1) != 0 || len(v2) != 1 || v2[0] != orgA+":key evidence-record" {
		t.Errorf("reads recorded = %v, %v; want none, then one by %s:key with subject evidence-record", v1, v2, orgA)
	}
}

func isNotVisible(err error) bool { return errors.Is(err, evidence.ErrNotVisible) }
