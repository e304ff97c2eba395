package evidence

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
)

// TestListRacingRevocation: a share revoked between the transaction that
// chooses a listing's page and the one that records its reads
// (afterListViewHook) takes its item off the page, with no "listed"
// event of the grantee; the item still shared is listed and recorded.
func TestListRacingRevocation(t *testing.T) {
	ctx := context.Background()
	s, _ := openFoldService(t, filepath.Join(t.TempDir(), "t.db"), newTestClock(), 10*time.Minute)
	kept := uploadAs(t, s, foldFirm+":k", "kept")
	gone := uploadAs(t, s, foldFirm+":k", "revoked")
	shareItem(t, s, foldFirm+":k", kept, foldCourt)
	sh := shareItem(t, s, foldFirm+":k", gone, foldCourt)
	t.Cleanup(func() { afterListViewHook = nil })
	afterListViewHook = func() {
		afterListViewHook = nil
		unshareItem(t, s, foldFirm+":k", sh)
	}
	page, err := s.List(ctx, foldCourt, foldCourt+":examiner", Query{})
	if err != nil {
		t.Fatal(err)
	}
	if afterListViewHook != nil {
		t.Fatal("the hook did not run")
	}
	if len(page.Items) != 1 || page.Items[0].ID != kept.ID || page.Shared != 1 {
		ids := make([]string, len(page.Items))
		for i, r := range page.Items {
			ids[i] = r.ID
		}
		t.Errorf("page = %v (shared %d), want only the item still shared %s (shared 1)", ids, page.Shared, kept.ID)
	}
	for _, r := range []*Record{kept, gone} {
		got, _ := readCounts(t, s, r.ID)
		want := int64(0)
		if r == kept {
			want = 1
		}
		if n := got[foldCourt+":examiner"]; n != want {
			t.Errorf("%s: the examiner's recorded reads = %d, want %d", r.Title, n, want)
		}
	}
}

// TestAccessAsDecidesInItsTransaction: AccessAs records a read only if the
// reading organization may see the item when the read is recorded. The
// owner always may; a grantee may while its share is active, and its
// repeated reads still fold; once the revocation is committed, or the
// share has expired by the read's own time, the read is ErrNotVisible
// (ErrNotFound to errors.Is) and leaves no event and no pending read;
// an unknown item is ErrNotFound.
func TestAccessAsDecidesInItsTransaction(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	s, _ := openFoldService(t, filepath.Join(t.TempDir(), "t.db"), clock, 10*time.Minute)
	const examiner, owner, stranger = foldCourt + ":examiner", foldFirm + ":k", foldOther + ":k"
	rec := uploadAs(t, s, owner, "exhibit")
	expiring := uploadAs(t, s, owner, "expiring")

	// recorded is the examiner's reads of id: in events and pending.
	recorded := func(id string) int64 {
		t.Helper()
		got, _ := readCounts(t, s, id)
		pending, err := s.PendingReads(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		n := got[examiner]
		for _, p := range pending {
			if p.Actor == examiner {
				n += int64(p.Reads)
			}
		}
		return n
	}
	refused := func(what, id, org, actor string) {
		t.Helper()
		r, ev, err := s.AccessAs(ctx, id, org, actor, custody.EventViewed, "metadata")
		if !errors.Is(err, ErrNotVisible) || !errors.Is(err, ErrNotFound) || r != nil || ev != nil {
			t.Errorf("%s: AccessAs = %v, %v, %v; want ErrNotVisible", what, r, ev, err)
		}
	}

	refused("before any share", rec.ID, foldCourt, examiner)
	refused("a stranger", rec.ID, foldOther, stranger)
	if _, ev, err := s.AccessAs(ctx, rec.ID, foldFirm, owner, custody.EventViewed, "metadata"); err != nil || ev == nil {
		t.Fatalf("the owner's read: %v, %v", ev, err)
	}
	sh := shareItem(t, s, owner, rec, foldCourt)
	for i := range 3 {
		r, ev, err := s.AccessAs(ctx, rec.ID, foldCourt, examiner, custody.EventViewed, "metadata")
		if err != nil || r == nil || r.ID != rec.ID || (i == 0) != (ev != nil) {
			t.Fatalf("the grantee's read %d: %v, %v, %v; want the record, an event the first time only (then folded)", i, r, ev, err)
		}
		clock.Advance(time.Second)
	}
	if n := recorded(rec.ID); n != 3 {
		t.Errorf("the grantee's reads recorded = %d, want 3", n)
	}
	unshareItem(t, s, owner, sh)
	refused("after the revocation", rec.ID, foldCourt, examiner)
	if n := recorded(rec.ID); n != 3 {
		t.Errorf("after the refused read, the grantee's reads recorded = %d, want still 3", n)
	}
	if _, _, err := s.AccessAs(ctx, rec.ID, foldFirm, owner, custody.EventViewed, "custody"); err != nil {
		t.Errorf("the owner's read after the revocation: %v", err)
	}

	// Expiry is decided at the read's own time.
	until := clock.Now().Add(time.Minute)
	exp := shareItem(t, s, owner, expiring, foldCourt)
	exp.ExpiresAt = &until
	if err := s.Update(func(tx *bolt.Tx) error { return putShare(tx, exp) }); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AccessAs(ctx, expiring.ID, foldCourt, examiner, custody.EventDownloaded, ""); err != nil {
		t.Fatalf("a read before the expiry: %v", err)
	}
	clock.Advance(time.Minute)
	refused("at the expiry", expiring.ID, foldCourt, examiner)
	if n := recorded(expiring.ID); n != 1 {
		t.Errorf("the grantee's reads of the expiring item = %d, want 1", n)
	}
	if _, _, err := s.AccessAs(ctx, NewID(), foldFirm, owner, custody.EventViewed, ""); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotVisible) {
		t.Errorf("an unknown item: %v, want ErrNotFound", err)
	}
}

// TestAccessAsRefusedInAGroup: refused reads queued in the group commit
// beside allowed ones leave those recorded (a refusal writes nothing and
// fails nothing else), whatever the grouping.
func TestAccessAsRefusedInAGroup(t *testing.T) {
	ctx := context.Background()
	s, _ := openFoldService(t, filepath.Join(t.TempDir(), "t.db"), newTestClock(), -1) // no folding: one event a read
	rec := uploadAs(t, s, foldFirm+":k", "exhibit")
	const n = 20
	errs := make(chan error, 2*n)
	for i := range 2 * n {
		go func() {
			org := foldFirm
			if i%2 == 1 {
				org = foldOther
			}
			_, _, err := s.AccessAs(ctx, rec.ID, org, org+":k", custody.EventViewed, "metadata")
			if org == foldOther && errors.Is(err, ErrNotVisible) {
				err = nil
			} else if org == foldOther {
				err = errors.New("a stranger's read was not refused")
			}
			errs <- err
		}()
	}
	for range 2 * n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	got, _ := readCounts(t, s, rec.ID)
	if got[foldFirm+":k"] != n || got[foldOther+":k"] != 0 {
		t.Errorf("reads recorded = %v, want %d of the owner and none of the stranger", got, n)
	}
}
