package copyright

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/custos-project/custos/internal/problem"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/imagehash"
)

// Copyright registration: a work (its title, type, authors, owner and
// dates) registered with one or more evidence items, its files. The
// registration, its number and a "copyright.registered" custody event on
// every item are written in one bbolt transaction; transfer offers (see
// transfer.go) and revocations likewise. The register is keyed by the
// items' SHA-256 and, for images, by their perceptual hash, so that anyone
// may ask who registered a file first.

// Custody event types of a registration's items.
const (
	EventCopyrightRegistered  = "copyright.registered"  // subject: "copyright:<id>"
	EventCopyrightTransferred = "copyright.transferred" // subject: "org:<new owner org id>"; see AcceptTransfer
	EventCopyrightRevoked     = "copyright.revoked"     // subject: "copyright:<id>"
	// EventCopyrightCertified: the registration's certificate was issued;
	// in the transaction that stores it.
	EventCopyrightCertified = "copyright.certified" // subject: "copyright:<id>", or "copyright:<id>:lang:en" for the English certificate
)

// Registration states.
const (
	CopyrightRegistered = "registered"
	CopyrightRevoked    = "revoked"
)

// MaxCopyrightItems bounds the files of one registration.
const MaxCopyrightItems = 20

// Work is what an owner states about a work: the registration's metadata.
type Work struct {
	Title   string   `json:"title" validate:"required,max=512,visible"`
	Type    string   `json:"type" validate:"required,oneof=text image audio video software other"`
	Authors []string `json:"authors" validate:"required,min=1,max=50,dive,required,max=200,visible"`
	// Owner is the copyright owner's name, as stated by the registrant.
	Owner string `json:"owner" validate:"required,max=200,visible"`
	// Created is the date the work was completed (YYYY-MM-DD).
	Created          string       `json:"created" validate:"required,date"`
	FirstPublication *Publication `json:"first_publication,omitempty"`
}

// Publication is a work's first publication.
type Publication struct {
	Date  string `json:"date" validate:"required,date"`
	Place string `json:"place" validate:"required,max=200,visible"`
}

// ParseWork decodes registration metadata strictly and validates it.
func ParseWork(b []byte, now time.Time) (Work, error) {
	var w Work
	if len(b) > evidence.MaxMetaBytes {
		return w, &evidence.MetadataError{Fields: []evidence.FieldError{evidence.NewFieldError("metadata", "field.too-big", "size", len(b), "limit", evidence.MaxMetaBytes)}}
	}
	if err := evidence.DecodeStrict(b, &w, "metadata", "title, type, authors, owner, created, first_publication"); err != nil {
		return w, err
	}
	return w, w.Validate(now)
}

// Validate checks w's fields; dates may not lie in the future (as seen in
// China Standard Time) and a first publication not precede creation.
func (w *Work) Validate(now time.Time) error {
	if err := evidence.ValidateStruct(w); err != nil {
		return err
	}
	today := now.In(cst).Format(time.DateOnly)
	var fields []evidence.FieldError
	if w.Created > today {
		fields = append(fields, evidence.NewFieldError("created", "field.future"))
	}
	if p := w.FirstPublication; p != nil {
		if p.Date > today {
			fields = append(fields, evidence.NewFieldError("first_publication.date", "field.future"))
		}
		if p.Date < w.Created {
			fields = append(fields, evidence.NewFieldError("first_publication.date", "field.before-created"))
		}
	}
	if len(fields) > 0 {
		return &evidence.MetadataError{Fields: fields}
	}
	return nil
}

// cst is China Standard Time, the zone of registration numbers and dates.
var cst = time.FixedZone("CST", 8*3600)

