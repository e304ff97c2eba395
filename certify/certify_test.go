package certify

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/evidence/proofs"
	"github.com/custos-project/custos/evidence/sharing"
	"github.com/custos-project/custos/notary/document"
	"github.com/custos-project/custos/receipt"
)

// fakeEvidence holds records by ID, visible to their owner organization
// only, and one matter; every record has custody events, and its
// receipts are the next of receipts at each call (the last repeats;
// none: never anchored). Methods the tests do not reach are the embedded
// nil interface's.
type fakeEvidence struct {
	Evidence
	Certificates
	recs     map[string]*evidence.Record
	matter   *sharing.Matter
	inMatt   []*evidence.Record
	custody  int
	receipts []*receipt.Receipt
	calls    int
}

func (f *fakeEvidence) Custody(context.Context, string) ([]*custody.Event, error) {
	return make([]*custody.Event, f.custody), nil
}

func (f *fakeEvidence) Get(_ context.Context, id string) (*evidence.Record, error) {
	if r, ok := f.recs[id]; ok {
		return r, nil
	}
	return nil, evidence.ErrNotFound
}

func (f *fakeEvidence) Visible(_ context.Context, r *evidence.Record, org string) (bool, error) {
	return evidence.OwnerOrg(r) == org, nil
}

func (f *fakeEvidence) Matter(_ context.Context, id, org string) (*sharing.Matter, error) {
	if f.matter == nil || f.matter.ID != id || f.matter.Org != org {
		return nil, evidence.ErrNotFound
	}
	return f.matter, nil
}

func (f *fakeEvidence) MatterEvidence(context.Context, string, string) ([]*evidence.Record, error) {
	return f.inMatt, nil
}

func (f *fakeEvidence) Receipt(context.Context, string) (*receipt.Receipt, error) {
	if len(f.receipts) == 0 {
		return nil, proofs.ErrNotAnchored
	}
	f.calls++
	return f.receipts[min(f.calls, len(f.receipts))-1], nil
}

type fakeOrgs map[string]string

func (o fakeOrgs) Org(id string) (*access.Org, error) {
	if name, ok := o[id]; ok {
		return &access.Org{ID: id, Name: name}, nil
	}
	return nil, access.ErrNotFound
}

