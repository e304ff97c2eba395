package certify

import (
	"context"
	"errors"
	"time"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/internal/poll"
	"github.com/custos-project/custos/notary/document"
)

// Copyright renders, signs and stores a registration's certificate in
// lang (copyright.LangZH, "" alike, or copyright.LangEN: each language is
// a certificate of its own, with its own verification token), issued by
// actor, with a "copyright.certified" event on every file. It
// waits up to the anchor wait in all: first for the registration, then,
// within what is left, for its files' receipts. A revoked registration is
// copyright.ErrRevoked.
func (o *Office) Copyright(ctx context.Context, cr *copyright.Copyright, lang, actor string) error {
	if o.docs == nil {
		return o.noSigner()
	}
	if o.crs == nil {
		return errors.New("certify: Config.Copyrights is not set")
	}
	if lang != "" && lang != copyright.LangZH && lang != copyright.LangEN {
		return copyright.ErrBadLang
	}
	if cr.Status == copyright.CopyrightRevoked {
		return copyright.ErrRevoked
	}
	deadline := o.now().Add(o.wait)
	cr, err := o.awaitRegistration(ctx, cr, deadline)
	if err != nil {
		return err
	}
	recs := make([]*evidence.Record, len(cr.Items))
	for i, id := range cr.Items {
		if recs[i], err = o.ev.Get(ctx, id); err != nil {
			return err
		}
	}
	items, err := o.items(ctx, recs, deadline)
	if err != nil {
		return err
	}
	issued := o.now().UTC()
	token := evidence.NewVerifyToken(cr.ID)
	dc := &document.Copyright{ID: cr.ID, VerifyToken: token, Number: cr.Number, Title: cr.Title, Type: cr.Type, Authors: cr.Authors,
		Owner: cr.Owner, Created: cr.Created, Registrant: cr.RegistrantOrg, RegisteredAt: cr.RegisteredAt, Items: items, Lang: lang}
	if org, err := o.orgs.Org(cr.RegistrantOrg); err == nil {
		dc.Registrant = org.Name
	}
	if p := cr.FirstPublication; p != nil {
		dc.Published, dc.PublishedAt = p.Date, p.Place
	}
	pdf, err := o.docs.CopyrightCertificate(ctx, dc, issued)
	if err != nil {
		return err
	}
	doc := &copyright.CopyrightDocument{IssuedAt: issued, Office: o.docs.Office, Notary: o.docs.Notary(), VerifyToken: token, Lang: lang}
	for _, it := range items {
		b, err := it.Receipt.Encode()
		if err != nil {
			return err
		}
		doc.Items = append(doc.Items, copyright.DocumentItem{ID: it.ID, SHA256: it.SHA256, Receipt: b})
	}
	_, _, err = o.crs.SaveCopyrightDocument(ctx, cr.ID, actor, doc, pdf)
	return err
}

// awaitRegistration waits until deadline for the registration's
// registered events to be anchored, so that the certificate's receipts
// carry them.
func (o *Office) awaitRegistration(ctx context.Context, cr *copyright.Copyright, deadline time.Time) (*copyright.Copyright, error) {
	for cr.AnchoredHeight == 0 || cr.Number == "" { // anchored, and numbered by the chain
		if o.now().After(deadline) {
			return nil, &NotAnchoredError{Copyright: cr.ID}
		}
		if err := poll.Pause(ctx); err != nil {
			return nil, err
		}
		var err error
		if cr, err = o.crs.Copyright(ctx, cr.ID); err != nil {
			return nil, err
		}
	}
	return cr, nil
}