// Copyright is one registration.
type Copyright struct {
	ID string `json:"id"`
	// Number is the registration number. On a node whose chain keeps the
	// consortium's register (numbering.go) the chain assigns it when the
	// registration is final, CUS-(YEAR)-作登字-M<m>-NNNNNN, unique across
	// the consortium (but for a member whose key was rotated: its count of
	// the year starts again, docs/security.md K1); until then it is "" and
	// Status is pending. Before
	// that (a legacy number), it was CUS-(YEAR)-作登字-NNNNNN: NNNNNN
	// counted this node's registrations of the year (China Standard Time)
	// from 000001, assigned in the registration's own transaction.
	Number string `json:"number"`
	// NumberedHeight is the block whose transaction entered the
	// registration in the consortium's register and numbered it.
	NumberedHeight int64 `json:"numbered_height,omitempty"`
	Work
	Status         string     `json:"status"`
	Items          []string   `json:"items"` // evidence IDs of the work's files
	RegistrantOrg  string     `json:"registrant_org"`
	Registrant     string     `json:"registrant"` // the actor who registered
	OwnerOrg       string     `json:"owner_org"`  // the current owner organization
	RegisteredAt   time.Time  `json:"registered_at"`
	AnchoredHeight int64      `json:"anchored_height,omitempty"` // the block that anchored the registration
	Transfers      []Transfer `json:"transfers,omitempty"`
	RevokedAt      *time.Time `json:"revoked_at,omitempty"`
	RevokedBy      string     `json:"revoked_by,omitempty"`
	RevokeReason   string     `json:"revoke_reason,omitempty"`
}

// Transfer is one change of the owner organization: an accepted offer
// (see OfferTransfer).
type Transfer struct {
	From string    `json:"from"`
	To   string    `json:"to"`
	By   string    `json:"by"` // the actor who offered it
	At   time.Time `json:"at"` // when it was accepted
	// Offer is the accepted offer's ID and AcceptedBy the actor of the
	// recipient who accepted it; both are empty on a transfer made before
	// transfers needed consent.
	Offer      string `json:"offer,omitempty"`
	AcceptedBy string `json:"accepted_by,omitempty"`
}

// RegisterItem is one file of a registration: an evidence item, with its
// perceptual hash when it is an image.
type RegisterItem struct {
	ID    string
	PHash *imagehash.Hash
}

var (
	bCopyrights = []byte("copyrights") // id → Copyright JSON
	bCrNumbers  = []byte("crnumbers")  // year (4 digits) → last number of the year (8)
	bCrByOrg    = []byte("crbyorg")    // owner org ‖ id → ∅
	bCrSHA256   = []byte("crsha256")   // digest(32) ‖ id ‖ item id → ∅
	bCrPHash    = []byte("crphash")    // perceptual hash(8) ‖ id ‖ item id → ∅
	bCrItems    = []byte("critems")    // item id → registration id
	bCrLeaf     = []byte("crleaf")     // leaf index(8) of the last (highest) registered event → id
	bCrDocs     = []byte("crdocs")     // id (Chinese) or id "/en" (English) → CopyrightDocument JSON, write-once
	bCrPDF      = []byte("crpdf")      // id (Chinese) or id "/en" (English) → the signed certificate PDF, write-once
)

var buckets = [][]byte{bCopyrights, bCrNumbers, bCrByOrg, bCrSHA256, bCrPHash, bCrItems, bCrLeaf, bCrDocs, bCrPDF,
	bCrOffers, bCrOfferOf, bCrOffered}

// docKind is the checksum kind of registrations (evidence.PutDocSum).
const docKind = 'r'

// listing names the cursors of the registration listing (Copyrights).
const listing = "copyrights"

// idChars is the length of an ID, the position of the registration
// listing.
const idChars = 26

