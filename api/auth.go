package api

import (
	"errors"
	"net/http"
	"strings"

	prob "github.com/custos-project/custos/internal/problem"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
)

const principalKey = "custos.principal"

// requireAuth authenticates the bearer token of every request it guards.
// A revoked or expired key is refused on its very next request.
func (s *Server) requireAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := s.authenticate(c)
		if err != nil {
			return err
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

// authenticate checks the request's bearer token now.
func (s *Server) authenticate(c echo.Context) (*access.Principal, error) {
	h := c.Request().Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" {
		return nil, errUnauthorized(prob.M("auth-missing"))
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, errUnauthorized(prob.M("auth-scheme"))
	}
	p, err := s.orgs.Authenticate(strings.TrimSpace(token))
	switch {
	case errors.Is(err, access.ErrRevoked):
		return nil, errUnauthorized(prob.M("auth-revoked"))
	case errors.Is(err, access.ErrExpired):
		return nil, errUnauthorized(prob.M("auth-expired"))
	case errors.Is(err, access.ErrBadToken):
		return nil, errUnauthorized(prob.M("auth-invalid"))
	case errors.Is(err, access.ErrBusy):
		// Too many unknown tokens were presented lately, and this one
		// could only be checked with a slow key derivation.
		p := problem(http.StatusServiceUnavailable, "busy", prob.M("title.busy"), prob.M("auth-busy"))
		p.retryAfter = 1
		return nil, p
	case err != nil:
		return nil, err
	}
	return p, nil
}

// need refuses, with 403, a caller whose role lacks the permission.
func need(perm access.Permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if p := principal(c); !p.Can(perm) {
				return errRole(p, perm)
			}
			return next(c)
		}
	}
}

// errRole is 403 forbidden for a caller whose role lacks perm: its
// detail names perm and the roles that grant it which a key of the
// caller's organization may hold (or, when none may, says that only the
// operator's keys have it), and its needed member every role that grants
// it, from the role table (access.Granting).
func errRole(p *access.Principal, perm access.Permission) *Problem {
	var all, yours prob.List
	for _, r := range access.Granting(perm) {
		all = append(all, string(r))
		if r.HeldBy(p.Org.Kind) {
			yours = append(yours, string(r))
		}
	}
	var e *Problem
	if len(yours) > 0 {
		e = errForbidden("role-forbidden", "role", p.Key.Role, "permission", perm, "roles", yours)
	} else {
		e = errForbidden("role-forbidden-operator", "role", p.Key.Role, "permission", perm, "roles", all)
	}
	e.Needed = &wire.Needed{Permission: string(perm), Roles: all}
	return e
}

func principal(c echo.Context) *access.Principal {
	p, _ := c.Get(principalKey).(*access.Principal)
	return p
}
