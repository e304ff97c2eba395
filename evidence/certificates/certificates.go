package certificates

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
)

// Certificate statuses.
const (
	// CertificateValid: issued, and not revoked. (Revocation does not exist
	// yet; the status is part of the record so that it can.)
	CertificateValid = "valid"
)

// MaxCertificateItems bounds the evidence items one certificate names.
const MaxCertificateItems = 100

// Certificate is a notarial certificate this node issued over one or more
// evidence items. The signed PDF is stored with it, and served byte for
// byte as issued.
type Certificate struct {
	ID string `json:"id"`
	// Number is the certificate number printed on it, "（YEAR）PREFIX证字第N号" (earlier ones "(YEAR)PREFIX证字第 N 号");
	// Year and Serial are its parts (see ReserveCertificate).
	Number string `json:"number"`
	Year   int    `json:"year"`
	Serial uint64 `json:"serial"`
	Status string `json:"status"`
	Org    string `json:"org"`   // the issuing organization
	Actor  string `json:"actor"` // the issuing key, "<org>:<key>"
	Office string `json:"office"`
	Notary string `json:"notary"`
	// Applicant is the party who applied for the certificate (申请人);
	// the office and the notary are its issuer. Certificates issued before
	// applicants were recorded have none (their PDF named the issuing
	// organization).
	Applicant *Applicant `json:"applicant,omitempty"`
	// Evidence lists the items in the order the certificate states them.
	Evidence []string `json:"evidence"`
	// Matter is set when the certificate was asked for a whole matter.
	Matter   string    `json:"matter,omitempty"`
	IssuedAt time.Time `json:"issued_at"`
	// PDFSHA256 is the hex SHA-256 of the signed PDF; PDFSize its length.
	PDFSHA256 string `json:"pdf_sha256"`
	PDFSize   int64  `json:"pdf_size"`
	// VerifyToken opens the certificate's public verification view
	// (evidence.Service.VerifiedDocument); its QR code carries it. Certificates issued
	// before tokens existed have none, and no public view.
	VerifyToken string `json:"verify_token,omitempty"`
	// Readers are the organizations that may read the certificate: the
	// issuing organization, and the items' owner when they all belong to
	// one organization (see certificateReaders).
	Readers []string `json:"readers"`
}

// ErrBadCertificate means a certificate cannot be issued as asked.
var ErrBadCertificate = errors.New("evidence: invalid certificate")

// bbolt layout of certificates.
var (
	bCerts    = []byte("certs")    // id → Certificate JSON; NextSequence orders them
	bCertPDF  = []byte("certpdf")  // id → the signed PDF, write-once
	bCertRcpt = []byte("certrcpt") // id ‖ i(2) → canonical receipt of item i as embedded in the PDF
	bCertNum  = []byte("certnum")  // year(4) → last serial reserved(8)
	bCertRes  = []byte("certres")  // year(4) ‖ serial(8) → certificate id: every number ever reserved
	bCertHold = []byte("certhold") // "held" → why numbering is held (numbering.go); absent: numbers are given
	bCertOrg  = []byte("certorg")  // reader org ‖ seq(8) → certificate id
)

var buckets = [][]byte{bCerts, bCertPDF, bCertRcpt, bCertNum, bCertRes, bCertOrg, bCertHold}

// docKind is the checksum kind of certificates (evidence.PutDocSum).
const docKind = 'c'

// listing names the cursors of the certificate listing (Certificates).
const listing = "certificates"

// Register holds the notarial certificates an evidence service's node
// issued. It needs no hook of the service's Config: the service learns of
// certificates only through their custody events, and the integrity audit
// checks them through Audit (integrity.Options.Documents).
type Register struct {
	ev   *evidence.Service
	docs Documents     // the PDFs' evidence records; nil: none (pdfrecords.go)
	kick chan struct{} // wakes RunPDFRecords: a certificate was issued
}

