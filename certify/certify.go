// Package certify issues the documents a notary office signs: notarial
// certificates over evidence items, and copyright registration
// certificates. It is the workflow between the evidence service, which
// stores what is issued, and notary/document, which renders and signs it;
// the HTTP API only translates requests to it and its errors to answers.
package certify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/custos-project/custos/internal/problem"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/evidence/proofs"
	"github.com/custos-project/custos/evidence/sharing"
	"github.com/custos-project/custos/internal/poll"
	"github.com/custos-project/custos/notary/document"
	"github.com/custos-project/custos/receipt"
)

// DefaultAnchorWait bounds how long issuing a document waits for its items
// (and a registration) to be anchored: a fresh upload is anchored within
// about a second.
const DefaultAnchorWait = 10 * time.Second

// Evidence is what issuing needs of the evidence service
// (evidence.Service).
type Evidence interface {
	Get(ctx context.Context, id string) (*evidence.Record, error)
	Visible(ctx context.Context, r *evidence.Record, org string) (bool, error)
	Custody(ctx context.Context, id string) ([]*custody.Event, error)
}

// Matters is what issuing a certificate over a matter needs of the
// matters (sharing.Registry).
type Matters interface {
	Matter(ctx context.Context, id, org string) (*sharing.Matter, error)
	MatterEvidence(ctx context.Context, matter, org string) ([]*evidence.Record, error)
}

// Certificates is what issuing a notarial certificate needs of the
// certificate records (certificates.Register).
type Certificates interface {
	ReserveCertificate(ctx context.Context, year int, prefix string) (*certificates.Certificate, error)
	IssueCertificateWithin(ctx context.Context, c *certificates.Certificate, pdf []byte, receipts [][]byte, within func(tx *bolt.Tx, c *certificates.Certificate) error) error
}

// Register is what issuing a registration's certificate needs of the
// copyright register (copyright.Register).
type Register interface {
	Copyright(ctx context.Context, id string) (*copyright.Copyright, error)
	SaveCopyrightDocument(ctx context.Context, id, actor string, doc *copyright.CopyrightDocument, pdf []byte) (*copyright.CopyrightDocument, []byte, error)
}

// Receipts builds the receipts a document embeds (proofs.Prover).
type Receipts interface {
	Receipt(ctx context.Context, id string) (*receipt.Receipt, error)
}

// Orgs names organizations (access.Store).
type Orgs interface {
	Org(id string) (*access.Org, error)
}

