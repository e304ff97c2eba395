package copyright

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/audittrail"
	"github.com/custos-project/custos/evidence/integrity"
)

// startAudit starts the audit chains of orgs that have none, as creating
// an organization does.
func startAudit(t *testing.T, s *world, orgs ...string) {
	t.Helper()
	for _, org := range orgs {
		if evs, _ := audittrail.New(s.Service).AuditTrail(context.Background(), org); len(evs) > 0 {
			continue
		}
		if _, err := audittrail.New(s.Service).AppendAudit(context.Background(), org, "operator:key", custody.AuditOrgCreated, "kind:test"); err != nil {
			t.Fatal(err)
		}
	}
}

// transfer offers registration id from org to the organization to, which
// accepts.
func transfer(t *testing.T, s *world, id, from, to string) *Copyright {
	t.Helper()
	startAudit(t, s, from, to)
	o, err := s.OfferTransfer(context.Background(), id, from, from+":key", to, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, c, err := s.AcceptTransfer(context.Background(), o.ID, to, to+":key")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// auditTypes lists the types of org's audit chain after org.created,
// checking that it links.
func auditTypes(t *testing.T, s *world, org string) []string {
	t.Helper()
	evs, err := audittrail.New(s.Service).AuditTrail(context.Background(), org)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := custody.CheckChain(evs); err != nil {
		t.Errorf("audit chain of %s: %v", org, err)
	}
	var types []string
	for _, e := range evs[1:] {
		types = append(types, e.Type)
	}
	return types
}

// transferWorld is a registration of orgA's with two files, the audit
// chains of orgA, orgB and orgC, a clock the test moves and the steps
// told to OnTransfer.
type transferWorld struct {
	s     *world
	c     *Copyright
	now   time.Time
	steps []string // "status from→to", as OnTransfer saw them
}

func newTransferWorld(t *testing.T) *transferWorld {
	t.Helper()
	w := &transferWorld{now: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	w.s = newWorld(t, evidence.Config{Now: func() time.Time { return w.now }})
	w.s.cfg.OnTransfer = func(tx *bolt.Tx, o *TransferOffer) error {
		if !tx.Writable() {
			t.Errorf("OnTransfer outside a write transaction")
		}
		w.steps = append(w.steps, o.Status+" "+o.From+"→"+o.To)
		return nil
	}
	startAudit(t, w.s, orgA, orgB, orgC)
	f1, f2 := fileAs(t, w.s, orgA, "first file"), fileAs(t, w.s, orgA, "second file")
	c, err := w.s.RegisterCopyright(context.Background(), orgA, orgA+":key", testWork(), []RegisterItem{{ID: f1.ID}, {ID: f2.ID}})
	if err != nil {
		t.Fatal(err)
	}
	w.c = c
	return w
}

func (w *transferWorld) offer(t *testing.T) *TransferOffer {
	t.Helper()
	o, err := w.s.OfferTransfer(context.Background(), w.c.ID, orgA, orgA+":key", orgB, 0)
	if err != nil {
		t.Fatalf("OfferTransfer = %v", err)
	}
	return o
}

// owner is the registration's current owner organization.
func (w *transferWorld) owner(t *testing.T) string {
	t.Helper()
	c, err := w.s.Copyright(context.Background(), w.c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c.OwnerOrg
}

// itemTypes are the custody event types of every file after
// copyright.registered, the same for each file.
func (w *transferWorld) itemTypes(t *testing.T) string {
	t.Helper()
	var first string
	for i, id := range w.c.Items {
		evs, types := custodyTypes(t, w.s, id)
		if _, err := custody.CheckChain(evs); err != nil {
			t.Errorf("custody chain of %s: %v", id, err)
		}
		got := strings.Join(types[2:], " ")
		if i == 0 {
			first = got
		} else if got != first {
			t.Errorf("files' custody differs: %q and %q", first, got)
		}
	}
	return first
}

// TestTransferOfferAccepted: an offer changes nothing until the recipient
// accepts it; every step is on every file, on both audit chains and told
// to OnTransfer.
func TestTransferOfferAccepted(t *testing.T) {
	ctx := context.Background()
	w := newTransferWorld(t)
	o := w.offer(t)
	if o.Status != OfferPending || !o.ExpiresAt.Equal(w.now.Add(DefaultOfferTTL)) {
		t.Errorf("offer = %+v; want pending, expiring after %v", o, DefaultOfferTTL)
	}
	if got := w.owner(t); got != orgA {
		t.Errorf("owner after the offer = %s, want %s (unchanged until accepted)", got, orgA)
	}
	if _, err := w.s.OfferTransfer(ctx, w.c.ID, orgA, orgA+":key", orgC, 0); !errors.Is(err, ErrOfferPending) {
		t.Errorf("a second offer while one is pending = %v, want ErrOfferPending", err)
	}
	if _, _, err := w.s.AcceptTransfer(ctx, o.ID, orgC, orgC+":key"); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("accept by a third party = %v, want ErrNotFound", err)
	}
	if _, _, err := w.s.AcceptTransfer(ctx, o.ID, orgA, orgA+":key"); !errors.Is(err, ErrNotRecipient) {
		t.Errorf("accept by the offerer = %v, want ErrNotRecipient", err)
	}
	if _, err := w.s.WithdrawTransfer(ctx, o.ID, orgB, orgB+":key"); !errors.Is(err, ErrNotOfferer) {
		t.Errorf("withdraw by the recipient = %v, want ErrNotOfferer", err)
	}
	if _, err := w.s.TransferOffer(ctx, o.ID, orgC, orgC+":key"); !errors.Is(err, evidence.ErrNotFound) {
		t.Errorf("read by a third party = %v, want ErrNotFound", err)
	}
	got, c, err := w.s.AcceptTransfer(ctx, o.ID, orgB, orgB+":key")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != OfferAccepted || got.SettledBy != orgB+":key" || c.OwnerOrg != orgB ||
		len(c.Transfers) != 1 || c.Transfers[0].Offer != o.ID || c.Transfers[0].AcceptedBy != orgB+":key" {
		t.Errorf("AcceptTransfer = %+v, %+v", got, c)
	}
	if _, _, err := w.s.AcceptTransfer(ctx, o.ID, orgB, orgB+":key"); !errors.Is(err, ErrOfferSettled) {
		t.Errorf("accept again = %v, want ErrOfferSettled", err)
	}
	if _, err := w.s.DeclineTransfer(ctx, o.ID, orgB, orgB+":key"); !errors.Is(err, ErrOfferSettled) {
		t.Errorf("decline after accepting = %v, want ErrOfferSettled", err)
	}
	if got := w.itemTypes(t); got != EventTransferOffered+" "+EventCopyrightTransferred {
		t.Errorf("files' custody after acceptance = %q", got)
	}
	for org, want := range map[string]string{
		orgA: custody.AuditOfferSent + " " + custody.AuditOfferAccepted,
		orgB: custody.AuditOfferReceived + " " + custody.AuditOfferAccepted,
		orgC: "",
	} {
		if got := strings.Join(auditTypes(t, w.s, org), " "); got != want {
			t.Errorf("audit chain of %s = %q, want %q", org, got, want)
		}
	}
	if got, want := strings.Join(w.steps, ", "), "pending "+orgA+"→"+orgB+", accepted "+orgA+"→"+orgB; got != want {
		t.Errorf("OnTransfer saw %q, want %q", got, want)
	}
	for org, want := range map[string]int{orgA: 1, orgB: 1, orgC: 0} {
		if page, err := w.s.TransferOffers(ctx, org, org+":key", "", "", 0); err != nil || len(page.Items) != want {
			t.Errorf("TransferOffers(%s) = %v, %v; want %d", org, page, err, want)
		}
	}
	rep, err := w.s.audit(ctx, integrity.Options{})
	if err != nil || !rep.OK() {
		t.Errorf("Audit after the transfer = %+v, %v", rep, err)
	}
}

// TestTransferOfferSettled: declined, withdrawn and expired offers leave
// the registration with its owner, are recorded on every file and both
// audit chains, and can be settled only once.
func TestTransferOfferSettled(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		settle func(w *transferWorld, o *TransferOffer) error
		want   error  // what settling answers
		status string // the offer's state afterwards
		event  string
		audit  string
	}{
		{"declined", func(w *transferWorld, o *TransferOffer) error {
			_, err := w.s.DeclineTransfer(ctx, o.ID, orgB, orgB+":key")
			return err
		}, nil, OfferDeclined, EventTransferDeclined, custody.AuditOfferDeclined},
		{"withdrawn", func(w *transferWorld, o *TransferOffer) error {
			_, err := w.s.WithdrawTransfer(ctx, o.ID, orgA, orgA+":key")
			return err
		}, nil, OfferWithdrawn, EventTransferWithdrawn, custody.AuditOfferWithdrawn},
		{"accepted after expiry", func(w *transferWorld, o *TransferOffer) error {
			w.now = o.ExpiresAt.Add(time.Second)
			_, _, err := w.s.AcceptTransfer(ctx, o.ID, orgB, orgB+":key")
			return err
		}, ErrOfferExpired, OfferExpired, EventTransferExpired, custody.AuditOfferExpired},
		{"read after expiry", func(w *transferWorld, o *TransferOffer) error {
			w.now = o.ExpiresAt.Add(time.Second)
			_, err := w.s.TransferOffer(ctx, o.ID, orgB, orgB+":key")
			return err
		}, nil, OfferExpired, EventTransferExpired, custody.AuditOfferExpired},
		{"listed after expiry", func(w *transferWorld, o *TransferOffer) error {
			w.now = o.ExpiresAt.Add(time.Second)
			page, err := w.s.TransferOffers(ctx, orgB, orgB+":key", OfferExpired, "", 0)
			if err == nil && (len(page.Items) != 1 || page.Items[0].Status != OfferExpired) {
				t.Errorf("TransferOffers(expired) = %+v", page.Items)
			}
			return err
		}, nil, OfferExpired, EventTransferExpired, custody.AuditOfferExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newTransferWorld(t)
			o := w.offer(t)
			if err := tc.settle(w, o); !errors.Is(err, tc.want) {
				t.Fatalf("settling = %v, want %v", err, tc.want)
			}
			got, err := w.s.TransferOffer(ctx, o.ID, orgA, orgA+":key")
			if err != nil || got.Status != tc.status {
				t.Fatalf("offer after settling = %+v, %v; want %s", got, err, tc.status)
			}
			if _, _, err := w.s.AcceptTransfer(ctx, o.ID, orgB, orgB+":key"); err == nil {
				t.Errorf("accept after %s = nil, want an error", tc.status)
			}
			if got := w.owner(t); got != orgA {
				t.Errorf("owner = %s, want %s", got, orgA)
			}
			if got, want := w.itemTypes(t), EventTransferOffered+" "+tc.event; got != want {
				t.Errorf("files' custody = %q, want %q", got, want)
			}
			for org, first := range map[string]string{orgA: custody.AuditOfferSent, orgB: custody.AuditOfferReceived} {
				if got, want := strings.Join(auditTypes(t, w.s, org), " "), first+" "+tc.audit; got != want {
					t.Errorf("audit chain of %s = %q, want %q", org, got, want)
				}
			}
			if len(w.steps) != 2 || !strings.HasPrefix(w.steps[1], tc.status+" ") {
				t.Errorf("OnTransfer saw %q, want pending then %s", w.steps, tc.status)
			}
			// Settled, the registration may be offered again.
			if o2 := w.offer(t); o2.ID == o.ID {
				t.Error("a new offer reuses the old ID")
			}
		})
	}
}

// TestTransferOfferBounds: the expiry is bounded, an offer goes to another
// organization, and a revoked registration is not offered.
func TestTransferOfferBounds(t *testing.T) {
	ctx := context.Background()
	w := newTransferWorld(t)
	for name, tc := range map[string]struct {
		to   string
		ttl  time.Duration
		want error
	}{
		"too short":  {orgB, MinOfferTTL - time.Second, ErrBadOffer},
		"too long":   {orgB, MaxOfferTTL + time.Second, ErrBadOffer},
		"to oneself": {orgA, 0, ErrBadOffer},
	} {
		if _, err := w.s.OfferTransfer(ctx, w.c.ID, orgA, orgA+":key", tc.to, tc.ttl); !errors.Is(err, tc.want) {
			t.Errorf("%s: OfferTransfer = %v, want %v", name, err, tc.want)
		}
	}
	o, err := w.s.OfferTransfer(ctx, w.c.ID, orgA, orgA+":key", orgB, MaxOfferTTL)
	if err != nil || !o.ExpiresAt.Equal(w.now.Add(MaxOfferTTL)) {
		t.Fatalf("OfferTransfer(MaxOfferTTL) = %+v, %v", o, err)
	}
	if _, err := w.s.RevokeCopyright(ctx, w.c.ID, orgA, orgA+":key", "registered in error"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.s.AcceptTransfer(ctx, o.ID, orgB, orgB+":key"); !errors.Is(err, ErrRevoked) {
		t.Errorf("accepting an offer of a revoked registration = %v, want ErrRevoked", err)
	}
	if got := w.owner(t); got != orgA {
		t.Errorf("owner = %s, want %s", got, orgA)
	}
}

// TestTransferOfferAtomic: a step whose webhooks cannot be queued
// (OnTransfer fails) changes nothing: no owner change, no custody or
// audit event.
func TestTransferOfferAtomic(t *testing.T) {
	ctx := context.Background()
	w := newTransferWorld(t)
	o := w.offer(t)
	before := w.itemTypes(t)
	errHook := errors.New("outbox full")
	w.s.cfg.OnTransfer = func(*bolt.Tx, *TransferOffer) error { return errHook }
	if _, _, err := w.s.AcceptTransfer(ctx, o.ID, orgB, orgB+":key"); !errors.Is(err, errHook) {
		t.Fatalf("AcceptTransfer = %v, want %v", err, errHook)
	}
	if got := w.owner(t); got != orgA {
		t.Errorf("owner after a failed acceptance = %s, want %s", got, orgA)
	}
	if got := w.itemTypes(t); got != before {
		t.Errorf("files' custody after a failed acceptance = %q, want %q", got, before)
	}
	if got := auditTypes(t, w.s, orgB); len(got) != 1 {
		t.Errorf("B's audit chain after a failed acceptance = %q", got)
	}
	if got, err := w.s.TransferOffer(ctx, o.ID, orgB, orgB+":key"); err != nil || got.Status != OfferPending {
		t.Errorf("offer after a failed acceptance = %+v, %v; want pending", got, err)
	}
}