// New returns the certificate records kept in ev's database, creating
// their buckets and giving the certificates of a store from before
// document checksums theirs. docs keeps the evidence records of their
// signed PDFs (records.Keeper); it is nil for a register that only reads
// and audits (custos fsck), whose PDFs then get none: BuildPDFRecords
// builds nothing, PDFRecord is evidence.ErrRecordPending.
func New(ev *evidence.Service, docs Documents) (*Register, error) {
	if err := ev.CreateBuckets(buckets...); err != nil {
		return nil, fmt.Errorf("evidence: init store: %w", err)
	}
	if err := ev.SumDocuments(bCerts, docKind); err != nil {
		return nil, fmt.Errorf("evidence: document checksums: %w", err)
	}
	return &Register{ev: ev, docs: docs, kick: make(chan struct{}, 1)}, nil
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func u64val(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// FormatCertificateNumber spells a certificate number the way Chinese
// notarial certificates are numbered: "（2026）浙杭钱证字第17号", with
// full-width parentheses and no spaces, where the prefix is the office's
// short name. Certificates issued before this format (in
// "(2026)浙杭证字第 17 号") keep their stored numbers: a number is
// stored as issued and never reformatted.
func FormatCertificateNumber(year int, prefix string, serial uint64) string {
	return fmt.Sprintf("（%d）%s证字第%d号", year, prefix, serial)
}

// ReserveCertificate durably reserves a new certificate ID and the next
// number of year (a node's numbers restart at 1 each year). It commits
// before the certificate is rendered, because the number is printed on it:
// a number is therefore never handed out twice, even across a crash, and a
// reservation that never became a certificate (the signing failed, the node
// stopped) leaves a gap whose reservation stays on record in the certres
// bucket. The returned Certificate holds ID, Year, Serial, Number and a
// fresh VerifyToken.
func (s *Register) ReserveCertificate(ctx context.Context, year int, prefix string) (*Certificate, error) {
	if year < 1 || year > 9999 {
		return nil, fmt.Errorf("%w: year %d", ErrBadCertificate, year)
	}
	if prefix == "" || len(prefix) > 64 || strings.IndexFunc(prefix, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return nil, fmt.Errorf("%w: number prefix %q", ErrBadCertificate, prefix)
	}
	c := &Certificate{ID: evidence.NewID(), Year: year}
	c.VerifyToken = evidence.NewVerifyToken(c.ID)
	y := binary.BigEndian.AppendUint32(nil, uint32(year))
	err := s.ev.Update(func(tx *bolt.Tx) error {
		if err := held(tx); err != nil {
			return err
		}
		last := uint64(0)
		if v := tx.Bucket(bCertNum).Get(y); len(v) == 8 {
			last = u64val(v)
		}
		c.Serial = last + 1
		if err := tx.Bucket(bCertNum).Put(y, u64(c.Serial)); err != nil {
			return err
		}
		return tx.Bucket(bCertRes).Put(append(y, u64(c.Serial)...), []byte(c.ID))
	})
	if err != nil {
		return nil, err
	}
	c.Number = FormatCertificateNumber(year, prefix, c.Serial)
	return c, nil
}

// IssueCertificate stores a reserved certificate with its signed PDF and
// the receipts the PDF embeds (one per item, in order), and appends a
// "certified" custody event (subject "certificate:<id>") to every item, all
// in one transaction: there is never a certificate without its events, nor
// an event without its certificate. c.Applicant must name who applied
// (ErrBadCertificate otherwise). It fills Status, PDFSHA256, PDFSize and
// Readers. Every item must still be visible to c.Org when the transaction
// runs (a share revoked while the PDF was being signed is
// evidence.ErrNotFound).
func (s *Register) IssueCertificate(ctx context.Context, c *Certificate, pdf []byte, receipts [][]byte) error {
	return s.IssueCertificateWithin(ctx, c, pdf, receipts, nil)
}

// IssueCertificateWithin issues a certificate as IssueCertificate does and,
// if within is not nil, calls it in the same transaction once the
// certificate and its events are written, with the certificate as it is
// stored: an error from within undoes all of it. Like every function of
// the group commit it may run more than once. The API stores the
// Idempotency-Key answer there.
func (s *Register) IssueCertificateWithin(ctx context.Context, c *Certificate, pdf []byte, receipts [][]byte, within func(tx *bolt.Tx, c *Certificate) error) error {
	switch {
	case len(c.Evidence) == 0 || len(c.Evidence) > MaxCertificateItems:
		return fmt.Errorf("%w: %d items", ErrBadCertificate, len(c.Evidence))
	case len(receipts) != len(c.Evidence):
		return fmt.Errorf("%w: %d receipts for %d items", ErrBadCertificate, len(receipts), len(c.Evidence))
	case len(pdf) == 0:
		return fmt.Errorf("%w: no PDF", ErrBadCertificate)
	}
	if err := checkApplicant(c.Applicant); err != nil {
		return err
	}
	sum := sha256.Sum256(pdf)
	c.Status, c.PDFSHA256, c.PDFSize, c.IssuedAt = CertificateValid, hex.EncodeToString(sum[:]), int64(len(pdf)), c.IssuedAt.UTC()
	err := s.ev.Update(func(tx *bolt.Tx) error {
		if err := checkReserved(tx, c); err != nil {
			return err
		}
		recs, seqs, owners, err := certifiedRecords(tx, c)
		if err != nil {
			return err
		}
		if err := s.checkVisible(tx, recs, c.Org, s.ev.Now()); err != nil {
			return err
		}
		c.Readers = certificateReaders(c.Org, owners)
		if err := putCertificate(tx, c, pdf, receipts); err != nil {
			return err
		}
		if err := s.ev.AppendEach(tx, seqs, c.Actor, custody.EventCertified, "certificate:"+c.ID); err != nil || within == nil {
			return err
		}
		return within(tx, c)
	})
	if err == nil {
		s.pdfWake()
	}
	return err
}

// checkReserved refuses a certificate whose number was not reserved for
// it, or that is already stored.
func checkReserved(tx *bolt.Tx, c *Certificate) error {
	k := binary.BigEndian.AppendUint32(nil, uint32(c.Year))
	if id := tx.Bucket(bCertRes).Get(append(k, u64(c.Serial)...)); string(id) != c.ID {
		return fmt.Errorf("%w: number %d/%d is not reserved for %s", ErrBadCertificate, c.Year, c.Serial, c.ID)
	}
	if tx.Bucket(bCerts).Get([]byte(c.ID)) != nil {
		return fmt.Errorf("%w: certificate %s is already issued", ErrBadCertificate, c.ID)
	}
	return nil
}

// certifiedRecords returns the records a certificate names and the
// organizations that own them (each item's filing organization, in order
// of first appearance).
func certifiedRecords(tx *bolt.Tx, c *Certificate) ([]*evidence.Record, []uint64, []string, error) {
	var owners []string
	recs := make([]*evidence.Record, 0, len(c.Evidence))
	seqs := make([]uint64, 0, len(c.Evidence))
	seen := map[uint64]bool{}
	for _, id := range c.Evidence {
		seq, ok := evidence.ItemSeq(tx, id)
		if !ok {
			return nil, nil, nil, fmt.Errorf("%w: evidence %s", evidence.ErrNotFound, id)
		}
		if seen[seq] {
			return nil, nil, nil, fmt.Errorf("%w: evidence %s is named twice", ErrBadCertificate, id)
		}
		seen[seq] = true
		r, err := evidence.RecordAt(tx, seq)
		if err != nil {
			return nil, nil, nil, err
		}
		if o := evidence.OwnerOrg(r); !slices.Contains(owners, o) {
			owners = append(owners, o)
		}
		recs, seqs = append(recs, r), append(seqs, seq)
	}
	return recs, seqs, owners, nil
}

// checkVisible returns ErrNotFound unless org may see every record.
func (s *Register) checkVisible(tx *bolt.Tx, recs []*evidence.Record, org string, now time.Time) error {
	for _, r := range recs {
		if !s.ev.VisibleIn(tx, r, org, now) {
			return fmt.Errorf("%w: evidence %s", evidence.ErrNotFound, r.ID)
		}
	}
	return nil
}

// certificateReaders returns the organizations that may read a
// certificate of issuer over items of owners. A certificate over the items
// of one organization is readable by the issuer and that owner. One over
// the items of several organizations (opposing parties, say) is readable
// by the issuer only: it states every item's metadata and receipt, which
// no owner may see of another's items. The owners learn of it from the
// certified custody event on their own items.
func certificateReaders(issuer string, owners []string) []string {
	if len(owners) == 1 && owners[0] != issuer {
		return []string{issuer, owners[0]}
	}
	return []string{issuer}
}

func putCertificate(tx *bolt.Tx, c *Certificate, pdf []byte, receipts [][]byte) error {
	certs := tx.Bucket(bCerts)
	seq, err := certs.NextSequence()
	if err != nil {
		return err
	}
	val, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := certs.Put([]byte(c.ID), val); err != nil {
		return err
	}
	if err := evidence.PutDocSum(tx, docKind, c.ID, val); err != nil {
		return err
	}
	if err := tx.Bucket(bCertPDF).Put([]byte(c.ID), pdf); err != nil {
		return err
	}
	for i, r := range receipts {
		if err := tx.Bucket(bCertRcpt).Put(binary.BigEndian.AppendUint16([]byte(c.ID), uint16(i)), r); err != nil {
			return err
		}
	}
	if err := evidence.PutVerifyToken(tx, c.VerifyToken, evidence.DocumentCertificate, c.ID); err != nil {
		return err
	}
	for _, org := range c.Readers {
		if err := tx.Bucket(bCertOrg).Put(append([]byte(org), u64(seq)...), []byte(c.ID)); err != nil {
			return err
		}
	}
	return nil
}

func getCertificate(tx *bolt.Tx, id string) (*Certificate, error) {
	v := tx.Bucket(bCerts).Get([]byte(id))
	if v == nil {
		return nil, evidence.ErrNotFound
	}
	var c Certificate
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, fmt.Errorf("evidence: certificate %s is corrupt: %w", id, err)
	}
	return &c, nil
}

// readableCertificate returns the certificate and the sequence numbers of
// its items if org may read it (see certificateReaders), else ErrNotFound.
// The readers are computed from the items, not from the stored Readers, so
// that a certificate stored with a wider list is held to the same rule.
func readableCertificate(tx *bolt.Tx, id, org string) (*Certificate, []*evidence.Record, []uint64, error) {
	c, err := getCertificate(tx, id)
	if err != nil {
		return nil, nil, nil, evidence.ErrNotFound
	}
	recs, seqs, owners, err := certifiedRecords(tx, c)
	if err != nil {
		return nil, nil, nil, err
	}
	c.Readers = certificateReaders(c.Org, owners)
	if !slices.Contains(c.Readers, org) {
		return nil, nil, nil, evidence.ErrNotFound
	}
	return c, recs, seqs, nil
}

// certificateView returns the certificate as org may see it: of its items,
// only those org may see now (Evidence names no other), and the readers.
func (s *Register) certificateView(tx *bolt.Tx, id, org string, now time.Time) (*Certificate, error) {
	c, recs, _, err := readableCertificate(tx, id, org)
	if err != nil {
		return nil, err
	}
	c.Evidence = []string{}
	for _, r := range recs {
		if s.ev.VisibleIn(tx, r, org, now) {
			c.Evidence = append(c.Evidence, r.ID)
		}
	}
	return c, nil
}

// Certificate returns a certificate that org may read: org issued it, or
// owns every one of its items. Any other is evidence.ErrNotFound, like a
// missing one. Evidence lists only the items org may see.
func (s *Register) Certificate(ctx context.Context, id, org string) (*Certificate, error) {
	var c *Certificate
	err := s.ev.View(func(tx *bolt.Tx) error {
		var err error
		c, err = s.certificateView(tx, id, org, s.ev.Now())
		return err
	})
	return c, err
}

// CertificatePDF returns the signed PDF of a certificate org may read.
// The PDF states the items' metadata, so the read is recorded first: a
// "viewed" custody event, subject "certificate:<id>", on every item, in
// one transaction that commits before the bytes are returned.
func (s *Register) CertificatePDF(ctx context.Context, id, org, actor string) (*Certificate, []byte, error) {
	var c *Certificate
	var pdf []byte
	err := s.ev.Update(func(tx *bolt.Tx) error {
		var seqs []uint64
		var err error
		if c, _, seqs, err = readableCertificate(tx, id, org); err != nil {
			return err
		}
		v := tx.Bucket(bCertPDF).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("evidence: the PDF of certificate %s is missing", id)
		}
		pdf = bytes.Clone(v)
		return s.ev.AppendEach(tx, seqs, actor, custody.EventViewed, "certificate:"+c.ID)
	})
	if err != nil {
		return nil, nil, err
	}
	return c, pdf, nil
}