// Config configures a Register.
type Config struct {
	// OnTransfer, if set, is told of each step of a copyright transfer
	// offer (offered, accepted, declined, withdrawn, expired: o.Status
	// tells which, "pending" when it is made), inside the transaction of
	// the step, so that what it writes to tx (webhook deliveries to both
	// organizations) is durable exactly when the step is. Its error fails
	// the step. It may run more than once, in transactions that are
	// rolled back.
	OnTransfer func(tx *bolt.Tx, o *TransferOffer) error
	// ChainNumbers, if set, reports whether the consortium's register
	// numbers new registrations now (the chain runs state version 5 or
	// later); while it does not, the register numbers them itself.
	ChainNumbers func() bool
	// OnNumbered, if set, is told of a pending registration the chain
	// numbered, in the transaction that records the number (as
	// OnTransfer is told of offers).
	OnNumbered func(tx *bolt.Tx, c *Copyright) error
	// Queued, if set, is called once a new registration is durable, to
	// wake what files it in the consortium's register. It must not block.
	Queued func()
}

// Register is the copyright register of an evidence service. The
// service's Config.OnLeafFinal must be MarkAnchored and its
// Config.ItemOwner Owner, so that registrations learn their anchoring and
// their owners see their files.
type Register struct {
	ev  *evidence.Service
	cfg Config
}

// New returns the register kept in ev's database, creating its buckets
// and giving the registrations of a store from before document checksums
// theirs.
func New(ev *evidence.Service, cfg Config) (*Register, error) {
	if err := ev.CreateBuckets(buckets...); err != nil {
		return nil, fmt.Errorf("evidence: init store: %w", err)
	}
	if err := ev.SumDocuments(bCopyrights, docKind); err != nil {
		return nil, fmt.Errorf("evidence: document checksums: %w", err)
	}
	r := &Register{ev: ev, cfg: cfg}
	if err := r.initTodo(); err != nil {
		return nil, fmt.Errorf("evidence: registrations for the consortium's register: %w", err)
	}
	return r, nil
}

// RegisterCopyright registers a work with items, evidence of org filed
// beforehand, none of them registered before. The registration, its
// number, its indexes and a copyright.registered custody event on every
// item are committed in one transaction.
func (s *Register) RegisterCopyright(ctx context.Context, org, actor string, w Work, items []RegisterItem) (*Copyright, error) {
	c, err := s.newCopyright(org, actor, w, len(items))
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		c.Items = append(c.Items, it.ID)
	}
	err = s.ev.Update(func(tx *bolt.Tx) error {
		return s.putRegistration(tx, c, org, actor, items)
	})
	if err != nil {
		return nil, err
	}
	s.queued()
	return c, nil
}

// RegisterFile is one file filed with its registration (FileCopyright):
// an upload whose bytes are read, the metadata it is filed with, and its
// perceptual hash when it is an image.
type RegisterFile struct {
	Upload *evidence.Upload
	Meta   evidence.Meta
	PHash  *imagehash.Hash
}

// FileCopyright files every upload as an evidence item and registers the
// work with them, as RegisterCopyright does, in one transaction: the
// items' records and created events, the registration and its events are
// durable together or not at all, so that a failure or a crash never
// leaves files filed without their registration. Each upload's bytes are
// made durable and time-stamped first; if anything fails, the caller's
// Abort of each upload discards its staged bytes, and after a crash
// Recover does (staged blobs that no record names).
//
// While the registration is pending (the chain numbers it), its files'
// deposits in the consortium's digest index are held (holdDeposits): no
// validator learns their SHA-256 before the registration's commitment is
// final. RegisterCopyright's items were filed before, so their deposits
// may be public already: filing the files in the registration's own
// request is what keeps their digests off the chain until then.
func (s *Register) FileCopyright(ctx context.Context, org, actor string, w Work, files []RegisterFile) (*Copyright, error) {
	return s.FileCopyrightWithin(ctx, org, actor, w, files, nil)
}

