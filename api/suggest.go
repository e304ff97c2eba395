package api

import (
	"cmp"
	"slices"
	"strings"
	"unicode"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
)

// Suggestions for a name that names nothing ("did you mean"): of the
// names the caller may see, those that differ from it only in white space
// (after anchor.NameKey's case folding and NFKC), or by a few edits (a
// letter left out, added, changed, or two swapped), closest first.

// maxSuggestions bounds the names a 404 suggests.
const maxSuggestions = 3

// suggest is, of cands, those whose name is close to v (nameDistance),
// closest first, then by name, at most maxSuggestions.
func suggest(v string, cands []wire.Candidate) []wire.Candidate {
	key := []rune(squash(anchor.NameKey(v)))
	limit := min(max(len(key)/4, 1), 3)
	type near struct {
		c wire.Candidate
		d int
	}
	var out []near
	for _, c := range cands {
		if d := editDistance(key, []rune(squash(anchor.NameKey(c.Name))), limit); d <= limit {
			out = append(out, near{c, d})
		}
	}
	slices.SortStableFunc(out, func(a, b near) int {
		return cmp.Or(cmp.Compare(a.d, b.d), cmp.Compare(a.c.Name, b.c.Name), cmp.Compare(a.c.ID, b.c.ID))
	})
	var res []wire.Candidate
	for _, n := range out[:min(len(out), maxSuggestions)] {
		res = append(res, n.c)
	}
	return res
}

// squash is s without white space: "TestFirm A" and "Test Firm A" are
// one name to a suggestion.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// editDistance is the optimal string alignment distance of a and b (a
// rune inserted, deleted or changed, or two adjacent runes swapped, each
// one edit), or limit+1 once it is sure to exceed limit.
func editDistance(a, b []rune, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev2, prev, cur := make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			best = min(best, cur[j])
		}
		if best > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// orgSuggestions are the organizations of all the caller p may list whose
// names are close to v: the consortium's directory (any caller may list
// it, GET /api/v1/directory), this node's organizations for a caller
// whose role may list them (the admin's, GET /api/v1/orgs), and the
// caller's own. Never a name p may not see.
func (s *Server) orgSuggestions(p *access.Principal, v string, all []orgRef) []wire.Candidate {
	if p == nil {
		return nil
	}
	admin := p.Can(access.PermAdmin)
	var cands []wire.Candidate
	for _, o := range all {
		if o.Member != "" || admin && o.Local || o.ID == p.Org.ID {
			cands = append(cands, o.candidate(s))
		}
	}
	return suggest(v, cands)
}
