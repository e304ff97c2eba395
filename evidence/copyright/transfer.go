package copyright

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/custos-project/custos/internal/problem"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
)

// Copyright transfers need the recipient's consent. The owner organization
// offers a registration to another organization; the offer waits, until
// it expires, for the recipient to accept or decline it, and the offerer
// may withdraw it meanwhile. The registration changes hands only when the
// recipient accepts. Every step is written in one transaction with a
// custody event on every file of the registration, an event on the audit
// chains of both organizations, and (Config.OnTransfer) the webhooks of
// both. An offer found expired when it is next acted on or read is marked
// expired in a transaction of its own, with the same records.

// Custody events of a registration's items for its transfer offers
// (subject: "org:<recipient org id>"). Acceptance writes
// EventCopyrightTransferred.
const (
	EventTransferOffered   = "copyright.transfer_offered"
	EventTransferDeclined  = "copyright.transfer_declined"
	EventTransferWithdrawn = "copyright.transfer_withdrawn"
	EventTransferExpired   = "copyright.transfer_expired"
)

// Offer states.
const (
	OfferPending   = "pending"
	OfferAccepted  = "accepted"
	OfferDeclined  = "declined"
	OfferWithdrawn = "withdrawn"
	OfferExpired   = "expired"
)

// How long an offer waits for the recipient: DefaultOfferTTL unless the
// offerer says otherwise, from MinOfferTTL to MaxOfferTTL.
const (
	DefaultOfferTTL = 14 * 24 * time.Hour
	MinOfferTTL     = 24 * time.Hour
	MaxOfferTTL     = 90 * 24 * time.Hour
)

