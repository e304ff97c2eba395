package sharing

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
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
	bMatters = []byte("matters") // id → Matter JSON
	bOrgMatt = []byte("orgmatt") // org ‖ id → ∅
)

// ParseMatterInput decodes and validates a matter strictly (unknown fields,
// such as "org" or "id", are refused).
func ParseMatterInput(b []byte) (MatterInput, error) {
	var in MatterInput
	if err := evidence.DecodeStrict(b, &in, "matter", "title, parties, case_number"); err != nil {
		return in, err
	}
	return in, evidence.ValidateStruct(&in)
}

// CreateMatter opens a matter for an organization.
func (s *Registry) CreateMatter(ctx context.Context, org, actor string, in MatterInput) (*Matter, error) {
	return s.CreateMatterWithin(ctx, org, actor, in, nil)
}

// CreateMatterWithin opens a matter as CreateMatter does and, if within is
// not nil, calls it in the same transaction once the matter is stored: an
// error from within undoes it. Like every function of the group commit it
// may run more than once. The API stores the Idempotency-Key answer there.
func (s *Registry) CreateMatterWithin(ctx context.Context, org, actor string, in MatterInput, within func(tx *bolt.Tx, m *Matter) error) (*Matter, error) {
	if err := evidence.ValidateStruct(&in); err != nil {
		return nil, err
	}
	m := &Matter{ID: evidence.NewID(), Org: org, Title: in.Title, Parties: in.Parties, CaseNumber: in.CaseNumber,
		CreatedAt: s.ev.Now().UTC(), CreatedBy: actor}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	err = s.ev.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bMatters).Put([]byte(m.ID), b); err != nil {
			return err
		}
		if err := tx.Bucket(bOrgMatt).Put([]byte(org+m.ID), nil); err != nil || within == nil {
			return err
		}
		return within(tx, m)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Matter returns a matter; only its organization and those it is shared
// with may see it (evidence.ErrNotFound otherwise).
func (s *Registry) Matter(ctx context.Context, id, org string) (*Matter, error) {
	var m *Matter
	err := s.ev.View(func(tx *bolt.Tx) error {
		var err error
		m, err = getMatter(tx, id)
		if err != nil {
			return err
		}
		if m.Org != org && !evidence.SharedWith(tx, id, org, s.ev.Now()) {
			return evidence.ErrNotFound
		}
		return nil
	})
	return m, err
}

// MatterEvidence returns, oldest first, the records filed into a matter
// that org may see (its own matter, or one shared with it), without
// recording an access: the caller records what it does with them.
func (s *Registry) MatterEvidence(ctx context.Context, matter, org string) ([]*evidence.Record, error) {
	var out []*evidence.Record
	err := s.ev.View(func(tx *bolt.Tx) error {
		m, err := getMatter(tx, matter)
		now := s.ev.Now()
		if err != nil || (m.Org != org && !evidence.SharedWith(tx, matter, org, now)) {
			return evidence.ErrNotFound
		}
		seqs, err := evidence.MatterItems(tx, matter)
		if err != nil {
			return err
		}
		for _, seq := range seqs {
			r, err := evidence.RecordAt(tx, seq)
			if err != nil {
				return err
			}
			if s.ev.VisibleIn(tx, r, org, now) {
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
		return nil, evidence.ErrNotFound
	}
	var m Matter
	return &m, json.Unmarshal(v, &m)
}

// Matters lists an organization's own matters.
func (s *Registry) Matters(ctx context.Context, org string) ([]Matter, error) {
	var out []Matter
	err := s.ev.View(func(tx *bolt.Tx) error {
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