// FileCopyrightWithin files a registration as FileCopyright does and, if
// within is not nil, calls it in the same transaction once the
// registration is written, with the registration as it is committed
// (numbered, or pending the chain's number): an error from within undoes
// all of it. Like every function of the group commit it may run more than
// once. The API stores the Idempotency-Key answer there.
func (s *Register) FileCopyrightWithin(ctx context.Context, org, actor string, w Work, files []RegisterFile, within func(tx *bolt.Tx, c *Copyright) error) (*Copyright, error) {
	c, err := s.newCopyright(org, actor, w, len(files))
	if err != nil {
		return nil, err
	}
	fs := make([]*evidence.Prepared, len(files))
	items := make([]RegisterItem, len(files))
	for i, f := range files {
		if fs[i], err = f.Upload.Prepare(ctx, f.Meta); err != nil {
			return nil, fmt.Errorf("file %d: %w", i, err)
		}
		items[i] = RegisterItem{ID: fs[i].Record().ID, PHash: f.PHash}
		c.Items = append(c.Items, items[i].ID)
	}
	err = s.ev.Update(func(tx *bolt.Tx) error {
		for _, f := range fs {
			if err := f.Put(tx); err != nil {
				return err
			}
		}
		if err := s.putRegistration(tx, c, org, actor, items); err != nil {
			return err
		}
		if err := holdDeposits(tx, c); err != nil {
			return err
		}
		if within == nil {
			return nil
		}
		return within(tx, c)
	})
	if err != nil {
		return nil, err
	}
	for _, f := range fs {
		f.Committed(ctx)
	}
	s.queued()
	return c, nil
}

// newCopyright is a new registration of w with n files, not yet numbered.
func (s *Register) newCopyright(org, actor string, w Work, n int) (*Copyright, error) {
	now := s.ev.Now().UTC()
	if err := w.Validate(now); err != nil {
		return nil, err
	}
	if n == 0 || n > MaxCopyrightItems {
		return nil, problem.Refuse(ErrBadRegistration, "copyright.file-count", "n", n, "max", MaxCopyrightItems)
	}
	return &Copyright{ID: evidence.NewID(), Work: w, Status: CopyrightRegistered, RegistrantOrg: org, Registrant: actor,
		OwnerOrg: org, RegisteredAt: now}, nil
}

// putRegistration numbers c (or leaves it pending for the chain's number)
// and writes it, its indexes, the registered event of every item and its
// entry for the consortium's register in tx.
func (s *Register) putRegistration(tx *bolt.Tx, c *Copyright, org, actor string, items []RegisterItem) error {
	if s.pending() {
		c.Number, c.Status = "", CopyrightPending
	} else {
		n, err := nextNumber(tx, c.RegisteredAt)
		if err != nil {
			return err
		}
		c.Number = n
	}
	if err := putCopyright(tx, c); err != nil {
		return err
	}
	if err := tx.Bucket(bCrByOrg).Put([]byte(org+c.ID), nil); err != nil {
		return err
	}
	// The registration is anchored once the last of its registered
	// events is: the highest leaf, as the files' events may fall into
	// different batches.
	var last uint64
	for i, it := range items {
		leaf, err := s.registerItem(tx, c, org, actor, it)
		if err != nil {
			return err
		}
		if i == 0 || leaf > last {
			last = leaf
		}
	}
	if err := enqueue(tx, c, items); err != nil {
		return err
	}
	return tx.Bucket(bCrLeaf).Put(u64(last), []byte(c.ID))
}

// registerItem indexes one item of a new registration and appends its
// registered event, returning the event's leaf index.
func (s *Register) registerItem(tx *bolt.Tx, c *Copyright, org, actor string, it RegisterItem) (uint64, error) {
	seq, ok := evidence.ItemSeq(tx, it.ID)
	if !ok {
		return 0, problem.Refuse(ErrBadRegistration, "copyright.no-item", "id", it.ID)
	}
	r, err := evidence.RecordAt(tx, seq)
	if err != nil {
		return 0, err
	}
	if evidence.OwnerOrg(r) != org {
		return 0, problem.Refuse(ErrBadRegistration, "copyright.not-yours", "id", it.ID)
	}
	items := tx.Bucket(bCrItems)
	if items.Get([]byte(it.ID)) != nil {
		return 0, problem.Refuse(ErrBadRegistration, "copyright.registered", "id", it.ID)
	}
	if err := items.Put([]byte(it.ID), []byte(c.ID)); err != nil {
		return 0, err
	}
	sum, err := evidence.DecodeDigest(r.SHA256)
	if err != nil {
		return 0, err
	}
	if err := tx.Bucket(bCrSHA256).Put(slices.Concat(sum, []byte(c.ID+it.ID)), nil); err != nil {
		return 0, err
	}
	if it.PHash != nil {
		if err := tx.Bucket(bCrPHash).Put(slices.Concat(u64(uint64(*it.PHash)), []byte(c.ID+it.ID)), nil); err != nil {
			return 0, err
		}
	}
	e := s.itemEvent(r.ID, actor, EventCopyrightRegistered, "copyright:"+c.ID)
	if err := evidence.AppendEvent(tx, seq, e); err != nil {
		return 0, err
	}
	leaf, err := evidence.EventLeaf(tx, seq, e.Seq)
	if err != nil {
		return 0, fmt.Errorf("evidence: the registered event of %s has no leaf", it.ID)
	}
	return leaf, nil
}

