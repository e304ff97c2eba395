package api

import (
	"net/http"

	prob "github.com/custos-project/custos/internal/problem"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
)

// Directory is what the directory endpoints need of the chain
// (anchor.Chain, state version 4).
type Directory interface {
	Org(id string) (anchor.DirEntry, bool, error)
	OrgByName(name string) (anchor.DirEntry, bool, error)
	Orgs() ([]anchor.DirEntry, error)
}

// directoryRoutes serves the consortium's directory to any authenticated
// caller: GET /api/v1/directory[?name=NAME] and /api/v1/directory/{id}.
func (s *Server) directoryRoutes(e *echo.Echo, auth []echo.MiddlewareFunc) {
	e.GET("/api/v1/directory", s.listDirectory, auth...)
	e.GET("/api/v1/directory/:id", s.getDirectoryEntry, auth...)
}

func (s *Server) listDirectory(c echo.Context) error {
	if s.directory == nil {
		return noDirectory()
	}
	if name := c.QueryParam("name"); c.QueryParams().Has("name") {
		e, ok, err := s.directory.OrgByName(name)
		if err != nil {
			return err
		}
		if !ok {
			return s.noOrgNamed(name)
		}
		former, err := s.formerMembers()
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, listOf([]wire.DirectoryEntry{s.dirView(e, former)}))
	}
	all, err := s.directory.Orgs()
	if err != nil {
		return err
	}
	former, err := s.formerMembers()
	if err != nil {
		return err
	}
	out := make([]wire.DirectoryEntry, len(all))
	for i, e := range all {
		out[i] = s.dirView(e, former)
	}
	return c.JSON(http.StatusOK, listOf(out))
}

// noOrgNamed is the 404 of GET /api/v1/directory?name= for a name the
// directory does not hold, with the directory's names closest to it (any
// caller may list them all).
func (s *Server) noOrgNamed(name string) error {
	all, err := s.directory.Orgs()
	if err != nil {
		return err
	}
	cands := make([]wire.Candidate, len(all))
	for i, e := range all {
		cands[i] = wire.Candidate{ID: e.ID, Name: e.Name, Member: e.Member}
	}
	near := suggest(name, cands)
	for i := range near {
		near[i].MemberName = s.memberName(near[i].Member)
	}
	return notFoundName("", prob.M("no-org-named"), near)
}

func (s *Server) getDirectoryEntry(c echo.Context) error {
	if s.directory == nil {
		return noDirectory()
	}
	e, ok, err := s.directory.Org(c.Param("id"))
	if err != nil {
		return err
	}
	if !ok {
		return errGone("no-org-id")
	}
	former, err := s.formerMembers()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.dirView(e, former))
}

func noDirectory() error {
	return problem(http.StatusNotFound, "no-chain", prob.M("title.no-directory"), prob.M("no-directory"))
}

// dirView is a directory entry as served; an organization whose home
// member was removed (in former, by node member ID) keeps its entry and
// its name, marked as a former member's.
func (s *Server) dirView(e anchor.DirEntry, former map[string]anchor.Member) wire.DirectoryEntry {
	v := wire.DirectoryEntry{ID: e.ID, Kind: e.Kind, Name: e.Name, Member: e.Member, MemberName: s.memberName(e.Member), Height: e.Height}
	if m, ok := former[e.Member]; ok {
		v.FormerMember, v.HomeRemovedAt = true, m.Removed
		if v.MemberName == "" {
			v.MemberName = m.Name
		}
	}
	return v
}

// memberName is a member's name, by node member ID: in the trust bundle,
// else in the chain's member list.
func (s *Server) memberName(id string) string {
	if name, ok := s.members[id]; ok || s.governance == nil {
		return name
	}
	// A member whose node runs a key the trust bundle does not hold (it
	// rotated its key, or joined): its name in the chain's member list,
	// by its current node member ID (the one the directory, the register
	// and the deposits give; anchor.App.Org).
	ms, err := s.governance.Members()
	if err != nil {
		return ""
	}
	for _, m := range ms {
		if anchor.MemberOfKey(m.ValidatorKey) == id {
			return m.Name
		}
	}
	return ""
}

func orUnknown(name, id string) string {
	if name != "" {
		return name
	}
	return id
}
