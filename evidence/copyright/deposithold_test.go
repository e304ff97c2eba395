package copyright

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/evidence/integrity"
	"github.com/custos-project/custos/storage"
)

// newHeldStore opens a new store in a temporary folder (closed when the
// test ends) and a register on it that holds deposits (openHeld); the
// store and folder are returned to reopen it.
func newHeldStore(t *testing.T) (*bolt.DB, string, *world) {
	t.Helper()
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dir, openHeld(t, db, dir)
}

// openHeld opens the evidence service and register kept in dir, the
// chain numbering registrations: as a node opens them at each start.
func openHeld(t *testing.T, db *bolt.DB, dir string) *world {
	t.Helper()
	blobs, err := storage.NewFolder(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := evidence.New(context.Background(), evidence.Config{DB: db, Blobs: blobs, TSA: evidencetest.TSA{},
		OnLeafFinal: MarkAnchored, ItemOwner: Owner})
	if err != nil {
		t.Fatal(err)
	}
	var chain atomic.Bool
	chain.Store(true)
	reg, err := New(ev, Config{ChainNumbers: chain.Load})
	if err != nil {
		t.Fatal(err)
	}
	return &world{reg, ev}
}

// deposited is the SHA-256 (hex) of each deposit the batcher would take
// from every leaf queued so far, mapped to its local leaf.
func deposited(t *testing.T, w *world) map[string]uint64 {
	t.Helper()
	ds, err := w.Deposits(0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, d := range ds {
		out[hex.EncodeToString(d.SHA256[:])] = d.FirstLocal
	}
	return out
}

// created is the SHA-256 and created-event leaf of item id.
func created(t *testing.T, w *world, id string) (string, uint64) {
	t.Helper()
	var sum string
	var leaf uint64
	err := w.Service.View(func(tx *bolt.Tx) error {
		seq, ok := evidence.ItemSeq(tx, id)
		if !ok {
			return evidence.ErrNotFound
		}
		r, err := evidence.RecordAt(tx, seq)
		if err != nil {
			return err
		}
		sum = r.SHA256
		leaf, err = evidence.EventLeaf(tx, seq, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sum, leaf
}

// TestFileCopyrightHoldsDeposits (docs/security.md K7, R1): the files
// filed with a pending registration (FileCopyright) have no deposit while
// it waits for the consortium's register; Numbered releases them in its
// transaction, and SubmitReleased submits them as deposits of their own
// (at their created events' leaves) and empties the queue, resuming after
// a crash. Items registered after their upload (RegisterCopyright) are not
// held. A registration revoked while pending stays held until numbered
// (it is still filed, revoked with its files); a hold whose registration
// no longer waits is released when the register is opened.
func TestFileCopyrightHoldsDeposits(t *testing.T) {
	ctx := context.Background()
	db, dir, w := newHeldStore(t)

	before := fileAs(t, w, orgA, "uploaded before its registration")
	pre, err := w.RegisterCopyright(ctx, orgA, "key:a", testWork(), []RegisterItem{{ID: before.ID}})
	if err != nil || pre.Status != CopyrightPending {
		t.Fatalf("RegisterCopyright = %+v, %v; want pending", pre, err)
	}
	_, files := readUploads(t, w, orgA, "first file", "second file")
	cr, err := w.FileCopyright(ctx, orgA, "key:a", testWork(), files)
	if err != nil || cr.Status != CopyrightPending {
		t.Fatalf("FileCopyright = %+v, %v; want pending", cr, err)
	}
	want := map[string]uint64{}
	for _, id := range cr.Items {
		sum, leaf := created(t, w, id)
		want[sum] = leaf
	}

	// Pending: the files have no deposit; the item registered after its
	// upload has one.
	deps := deposited(t, w)
	for sum := range want {
		if _, ok := deps[sum]; ok {
			t.Errorf("a file of the pending registration has a deposit (%s): its digest would reach the mempools before the commitment is final", sum)
		}
	}
	if _, ok := deps[before.SHA256]; !ok {
		t.Error("an item registered after its upload (RegisterCopyright) is held; want its deposit")
	}
	var registered []anchor.Deposit
	if _, err := w.RegisterDeposits(ctx, func(_ context.Context, ds []anchor.Deposit) error {
		registered = append(registered, ds...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, d := range registered {
		if _, ok := want[hex.EncodeToString(d.SHA256[:])]; ok {
			t.Error("RegisterDeposits submitted a held deposit")
		}
	}
	if n, err := w.SubmitReleased(ctx, func(context.Context, []anchor.Deposit) error {
		t.Error("submitted while held")
		return nil
	}); err != nil || n != 0 {
		t.Errorf("SubmitReleased while held = %d, %v; want nothing", n, err)
	}

	// Revoked while pending: still held.
	_, rfiles := readUploads(t, w, orgA, "withdrawn file")
	rv, err := w.FileCopyright(ctx, orgA, "key:a", testWork(), rfiles)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.RevokeCopyright(ctx, rv.ID, orgA, "key:a", "filed in error"); err != nil {
		t.Fatal(err)
	}
	rsum, rleaf := created(t, w, rv.Items[0])
	if _, ok := deposited(t, w)[rsum]; ok {
		t.Error("revoked while pending: its file's deposit was released before the register held it")
	}

	// Numbered: released in its transaction, durably queued.
	if _, err := w.Numbered(ctx, cr.ID, "CUS-(2026)-作登字-M1-000001", 7); err != nil {
		t.Fatal(err)
	}
	if n, err := w.ReleasedDeposits(); err != nil || n != 2 {
		t.Fatalf("released after Numbered: %d, %v; want the 2 files", n, err)
	}
	deps = deposited(t, w)
	for sum, leaf := range want {
		if deps[sum] != leaf {
			t.Errorf("after Numbered a batch of %d would not carry the file's deposit", leaf)
		}
	}

	// A crash before the queue is emptied: the submission failed (or the
	// node stopped before deleting); a restart submits them.
	errDown := errors.New("chain down")
	if _, err := w.SubmitReleased(ctx, func(context.Context, []anchor.Deposit) error { return errDown }); !errors.Is(err, errDown) {
		t.Fatalf("SubmitReleased with the chain down = %v", err)
	}
	w = openHeld(t, db, dir)
	if n, _ := w.ReleasedDeposits(); n != 2 {
		t.Fatalf("after a restart %d released deposits wait; want 2", n)
	}
	var got []anchor.Deposit
	submit := func(_ context.Context, ds []anchor.Deposit) error { got = append(got, ds...); return nil }
	if n, err := w.SubmitReleased(ctx, submit); err != nil || n != 2 || len(got) != 2 {
		t.Fatalf("SubmitReleased = %d, %v, %+v; want the 2 files", n, err, got)
	}
	for _, d := range got {
		if leaf, ok := want[hex.EncodeToString(d.SHA256[:])]; !ok || d.FirstLocal != leaf {
			t.Errorf("submitted %+v; want a file's SHA-256 at its created event's leaf", d)
		}
	}
	if n, err := w.SubmitReleased(ctx, submit); err != nil || n != 0 || len(got) != 2 {
		t.Errorf("SubmitReleased again = %d, %v; want nothing left", n, err)
	}

	// The revoked one is released once numbered. Beside it in the queue,
	// an entry that names no item's created event (a damaged store) is
	// parked in depobad, and holds back neither it nor later releases
	// (review of the hold, F2).
	if _, err := w.Numbered(ctx, rv.ID, "CUS-(2026)-作登字-M1-000002", 8); err != nil {
		t.Fatal(err)
	}
	bogus := binary.BigEndian.AppendUint64(nil, 1<<40)
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("deporelease")).Put(bogus, []byte("gone")) }); err != nil {
		t.Fatal(err)
	}
	got = nil
	if n, err := w.SubmitReleased(ctx, submit); err != nil || n != 1 || hex.EncodeToString(got[0].SHA256[:]) != rsum || got[0].FirstLocal != rleaf {
		t.Errorf("the revoked registration's file after Numbered, beside an unreadable entry: %d, %v, %+v", n, err, got)
	}
	if err := db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("deporelease")).Get(bogus) != nil {
			t.Error("the unreadable entry is still in the release queue")
		}
		if b := tx.Bucket([]byte("depobad")); b == nil || !bytes.HasPrefix(b.Get(bogus), []byte("gone\x00")) {
			t.Error("the unreadable entry was not parked in depobad with what held it")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// A hold whose registration no longer waits (numbered by a release
	// that did not know of holds) is released when the store is opened.
	_, sfiles := readUploads(t, w, orgA, "numbered elsewhere")
	st, err := w.FileCopyright(ctx, orgA, "key:a", testWork(), sfiles)
	if err != nil {
		t.Fatal(err)
	}
	err = w.Service.Update(func(tx *bolt.Tx) error {
		c, err := getCopyright(tx, st.ID)
		if err != nil {
			return err
		}
		return deleteTodo(tx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	ssum, _ := created(t, w, st.Items[0])
	if _, ok := deposited(t, w)[ssum]; ok {
		t.Fatal("held before the store is opened again")
	}
	w = openHeld(t, db, dir)
	if _, ok := deposited(t, w)[ssum]; !ok {
		t.Error("a hold whose registration no longer waits stays after the store is opened")
	}
	if n, _ := w.ReleasedDeposits(); n != 1 {
		t.Errorf("released on opening: %d; want 1", n)
	}
}

// TestDepositHoldsCounted (review of the hold, F7): the operator's count
// of held deposits (evidence.Service.DepositHolds) follows the files of a
// pending registration from held to released to submitted, and counts an
// unreadable release parked in depobad; while files are held it tells
// since when, the earliest held file's filing time.
func TestDepositHoldsCounted(t *testing.T) {
	ctx := context.Background()
	db, _, w := newHeldStore(t)
	count := func(step string, want evidence.DepositHolds) {
		t.Helper()
		got, err := w.DepositHolds()
		since := func(h evidence.DepositHolds) string { return fmt.Sprint(h.HeldSince) }
		if want.HeldSince != nil && got.HeldSince != nil && got.HeldSince.Equal(*want.HeldSince) {
			got.HeldSince = want.HeldSince
		}
		if err != nil || got != want {
			t.Errorf("%s: DepositHolds() = %+v (since %s), %v; want %+v (since %s)", step, got, since(got), err, want, since(want))
		}
	}
	count("empty", evidence.DepositHolds{})
	_, files := readUploads(t, w, orgA, "first file", "second file")
	cr, err := w.FileCopyright(ctx, orgA, "key:a", testWork(), files)
	if err != nil {
		t.Fatal(err)
	}
	first, err := w.Get(ctx, cr.Items[0])
	if err != nil {
		t.Fatal(err)
	}
	count("pending", evidence.DepositHolds{Held: 2, HeldSince: &first.CreatedAt})
	if _, err := w.Numbered(ctx, cr.ID, "CUS-(2026)-作登字-M1-000001", 7); err != nil {
		t.Fatal(err)
	}
	count("numbered", evidence.DepositHolds{Released: 2})
	bogus := binary.BigEndian.AppendUint64(nil, 1<<40)
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("deporelease")).Put(bogus, []byte("gone")) }); err != nil {
		t.Fatal(err)
	}
	if _, err := w.SubmitReleased(ctx, func(context.Context, []anchor.Deposit) error { return nil }); err != nil {
		t.Fatal(err)
	}
	count("submitted", evidence.DepositHolds{Unreadable: 1})
}

// depositIndex is a digest index holding the deposits of sums, at any
// leaf.
type depositIndex map[[32]byte]bool

func (d depositIndex) DepositedAt(sum [32]byte, _ uint64) (bool, error) { return d[sum], nil }

// TestAuditFindsBadHolds: the integrity audit checks the held deposits
// (depohold, deporelease, depobad) of a damaged store: a hold or release
// naming no item's created event, or no holder; a release still held; a
// held deposit already in the consortium's digest index; a parked entry;
// a registration the register holds whose file is still held. Each is
// named, and the store is clean once it is restored. Before, the audit
// did not read the hold buckets.
func TestAuditFindsBadHolds(t *testing.T) {
	ctx := context.Background()
	_, _, w := newHeldStore(t)
	anch := evidencetest.NewLogAnchor(t, w.Service)
	_, files := readUploads(t, w, orgA, "held file")
	held, err := w.FileCopyright(ctx, orgA, "key:a", testWork(), files)
	if err != nil {
		t.Fatal(err)
	}
	_, files = readUploads(t, w, orgA, "numbered file")
	numbered, err := w.FileCopyright(ctx, orgA, "key:a", testWork(), files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Numbered(ctx, numbered.ID, "CUS-(2026)-作登字-M1-000001", 7); err != nil {
		t.Fatal(err)
	}
	if _, err := w.SubmitReleased(ctx, func(context.Context, []anchor.Deposit) error { return nil }); err != nil {
		t.Fatal(err)
	}
	heldSum, heldLeaf := created(t, w, held.Items[0])
	_, doneLeaf := created(t, w, numbered.Items[0])
	var laterLeaf uint64 // the leaf of the held file's second event (copyright.registered)
	if err := w.Service.View(func(tx *bolt.Tx) error {
		seq, _ := evidence.ItemSeq(tx, held.Items[0])
		laterLeaf, err = evidence.EventLeaf(tx, seq, 1)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	audit := func(idx integrity.DepositIndex) *integrity.Report {
		t.Helper()
		rep, err := w.audit(ctx, integrity.Options{Anchor: anch, Deposits: idx, Holders: w.Lists})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if rep := audit(depositIndex{}); !rep.OK() || rep.Held != 1 {
		t.Fatalf("Audit of the undamaged store = %+v; want clean, 1 held", rep)
	}
	key := func(leaf uint64) []byte { return binary.BigEndian.AppendUint64(nil, leaf) }
	sum, _ := hex.DecodeString(heldSum)
	inIndex := depositIndex{[32]byte(sum): true}
	name := func(bucket string, leaf uint64, item string) string {
		return fmt.Sprintf("%s:%d%s", bucket, leaf, item)
	}
	for _, tc := range []struct {
		name   string
		bucket string
		key    []byte
		v      []byte
		idx    depositIndex
		want   func(*integrity.Report) []string
		named  string
	}{
		{"a hold of no leaf", "depohold", key(1 << 40), []byte(held.ID), nil,
			func(r *integrity.Report) []string { return r.BadHolds }, name("depohold", 1<<40, "")},
		{"a hold of an event other than created", "depohold", key(laterLeaf), []byte(held.ID), nil,
			func(r *integrity.Report) []string { return r.BadHolds }, name("depohold", laterLeaf, "")},
		{"a hold naming no holder", "depohold", key(heldLeaf), []byte{}, nil,
			func(r *integrity.Report) []string { return r.BadHolds }, name("depohold", heldLeaf, ":"+held.Items[0])},
		{"a hold by a registration that does not list the item", "depohold", key(heldLeaf), []byte(numbered.ID), nil,
			func(r *integrity.Report) []string { return r.BadHolds }, name("depohold", heldLeaf, ":"+held.Items[0])},
		{"a hold by no registration", "depohold", key(heldLeaf), []byte("no-such-registration"), nil,
			func(r *integrity.Report) []string { return r.BadHolds }, name("depohold", heldLeaf, ":"+held.Items[0])},
		{"a release still held", "deporelease", key(heldLeaf), []byte(held.ID), nil,
			func(r *integrity.Report) []string { return r.BadHolds }, name("deporelease", heldLeaf, ":"+held.Items[0])},
		{"a release of no leaf", "deporelease", key(1 << 41), []byte(held.ID), nil,
			func(r *integrity.Report) []string { return r.BadHolds }, name("deporelease", 1<<41, "")},
		{"a parked release", "depobad", key(1 << 42), []byte(held.ID + "\x00not an item's created event"), nil,
			func(r *integrity.Report) []string { return r.ParkedDeposits }, name("depobad", 1<<42, "")},
		{"held, yet in the digest index", "", nil, nil, inIndex,
			func(r *integrity.Report) []string { return r.BadHolds }, name("depohold", heldLeaf, ":"+held.Items[0])},
		{"held, its registration numbered", "depohold", key(doneLeaf), []byte(numbered.ID), nil,
			func(r *integrity.Report) []string { return r.BadDocuments }, "copyright:" + numbered.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.bucket != "" {
				old := put(t, w, []byte(tc.bucket), tc.key, tc.v)
				defer put(t, w, []byte(tc.bucket), tc.key, old)
			}
			rep := audit(tc.idx)
			if got := tc.want(rep); !slices.Contains(got, tc.named) {
				t.Errorf("Audit = %+v; want %s reported", rep, tc.named)
			}
		})
	}
	if rep := audit(depositIndex{}); !rep.OK() {
		t.Errorf("Audit after restoring = %+v; want clean", rep)
	}
}
