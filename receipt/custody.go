package receipt

import (
	"crypto/sha256"
	"fmt"
	"strconv"

	"github.com/custos-project/custos/custody"
)

// checkCustody decodes every event strictly (docs/custody-events.md),
// checks that they are one item's unbroken chain from seq 0, that the
// created event describes r.Evidence, and that it lists exactly as many
// token hashes as r has tokens. It returns the decoded events.
func checkCustody(r *Receipt) ([]*custody.Event, error) {
	events := make([]*custody.Event, len(r.Events))
	hashes := make([][sha256.Size]byte, len(r.Events))
	for i, ae := range r.Events {
		b := []byte(ae.Event)
		e, err := custody.Decode(b)
		if err != nil {
			return nil, &VerifyError{Step: StepCustody, Want: "a canonical custody event", Got: strconv.Quote(ae.Event),
				Err: fmt.Errorf("%w: event %d: %w", ErrCustody, i, err)}
		}
		events[i] = e
		// Decode accepts only canonical bytes (Decode(b).Encode() == b),
		// so this is e.Hash() without encoding e again.
		hashes[i] = sha256.Sum256(b)
	}
	listed := r.Version >= Version2
	if i, err := checkChain(events, hashes, listed); err != nil {
		want, got := chainWantGot(events, i, listed)
		return nil, &VerifyError{Step: StepCustody, Want: want, Got: got,
			Err: fmt.Errorf("%w: the events are not one unbroken chain at event %d: %w", ErrCustody, i, err)}
	}
	if err := checkCreated(r, events[0]); err != nil {
		return nil, err
	}
	return events, nil
}

// chainWantGot says what checkChain (listed as there) expected of event i
// and what it found, for the first of its rules that event i breaks, in
// its order.
func chainWantGot(events []*custody.Event, i int, listed bool) (want, got string) {
	e := events[i]
	switch {
	case !listed && e.Seq != uint32(i):
		return fmt.Sprintf("seq %d", i), fmt.Sprintf("seq %d", e.Seq)
	case listed && i == 0 && e.Seq != 0:
		return "seq 0", fmt.Sprintf("seq %d", e.Seq)
	case listed && i > 0 && e.Seq <= events[i-1].Seq:
		return fmt.Sprintf("a seq above %d", events[i-1].Seq), fmt.Sprintf("seq %d", e.Seq)
	case e.Evidence != events[0].Evidence:
		return "evidence " + events[0].Evidence, "evidence " + e.Evidence
	case custody.IsAudit(e.Type) != custody.IsAudit(events[0].Type):
		kind := "an evidence chain"
		if custody.IsAudit(events[0].Type) {
			kind = "an audit chain"
		}
		return fmt.Sprintf("an event of %s (one that starts with %s)", kind, events[0].Type), "a " + e.Type + " event"
	case i > 0:
		h, err := events[i-1].Hash()
		if err == nil {
			return fmt.Sprintf("prev %x (the hash of event %d)", h, i-1), "prev " + e.Prev
		}
	}
	return "", ""
}

// checkCreated compares the created event (seq 0) with r.Evidence.
func checkCreated(r *Receipt, c *custody.Event) error {
	ev := r.Evidence
	pairs := []struct{ name, want, got string }{
		{"evidence ID", ev.ID, c.Evidence},
		{"SHA-256", ev.SHA256, c.SHA256},
		{"SM3", ev.SM3, c.SM3},
		{"size", strconv.FormatInt(ev.Size, 10), strconv.FormatInt(c.Size, 10)},
		{"media type", strconv.Quote(ev.MediaType), strconv.Quote(c.MediaType)},
		{"number of time-stamp tokens", strconv.Itoa(len(r.Timestamps)), strconv.Itoa(len(c.Tokens))},
	}
	for _, p := range pairs {
		if p.want != p.got {
			return fail(StepCustody, ErrCustody, p.name+" "+orNone(p.want), p.name+" "+orNone(p.got),
				"the created event's %s differs from the receipt's", p.name)
		}
	}
	return nil
}
