package api

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/certify"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/evidence/imagehash"
	"github.com/custos-project/custos/evidence/proofs"
	"github.com/custos-project/custos/evidence/sharing"
	"github.com/custos-project/custos/receipt"
)

// The roles the API uses the evidence service (evidence.Service) in, one
// interface per group of endpoints, each declaring only what those
// endpoints call.

// Records is what ingest and the evidence endpoints need: uploads, and
// the records and their bytes as the caller's organization may see them.
type Records interface {
	NewUpload(ctx context.Context, owner string) (*evidence.Upload, error)
	MaxSize() int64
	Get(ctx context.Context, id string) (*evidence.Record, error)
	Visible(ctx context.Context, r *evidence.Record, org string) (bool, error)
	Owns(ctx context.Context, r *evidence.Record, org string) (bool, error)
	List(ctx context.Context, org, actor string, q evidence.Query) (*evidence.Page, error)
	ListShared(ctx context.Context, org, actor string, ids []string) (map[string]*evidence.Record, error)
	Open(ctx context.Context, r *evidence.Record) (evidence.Blob, error)
	Token(ctx context.Context, r *evidence.Record, i int) ([]byte, error)
}

// EvidenceRecords is what the evidence-record endpoints need
// (records.Keeper): the items' RFC 4998 evidence records.
type EvidenceRecords interface {
	// EvidenceRecord is the item's DER RFC 4998 evidence record, or
	// evidence.ErrRecordPending.
	EvidenceRecord(ctx context.Context, id string) ([]byte, error)
}

// Custody is what the custody and receipt endpoints need: reads recorded
// as custody events, each only if the reading organization may see the
// item when it is recorded (evidence.ErrNotVisible otherwise), and the
// chain.
type Custody interface {
	AccessAs(ctx context.Context, id, org, actor, typ, subject string) (*evidence.Record, *custody.Event, error)
	CustodyPending(ctx context.Context, id string) ([]*custody.Event, []evidence.PendingRead, error)
}

// Proofs is what the endpoints that prove anchoring need (proofs.Prover):
// receipts, the public lookup by digest, and when anchorings became final
// (the times of a priority search's matches, copyright.FillAnchoredAt).
type Proofs interface {
	ReceiptWith(ctx context.Context, id string, opts proofs.ReceiptOptions) (*receipt.Receipt, error)
	LookupSHA256(ctx context.Context, hexDigest, reader string) (*proofs.Lookup, error)
	LookupSM3(ctx context.Context, hexDigest, reader string) (*proofs.Lookup, error)
	FinalAt(ctx context.Context, height int64) (time.Time, bool, error)
}

// Sharing is what the matter and share endpoints need (sharing.Registry).
type Sharing interface {
	// CreateMatterWithin calls within in the matter's transaction (the
	// Idempotency-Key answer is stored there).
	CreateMatterWithin(ctx context.Context, org, actor string, in sharing.MatterInput, within func(tx *bolt.Tx, m *sharing.Matter) error) (*sharing.Matter, error)
	Matter(ctx context.Context, id, org string) (*sharing.Matter, error)
	Matters(ctx context.Context, org string) ([]sharing.Matter, error)
	// ShareTargetWithin shares, calling within in the share's transaction
	// with a new share (not with the existing one it returns unchanged).
	ShareTargetWithin(ctx context.Context, org, actor, kind, target, grantee string, expires *time.Time, within func(tx *bolt.Tx, sh *evidence.Share) error) (*evidence.Share, bool, error)
	RevokeShare(ctx context.Context, org, actor, id string) (*evidence.Share, error)
	Shares(ctx context.Context, org string, made bool) ([]evidence.Share, error)
}

// AuditTrails is what the organization endpoints need: each
// organization's audit trail of administrative acts (audittrail.Trails).
// An act is audited with AppendAuditTx in the transaction of the store
// that writes it (access.Store, webhooks.Service), so that the act and
// its audit event are committed together or not at all.
type AuditTrails interface {
	AppendAuditTx(tx *bolt.Tx, org, actor, typ, subject string) (*custody.Event, error)
	// AppendAudit appends an act that no store of the evidence database
	// writes (a chain vote, an audit's start), in a transaction of its own.
	AppendAudit(ctx context.Context, org, actor, typ, subject string) (*custody.Event, error)
	AuditTrail(ctx context.Context, org string) ([]*custody.Event, error)
}

