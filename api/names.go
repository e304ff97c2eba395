package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/sharing"
	"github.com/custos-project/custos/internal/names"
	prob "github.com/custos-project/custos/internal/problem"
)

// Names in place of IDs (issue 17 §1). Wherever a request names an
// organization or a matter, it may give the ID or the name (a matter's
// title). IDs have one shape, 26 characters of lowercase base32
// (access.NewID, evidence.NewID): a value of that shape is first looked up
// as an ID; any other value, and one of that shape that is no known ID,
// is a name. Names compare as the consortium's directory compares them
// (anchor.NameKey: Unicode NFKC, case folding, runs of white space), so
// "杭州互联网法院" and its full-width or differently cased forms are one
// name. A name resolves only when nothing else reads alike: a name whose
// confusable skeleton (internal/names) is shared by another organization
// is refused (409 name-confusable), never resolved to either.

// isIDShaped reports whether v has the shape of the IDs Custos makes.
func isIDShaped(v string) bool { return evidence.ValidID(v) }

// orgRef is an organization a request named.
type orgRef struct {
	ID, Name  string
	Member    string     // its home member's ID, when the directory lists it
	Local     bool       // an organization of this node
	CreatedAt *time.Time // when this node created it (local only)
}

func (o orgRef) candidate(s *Server) wire.Candidate {
	c := wire.Candidate{ID: o.ID, Name: o.Name, CreatedAt: o.CreatedAt, Member: o.Member}
	if o.Member != "" {
		c.MemberName = s.memberName(o.Member)
	}
	return c
}

// resolveOrg is the ID of the organization v names, by ID or by name, in
// the request's field, for the caller p. An empty value, or an ID-shaped
// one that names nothing, is returned unchanged, for the caller's own
// checks to refuse. A name that names nothing is 404 not-found with the
// names closest to it that p may see (orgSuggestions).
func (s *Server) resolveOrg(p *access.Principal, field, v string) (string, error) {
	if v == "" {
		return v, nil
	}
	if err := checkName(field, v); err != nil {
		return "", err
	}
	if isIDShaped(v) { // the common case, without reading every organization
		if s.orgName(v) != "" {
			return v, nil
		}
	}
	all, err := s.knownOrgs()
	if err != nil {
		return "", err
	}
	o, err := s.orgByName(p, field, v, all)
	if errors.Is(err, errNoSuchName) && isIDShaped(v) {
		return v, nil
	}
	return o.ID, err
}

// orgParam is the organization the path's {id} names, by ID or by name
// (resolveOrg). A name is sent percent-encoded; echo gives the parameter
// decoded unless the request's path was encoded otherwise than Go's
// default (URL.RawPath set), and then as sent.
func (s *Server) orgParam(c echo.Context) (string, error) {
	v := c.Param("id")
	if c.Request().URL.RawPath != "" {
		if u, err := url.PathUnescape(v); err == nil {
			v = u
		}
	}
	return s.resolveOrg(principal(c), "the organization", v)
}

// checkName refuses (400 invisible-character) a name or ID that holds an
// invisible, direction-changing or control character, or bytes that are
// not UTF-8: no name or title a node makes has one (internal/text), and a
// lookup would echo it into its 404's detail. The path's {id} is the
// field "id".
func checkName(field, v string) error {
	if field == "the organization" {
		field = "id"
	}
	return checkVisible(field, v)
}

// maxShownName bounds the characters of a name that names nothing quoted
// back in a detail: no organization name is longer (anchor's directory,
// access).
const maxShownName = 200

// shownName is v as a detail quotes it: at most its first maxShownName
// characters, then "…".
func shownName(v string) string {
	if utf8.RuneCountInString(v) <= maxShownName {
		return v
	}
	i, n := 0, 0
	for i = range v {
		if n == maxShownName {
			break
		}
		n++
	}
	return v[:i] + "…"
}

// errNoSuchName wraps the 404 of a name that names nothing.
var errNoSuchName = errors.New("no such name")

