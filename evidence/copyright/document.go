package copyright

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/custody"
)

// CopyrightDocument describes a registration's signed certificate as
// issued: what the public verification view shows of it.
type CopyrightDocument struct {
	IssuedAt  time.Time      `json:"issued_at"`
	Office    string         `json:"office"`
	Notary    string         `json:"notary"`
	PDFSHA256 string         `json:"pdf_sha256"`
	Items     []DocumentItem `json:"items"`
	// VerifyToken opens the public verification view (VerifiedDocument);
	// the certificate's QR code carries it. Never shown to members.
	VerifyToken string `json:"verify_token,omitempty"`
}

// DocumentItem is one evidence item of a document and its receipt (the
// canonical bytes) as embedded in the document.
type DocumentItem struct {
	ID      string          `json:"id"`
	SHA256  string          `json:"sha256"`
	Receipt json.RawMessage `json:"receipt"`
}

// SaveCopyrightDocument stores a registration's signed certificate once,
// issued by actor: the first one saved is kept, and SaveCopyrightDocument
// returns the one kept, so concurrent issues serve identical bytes.
// doc.PDFSHA256 is set from pdf; doc.VerifyToken (NewVerifyToken) must be
// the token the PDF's QR code carries, and opens the public view of the one
// kept (a document saved without one has no public view). The certificate,
// its token and a "copyright.certified" custody event (subject
// "copyright:<id>") on every file commit in one transaction, which also
// checks that the registration is not revoked (ErrRevoked): a revocation
// that commits first leaves no certificate behind.
func (s *Register) SaveCopyrightDocument(ctx context.Context, id, actor string, doc *CopyrightDocument, pdf []byte) (*CopyrightDocument, []byte, error) {
	sum := sha256.Sum256(pdf)
	doc.PDFSHA256 = hex.EncodeToString(sum[:])
	val, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, err
	}
	var keptDoc *CopyrightDocument
	var kept []byte
	err = s.ev.Update(func(tx *bolt.Tx) error {
		c, err := getCopyright(tx, id)
		if err != nil {
			return err
		}
		keptDoc, kept = doc, pdf
		if old := tx.Bucket(bCrPDF).Get([]byte(id)); old != nil {
			var err error
			keptDoc, kept, err = loadDocument(tx, id)
			return err
		}
		if c.Status == CopyrightRevoked {
			return ErrRevoked
		}
		if doc.VerifyToken != "" { // none: no public view
			if err := evidence.PutVerifyToken(tx, doc.VerifyToken, evidence.DocumentCopyright, id); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bCrDocs).Put([]byte(id), val); err != nil {
			return err
		}
		if err := tx.Bucket(bCrPDF).Put([]byte(id), pdf); err != nil {
			return err
		}
		return s.appendToItems(tx, c, actor, EventCopyrightCertified, "copyright:"+id)
	})
	return keptDoc, kept, err
}

// CopyrightPDF returns a registration's certificate PDF for actor to
// read, evidence.ErrNotFound if none was issued. The PDF states the files'
// digests, so the read is recorded first: a "viewed" custody event,
// subject "copyright:<id>", on every file, in one transaction that
// commits before the bytes are returned.
func (s *Register) CopyrightPDF(ctx context.Context, id, actor string) ([]byte, error) {
	if !evidence.ValidID(id) {
		return nil, evidence.ErrNotFound
	}
	var pdf []byte
	err := s.ev.Update(func(tx *bolt.Tx) error {
		c, err := getCopyright(tx, id)
		if err != nil {
			return err
		}
		v := tx.Bucket(bCrPDF).Get([]byte(id))
		if v == nil {
			return evidence.ErrNotFound
		}
		pdf = bytes.Clone(v)
		return s.appendToItems(tx, c, actor, custody.EventViewed, "copyright:"+id)
	})
	if err != nil {
		return nil, err
	}
	return pdf, nil
}

// CopyrightDocument returns a registration's certificate and its PDF, or
// evidence.ErrNotFound if none was issued.
func (s *Register) CopyrightDocument(ctx context.Context, id string) (*CopyrightDocument, []byte, error) {
	if !evidence.ValidID(id) {
		return nil, nil, evidence.ErrNotFound
	}
	var doc *CopyrightDocument
	var pdf []byte
	err := s.ev.View(func(tx *bolt.Tx) error {
		var err error
		doc, pdf, err = loadDocument(tx, id)
		return err
	})
	return doc, pdf, err
}

func loadDocument(tx *bolt.Tx, id string) (*CopyrightDocument, []byte, error) {
	v := tx.Bucket(bCrDocs).Get([]byte(id))
	pdf := tx.Bucket(bCrPDF).Get([]byte(id))
	if v == nil || pdf == nil {
		return nil, nil, evidence.ErrNotFound
	}
	var doc CopyrightDocument
	if err := json.Unmarshal(v, &doc); err != nil {
		return nil, nil, fmt.Errorf("evidence: certificate of %s is corrupt: %w", id, err)
	}
	return &doc, bytes.Clone(pdf), nil
}