// VerifyTokens is what the public document check needs of the evidence
// service: the document a verification token opens.
type VerifyTokens interface {
	VerifiedDocument(ctx context.Context, token string) (kind, id string, err error)
}

// Certificates is what the notarial certificate endpoints and the public
// check of a certificate need (certificates.Register).
type Certificates interface {
	Certificate(ctx context.Context, id, org string) (*certificates.Certificate, error)
	CertificatePDF(ctx context.Context, id, org, actor string) (*certificates.Certificate, []byte, error)
	CertificateCheck(ctx context.Context, id string) (*certificates.Certificate, [][]byte, error)
	Certificates(ctx context.Context, org, cursor string, limit int) (*certificates.CertificatePage, error)
	// PDFRecord is the evidence record of the certificate's signed PDF and
	// the SHA-256 it proves, or evidence.ErrRecordPending.
	PDFRecord(ctx context.Context, id string) ([]byte, string, error)
}

// Issuer issues the documents a notary office signs (certify.Office).
type Issuer interface {
	// NotarialWithin calls within in the transaction that stores the
	// certificate (the Idempotency-Key answer is stored there).
	NotarialWithin(ctx context.Context, req certify.Request, within func(tx *bolt.Tx, c *certificates.Certificate) error) (*certificates.Certificate, error)
	Copyright(ctx context.Context, cr *copyright.Copyright, lang, actor string) error
}

// Register is what the copyright register's endpoints need
// (copyright.Register).
type Register interface {
	// FileCopyrightWithin calls within in the registration's transaction
	// (the Idempotency-Key answer is stored there).
	FileCopyrightWithin(ctx context.Context, org, actor string, w copyright.Work, files []copyright.RegisterFile, within func(tx *bolt.Tx, c *copyright.Copyright) error) (*copyright.Copyright, error)
	Copyright(ctx context.Context, id string) (*copyright.Copyright, error)
	Copyrights(ctx context.Context, org, cursor string, limit int) (*copyright.CopyrightPage, error)
	SearchCopyrights(ctx context.Context, sha256Hex string, ph *imagehash.Hash) ([]copyright.Match, bool, error)
	RevokeCopyright(ctx context.Context, id, org, actor, reason string) (*copyright.Copyright, error)
	SaveCopyrightDocument(ctx context.Context, id, actor string, doc *copyright.CopyrightDocument, pdf []byte) (*copyright.CopyrightDocument, []byte, error)
	CopyrightDocument(ctx context.Context, id, lang string) (*copyright.CopyrightDocument, []byte, error)
	CopyrightPDF(ctx context.Context, id, lang, org, actor string) ([]byte, error)
	// ReadFiles records the read of what is served about the files items
	// (all of them, in one transaction, or none), if org is still the
	// registration's registrant or owner then (evidence.ErrNotVisible
	// otherwise).
	ReadFiles(ctx context.Context, id, org, actor, subject string, items []string) error
}

// Transfers is what the endpoints of copyright transfer offers need
// (copyright.Register).
type Transfers interface {
	OfferTransfer(ctx context.Context, id, org, actor, to string, ttl time.Duration) (*copyright.TransferOffer, error)
	TransferOffer(ctx context.Context, tid, org, actor string) (*copyright.TransferOffer, error)
	TransferOffers(ctx context.Context, org, actor, status, cursor string, limit int) (*copyright.OfferPage, error)
	AcceptTransfer(ctx context.Context, tid, org, actor string) (*copyright.TransferOffer, *copyright.Copyright, error)
	DeclineTransfer(ctx context.Context, tid, org, actor string) (*copyright.TransferOffer, error)
	WithdrawTransfer(ctx context.Context, tid, org, actor string) (*copyright.TransferOffer, error)
}
