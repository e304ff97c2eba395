package api

import (
	"errors"
	"net/http"
	"strings"

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
		return nil, errUnauthorized("Send your API token as \"Authorization: Bearer <token>\".")
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, errUnauthorized("Only the Bearer scheme is accepted.")
	}
	p, err := s.orgs.Authenticate(strings.TrimSpace(token))
	switch {
	case errors.Is(err, access.ErrRevoked):
		return nil, errUnauthorized("This key has been revoked.")
	case errors.Is(err, access.ErrExpired):
		return nil, errUnauthorized("This key has expired.")
	case errors.Is(err, access.ErrBadToken):
		return nil, errUnauthorized("The token is not valid.")
	case errors.Is(err, access.ErrBusy):
		// Too many unknown tokens were presented lately, and this one
		// could only be checked with a slow key derivation.
		p := problem(http.StatusServiceUnavailable, "busy", "Server busy",
			"Too many unknown tokens were presented lately to check this one now; retry in a second. Keys with generated tokens are not affected.")
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
				return problem(http.StatusForbidden, "forbidden", "Forbidden",
					"Your key's role ("+string(principal(c).Key.Role)+") does not allow this.")
			}
			return next(c)
		}
	}
}

func principal(c echo.Context) *access.Principal {
	p, _ := c.Get(principalKey).(*access.Principal)
	return p
}
