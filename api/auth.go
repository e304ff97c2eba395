package api

import (
	"errors"
	"net/http"
	"strings"

	prob "github.com/custos-project/custos/internal/problem"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/access"
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
			if !principal(c).Can(perm) {
				return errForbidden("role-forbidden", "role", principal(c).Key.Role)
			}
			return next(c)
		}
	}
}

func principal(c echo.Context) *access.Principal {
	p, _ := c.Get(principalKey).(*access.Principal)
	return p
}
