package main

import (
	"strings"
	"testing"

	"github.com/custos-project/custos/api/wire"
)

// TestLeavingTables: the directory table and the lookup mark an
// organization or a deposit of a member that was removed, with the height.
func TestLeavingTables(t *testing.T) {
	for _, c := range []struct {
		v    any
		want []string
	}{
		{[]wire.DirectoryEntry{{ID: "o1", Kind: "court", Name: "Court of D", MemberName: "Member D", Height: 5, FormerMember: true, HomeRemovedAt: 812}},
			[]string{"FORMER MEMBER", "REMOVED", "Court of D", "yes", "812"}},
		{&wire.Lookup{SHA256: "ab", Anchored: true, Height: 5, MemberName: "Member D", FormerMember: true, MemberRemovedAt: 812},
			[]string{"Member D", "yes", "812"}},
	} {
		var b strings.Builder
		if err := writeHuman(&b, c.v); err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("writeHuman(%T) lacks %q:\n%s", c.v, w, b.String())
			}
		}
	}
}