// orgByName resolves a name among all, refusing a name that names several
// organizations or reads like the name of another, for the caller p.
func (s *Server) orgByName(p *access.Principal, field, v string, all []orgRef) (orgRef, error) {
	key, skel := anchor.NameKey(v), names.Skeleton(v)
	var exact, alike []orgRef
	for _, o := range all {
		switch {
		case anchor.NameKey(o.Name) == key:
			exact = append(exact, o)
		case names.Skeleton(o.Name) == skel:
			alike = append(alike, o)
		}
	}
	cands := func(os ...[]orgRef) []wire.Candidate {
		var out []wire.Candidate
		for _, l := range os {
			for _, o := range l {
				out = append(out, o.candidate(s))
			}
		}
		return out
	}
	switch {
	case len(exact) == 1 && len(alike) == 0:
		return exact[0], nil
	case len(exact) > 1:
		c := cands(exact)
		return orgRef{}, withCandidates(problem(http.StatusConflict, "name-ambiguous", prob.M("title.name-ambiguous-orgs"),
			prob.M("name-ambiguous-orgs", "field", orgField(field), "value", v, "count", len(exact), "candidates", candidatesText(c))), c)
	case len(exact) == 1:
		c := cands(exact, alike)
		return orgRef{}, withCandidates(problem(http.StatusConflict, "name-confusable", prob.M("title.name-confusable"),
			prob.M("name-confusable-request", "field", orgField(field), "value", v, "candidates", candidatesText(c))), c)
	case len(alike) > 0:
		c := cands(alike)
		p := withCandidates(problem(http.StatusNotFound, "name-look-alike", prob.M("title.name-look-alike"),
			prob.M("name-look-alike", "value", shownName(v), "candidates", candidatesText(c))), c)
		p.cause = errNoSuchName
		return orgRef{}, p
	}
	// The command's words are a parameter: they are not translated.
	nf := notFoundName(field, prob.M("no-such-org-name", "field", orgField(field), "value", shownName(v), "command", "custos directory list"),
		s.orgSuggestions(p, v, all))
	nf.cause = errNoSuchName
	return orgRef{}, nf
}

// notFoundName is the 404 of a name or title in field that names nothing:
// its detail, then the names closest to it the caller may see (suggest),
// as "Did you mean …?" and in the member suggestions; the member field
// names the request's field ("id" for the path's {id}), for a client
// that names it otherwise (the CLI: its flag).
func notFoundName(field string, detail prob.Msg, near []wire.Candidate) *Problem {
	if len(near) > 0 {
		names := make(prob.Names, len(near))
		for i, c := range near {
			names[i] = c.Name
		}
		detail = prob.M("did-you-mean", "detail", detail, "names", names)
	}
	p := problem(http.StatusNotFound, "not-found", prob.M("title.not-found"), detail)
	p.Field, p.Suggestions = field, near
	if field == "the organization" {
		p.Field = "id"
	}
	return p
}

// orgFields are the fields that name an organization (resolveOrg), as
// details write them: the JSON name in English; in Chinese, what the
// field is, with its JSON name beside it.
var orgFields = map[string]prob.Msg{
	"org":              prob.M("org-ref.org"),
	"to":               prob.M("org-ref.to"),
	"applicant.org":    prob.M("org-ref.applicant"),
	"the organization": prob.M("org-ref.path"),
}

// orgField is the field for a detail's {field}: its words from orgFields,
// or the field as given.
func orgField(field string) any {
	if m, ok := orgFields[field]; ok {
		return m
	}
	return field
}

// withCandidates sets p's candidates.
func withCandidates(p *Problem, c []wire.Candidate) *Problem {
	p.Candidates = c
	return p
}

// candidatesText lists candidates for a problem's detail, for clients
// that show only the detail: each one's name, ID, and home member or
// creation time, as "name" [ID; home member or creation time], the
// same in both languages.
func candidatesText(cs []wire.Candidate) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		var where string
		switch {
		case c.Member != "":
			where = "; " + orUnknown(c.MemberName, c.Member)
		case c.CreatedAt != nil:
			where = "; " + c.CreatedAt.UTC().Format(time.RFC3339)
		}
		parts[i] = fmt.Sprintf("%q [%s%s]", c.Name, c.ID, where)
	}
	return strings.Join(parts, "; ")
}

// knownOrgs are the organizations of this node and of the consortium's
// directory, each once (a local one by its name here).
func (s *Server) knownOrgs() ([]orgRef, error) {
	local, err := s.orgs.Orgs()
	if err != nil {
		return nil, err
	}
	out := make([]orgRef, 0, len(local))
	at := map[string]int{}
	for _, o := range local {
		at[o.ID] = len(out)
		out = append(out, orgRef{ID: o.ID, Name: o.Name, Local: true, CreatedAt: &o.CreatedAt})
	}
	if s.directory == nil {
		return out, nil
	}
	dir, err := s.directory.Orgs()
	if err != nil {
		return nil, err
	}
	for _, e := range dir {
		if i, ok := at[e.ID]; ok {
			out[i].Member = e.Member
			continue
		}
		out = append(out, orgRef{ID: e.ID, Name: e.Name, Member: e.Member})
	}
	return out, nil
}