func (s *Register) itemEvent(id, actor, typ, subject string) *custody.Event {
	return &custody.Event{V: custody.EventVersion, Evidence: id, Type: typ, Time: custody.FormatTime(s.ev.Now()), Actor: actor, Subject: subject}
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// nextNumber takes the next registration number of now's year.
func nextNumber(tx *bolt.Tx, now time.Time) (string, error) {
	year := now.In(cst).Format("2006")
	b := tx.Bucket(bCrNumbers)
	var n uint64 = 1
	if v := b.Get([]byte(year)); len(v) == 8 {
		n = binary.BigEndian.Uint64(v) + 1
	}
	if err := b.Put([]byte(year), u64(n)); err != nil {
		return "", err
	}
	return fmt.Sprintf("CUS-(%s)-作登字-%06d", year, n), nil
}

func putCopyright(tx *bolt.Tx, c *Copyright) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bCopyrights).Put([]byte(c.ID), b); err != nil {
		return err
	}
	return evidence.PutDocSum(tx, docKind, c.ID, b)
}

func getCopyright(tx *bolt.Tx, id string) (*Copyright, error) {
	v := tx.Bucket(bCopyrights).Get([]byte(id))
	if v == nil {
		return nil, evidence.ErrNotFound
	}
	var c Copyright
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, fmt.Errorf("evidence: registration %s is corrupt: %w", id, err)
	}
	return &c, nil
}

// Copyright returns a registration. The register is public to members:
// any organization may read any registration's metadata (not its files).
func (s *Register) Copyright(ctx context.Context, id string) (*Copyright, error) {
	if !evidence.ValidID(id) {
		return nil, evidence.ErrNotFound
	}
	var c *Copyright
	err := s.ev.View(func(tx *bolt.Tx) error {
		var err error
		c, err = getCopyright(tx, id)
		return err
	})
	return c, err
}

// CopyrightPage is one page of a registration listing.
type CopyrightPage struct {
	Items []*Copyright
	Next  string // "" on the last page
}

// Copyright listing pages: DefaultCopyrightPage registrations unless a
// limit is given, at most MaxCopyrightPage.
const (
	DefaultCopyrightPage = 100
	MaxCopyrightPage     = 500
)

// Copyrights lists the registrations org owns, at most limit per page
// (default DefaultCopyrightPage, at most MaxCopyrightPage), in the order
// of their IDs: stable from page to page, not by time (each registration
// carries registered_at). cursor continues a listing: the Next of the
// page before, which seals the last ID returned (opaque, good only for
// org's copyright listing).
func (s *Register) Copyrights(ctx context.Context, org, cursor string, limit int) (*CopyrightPage, error) {
	if limit <= 0 {
		limit = DefaultCopyrightPage
	}
	limit = min(limit, MaxCopyrightPage)
	after := ""
	if cursor != "" {
		pos, err := s.ev.ParseCursor(listing, org, cursor, idChars)
		if err != nil || !evidence.ValidID(string(pos)) {
			return nil, evidence.ErrBadCursor
		}
		after = string(pos)
	}
	prefix := []byte(org)
	page := &CopyrightPage{Items: []*Copyright{}}
	err := s.ev.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCrByOrg).Cursor()
		k, _ := c.Seek(append(bytes.Clone(prefix), after...))
		if k != nil && after != "" && string(k[len(prefix):]) == after {
			k, _ = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if len(page.Items) == limit {
				page.Next = s.ev.FormatCursor(listing, org, []byte(page.Items[limit-1].ID))
				break
			}
			cr, err := getCopyright(tx, string(k[len(prefix):]))
			if err != nil {
				return err
			}
			page.Items = append(page.Items, cr)
		}
		return nil
	})
	return page, err
}