func newTestOffice(t *testing.T, ev *fakeEvidence) *Office {
	t.Helper()
	o, err := New(Config{Evidence: ev, Matters: ev, Certificates: ev, Receipts: ev, Orgs: fakeOrgs{"orgA": "Firm A", "orgB": "Firm B"}, AnchorWait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestNotarialWithoutSigner(t *testing.T) {
	o := newTestOffice(t, &fakeEvidence{})
	if _, err := o.Notarial(context.Background(), Request{Org: "orgA", Evidence: []string{"e1"}}); !errors.Is(err, ErrNoSigner) {
		t.Errorf("Notarial() = %v, want ErrNoSigner", err)
	}
	if err := o.Copyright(context.Background(), &copyright.Copyright{ID: "c1"}, "", "orgA:k"); !errors.Is(err, ErrNoSigner) {
		t.Errorf("Copyright() = %v, want ErrNoSigner", err)
	}
}

func TestRecords(t *testing.T) {
	a1 := &evidence.Record{ID: "a1", Owner: "orgA:k"}
	b1 := &evidence.Record{ID: "b1", Owner: "orgB:k"}
	ev := &fakeEvidence{recs: map[string]*evidence.Record{"a1": a1, "b1": b1},
		matter: &sharing.Matter{ID: "m1", Org: "orgA"}}
	o := newTestOffice(t, ev)
	var input *InputError
	for _, tc := range []struct {
		name string
		req  Request
		want func(error) bool
	}{
		{"neither", Request{Org: "orgA"}, func(err error) bool { return errors.As(err, &input) }},
		{"both", Request{Org: "orgA", Evidence: []string{"a1"}, Matter: "m1"}, func(err error) bool { return errors.As(err, &input) }},
		{"twice", Request{Org: "orgA", Evidence: []string{"a1", "a1"}}, func(err error) bool { return errors.As(err, &input) }},
		{"not visible", Request{Org: "orgA", Evidence: []string{"a1", "b1"}}, func(err error) bool {
			return errors.Is(err, evidence.ErrNotFound) && !errors.Is(err, ErrNoMatter)
		}},
		{"no such matter", Request{Org: "orgA", Matter: "m2"}, func(err error) bool { return errors.Is(err, ErrNoMatter) }},
		{"another's matter", Request{Org: "orgB", Matter: "m1"}, func(err error) bool { return errors.Is(err, ErrNoMatter) }},
		{"empty matter", Request{Org: "orgA", Matter: "m1"}, func(err error) bool { return errors.As(err, &input) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := o.records(context.Background(), tc.req); !tc.want(err) {
				t.Errorf("records(%+v) = %v", tc.req, err)
			}
		})
	}
	recs, m, err := o.records(context.Background(), Request{Org: "orgA", Evidence: []string{"a1"}})
	if err != nil || len(recs) != 1 || recs[0] != a1 || m != nil {
		t.Errorf("records(a1) = %v, %v, %v", recs, m, err)
	}
}

func TestApplicant(t *testing.T) {
	o := newTestOffice(t, &fakeEvidence{})
	a1 := &evidence.Record{ID: "a1", Owner: "orgA:k"}
	b1 := &evidence.Record{ID: "b1", Owner: "orgB:k"}
	now := time.Now()
	if a, err := o.applicant(nil, []*evidence.Record{a1}, now); err != nil || a.Org != "orgA" || a.Name != "Firm A" {
		t.Errorf("applicant(nil, [a1]) = %+v, %v; want Firm A", a, err)
	}
	var me *evidence.MetadataError
	for _, tc := range []struct {
		name string
		in   *Applicant
		recs []*evidence.Record
	}{
		{"owners differ", nil, []*evidence.Record{a1, b1}},
		{"unknown org", &Applicant{Org: "orgZ"}, []*evidence.Record{a1}},
		{"neither", &Applicant{}, []*evidence.Record{a1}},
	} {
		if _, err := o.applicant(tc.in, tc.recs, now); !errors.As(err, &me) {
			t.Errorf("%s: applicant() = %v, want a *MetadataError", tc.name, err)
		}
	}
}

func TestItemsNotAnchored(t *testing.T) {
	o := newTestOffice(t, &fakeEvidence{})
	_, err := o.items(context.Background(), []*evidence.Record{{ID: "a1"}}, time.Now().Add(time.Millisecond))
	var na *NotAnchoredError
	if !errors.As(err, &na) || na.Evidence != "a1" {
		t.Errorf("items() = %v, want a *NotAnchoredError for a1", err)
	}
}

// TestItemsWholeCustody: a document waits until its item's receipt holds
// every custody event the item had when issuing began (a share made just
// before is stated), and gives up at the deadline like an item not yet
// anchored at all.
func TestItemsWholeCustody(t *testing.T) {
	one := &receipt.Receipt{Events: make([]receipt.AnchoredEvent, 1)}
	two := &receipt.Receipt{Events: make([]receipt.AnchoredEvent, 2)}
	ev := &fakeEvidence{custody: 2, receipts: []*receipt.Receipt{one, one, two}}
	o := newTestOffice(t, ev)
	items, err := o.items(context.Background(), []*evidence.Record{{ID: "a1"}}, time.Now().Add(time.Minute))
	if err != nil || len(items) != 1 || items[0].Receipt != two {
		t.Fatalf("items() = %v, %v; want the receipt with both events", items, err)
	}
	if ev.calls != 3 {
		t.Errorf("receipts read %d times, want 3 (until it held both events)", ev.calls)
	}
	ev = &fakeEvidence{custody: 2, receipts: []*receipt.Receipt{one}}
	_, err = newTestOffice(t, ev).items(context.Background(), []*evidence.Record{{ID: "a1"}}, time.Now().Add(time.Millisecond))
	var na *NotAnchoredError
	if !errors.As(err, &na) || na.Evidence != "a1" {
		t.Errorf("items() with a custody event never anchored = %v, want a *NotAnchoredError for a1", err)
	}
}

// TestNames: a certificate names the organizations of its items' custody
// by their names; one no longer known keeps its ID.
func TestNames(t *testing.T) {
	o := newTestOffice(t, &fakeEvidence{})
	var events []receipt.AnchoredEvent
	for _, e := range []custody.Event{
		{Type: custody.EventCreated, Actor: "orgA:k1"},
		{Type: custody.EventShared, Actor: "orgA:k1", Subject: "org:orgB"},
		{Type: custody.EventViewed, Actor: "orggone:k2"},
	} {
		e.V, e.Evidence, e.Time, e.Seq = 1, "aaaaaaaaaaaaaaaaaaaaaaaaaa", "2026-12-06T01:00:00.000000000Z", uint32(len(events))
		if e.Type == custody.EventCreated {
			e.SHA256, e.Size, e.MediaType, e.Tokens = strings.Repeat("ab", 32), 1, "text/plain", []string{strings.Repeat("ab", 32)}
		} else {
			e.Prev = strings.Repeat("cd", 32)
		}
		b, err := e.Encode()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, receipt.AnchoredEvent{Event: string(b)})
	}
	got := o.names([]document.Item{{ID: "ev1", Receipt: &receipt.Receipt{Events: events}}})
	want := map[string]string{"orgA": "Firm A", "orgB": "Firm B"}
	if !maps.Equal(got, want) {
		t.Errorf("names = %v, want %v", got, want)
	}
}
