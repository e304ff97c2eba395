package copyright

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/evidence/integrity"
)

// window is what the numbering loop asks Unregistered for
// (anchor.MaxRegistrations).
const window = 500

// putWaiting writes registrations waiting for the consortium's register
// as putRegistration leaves them (without their items): ids[i] registered
// at times[i], with legacy number numbers[id] if there is one.
func putWaiting(t *testing.T, ev *evidence.Service, ids []string, times []time.Time, numbers map[string]string) {
	t.Helper()
	err := ev.Update(func(tx *bolt.Tx) error {
		for i, id := range ids {
			c := &Copyright{ID: id, Status: CopyrightPending, RegistrantOrg: orgA, OwnerOrg: orgA, RegisteredAt: times[i]}
			if n := numbers[id]; n != "" {
				c.Number, c.Status = n, CopyrightRegistered
			}
			if err := putCopyright(tx, c); err != nil {
				return err
			}
			if err := putTodo(tx, c, []Fingerprint{{SHA256: strings.Repeat("ab", 32)}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// unregisteredIDs is what Unregistered(window) lists, by ID.
func unregisteredIDs(t *testing.T, reg *Register) []string {
	t.Helper()
	todo, err := reg.Unregistered(context.Background(), window)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(todo))
	for i, u := range todo {
		ids[i] = u.ID
	}
	return ids
}

// todoSizes are how many entries crtodo and crtodoat hold.
func todoSizes(t *testing.T, ev *evidence.Service) (todo, at int) {
	t.Helper()
	ev.View(func(tx *bolt.Tx) error {
		todo, at = tx.Bucket(bCrTodo).Stats().KeyN, tx.Bucket(bCrTodoAt).Stats().KeyN
		return nil
	})
	return todo, at
}

// With more registrations waiting than the numbering loop takes at once,
// Unregistered lists the earliest registered, in the order they were
// registered, whatever their (random) IDs: here the later a registration,
// the lower its ID. A store from before the order, or one written
// meanwhile by a release without it, gets it when opened; registrations
// the register holds leave it.
func TestUnregisteredInRegistrationOrder(t *testing.T) {
	ctx := context.Background()
	ev := evidencetest.New(t, evidence.Config{OnLeafFinal: MarkAnchored, ItemOwner: Owner})
	cfg := Config{ChainNumbers: func() bool { return true }}
	reg, err := New(ev, cfg)
	if err != nil {
		t.Fatal(err)
	}
	const n = window + 20
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	ids, times := make([]string, n), make([]time.Time, n)
	for i := range n {
		ids[i], times[i] = fmt.Sprintf("%026d", n-i), t0.Add(time.Duration(i)*time.Millisecond)
	}
	putWaiting(t, ev, ids, times, nil)
	want := ids[:window]
	if got := unregisteredIDs(t, reg); !slices.Equal(got, want) {
		t.Fatalf("Unregistered(%d) = %d registrations from %v to %v; want the earliest registered, %v to %v",
			window, len(got), got[0], got[len(got)-1], want[0], want[window-1])
	}

	for _, tc := range []struct {
		name   string
		damage func(tx *bolt.Tx) error
	}{
		{"a store from before the order", func(tx *bolt.Tx) error { return tx.DeleteBucket(bCrTodoAt) }},
		{"an entry missing", func(tx *bolt.Tx) error {
			return tx.Bucket(bCrTodoAt).Delete(todoKey(&Copyright{ID: ids[0], RegisteredAt: times[0]}))
		}},
		{"an entry of a registration the register holds", func(tx *bolt.Tx) error {
			return tx.Bucket(bCrTodoAt).Put(todoKey(&Copyright{ID: "numbered", RegisteredAt: t0.Add(-time.Hour)}), nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := ev.Update(tc.damage); err != nil {
				t.Fatal(err)
			}
			reg, err := New(ev, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := unregisteredIDs(t, reg); !slices.Equal(got, want) {
				t.Errorf("Unregistered(%d) after opening = %d registrations from %v; want %v onwards", window, len(got), got[0], want[0])
			}
			if todo, at := todoSizes(t, ev); todo != n || at != n {
				t.Errorf("after opening: %d waiting, %d in their order; want %d and %d", todo, at, n, n)
			}
		})
	}

	for _, id := range ids[:10] {
		if _, err := reg.Numbered(ctx, id, "CUS-(2026)-作登字-M1-"+id[20:], 7); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := unregisteredIDs(t, reg), ids[10:window+10]; !slices.Equal(got, want) {
		t.Errorf("Unregistered(%d) once the first 10 are numbered = from %v; want %v onwards", window, got[0], want[0])
	}
	if todo, at := todoSizes(t, ev); todo != n-10 || at != n-10 {
		t.Errorf("once 10 are numbered: %d waiting, %d in their order; want %d and %d", todo, at, n-10, n-10)
	}
}

// Registrations with legacy numbers come before pending ones, even when
// registered later (the clock went back across the upgrade): a member's
// legacy registrations are filed first. Among each, the order of
// registration, then ID.
func TestUnregisteredLegacyFirst(t *testing.T) {
	ev := evidencetest.New(t, evidence.Config{OnLeafFinal: MarkAnchored, ItemOwner: Owner})
	reg, err := New(ev, Config{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	at := func(minute int) time.Time { return t0.Add(time.Duration(minute) * time.Minute) }
	putWaiting(t, ev, []string{"a", "b", "c", "d", "e"}, []time.Time{at(1), at(3), at(2), at(4), at(2)},
		map[string]string{"d": "2026-000001", "e": "2026-000002"})
	if got, want := unregisteredIDs(t, reg), []string{"e", "d", "a", "c", "b"}; !slices.Equal(got, want) {
		t.Errorf("Unregistered = %v; want %v", got, want)
	}
}

// The audit reports a waiting registration missing from the order of what
// waits, and one in it that does not wait.
func TestAuditFindsTodoOutOfOrder(t *testing.T) {
	w := newAuditWorld(t)
	want := "copyright:" + w.cr.ID
	key := todoKey(w.cr)
	for _, tc := range []struct {
		name   string
		bucket []byte
		key    []byte
	}{
		{"waiting, not in the order", bCrTodoAt, key},
		{"in the order, not waiting", bCrTodo, []byte(w.cr.ID)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var old []byte
			err := w.s.Service.Update(func(tx *bolt.Tx) error {
				old = slices.Clone(tx.Bucket(tc.bucket).Get(tc.key))
				return tx.Bucket(tc.bucket).Delete(tc.key)
			})
			if err != nil || old == nil {
				t.Fatalf("deleting %s %q: had %q, %v", tc.bucket, tc.key, old, err)
			}
			defer w.s.Service.Update(func(tx *bolt.Tx) error { return tx.Bucket(tc.bucket).Put(tc.key, old) })
			rep, err := w.s.audit(context.Background(), integrity.Options{Anchor: w.a})
			if err != nil || !slices.Contains(rep.BadDocuments, want) {
				t.Errorf("Audit = %+v, %v; want %s under bad_documents", rep, err, want)
			}
		})
	}
	if rep, err := w.s.audit(context.Background(), integrity.Options{Anchor: w.a}); err != nil || !rep.OK() {
		t.Errorf("Audit after restoring = %+v, %v; want clean", rep, err)
	}
}
