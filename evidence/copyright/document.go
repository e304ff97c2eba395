package copyright

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
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
	// Lang is the language of the certificate's body: LangEN, or absent
	// for Chinese (LangZH; every certificate issued before languages
	// existed is Chinese). Each language is a certificate of its own.
	Lang string `json:"lang,omitempty"`
}

// Languages of a registration's certificate (CopyrightDocument.Lang).
const (
	LangZH = "zh" // Chinese, the default
	LangEN = "en" // English
)

// documentKey is where a registration's certificate in lang ("" is
// LangZH) is kept in bCrDocs and bCrPDF, and what its verification token
// names after "copyright:": the Chinese one under the registration's ID,
// as before there were languages, so certificates already issued keep
// their place; the English one under "<id>/en" (IDs hold no "/").
func documentKey(id, lang string) (string, error) {
	switch lang {
	case "", LangZH:
		return id, nil
	case LangEN:
		return id + "/" + LangEN, nil
	}
	return "", fmt.Errorf("%w %q", ErrBadLang, lang)
}

// SplitDocumentKey splits what a registration certificate's verification
// token names (evidence.VerifiedDocument, kind evidence.DocumentCopyright)
// into the registration's ID and the certificate's language.
func SplitDocumentKey(key string) (id, lang string) {
	id, lang, ok := strings.Cut(key, "/")
	if !ok {
		return id, LangZH
	}
	return id, lang
}

// documentSubject is the custody subject of the events about the
// certificate in lang: "copyright:<id>" for the Chinese one (as before
// there were languages), "copyright:<id>:lang:en" for the English one.
func documentSubject(id, lang string) string {
	if lang == LangEN {
		return "copyright:" + id + ":lang:" + LangEN
	}
	return "copyright:" + id
}

// DocumentItem is one evidence item of a document and its receipt (the
// canonical bytes) as embedded in the document.
type DocumentItem struct {
	ID      string          `json:"id"`
	SHA256  string          `json:"sha256"`
	Receipt json.RawMessage `json:"receipt"`
}

// SaveCopyrightDocument stores a registration's signed certificate in
// doc.Lang once, issued by actor: the first one saved in that language is kept, and SaveCopyrightDocument
// returns the one kept, so concurrent issues serve identical bytes.
// doc.PDFSHA256 is set from pdf; doc.VerifyToken (NewVerifyToken) must be
// the token the PDF's QR code carries, and opens the public view of the one
// kept (a document saved without one has no public view). The certificate,
// its token and a "copyright.certified" custody event (subject
// documentSubject: "copyright:<id>", or "copyright:<id>:lang:en") on every
// file commit in one transaction, which also
// checks that the registration is not revoked (ErrRevoked): a revocation
// that commits first leaves no certificate behind.
func (s *Register) SaveCopyrightDocument(ctx context.Context, id, actor string, doc *CopyrightDocument, pdf []byte) (*CopyrightDocument, []byte, error) {
	key, err := documentKey(id, doc.Lang)
	if err != nil {
		return nil, nil, err
	}
	if doc.Lang == LangZH {
		doc.Lang = "" // Chinese ones are stored as they were before languages
	}
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
		if old := tx.Bucket(bCrPDF).Get([]byte(key)); old != nil {
			var err error
			keptDoc, kept, err = loadDocument(tx, key)
			return err
		}
		if c.Status == CopyrightRevoked {
			return ErrRevoked
		}
		if doc.VerifyToken != "" { // none: no public view
			if err := evidence.PutVerifyToken(tx, doc.VerifyToken, evidence.DocumentCopyright, key); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bCrDocs).Put([]byte(key), val); err != nil {
			return err
		}
		if err := tx.Bucket(bCrPDF).Put([]byte(key), pdf); err != nil {
			return err
		}
		return s.appendToItems(tx, c, actor, EventCopyrightCertified, documentSubject(id, doc.Lang))
	})
	return keptDoc, kept, err
}

