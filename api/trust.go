package api

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/receipt"
)

// trustBundler is the part of the chain that makes trust bundle version 2
// (anchor.Chain.TrustV2).
type trustBundler interface {
	TrustV2(ctx context.Context, base receipt.Trust) (*receipt.Trust, error)
}

// getTrust serves the trust bundle: version 1 (the genesis validators,
// which courts pin), or with ?transitions=1 version 2, which adds the
// validator-set transitions from genesis to the current set
// (docs/receipt.md §8.3).
func (s *Server) getTrust(c echo.Context) error {
	switch q := c.QueryParam("transitions"); q {
	case "", "0":
		return c.JSON(http.StatusOK, s.trust)
	case "1":
	default:
		return errParam("trust-transitions")
	}
	if tb, ok := s.chain.(trustBundler); ok {
		t, err := tb.TrustV2(c.Request().Context(), s.trust)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, t)
	}
	t := s.trust // no chain: no change, the current set is the genesis set
	t.Version, t.ValidatorsCurrent = t.TransitionsVersion(), s.trust.Validators
	return c.JSON(http.StatusOK, &t)
}
