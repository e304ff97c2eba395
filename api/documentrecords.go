package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
)

// getCopyrightRecords serves GET /api/v1/copyrights/{id}/evidence-records:
// the evidence records of the registration's files. Like the
// registration's certificate (copyrightPDF), they are served to its
// owner and registrant organizations only, since they name the files'
// digests, which stay private; anyone else gets 404 not-found.
func (s *Server) getCopyrightRecords(c echo.Context) error {
	reg, err := s.register()
	if err != nil {
		return err
	}
	cr, err := reg.Copyright(c.Request().Context(), c.Param("id"))
	if p := principal(c); errors.Is(err, evidence.ErrNotFound) || err == nil && cr.OwnerOrg != p.Org.ID && cr.RegistrantOrg != p.Org.ID {
		return errGone("no-copyright-records") // a registration others may not read is answered as a missing one
	}
	if err != nil {
		return copyrightErr(err)
	}
	out := wire.DocumentRecords{Kind: "copyright", ID: cr.ID}
	if out.Records, err = s.itemRecords(c, cr.Items, false); errors.Is(err, evidence.ErrNotVisible) {
		// The registration was transferred away from the caller's
		// organization since it was read: answered as it would be now.
		return errGone("no-copyright-records")
	} else if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// getCertificateRecords serves GET /api/v1/certificates/{id}/evidence-records
// to whoever may read the certificate (its readers; anyone else gets 404
// not-found, as for the certificate): its items' evidence records, and the
// record over its signed PDF's SHA-256, last (kind pdf). Serving the PDF's
// record records nothing, as reading the certificate record, which shows
// the same SHA-256, records nothing.
func (s *Server) getCertificateRecords(c echo.Context) error {
	ctx := c.Request().Context()
	cert, err := s.certs.Certificate(ctx, c.Param("id"), principal(c).Org.ID)
	if err != nil {
		return certificateErr(err)
	}
	out := wire.DocumentRecords{Kind: "certificate", ID: cert.ID}
	// The certificate names only the items the caller's organization
	// may see; one whose share ends meanwhile is left out, as it would
	// be from the certificate read now.
	if out.Records, err = s.itemRecords(c, cert.Evidence, true); err != nil {
		return err
	}
	pdf := wire.DocumentRecord{Kind: wire.RecordKindPDF, ID: cert.ID, SHA256: cert.PDFSHA256, Status: wire.RecordPending}
	der, _, err := s.certs.PDFRecord(ctx, cert.ID)
	switch {
	case err == nil:
		pdf.Status, pdf.Record = wire.RecordReady, der
	case !errors.Is(err, evidence.ErrRecordPending):
		return err
	}
	out.Records = append(out.Records, pdf)
	return c.JSON(http.StatusOK, out)
}

// itemRecords is the evidence record of each item of ids, in order. Each
// record served is a read of its item, recorded as getEvidenceRecord
// records it (a viewed event with subject evidence-record), if the
// caller's organization may still see the item when the read is recorded;
// a pending one records nothing. An item it may no longer see then (a
// share ended, or the registration was transferred, since the document
// was read) is left out if omit, else ends the list with
// evidence.ErrNotVisible (the reads of the items before it stay recorded).
func (s *Server) itemRecords(c echo.Context, ids []string, omit bool) ([]wire.DocumentRecord, error) {
	out := make([]wire.DocumentRecord, 0, len(ids))
	for _, id := range ids {
		r, err := s.itemRecord(c, id)
		if errors.Is(err, evidence.ErrNotVisible) && omit {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Server) itemRecord(c echo.Context, id string) (wire.DocumentRecord, error) {
	ctx := c.Request().Context()
	out := wire.DocumentRecord{Kind: wire.RecordKindItem, ID: id, Status: wire.RecordElsewhere}
	rec, err := s.records.Get(ctx, id)
	if errors.Is(err, evidence.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.SHA256 = rec.SHA256
	der, err := s.ers.EvidenceRecord(ctx, id)
	if errors.Is(err, evidence.ErrRecordPending) {
		out.Status = wire.RecordPending
		return out, nil
	}
	if err != nil {
		return out, err
	}
	p := principal(c)
	if _, _, err := s.custody.AccessAs(ctx, id, p.Org.ID, p.Actor(), custody.EventViewed, "evidence-record"); err != nil {
		return out, err
	}
	out.Status, out.Record = wire.RecordReady, der
	return out, nil
}
