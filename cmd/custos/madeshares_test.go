package main

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/custos-project/custos/api/peer"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/evidence/sharing"
)

// TestMadeShares: the share sync's pages of this node's shares hold the
// ones keep takes, in the order of their IDs, each once across pages,
// and each page reads at most madeScan shares, so that a page of a member
// with few shares among many stops early with where to go on.
func TestMadeShares(t *testing.T) {
	ev := evidencetest.New(t, evidence.Config{})
	reg, err := sharing.New(ev)
	if err != nil {
		t.Fatal(err)
	}
	const firm = "aaaaaaaaaaaaaaaaaaaaaaaaaa"
	var want []string
	for i := range 12 {
		r := evidencetest.File(t, ev, firm, fmt.Sprint("exhibit ", i))
		grantee := "bbbbbbbbbbbbbbbbbbbbbbbbb" + string(rune('a'+i%3)) // three grantees
		sh, _, err := reg.ShareTarget(context.Background(), firm, firm+":key", evidence.ShareEvidence, r.ID, grantee, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			want = append(want, sh.ID)
		}
	}
	slices.Sort(want)
	defer func(n int) { madeScan = n }(madeScan)
	madeScan = 3
	made := (&shareNotices{}).madeShares(ev)
	keep := func(nt *peer.Notice) bool { return nt.Grantee == "bbbbbbbbbbbbbbbbbbbbbbbbba" }
	var got []string
	after, pages := "", 0
	for {
		out, next, err := made(after, 2, keep)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out) > 2 {
			t.Fatalf("a page of %d notices, limit 2", len(out))
		}
		for _, nt := range out {
			got = append(got, nt.Share)
		}
		if next == "" {
			break
		}
		if next <= after || pages > 20 {
			t.Fatalf("next %q after %q (page %d)", next, after, pages)
		}
		after = next
	}
	if !slices.Equal(got, want) {
		t.Errorf("the pages listed %v, want %v", got, want)
	}
	if pages < 12/3 {
		t.Errorf("%d pages for 12 shares read 3 at most at a time, want at least 4", pages)
	}
}