// CopyrightPDF returns a registration's certificate PDF in lang (LangZH,
// "" alike, or LangEN; another is ErrBadLang) for actor, a key of
// organization org, to read, evidence.ErrNotFound if none was issued in
// lang. Only the registrant and the current owner organizations may read
// it, decided in the transaction that records the read, so a registration
// transferred away from org before that transaction commits is
// evidence.ErrNotVisible, with nothing recorded. The PDF states the files'
// digests, so the read is recorded first: a "viewed" custody event,
// subject documentSubject ("copyright:<id>", or "copyright:<id>:lang:en"),
// on every file, in one transaction that commits before the bytes are
// returned.
func (s *Register) CopyrightPDF(ctx context.Context, id, lang, org, actor string) ([]byte, error) {
	key, err := documentKey(id, lang)
	if err != nil {
		return nil, err
	}
	if !evidence.ValidID(id) {
		return nil, evidence.ErrNotFound
	}
	var pdf []byte
	err = s.ev.Update(func(tx *bolt.Tx) error {
		c, err := getCopyright(tx, id)
		if err != nil {
			return err
		}
		if c.OwnerOrg != org && c.RegistrantOrg != org {
			return evidence.ErrNotVisible
		}
		v := tx.Bucket(bCrPDF).Get([]byte(key))
		if v == nil {
			return evidence.ErrNotFound
		}
		pdf = bytes.Clone(v)
		return s.appendToItems(tx, c, actor, custody.EventViewed, documentSubject(id, lang))
	})
	if err != nil {
		return nil, err
	}
	return pdf, nil
}

// ReadFiles records the read, by actor, a key of organization org, of
// what is served about the files items of registration id (the evidence
// records of those whose record is ready): a "viewed" custody event with
// subject on each, all in one transaction, or none. As for CopyrightPDF,
// only the registrant and the current owner organizations may read them,
// decided in that transaction: a registration transferred away from org
// before it commits is evidence.ErrNotVisible, with nothing recorded on
// any file. With no items nothing is recorded, and org's right is decided
// all the same. An item that is not one of the registration's files is an
// error, and nothing is recorded.
func (s *Register) ReadFiles(ctx context.Context, id, org, actor, subject string, items []string) error {
	if !evidence.ValidID(id) {
		return evidence.ErrNotFound
	}
	read := func(tx *bolt.Tx) error {
		c, err := getCopyright(tx, id)
		if err != nil {
			return err
		}
		if c.OwnerOrg != org && c.RegistrantOrg != org {
			return evidence.ErrNotVisible
		}
		if len(items) == 0 {
			return nil
		}
		files := &Copyright{ID: c.ID, Items: items}
		for _, item := range items {
			if !slices.Contains(c.Items, item) {
				return fmt.Errorf("evidence: %s is not a file of registration %s", item, c.ID)
			}
		}
		return s.appendToItems(tx, files, actor, custody.EventViewed, subject)
	}
	if len(items) == 0 {
		return s.ev.View(read)
	}
	return s.ev.Update(read)
}

// CopyrightDocument returns a registration's certificate in lang (as
// CopyrightPDF) and its PDF, or evidence.ErrNotFound if none was issued in
// lang.
func (s *Register) CopyrightDocument(ctx context.Context, id, lang string) (*CopyrightDocument, []byte, error) {
	key, err := documentKey(id, lang)
	if err != nil {
		return nil, nil, err
	}
	if !evidence.ValidID(id) {
		return nil, nil, evidence.ErrNotFound
	}
	var doc *CopyrightDocument
	var pdf []byte
	err = s.ev.View(func(tx *bolt.Tx) error {
		var err error
		doc, pdf, err = loadDocument(tx, key)
		return err
	})
	return doc, pdf, err
}

// loadDocument loads the certificate kept under key (documentKey).
func loadDocument(tx *bolt.Tx, key string) (*CopyrightDocument, []byte, error) {
	v := tx.Bucket(bCrDocs).Get([]byte(key))
	pdf := tx.Bucket(bCrPDF).Get([]byte(key))
	if v == nil || pdf == nil {
		return nil, nil, evidence.ErrNotFound
	}
	var doc CopyrightDocument
	if err := json.Unmarshal(v, &doc); err != nil {
		return nil, nil, fmt.Errorf("evidence: certificate %s is corrupt: %w", key, err)
	}
	return &doc, bytes.Clone(pdf), nil
}
