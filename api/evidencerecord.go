package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	prob "github.com/custos-project/custos/internal/problem"
)

// evidenceRecordType is the evidence record's media type. RFC 4998
// registers none (nor has IANA one), so the DER is served as
// application/octet-stream, with a file name ending in .ers, the
// extension the ERS tools use.
const evidenceRecordType = "application/octet-stream"

// getEvidenceRecord serves the item's RFC 4998 evidence record (DER), to
// whoever may read the item, and records the read as a viewed event with
// subject evidence-record, as getReceipt does. While the item has none
// yet (it is not final, or its batch is not built) it answers 404
// evidence-record-pending.
func (s *Server) getEvidenceRecord(c echo.Context) error {
	rec, err := s.readable(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	der, err := s.ers.EvidenceRecord(ctx, rec.ID)
	if errors.Is(err, evidence.ErrRecordPending) {
		p := problem(http.StatusNotFound, "evidence-record-pending", prob.M("title.evidence-record-pending"), prob.M("evidence-record-pending"))
		p.retryAfter = 10
		return p
	}
	if err != nil {
		return err
	}
	if _, err := s.recordRead(c, rec.ID, custody.EventViewed, "evidence-record"); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", rec.ID+".ers"))
	return c.Blob(http.StatusOK, evidenceRecordType, der)
}