// Config configures an Office.
type Config struct {
	Evidence     Evidence     // required
	Matters      Matters      // required
	Certificates Certificates // required: where notarial certificates are stored
	Receipts     Receipts     // required
	Orgs         Orgs         // required
	// Copyrights is the copyright register whose certificates the office
	// issues; nil on a node without one: Copyright then fails.
	Copyrights Register
	// Documents renders and signs documents; nil on a node that is not a
	// notary office: every issue is then ErrNoSigner.
	Documents *document.Issuer
	// Missing says, when Documents is nil on a node that holds a notary
	// document-signing certificate, what it lacks: MissingFont or
	// MissingSeal; "" for a node that is not a notary office. The error
	// of an issue says it (NoSignerError).
	Missing string
	// AnchorWait bounds the wait for anchoring; 0: DefaultAnchorWait.
	AnchorWait time.Duration
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

// Office issues documents.
type Office struct {
	ev       Evidence
	matters  Matters
	certs    Certificates
	receipts Receipts
	orgs     Orgs
	crs      Register
	docs     *document.Issuer
	missing  string
	wait     time.Duration
	now      func() time.Time
}

// New returns an Office.
func New(cfg Config) (*Office, error) {
	if cfg.Evidence == nil || cfg.Matters == nil || cfg.Certificates == nil || cfg.Receipts == nil || cfg.Orgs == nil {
		return nil, errors.New("certify: Config.Evidence, Matters, Certificates, Receipts and Orgs are required")
	}
	if cfg.AnchorWait == 0 {
		cfg.AnchorWait = DefaultAnchorWait
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Office{ev: cfg.Evidence, matters: cfg.Matters, certs: cfg.Certificates, receipts: cfg.Receipts, orgs: cfg.Orgs, crs: cfg.Copyrights, docs: cfg.Documents, missing: cfg.Missing, wait: cfg.AnchorWait, now: cfg.Now}, nil
}

// ErrNoSigner means the node holds no document-signing certificate (or
// cannot render documents), so it issues none. Issues fail with a
// *NoSignerError, which is ErrNoSigner.
var ErrNoSigner = errors.New("certify: this node does not sign documents")

// What a notary office's node may lack to issue documents (Config.Missing).
const (
	MissingFont = "font" // a CJK font to render documents with
	MissingSeal = "seal" // a readable seal image ([notary] seal)
)

// NoSignerError is ErrNoSigner with what the node lacks: Missing is
// MissingFont or MissingSeal on a notary office's node, "" on a node that
// holds no document-signing certificate.
type NoSignerError struct{ Missing string }

func (e *NoSignerError) Error() string {
	if e.Missing != "" {
		return ErrNoSigner.Error() + ": it lacks its " + e.Missing
	}
	return ErrNoSigner.Error()
}

func (e *NoSignerError) Is(target error) bool { return target == ErrNoSigner }

// noSigner is the error of an issue on this office, which cannot sign.
func (o *Office) noSigner() error { return &NoSignerError{Missing: o.missing} }

// ErrNoMatter means a certificate was asked for a matter that does not
// exist or that the organization may not see. It wraps evidence.ErrNotFound.
var ErrNoMatter = fmt.Errorf("certify: no such matter: %w", evidence.ErrNotFound)

// InputError is a request that cannot be certified as asked. Detail is
// its English text; Msg the catalog message (internal/problem), so the
// API answers it in the client's language.
type InputError struct {
	Detail string
	Msg    problem.Msg
}

// inputError is the InputError of the catalog message id.
func inputError(id string, kv ...any) *InputError {
	m := problem.M(id, kv...)
	return &InputError{Detail: m.In(problem.English), Msg: m}
}

func (e *InputError) Error() string { return "certify: " + e.Detail }

// NotAnchoredError means an item, or a registration, was still not
// anchored when the wait ended; its receipt, which the document embeds,
// does not exist yet. Exactly one of Evidence and Copyright is set.
type NotAnchoredError struct {
	Evidence  string
	Copyright string
}

func (e *NotAnchoredError) Error() string {
	if e.Copyright != "" {
		return "certify: registration " + e.Copyright + " is not yet anchored"
	}
	return "certify: evidence " + e.Evidence + " is not yet anchored"
}

// items gathers what a document states of each record: metadata, trusted
// times and the receipt. A document needs every item anchored (its
// receipt proves the item against a consortium checkpoint) with the whole
// custody it had when issuing began (a share made a moment before is
// stated, not left out because its batch was not yet final), so it waits
// until deadline, then fails with a *NotAnchoredError. It reads the
// receipts without custody events: the caller records the act (a
// certificate issued, a registration) on each item.
func (o *Office) items(ctx context.Context, recs []*evidence.Record, deadline time.Time) ([]document.Item, error) {
	items := make([]document.Item, 0, len(recs))
	for _, r := range recs {
		it := document.Item{ID: r.ID, Title: r.Title, FileName: r.FileName, MediaType: r.MediaType,
			Size: r.Size, SHA256: r.SHA256, SM3: r.SM3}
		for _, t := range r.Tokens {
			it.Times = append(it.Times, document.TrustedTime{TSA: t.TSA, Time: t.Time, Serial: t.Serial})
		}
		events, err := o.ev.Custody(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for {
			rc, err := o.receipts.Receipt(ctx, r.ID)
			if err == nil && len(rc.Events) >= len(events) {
				it.Receipt = rc
				break
			}
			if err != nil && !errors.Is(err, proofs.ErrNotAnchored) {
				return nil, err
			}
			if o.now().After(deadline) {
				return nil, &NotAnchoredError{Evidence: r.ID}
			}
			if err := poll.Pause(ctx); err != nil {
				return nil, err
			}
		}
		items = append(items, it)
	}
	return items, nil
}