// TransferOffer is an offer to transfer a registration to another
// organization. Only its two organizations may read it.
type TransferOffer struct {
	ID        string     `json:"id"`
	Copyright string     `json:"copyright"`  // the registration's ID
	From      string     `json:"from"`       // the owner organization that offers it
	To        string     `json:"to"`         // the recipient organization
	OfferedBy string     `json:"offered_by"` // the offering actor
	OfferedAt time.Time  `json:"offered_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	Status    string     `json:"status"`
	SettledBy string     `json:"settled_by,omitempty"` // the actor who accepted, declined or withdrew it, or found it expired
	SettledAt *time.Time `json:"settled_at,omitempty"`
}

var (
	bCrOffers  = []byte("croffers")  // offer id → TransferOffer JSON
	bCrOfferOf = []byte("crofferof") // org ‖ offer id → ∅, for both organizations of an offer
	bCrOffered = []byte("croffered") // registration id → its pending offer's id
)

// offerSubject is the subject of an offer's audit events.
func offerSubject(o *TransferOffer) string {
	return "copyright:" + o.Copyright + ":transfer:" + o.ID
}

// OfferTransfer offers registration id, owned by org, to the organization
// to, for ttl (DefaultOfferTTL if 0). The registration must not be revoked
// nor have a pending offer (one that expired meanwhile is marked expired
// first, in the same transaction).
func (s *Register) OfferTransfer(ctx context.Context, id, org, actor, to string, ttl time.Duration) (*TransferOffer, error) {
	if ttl == 0 {
		ttl = DefaultOfferTTL
	}
	switch {
	case ttl < MinOfferTTL || ttl > MaxOfferTTL:
		return nil, problem.Refuse(ErrBadOffer, "offer.ttl", "min", MinOfferTTL, "max", MaxOfferTTL)
	case to == org:
		return nil, problem.Refuse(ErrBadOffer, "offer.own", "org", to)
	case !evidence.ValidID(id):
		return nil, evidence.ErrNotFound
	}
	now := s.ev.Now().UTC()
	o := &TransferOffer{ID: evidence.NewID(), Copyright: id, From: org, To: to, OfferedBy: actor,
		OfferedAt: now, ExpiresAt: now.Add(ttl), Status: OfferPending}
	err := s.ev.Update(func(tx *bolt.Tx) error {
		c, err := getCopyright(tx, id)
		if err != nil {
			return err
		}
		switch {
		case c.OwnerOrg != org:
			return ErrNotOwner
		case c.Status == CopyrightRevoked:
			return ErrRevoked
		}
		if prev := tx.Bucket(bCrOffered).Get([]byte(id)); prev != nil {
			p, err := getOffer(tx, string(prev))
			if err != nil {
				return err
			}
			if !now.After(p.ExpiresAt) {
				return fmt.Errorf("%w: %s, until %s", ErrOfferPending, p.ID, p.ExpiresAt.Format(time.RFC3339))
			}
			if err := s.settleOffer(tx, p, c, actor, OfferExpired); err != nil {
				return err
			}
		}
		if err := putOffer(tx, o); err != nil {
			return err
		}
		for _, party := range []string{o.From, o.To} {
			if err := tx.Bucket(bCrOfferOf).Put([]byte(party+o.ID), nil); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bCrOffered).Put([]byte(id), []byte(o.ID)); err != nil {
			return err
		}
		if err := s.appendToItems(tx, c, actor, EventTransferOffered, "org:"+to); err != nil {
			return err
		}
		return s.auditOffer(tx, o, actor, custody.AuditOfferSent, custody.AuditOfferReceived)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// AcceptTransfer accepts offer tid addressed to org: the registration
// moves to org (see moveCopyright) in the same transaction.
func (s *Register) AcceptTransfer(ctx context.Context, tid, org, actor string) (*TransferOffer, *Copyright, error) {
	var c *Copyright
	o, err := s.settle(tid, org, actor, OfferAccepted, func(tx *bolt.Tx, o *TransferOffer, cr *Copyright) error {
		c = cr
		return s.moveCopyright(tx, cr, o, actor)
	})
	return o, c, err
}

// DeclineTransfer declines offer tid addressed to org; the registration
// stays with the offerer.
func (s *Register) DeclineTransfer(ctx context.Context, tid, org, actor string) (*TransferOffer, error) {
	return s.settle(tid, org, actor, OfferDeclined, nil)
}

// WithdrawTransfer withdraws offer tid that org made.
func (s *Register) WithdrawTransfer(ctx context.Context, tid, org, actor string) (*TransferOffer, error) {
	return s.settle(tid, org, actor, OfferWithdrawn, nil)
}

// settle takes pending offer tid to status (accepted, declined or
// withdrawn) for org, a party allowed to (the recipient accepts and
// declines, the offerer withdraws); move, if set, applies the acceptance
// to the registration first. An offer found expired is marked expired
// instead (and ErrOfferExpired returned): that is committed.
func (s *Register) settle(tid, org, actor, status string, move func(*bolt.Tx, *TransferOffer, *Copyright) error) (*TransferOffer, error) {
	if !evidence.ValidID(tid) {
		return nil, evidence.ErrNotFound
	}
	var out *TransferOffer
	var expired bool
	err := s.ev.Update(func(tx *bolt.Tx) error {
		expired = false
		o, err := getOffer(tx, tid)
		if err != nil {
			return err
		}
		switch {
		case org != o.From && org != o.To:
			return evidence.ErrNotFound // an offer is private to its two organizations
		case status == OfferWithdrawn && org != o.From:
			return ErrNotOfferer
		case status != OfferWithdrawn && org != o.To:
			return ErrNotRecipient
		case o.Status == OfferExpired:
			return ErrOfferExpired
		case o.Status != OfferPending:
			return fmt.Errorf("%w: it was %s", ErrOfferSettled, o.Status)
		}
		c, err := getCopyright(tx, o.Copyright)
		if err != nil {
			return err
		}
		if s.ev.Now().After(o.ExpiresAt) {
			expired, out = true, o
			return s.settleOffer(tx, o, c, actor, OfferExpired)
		}
		if move != nil {
			if err := move(tx, o, c); err != nil {
				return err
			}
		}
		out = o
		return s.settleOffer(tx, o, c, actor, status)
	})
	if err != nil {
		return nil, err
	}
	if expired {
		return out, ErrOfferExpired
	}
	return out, nil
}

// settleOffer marks pending offer o settled with status by actor and
// writes the step's custody events, audit events and webhooks.
func (s *Register) settleOffer(tx *bolt.Tx, o *TransferOffer, c *Copyright, actor, status string) error {
	at := s.ev.Now().UTC()
	o.Status, o.SettledBy, o.SettledAt = status, actor, &at
	if err := putOffer(tx, o); err != nil {
		return err
	}
	if err := tx.Bucket(bCrOffered).Delete([]byte(o.Copyright)); err != nil {
		return err
	}
	var typ, audit string
	switch status {
	case OfferAccepted:
		audit = custody.AuditOfferAccepted // the items' copyright.transferred is moveCopyright's
	case OfferDeclined:
		typ, audit = EventTransferDeclined, custody.AuditOfferDeclined
	case OfferWithdrawn:
		typ, audit = EventTransferWithdrawn, custody.AuditOfferWithdrawn
	case OfferExpired:
		typ, audit = EventTransferExpired, custody.AuditOfferExpired
	default:
		return fmt.Errorf("evidence: settling an offer as %q", status)
	}
	if typ != "" {
		if err := s.appendToItems(tx, c, actor, typ, "org:"+o.To); err != nil {
			return err
		}
	}
	return s.auditOffer(tx, o, actor, audit, audit)
}

// auditOffer appends a step of offer o to both organizations' audit
// chains (from's type to the offerer's, to's to the recipient's) and
// tells Config.OnTransfer.
func (s *Register) auditOffer(tx *bolt.Tx, o *TransferOffer, actor, from, to string) error {
	t := custody.FormatTime(s.ev.Now())
	for _, e := range []*custody.Event{
		{V: custody.EventVersion, Evidence: o.From, Type: from, Time: t, Actor: actor, Subject: offerSubject(o)},
		{V: custody.EventVersion, Evidence: o.To, Type: to, Time: t, Actor: actor, Subject: offerSubject(o)},
	} {
		if err := evidence.AppendAuditTx(tx, e); err != nil {
			return err
		}
	}
	if s.cfg.OnTransfer != nil {
		return s.cfg.OnTransfer(tx, o)
	}
	return nil
}

// moveCopyright gives registration c to the recipient of offer o, which
// from then on sees the registration's items as its own (through Owner),
// lists them and alone may share them (evidence.Service.GiveItem). The
// shares of single items that the former owner made end, each with an
// "unshared" event by the offering actor (a share of a whole matter stays,
// and keeps showing the item: see evidence.Service.Visible), and every
// item gets a copyright.transferred event by the accepting actor, naming
// the new owner.
func (s *Register) moveCopyright(tx *bolt.Tx, c *Copyright, o *TransferOffer, actor string) error {
	switch {
	case c.Status == CopyrightRevoked:
		return ErrRevoked
	case c.OwnerOrg != o.From:
		return fmt.Errorf("%w: the registration no longer belongs to the offerer", ErrOfferSettled)
	}
	c.OwnerOrg = o.To
	c.Transfers = append(c.Transfers, Transfer{From: o.From, To: o.To, By: o.OfferedBy, At: s.ev.Now().UTC(),
		Offer: o.ID, AcceptedBy: actor})
	if err := tx.Bucket(bCrByOrg).Delete([]byte(o.From + c.ID)); err != nil {
		return err
	}
	if err := tx.Bucket(bCrByOrg).Put([]byte(o.To+c.ID), nil); err != nil {
		return err
	}
	for _, item := range c.Items {
		if seq, ok := evidence.ItemSeq(tx, item); ok {
			if err := s.ev.GiveItem(tx, seq, item, o.From, o.To, o.OfferedBy); err != nil {
				return err
			}
		}
	}
	if err := putCopyright(tx, c); err != nil {
		return err
	}
	return s.appendToItems(tx, c, actor, EventCopyrightTransferred, "org:"+o.To)
}

// TransferOffer returns offer tid to org, one of its two organizations;
// an offer found expired is marked expired first.
func (s *Register) TransferOffer(ctx context.Context, tid, org, actor string) (*TransferOffer, error) {
	if !evidence.ValidID(tid) {
		return nil, evidence.ErrNotFound
	}
	var o *TransferOffer
	err := s.ev.View(func(tx *bolt.Tx) error {
		var err error
		o, err = getOffer(tx, tid)
		return err
	})
	if err != nil {
		return nil, err
	}
	if org != o.From && org != o.To {
		return nil, evidence.ErrNotFound
	}
	if o.Status == OfferPending && s.ev.Now().After(o.ExpiresAt) {
		return s.expireOffer(tid, actor)
	}
	return o, nil
}

// expireOffer marks offer tid expired, if it is still pending and past its
// expiry, and returns it.
func (s *Register) expireOffer(tid, actor string) (*TransferOffer, error) {
	var out *TransferOffer
	err := s.ev.Update(func(tx *bolt.Tx) error {
		o, err := getOffer(tx, tid)
		if err != nil {
			return err
		}
		out = o
		if o.Status != OfferPending || !s.ev.Now().After(o.ExpiresAt) {
			return nil
		}
		c, err := getCopyright(tx, o.Copyright)
		if err != nil {
			return err
		}
		return s.settleOffer(tx, o, c, actor, OfferExpired)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// OfferPage is one page of a listing of transfer offers.
type OfferPage struct {
	Items []*TransferOffer
	Next  string // "" on the last page
}

// TransferOffers lists the offers org made or received, in the order of
// their IDs, at most limit per page (default DefaultCopyrightPage, at most
// MaxCopyrightPage); cursor is the Next of the page before. With status,
// only offers in that state are listed. Pending offers found expired are
// marked expired (by actor) before they are listed.
func (s *Register) TransferOffers(ctx context.Context, org, actor, status, cursor string, limit int) (*OfferPage, error) {
	if limit <= 0 {
		limit = DefaultCopyrightPage
	}
	limit = min(limit, MaxCopyrightPage)
	if cursor != "" && !evidence.ValidID(cursor) {
		return nil, evidence.ErrBadCursor
	}
	prefix := []byte(org)
	page := &OfferPage{Items: []*TransferOffer{}}
	now := s.ev.Now()
	err := s.ev.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bCrOfferOf).Cursor()
		k, _ := c.Seek(append(bytes.Clone(prefix), cursor...))
		if k != nil && cursor != "" && string(k[len(prefix):]) == cursor {
			k, _ = c.Next()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			o, err := getOffer(tx, string(k[len(prefix):]))
			if err != nil {
				return err
			}
			st := o.Status
			if st == OfferPending && now.After(o.ExpiresAt) {
				st = OfferExpired // marked below
			}
			if status != "" && st != status {
				continue
			}
			if len(page.Items) == limit {
				page.Next = page.Items[limit-1].ID
				break
			}
			page.Items = append(page.Items, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, o := range page.Items {
		if o.Status == OfferPending && now.After(o.ExpiresAt) {
			if page.Items[i], err = s.expireOffer(o.ID, actor); err != nil {
				return nil, err
			}
		}
	}
	return page, nil
}

func putOffer(tx *bolt.Tx, o *TransferOffer) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return tx.Bucket(bCrOffers).Put([]byte(o.ID), b)
}

func getOffer(tx *bolt.Tx, id string) (*TransferOffer, error) {
	v := tx.Bucket(bCrOffers).Get([]byte(id))
	if v == nil {
		return nil, evidence.ErrNotFound
	}
	var o TransferOffer
	if err := json.Unmarshal(v, &o); err != nil {
		return nil, fmt.Errorf("evidence: transfer offer %s is corrupt: %w", id, err)
	}
	return &o, nil
}
