package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	prob "github.com/custos-project/custos/internal/problem"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/copyright"
)

// A copyright registration changes hands only with the recipient's
// consent: its owner offers it (POST /api/v1/copyrights/{id}/transfers),
// and the recipient accepts or declines the offer before it expires; the
// offerer may withdraw it. See copyright.Register.OfferTransfer.

// Offer expiry in days, as the request gives it.
const (
	minOfferDays = int(copyright.MinOfferTTL / (24 * time.Hour))
	maxOfferDays = int(copyright.MaxOfferTTL / (24 * time.Hour))
)

// offers returns the register's transfer offers, or 404 on a node
// without a register.
func (s *Server) offers() (Transfers, error) {
	if s.transfers == nil {
		return nil, errNoRegister()
	}
	return s.transfers, nil
}

// offerErr maps the errors of transfer offers to problems.
func offerErr(err error) error {
	switch {
	case errors.Is(err, copyright.ErrOfferPending):
		return problem(http.StatusConflict, "transfer-pending", prob.M("title.transfer-pending"), prob.M("transfer-pending"))
	case errors.Is(err, copyright.ErrNotRecipient):
		return problem(http.StatusForbidden, "not-recipient", prob.M("title.not-recipient"), prob.M("not-recipient"))
	case errors.Is(err, copyright.ErrNotOfferer):
		return problem(http.StatusForbidden, "not-offerer", prob.M("title.not-offerer"), prob.M("not-offerer"))
	case errors.Is(err, copyright.ErrOfferSettled):
		return problem(http.StatusConflict, "transfer-settled", prob.M("title.transfer-settled"), prob.M("transfer-settled"))
	case errors.Is(err, copyright.ErrOfferExpired):
		return problem(http.StatusGone, "transfer-expired", prob.M("title.transfer-expired"), prob.M("transfer-expired"))
	case errors.Is(err, copyright.ErrBadOffer):
		return problem(http.StatusUnprocessableEntity, "invalid-transfer", prob.M("title.invalid-transfer"), reason(err, copyright.ErrBadOffer))
	case errors.Is(err, evidence.ErrNotFound):
		return errGone("no-offer")
	}
	return copyrightErr(err)
}

// offerTransfer handles POST /api/v1/copyrights/{id}/transfers: the
// current owner offers the registration to another organization (201,
// the offer).
func (s *Server) offerTransfer(c echo.Context) error {
	reg, err := s.offers()
	if err != nil {
		return err
	}
	var in wire.TransferInput
	if err := bindStrict(c, &in); err != nil {
		return err
	}
	if in.To, err = s.resolveOrg(principal(c), "to", in.To); err != nil {
		return err
	}
	var fields []evidence.FieldError
	if _, err := s.orgs.Org(in.To); err != nil {
		fields = append(fields, evidence.NewFieldError("to", "field.not-local-org"))
	}
	days := in.ExpiresInDays
	if days == 0 {
		days = int(copyright.DefaultOfferTTL / (24 * time.Hour))
	}
	if days < minOfferDays || days > maxOfferDays {
		fields = append(fields, evidence.NewFieldError("expires_in_days", "field.range", "min", minOfferDays, "max", maxOfferDays))
	}
	if len(fields) > 0 {
		return &evidence.MetadataError{Fields: fields}
	}
	p := principal(c)
	o, err := reg.OfferTransfer(c.Request().Context(), c.Param("id"), p.Org.ID, p.Actor(), in.To, time.Duration(days)*24*time.Hour)
	if err != nil {
		return offerErr(err)
	}
	c.Response().Header().Set("Location", "/api/v1/copyrights/transfers/"+o.ID)
	return c.JSON(http.StatusCreated, s.offerView(s.orgNamer(), o))
}

// listTransferOffers handles GET /api/v1/copyrights/transfers: the offers
// the caller's organization made or received (status, limit, cursor).
func (s *Server) listTransferOffers(c echo.Context) error {
	reg, err := s.offers()
	if err != nil {
		return err
	}
	limit, err := queryLimit(c, 0, copyright.MaxCopyrightPage)
	if err != nil {
		return err
	}
	status := c.QueryParam("status")
	switch status {
	case "", copyright.OfferPending, copyright.OfferAccepted, copyright.OfferDeclined, copyright.OfferWithdrawn, copyright.OfferExpired:
	default:
		return errParam("offer-status")
	}
	p := principal(c)
	page, err := reg.TransferOffers(c.Request().Context(), p.Org.ID, p.Actor(), status, c.QueryParam("cursor"), limit)
	if errors.Is(err, evidence.ErrBadCursor) {
		return errParam("cursor-unknown")
	}
	if err != nil {
		return err
	}
	out := wire.ListView[TransferOfferView]{Items: make([]TransferOfferView, len(page.Items)), Next: page.Next}
	names := s.orgNamer()
	for i, o := range page.Items {
		out.Items[i] = *s.offerView(names, o)
	}
	return c.JSON(http.StatusOK, out)
}

// getTransferOffer handles GET /api/v1/copyrights/transfers/{tid}, for
// the offer's two organizations.
func (s *Server) getTransferOffer(c echo.Context) error {
	reg, err := s.offers()
	if err != nil {
		return err
	}
	p := principal(c)
	o, err := reg.TransferOffer(c.Request().Context(), c.Param("tid"), p.Org.ID, p.Actor())
	if err != nil {
		return offerErr(err)
	}
	return c.JSON(http.StatusOK, s.offerView(s.orgNamer(), o))
}

// TransferOfferView is an offer as the API shows it: with its two
// organizations' names beside their IDs, as this node knows them now.
type TransferOfferView struct {
	copyright.TransferOffer
	FromName string `json:"from_name,omitempty"`
	ToName   string `json:"to_name,omitempty"`
}

func (s *Server) offerView(names *orgNames, o *copyright.TransferOffer) *TransferOfferView {
	return &TransferOfferView{TransferOffer: *o, FromName: names.name(o.From), ToName: names.name(o.To)}
}

// TransferAnswer is the answer to an accepted offer: the offer, and the
// registration as it now stands.
type TransferAnswer struct {
	Offer     *TransferOfferView   `json:"offer"`
	Copyright *copyright.Copyright `json:"copyright"`
}

func (s *Server) acceptTransfer(c echo.Context) error {
	reg, err := s.offers()
	if err != nil {
		return err
	}
	p := principal(c)
	o, cr, err := reg.AcceptTransfer(c.Request().Context(), c.Param("tid"), p.Org.ID, p.Actor())
	if err != nil {
		return offerErr(err)
	}
	return c.JSON(http.StatusOK, TransferAnswer{Offer: s.offerView(s.orgNamer(), o), Copyright: cr})
}

func (s *Server) declineTransfer(c echo.Context) error {
	return s.settleTransfer(c, Transfers.DeclineTransfer)
}

func (s *Server) withdrawTransfer(c echo.Context) error {
	return s.settleTransfer(c, Transfers.WithdrawTransfer)
}

// settleTransfer declines or withdraws an offer (answer: the offer).
func (s *Server) settleTransfer(c echo.Context, settle func(Transfers, context.Context, string, string, string) (*copyright.TransferOffer, error)) error {
	reg, err := s.offers()
	if err != nil {
		return err
	}
	p := principal(c)
	o, err := settle(reg, c.Request().Context(), c.Param("tid"), p.Org.ID, p.Actor())
	if err != nil {
		return offerErr(err)
	}
	return c.JSON(http.StatusOK, s.offerView(s.orgNamer(), o))
}
