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
// digests, which stay private; anyone else gets 404 not-found. The reads
// of the records served are recorded all together, in one transaction
// that decides the caller's right again (Register.ReadFiles), or none
// are: a registration transferred away from the caller's organization
// while the answer was built is answered as to any other organization,
// with nothing recorded on any file.
func (s *Server) getCopyrightRecords(c echo.Context) error {
	reg, err := s.register()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cr, err := reg.Copyright(ctx, c.Param("id"))
	p := principal(c)
	if errors.Is(err, evidence.ErrNotFound) || err == nil && cr.OwnerOrg != p.Org.ID && cr.RegistrantOrg != p.Org.ID {
		return errGone("no-copyright-records") // a registration others may not read is answered as a missing one
	}
	if err != nil {
		return copyrightErr(err)
	}
	out := wire.DocumentRecords{Kind: "copyright", ID: cr.ID, Records: make([]wire.DocumentRecord, len(cr.Items))}
	var ready []string
	for i, id := range cr.Items {
		if out.Records[i], _, err = s.itemRecord(c, id); err != nil {
			return err
		}
		if out.Records[i].Status == wire.RecordReady {
			ready = append(ready, id)
		}
	}
	if err := reg.ReadFiles(ctx, cr.ID, p.Org.ID, p.Actor(), "evidence-record", ready); errors.Is(err, evidence.ErrNotFound) {
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
	if out.Records, err = s.certificateItemRecords(c, cert.Evidence); err != nil {
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

// certificateItemRecords is the evidence record of each item of ids, in
// order. Each record served is a read of its item, recorded as
// getEvidenceRecord records it (a viewed event with subject
// evidence-record), in its own transaction, if the caller's organization
// may still see the item then; a pending one records nothing. The
// certificate names only the items the caller's organization may see, so
// an item it may no longer see when its read is recorded (a share ended
// since the certificate was read) is left out, as it would be from the
// certificate read now.
//
// The request spends the organization's shared-read quota as a listing
// page does: one token, however many items, if it is to record a read of
// an item shared with the organization (not its own). The token is taken
// before any read is recorded (429 read-quota, nothing recorded, once the
// quota is spent), and given back if none of those reads is recorded
// after all.
func (s *Server) certificateItemRecords(c echo.Context, ids []string) ([]wire.DocumentRecord, error) {
	ctx, org := c.Request().Context(), principal(c).Org.ID
	recs := make([]wire.DocumentRecord, len(ids))
	shared := make([]bool, len(ids))
	anyShared := false
	for i, id := range ids {
		r, rec, err := s.itemRecord(c, id)
		if err != nil {
			return nil, err
		}
		if r.Status == wire.RecordReady {
			own, err := s.records.Owns(ctx, rec, org)
			if err != nil {
				return nil, err
			}
			shared[i], anyShared = !own, anyShared || !own
		}
		recs[i] = r
	}
	if anyShared {
		if err := s.limits.takeSharedRead(org); err != nil {
			return nil, err
		}
	}
	out, readShared, err := s.recordItemReads(c, recs, shared)
	if anyShared && !readShared {
		s.limits.refundSharedRead(org)
	}
	return out, err
}

// recordItemReads records the read of each ready record of recs
// (certificateItemRecords) and returns those whose read was recorded and
// those that record none (pending, elsewhere), and whether it recorded
// the read of an item marked in shared.
func (s *Server) recordItemReads(c echo.Context, recs []wire.DocumentRecord, shared []bool) ([]wire.DocumentRecord, bool, error) {
	ctx, p := c.Request().Context(), principal(c)
	out := make([]wire.DocumentRecord, 0, len(recs))
	readShared := false
	for i, r := range recs {
		if r.Status == wire.RecordReady {
			_, _, err := s.custody.AccessAs(ctx, r.ID, p.Org.ID, p.Actor(), custody.EventViewed, "evidence-record")
			if errors.Is(err, evidence.ErrNotVisible) {
				continue
			}
			if err != nil {
				return nil, readShared, err
			}
			readShared = readShared || shared[i]
		}
		out = append(out, r)
	}
	return out, readShared, nil
}

// itemRecord is item id's entry in a document's evidence records, its
// read not recorded: ready with its record, pending while it has none,
// elsewhere if this node does not hold the item; and the item's record
// (nil elsewhere).
func (s *Server) itemRecord(c echo.Context, id string) (wire.DocumentRecord, *evidence.Record, error) {
	ctx := c.Request().Context()
	out := wire.DocumentRecord{Kind: wire.RecordKindItem, ID: id, Status: wire.RecordElsewhere}
	rec, err := s.records.Get(ctx, id)
	if errors.Is(err, evidence.ErrNotFound) {
		return out, nil, nil
	}
	if err != nil {
		return out, nil, err
	}
	out.SHA256 = rec.SHA256
	der, err := s.ers.EvidenceRecord(ctx, id)
	if errors.Is(err, evidence.ErrRecordPending) {
		out.Status = wire.RecordPending
		return out, rec, nil
	}
	if err != nil {
		return out, nil, err
	}
	out.Status, out.Record = wire.RecordReady, der
	return out, rec, nil
}
