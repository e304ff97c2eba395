package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/notary/document"
)

// DocumentCheck is the public verification view of a signed document: a
// notarial certificate or a copyright registration certificate. It is
// served without authentication to whoever holds the document's
// verification token (128 random bits, separate from its ID), which only
// the document itself carries, in its QR code and verification link, so
// that a court can check a document on paper against the node and the
// consortium chain. It names the items by digest and carries their
// receipts, which the verification page checks offline; titles, file names
// and contents stay private.
type DocumentCheck struct {
	Kind     string    `json:"kind"` // "certificate" or "copyright"
	ID       string    `json:"id"`
	Number   string    `json:"number"`
	Status   string    `json:"status"` // "valid" or "revoked"
	IssuedAt time.Time `json:"issued_at"`
	Office   string    `json:"office"`
	Notary   string    `json:"notary"`
	// PDFSHA256 is the hex SHA-256 of the signed PDF as issued, to compare
	// with the file in hand.
	PDFSHA256 string              `json:"pdf_sha256"`
	Items     []DocumentCheckItem `json:"items"`
}

// documentCheck serves GET /api/v1/verify/{token}: the DocumentCheck of
// the document that token opens, of either kind. An unknown token, and any
// document issued before tokens existed, is 404.
func (s *Server) documentCheck(c echo.Context) error {
	kind, id, err := s.ev.VerifiedDocument(c.Request().Context(), c.Param("token"))
	switch {
	case err != nil:
	case kind == evidence.DocumentCertificate:
		err = s.certificateCheck(c, id)
	case kind == evidence.DocumentCopyright:
		err = s.verifyCopyright(c, id)
	default:
		err = fmt.Errorf("verification token of %s: unknown document kind %q", id, kind)
	}
	if errors.Is(err, evidence.ErrNotFound) {
		return problem(http.StatusNotFound, "not-found", "Not found", "This node issued no document with this verification token.")
	}
	return err
}

// DocumentCheckItem is one evidence item of a document: its digest and
// its receipt as of the document's issue. It is the item a registration's
// certificate is stored with.
type DocumentCheckItem = evidence.DocumentItem

// anchorWait bounds how long issuing a document waits for its items to be
// anchored: a fresh upload is anchored within about a second.
const anchorWait = 10 * time.Second

// documentItems gathers what a document states of each record: metadata,
// trusted times and the receipt. A document needs every item anchored (its
// receipt proves the item against a consortium checkpoint), so it waits up
// to anchorWait, then answers 409 not-anchored with Retry-After. It reads
// the receipts without custody events: the caller records the act (a
// certificate issued, a registration) on each item.
func (s *Server) documentItems(ctx context.Context, recs []*evidence.Record) ([]document.Item, error) {
	return s.documentItemsBy(ctx, recs, time.Now().Add(anchorWait))
}

// documentItemsBy is documentItems waiting until deadline, for a caller
// that has already waited part of anchorWait.
func (s *Server) documentItemsBy(ctx context.Context, recs []*evidence.Record, deadline time.Time) ([]document.Item, error) {
	items := make([]document.Item, 0, len(recs))
	for _, r := range recs {
		it := document.Item{ID: r.ID, Title: r.Title, FileName: r.FileName, MediaType: r.MediaType,
			Size: r.Size, SHA256: r.SHA256, SM3: r.SM3}
		for _, t := range r.Tokens {
			it.Times = append(it.Times, document.TrustedTime{TSA: t.TSA, Time: t.Time, Serial: t.Serial})
		}
		for {
			rc, err := s.ev.Receipt(ctx, r.ID)
			if err == nil {
				it.Receipt = rc
				break
			}
			if !errors.Is(err, evidence.ErrNotAnchored) && !isNoCheckpoint(err) {
				return nil, err
			}
			if time.Now().After(deadline) {
				p := problem(http.StatusConflict, "not-anchored", "Evidence not yet anchored",
					"Evidence item "+r.ID+" is not yet anchored in the consortium chain, so its receipt, which the document embeds, does not exist yet. Retry shortly.")
				p.retryAfter = 2
				return nil, p
			}
			if err := pollPause(ctx); err != nil {
				return nil, err
			}
		}
		items = append(items, it)
	}
	return items, nil
}

// errNoSigner is the answer of the document endpoints on a node that
// cannot sign documents.
func errNoSigner() *Problem {
	return problem(http.StatusConflict, "no-document-signer", "This node does not issue documents",
		"This node holds no notary document-signing certificate (or lacks the CJK font to render documents), so it cannot issue certificates. Certificates are issued by the consortium's notary members.")
}