// orgName is the name of an organization by ID, as this node or the
// directory knows it; "" if neither does.
func (s *Server) orgName(id string) string {
	if o, err := s.orgs.Org(id); err == nil {
		return o.Name
	}
	if s.directory != nil {
		if e, ok, err := s.directory.Org(id); err == nil && ok {
			return e.Name
		}
	}
	return ""
}

// orgNames caches orgName for one answer.
type orgNames struct {
	s    *Server
	seen map[string]string
}

func (s *Server) orgNamer() *orgNames { return &orgNames{s: s, seen: map[string]string{}} }

func (n *orgNames) name(id string) string {
	if id == "" {
		return ""
	}
	v, ok := n.seen[id]
	if !ok {
		v = n.s.orgName(id)
		n.seen[id] = v
	}
	return v
}

// actorName is the name of the organization of an actor "<org>:<key>"
// (or "<org>:<key>@<member>").
func (n *orgNames) actorName(actor string) string {
	org, _, ok := strings.Cut(actor, ":")
	if !ok {
		return ""
	}
	return n.name(org)
}

// custodyEvents are evs as the API shows them, each with its actor's
// organization's name.
func (s *Server) custodyEvents(evs []*custody.Event) []wire.CustodyEvent {
	names := s.orgNamer()
	out := make([]wire.CustodyEvent, len(evs))
	for i, e := range evs {
		out[i] = wire.CustodyEvent{Event: *e, ActorOrgName: names.actorName(e.Actor)}
	}
	return out
}

// resolveMatter is the ID of the matter v names, by ID or by title, among
// the matters of org (and, with shared, those shared with it). Titles
// compare as names do (anchor.NameKey); a title that several of the
// matters have is refused (409 name-ambiguous, with each one's ID and
// creation time). An empty value, or an ID-shaped one that names nothing,
// is returned unchanged, for the caller's own checks to refuse.
func (s *Server) resolveMatter(ctx context.Context, field, org, v string, shared bool) (string, error) {
	if v == "" {
		return v, nil
	}
	if err := checkName(field, v); err != nil {
		return "", err
	}
	if isIDShaped(v) { // the common case, in one read
		if _, err := s.sharing.Matter(ctx, v, org); err == nil {
			return v, nil
		}
	}
	ms, err := s.visibleMatters(ctx, org, shared)
	if err != nil {
		return "", err
	}
	key := anchor.NameKey(v)
	var exact []sharing.Matter
	for _, m := range ms {
		if m.ID == v {
			return v, nil
		}
		if anchor.NameKey(m.Title) == key {
			exact = append(exact, m)
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0].ID, nil
	case len(exact) > 1:
		slices.SortFunc(exact, func(a, b sharing.Matter) int { return a.CreatedAt.Compare(b.CreatedAt) })
		var c []wire.Candidate
		for _, m := range exact {
			c = append(c, wire.Candidate{ID: m.ID, Name: m.Title, CreatedAt: &m.CreatedAt})
		}
		return "", withCandidates(problem(http.StatusConflict, "name-ambiguous", prob.M("title.name-ambiguous-matters"),
			prob.M("name-ambiguous-matters", "field", matterField(field), "value", v, "count", len(exact), "candidates", candidatesText(c))), c)
	case isIDShaped(v):
		return v, nil
	}
	near := make([]wire.Candidate, len(ms))
	for i, m := range ms {
		near[i] = wire.Candidate{ID: m.ID, Name: m.Title, CreatedAt: &m.CreatedAt}
	}
	return "", notFoundName(field, prob.M("no-such-matter-title", "field", matterField(field), "value", shownName(v), "command", "custos matter list"),
		suggest(v, near))
}

// matterField is the field for a detail's {field} as orgField's, for the
// one field that names a matter ("matter").
func matterField(field string) any {
	if field == "matter" {
		return prob.M("matter-ref.matter")
	}
	return field
}

// visibleMatters are org's own matters and, with shared, the matters of
// this node shared with it.
func (s *Server) visibleMatters(ctx context.Context, org string, shared bool) ([]sharing.Matter, error) {
	ms, err := s.sharing.Matters(ctx, org)
	if err != nil || !shared {
		return ms, err
	}
	received, err := s.sharing.Shares(ctx, org, false)
	if err != nil {
		return nil, err
	}
	for _, sh := range received {
		if sh.Kind != evidence.ShareMatter {
			continue
		}
		m, err := s.sharing.Matter(ctx, sh.Target, org) // ErrNotFound unless the share is active
		if errors.Is(err, evidence.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(ms, func(x sharing.Matter) bool { return x.ID == m.ID }) {
			ms = append(ms, *m)
		}
	}
	return ms, nil
}
