package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence/custody"
	"github.com/custos-project/custos/internal/text"
)

// NewKeyView answers a key creation: the token is shown this once.
type NewKeyView struct {
	Key   access.Key `json:"key"`
	Token string     `json:"token"`
}

// MeView describes the caller.
type MeView struct {
	Key         access.Key          `json:"key"`
	Org         access.Org          `json:"org"`
	Permissions []access.Permission `json:"permissions"`
}

func accessErr(err error) error {
	var te *text.Error
	switch {
	case errors.As(err, &te):
		return err // 400 invisible-character (toProblem)
	case errors.Is(err, access.ErrNotFound):
		return problem(http.StatusNotFound, "not-found", "Not found", "No such organization or key.")
	case errors.Is(err, access.ErrBadInput):
		return problem(http.StatusUnprocessableEntity, "invalid-input", "Invalid input",
			strings.TrimPrefix(err.Error(), access.ErrBadInput.Error()+": "))
	}
	return err
}

// audit records an administrative act in the organization's audit chain.
func (s *Server) audit(c echo.Context, org, typ, subject string) error {
	_, err := s.trails.AppendAudit(c.Request().Context(), org, principal(c).Actor(), typ, subject)
	return err
}

func (s *Server) createOrg(c echo.Context) error {
	var in wire.OrgInput
	if err := bindStrict(c, &in); err != nil {
		return err
	}
	if s.directory != nil && in.Kind != access.KindOperator {
		// Names are unique consortium-wide (the directory's first
		// registration keeps a name; a race with another member is logged
		// by the node that loses it).
		if e, taken, err := s.directory.OrgByName(in.Name); err != nil {
			return err
		} else if taken {
			return problem(http.StatusConflict, "name-taken", "Name taken",
				fmt.Sprintf("The consortium's directory already lists an organization named %q (ID %s, home member %s). Choose another name.", e.Name, e.ID, orUnknown(s.memberName(e.Member), e.Member)))
		}
	}
	o, err := s.orgs.CreateOrg(in.Kind, in.Name)
	if err != nil {
		return accessErr(err)
	}
	if err := s.audit(c, o.ID, custody.AuditOrgCreated, "kind:"+o.Kind); err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/orgs/"+o.ID)
	return c.JSON(http.StatusCreated, o)
}

func (s *Server) listOrgs(c echo.Context) error {
	orgs, err := s.orgs.Orgs()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(orgs))
}

// getOrg shows an organization to any authenticated caller that knows its
// ID: members need other organizations' names to share with them.
func (s *Server) getOrg(c echo.Context) error {
	o, err := s.orgs.Org(c.Param("id"))
	if err != nil {
		return accessErr(err)
	}
	return c.JSON(http.StatusOK, o)
}

func (s *Server) createKey(c echo.Context) error {
	var in wire.KeyInput
	if err := bindStrict(c, &in); err != nil {
		return err
	}
	org := c.Param("id")
	token, k, err := s.orgs.CreateKey(org, access.Role(in.Role), in.Name, in.ExpiresAt)
	if err != nil {
		return accessErr(err)
	}
	if err := s.audit(c, org, custody.AuditKeyCreated, "key:"+k.ID+":"+string(k.Role)); err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/v1/keys/"+k.ID)
	return c.JSON(http.StatusCreated, NewKeyView{Key: *k, Token: token})
}

func (s *Server) listKeys(c echo.Context) error {
	if _, err := s.orgs.Org(c.Param("id")); err != nil {
		return accessErr(err)
	}
	keys, err := s.orgs.Keys(c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(keys))
}

func (s *Server) revokeKey(c echo.Context) error {
	before, err := s.orgs.Key(c.Param("id"))
	if err != nil {
		return accessErr(err)
	}
	k, err := s.orgs.RevokeKey(before.ID)
	if err != nil {
		return accessErr(err)
	}
	if before.RevokedAt == nil { // revoking again changes nothing and is not audited again
		if err := s.audit(c, k.OrgID, custody.AuditKeyRevoked, "key:"+k.ID); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, k)
}

func (s *Server) me(c echo.Context) error {
	p := principal(c)
	v := MeView{Key: p.Key, Org: p.Org}
	for _, perm := range []access.Permission{access.PermAdmin, access.PermFile, access.PermRead, access.PermShare, access.PermWebhooks, access.PermCertify} {
		if p.Can(perm) {
			v.Permissions = append(v.Permissions, perm)
		}
	}
	return c.JSON(http.StatusOK, v)
}

// getAudit serves an organization's audit chain to an admin, or to the
// organization's own members.
func (s *Server) getAudit(c echo.Context) error {
	p, org := principal(c), c.Param("id")
	if !p.Can(access.PermAdmin) && p.Org.ID != org {
		return problem(http.StatusNotFound, "not-found", "Not found", "No such organization or key.")
	}
	if _, err := s.orgs.Org(org); err != nil {
		return accessErr(err)
	}
	evs, err := s.trails.AuditTrail(c.Request().Context(), org)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.CustodyView{Evidence: org, Events: evs})
}