// RevokeCopyright revokes a registration of org. Revoking again changes
// and records nothing.
func (s *Register) RevokeCopyright(ctx context.Context, id, org, actor, reason string) (*Copyright, error) {
	return s.changeCopyright(id, org, func(tx *bolt.Tx, c *Copyright) (string, string, error) {
		if c.Status == CopyrightRevoked {
			return "", "", nil
		}
		at := s.ev.Now().UTC()
		c.Status, c.RevokedAt, c.RevokedBy, c.RevokeReason = CopyrightRevoked, &at, actor, reason
		// The consortium's register learns it (numbering.go).
		if err := tx.Bucket(bCrRevoke).Put([]byte(c.ID), nil); err != nil {
			return "", "", err
		}
		return EventCopyrightRevoked, "copyright:" + c.ID, nil
	}, actor)
}

// changeCopyright applies change to registration id, owned by org, and
// appends the custody event it names (none if typ is empty) to every item,
// in one transaction.
func (s *Register) changeCopyright(id, org string, change func(*bolt.Tx, *Copyright) (typ, subject string, err error), actor string) (*Copyright, error) {
	if !evidence.ValidID(id) {
		return nil, evidence.ErrNotFound
	}
	var out *Copyright
	err := s.ev.Update(func(tx *bolt.Tx) error {
		c, err := getCopyright(tx, id)
		if err != nil {
			return err
		}
		if c.OwnerOrg != org {
			return ErrNotOwner
		}
		typ, subject, err := change(tx, c)
		if err != nil || typ == "" {
			out = c
			return err
		}
		if err := putCopyright(tx, c); err != nil {
			return err
		}
		out = c
		return s.appendToItems(tx, c, actor, typ, subject)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// appendToItems appends one custody event to every item of c.
func (s *Register) appendToItems(tx *bolt.Tx, c *Copyright, actor, typ, subject string) error {
	seqs := make([]uint64, len(c.Items))
	for i, item := range c.Items {
		seq, ok := evidence.ItemSeq(tx, item)
		if !ok {
			return fmt.Errorf("evidence: registration %s names missing item %s", c.ID, item)
		}
		seqs[i] = seq
	}
	return s.ev.AppendEach(tx, seqs, actor, typ, subject)
}

// Owner is the current owner organization of the registration that item
// belongs to, or "": evidence.Config.ItemOwner.
func Owner(tx *bolt.Tx, item string) string {
	id := tx.Bucket(bCrItems).Get([]byte(item))
	if id == nil {
		return ""
	}
	c, err := getCopyright(tx, string(id))
	if err != nil {
		return ""
	}
	return c.OwnerOrg
}

// MarkAnchored records the block that anchored a registration's
// registered event (the leaf's batch), once: evidence.Config.OnLeafFinal.
func MarkAnchored(tx *bolt.Tx, leaf uint64, height int64) error {
	b := tx.Bucket(bCrLeaf)
	if b == nil {
		return nil // a store whose register was never opened (New)
	}
	id := b.Get(u64(leaf))
	if id == nil {
		return nil
	}
	c, err := getCopyright(tx, string(id))
	if err != nil || c.AnchoredHeight != 0 {
		return err
	}
	c.AnchoredHeight = height
	return putCopyright(tx, c)
}
