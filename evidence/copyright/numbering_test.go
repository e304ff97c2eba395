package copyright

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/evidence/imagehash"
)

// While the chain numbers registrations, a new one is pending, without a
// number, and waits with its fingerprints until the register holds it;
// Numbered gives it the chain's number once, telling OnNumbered in the
// same transaction. A registration numbered before (legacy) waits too,
// keeping its number; a store from before the register enters all its
// registrations when opened.
func TestChainNumbering(t *testing.T) {
	ctx := context.Background()
	var chain atomic.Bool
	var told []string
	cfg := evidence.Config{OnLeafFinal: MarkAnchored, ItemOwner: Owner}
	ev := evidencetest.New(t, cfg)
	reg, err := New(ev, Config{ChainNumbers: chain.Load, OnNumbered: func(_ *bolt.Tx, c *Copyright) error {
		told = append(told, c.ID+" "+c.Number)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{reg, ev}

	// Before the chain numbers: a local (legacy) number.
	old, err := reg.RegisterCopyright(ctx, orgA, "key:a", testWork(), []RegisterItem{{ID: fileAs(t, w, orgA, "old work").ID}})
	if err != nil || old.Number == "" || old.Status != CopyrightRegistered {
		t.Fatalf("before the chain numbers: %+v, %v", old, err)
	}
	chain.Store(true)
	ph := imagehash.Hash(0x1234)
	photo := fileAs(t, w, orgA, "a photo")
	cr, err := reg.RegisterCopyright(ctx, orgA, "key:a", testWork(), []RegisterItem{{ID: photo.ID, PHash: &ph}})
	if err != nil || cr.Number != "" || cr.Status != CopyrightPending {
		t.Fatalf("while the chain numbers: %+v, %v; want pending, no number", cr, err)
	}
	todo, err := reg.Unregistered(ctx, 10)
	if err != nil || len(todo) != 2 {
		t.Fatalf("Unregistered = %+v, %v; want both", todo, err)
	}
	byID := map[string]Unregistered{todo[0].ID: todo[0], todo[1].ID: todo[1]}
	if u := byID[old.ID]; u.Number != old.Number || u.Org != orgA || len(u.Files) != 1 || u.Files[0].PHash != nil {
		t.Errorf("the legacy one: %+v", u)
	}
	if u := byID[cr.ID]; u.Number != "" || len(u.Files) != 1 || u.Files[0].SHA256 != photo.SHA256 || u.Files[0].PHash == nil || *u.Files[0].PHash != ph || !u.RegisteredAt.Equal(cr.RegisteredAt) {
		t.Errorf("the pending one: %+v", u)
	}

	// Numbered: once; a legacy one keeps its number.
	got, err := reg.Numbered(ctx, cr.ID, "CUS-(2026)-作登字-M1-000001", 7)
	if err != nil || got == nil || got.Number != "CUS-(2026)-作登字-M1-000001" || got.Status != CopyrightRegistered || got.NumberedHeight != 7 {
		t.Fatalf("Numbered = %+v, %v", got, err)
	}
	if again, err := reg.Numbered(ctx, cr.ID, "CUS-(2026)-作登字-M1-000002", 8); err != nil || again != nil {
		t.Errorf("Numbered again = %+v, %v; want nothing changed", again, err)
	}
	if _, err := reg.Numbered(ctx, old.ID, "", 9); err != nil {
		t.Fatal(err)
	}
	if c, _ := reg.Copyright(ctx, old.ID); c.Number != old.Number {
		t.Errorf("the legacy number changed: %q", c.Number)
	}
	if c, _ := reg.Copyright(ctx, cr.ID); c.Number != "CUS-(2026)-作登字-M1-000001" {
		t.Errorf("stored number %q", c.Number)
	}
	if len(told) != 1 || !strings.HasSuffix(told[0], "M1-000001") {
		t.Errorf("OnNumbered told %v; want the one pending registration, once", told)
	}
	if todo, _ := reg.Unregistered(ctx, 10); len(todo) != 0 {
		t.Errorf("still unregistered: %+v", todo)
	}
	if n, at := todoSizes(t, ev); n != 0 || at != 0 {
		t.Errorf("once numbered: %d waiting, %d in their order; want none", n, at)
	}

	// Revoked once in the register: the revocation waits, without files,
	// until it is filed.
	if _, err := reg.RevokeCopyright(ctx, cr.ID, orgA, "key:a", "sold elsewhere"); err != nil {
		t.Fatal(err)
	}
	if todo, _ := reg.Unregistered(ctx, 10); len(todo) != 1 || todo[0].ID != cr.ID || !todo[0].Revoked || len(todo[0].Files) != 0 || todo[0].Number == "" {
		t.Errorf("a revocation to file: %+v", todo)
	}
	if err := reg.RevocationFiled(ctx, cr.ID); err != nil {
		t.Fatal(err)
	}
	// Revoked while pending: filed revoked, with its files; numbered,
	// still revoked.
	rv, _ := reg.RegisterCopyright(ctx, orgA, "key:a", testWork(), []RegisterItem{{ID: fileAs(t, w, orgA, "withdrawn").ID}})
	if _, err := reg.RevokeCopyright(ctx, rv.ID, orgA, "key:a", "filed in error"); err != nil {
		t.Fatal(err)
	}
	if todo, _ := reg.Unregistered(ctx, 10); len(todo) != 1 || !todo[0].Revoked || len(todo[0].Files) != 1 {
		t.Errorf("revoked while pending: %+v; want it once, revoked, with its file", todo)
	}
	if got, _ := reg.Numbered(ctx, rv.ID, "CUS-(2026)-作登字-M1-000002", 10); got.Status != CopyrightRevoked || got.Number == "" {
		t.Errorf("revoked while pending, then numbered: %+v", got)
	}
	if err := reg.RevocationFiled(ctx, rv.ID); err != nil {
		t.Fatal(err)
	}

	// A store from before the register: every registration waits again,
	// in the order they were registered.
	err = ev.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(bCrTodo); err != nil {
			return err
		}
		return tx.DeleteBucket(bCrTodoAt)
	})
	if err != nil {
		t.Fatal(err)
	}
	if reg, err = New(ev, Config{}); err != nil {
		t.Fatal(err)
	}
	if got, want := unregisteredIDs(t, reg), []string{old.ID, cr.ID, rv.ID}; !slices.Equal(got, want) {
		t.Errorf("after opening a store from before the register: Unregistered = %v, want %v", got, want)
	}
}