// CertificateCheck returns any certificate with the receipts its PDF
// embeds, for the public verification view, which whoever holds its
// verification token may open (see evidence.Service.VerifiedDocument).
// It records nothing.
func (s *Register) CertificateCheck(ctx context.Context, id string) (*Certificate, [][]byte, error) {
	if !evidence.ValidID(id) {
		return nil, nil, evidence.ErrNotFound
	}
	var c *Certificate
	var receipts [][]byte
	err := s.ev.View(func(tx *bolt.Tx) error {
		var err error
		if c, err = getCertificate(tx, id); err != nil {
			return err
		}
		b := tx.Bucket(bCertRcpt)
		for i := range c.Evidence {
			v := b.Get(binary.BigEndian.AppendUint16([]byte(id), uint16(i)))
			if v == nil {
				return fmt.Errorf("evidence: receipt %d of certificate %s is missing", i, id)
			}
			receipts = append(receipts, bytes.Clone(v))
		}
		return nil
	})
	return c, receipts, err
}

// Certificates lists, newest first, the certificates org may read, at most
// limit (default 50, at most 500) per page; cursor continues a listing
// (CertificatePage.Next: opaque, good only for org's certificate listing).
func (s *Register) Certificates(ctx context.Context, org, cursor string, limit int) (*CertificatePage, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	before := ^uint64(0)
	if cursor != "" {
		pos, err := s.ev.ParseCursor(listing, org, cursor, 8)
		if err != nil {
			return nil, err
		}
		before = u64val(pos)
	}
	prefix := []byte(org)
	page := &CertificatePage{Items: []Certificate{}}
	var last uint64
	now := s.ev.Now()
	err := s.ev.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCertOrg).Cursor()
		k, v := c.Seek(append(bytes.Clone(prefix), u64(before)...))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = c.Prev() {
			if len(page.Items) == limit {
				page.Next = s.ev.FormatCursor(listing, org, u64(last))
				break
			}
			last = u64val(k[len(prefix):])
			cert, err := s.certificateView(tx, string(v), org, now)
			if errors.Is(err, evidence.ErrNotFound) {
				continue // indexed for org under an older, wider rule
			}
			if err != nil {
				return err
			}
			page.Items = append(page.Items, *cert)
		}
		return nil
	})
	return page, err
}

// CertificatePage is one page of a certificate listing.
type CertificatePage struct {
	Items []Certificate
	Next  string // "" on the last page
}
