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

// documentCheck serves GET /api/v1/verify/{token}: the DocumentCheck of
// the document that token opens, of either kind. An unknown token, and any
// document issued before tokens existed, is 404.
func (s *Server) documentCheck(c echo.Context) error {
	kind, id, err := s.certs.VerifiedDocument(c.Request().Context(), c.Param("token"))
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
			rc, err := s.custody.Receipt(ctx, r.ID)
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
