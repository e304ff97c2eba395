package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/custos-project/custos/internal/strictjson"

	bolt "go.etcd.io/bbolt"
)

// Matter is a case file: evidence filed together for one dispute.
type Matter struct {
	ID         string    `json:"id"`
	Org        string    `json:"org"` // the organization that owns it
	Title      string    `json:"title"`
	Parties    []string  `json:"parties,omitempty"`
	CaseNumber string    `json:"case_number,omitempty"` // the court's case number, when known
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
}

// MatterInput is what a client may set on a matter.
type MatterInput struct {
	Title      string   `json:"title" validate:"required,max=512,visible"`
	Parties    []string `json:"parties,omitempty" validate:"max=50,dive,required,max=200,visible"`
	CaseNumber string   `json:"case_number,omitempty" validate:"omitempty,max=128,visible"`
}

var (
	bMatters  = []byte("matters")  // id → Matter JSON
	bOrgMatt  = []byte("orgmatt")  // org ‖ id → ∅
	bShares   = []byte("shares")   // id → Share JSON
	bShareIdx = []byte("shareidx") // target ‖ grantee → share id (the newest share of target with grantee)
	bGranted  = []byte("granted")  // grantee ‖ share id → ∅
	bMadeBy   = []byte("madeby")   // owner org ‖ share id → ∅
	bAudit    = []byte("audit")    // org ‖ n(4) → canonical audit event
)

var accessBuckets = [][]byte{bMatters, bOrgMatt, bShares, bShareIdx, bGranted, bMadeBy, bAudit, bByOrg, bByMatter}

// ParseMatterInput decodes and validates a matter strictly (unknown fields,
// such as "org" or "id", are refused).
func ParseMatterInput(b []byte) (MatterInput, error) {
	var in MatterInput
	if err := decodeStrict(b, &in, "matter", "title, parties, case_number"); err != nil {
		return in, err
	}
	return in, validateStruct(&in)
}

// decodeStrict decodes one JSON object into v, refusing unknown fields
// (allowed lists the known ones for the message) and trailing data; what
// names the object in errors.
func decodeStrict(b []byte, v any, what, allowed string) error {
	switch err := strictjson.Decode(b, v); {
	case errors.Is(err, strictjson.ErrTrailing):
		return &MetadataError{Fields: []FieldError{{Field: what, Message: "has data after the JSON object"}}}
	case err != nil:
		msg := jsonMessage(err)
		if strings.HasPrefix(err.Error(), "json: unknown field") || strings.HasPrefix(err.Error(), "json: duplicate field") {
			msg = strings.TrimPrefix(err.Error(), "json: ") + " (allowed: " + allowed + ")"
		}
		return &MetadataError{Fields: []FieldError{{Field: "body", Message: msg}}}
	}
	return nil
}

// CreateMatter opens a matter for an organization.
func (s *Service) CreateMatter(ctx context.Context, org, actor string, in MatterInput) (*Matter, error) {
	if err := validateStruct(&in); err != nil {
		return nil, err
	}
	m := &Matter{ID: NewID(), Org: org, Title: in.Title, Parties: in.Parties, CaseNumber: in.CaseNumber,
		CreatedAt: s.cfg.Now().UTC(), CreatedBy: actor}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bMatters).Put([]byte(m.ID), b); err != nil {
			return err
		}
		return tx.Bucket(bOrgMatt).Put([]byte(org+m.ID), nil)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Matter returns a matter; only its organization and those it is shared
// with may see it (ErrNotFound otherwise).
func (s *Service) Matter(ctx context.Context, id, org string) (*Matter, error) {
	var m *Matter
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		m, err = getMatter(tx, id)
		if err != nil {
			return err
		}
		if m.Org != org && !activeShare(tx, id, org, s.cfg.Now()) {
			return ErrNotFound
		}
		return nil
	})
	return m, err
}

// MatterEvidence returns, oldest first, the records filed into a matter
// that org may see (its own matter, or one shared with it), without
// recording an access: the caller records what it does with them.
func (s *Service) MatterEvidence(ctx context.Context, matter, org string) ([]*Record, error) {
	var out []*Record
	err := s.db.View(func(tx *bolt.Tx) error {
		m, err := getMatter(tx, matter)
		now := s.cfg.Now()
		if err != nil || (m.Org != org && !activeShare(tx, matter, org, now)) {
			return ErrNotFound
		}
		seqs, err := matterRecords(tx, matter)
		if err != nil {
			return err
		}
		for _, seq := range seqs {
			r, err := getRecord(tx, seq)
			if err != nil {
				return err
			}
			if s.visible(tx, r, org, now) {
				out = append(out, r)
			}
		}
		return nil
	})
	return out, err
}

func getMatter(tx *bolt.Tx, id string) (*Matter, error) {
	v := tx.Bucket(bMatters).Get([]byte(id))
	if v == nil {
		return nil, ErrNotFound
	}
	var m Matter
	return &m, json.Unmarshal(v, &m)
}

// Matters lists an organization's own matters.
func (s *Service) Matters(ctx context.Context, org string) ([]Matter, error) {
	var out []Matter
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bOrgMatt).Cursor()
		for k, _ := c.Seek([]byte(org)); k != nil && bytes.HasPrefix(k, []byte(org)); k, _ = c.Next() {
			m, err := getMatter(tx, string(k[len(org):]))
			if err != nil {
				return err
			}
			out = append(out, *m)
		}
		return nil
	})
	return out, err
}

// OwnerOrg is the organization that owns a record ("org:key" owners; a
// bare owner is its own organization).
func OwnerOrg(r *Record) string {
	org, _, _ := cutOwner(r.Owner)
	return org
}

func cutOwner(owner string) (org, key string, ok bool) {
	for i := 0; i < len(owner); i++ {
		if owner[i] == ':' {
			return owner[:i], owner[i+1:], true
		}
	}
	return owner, "", false
}
