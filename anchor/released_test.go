package anchor

import (
	"path/filepath"
	"testing"
)

// The held deposits (K7, R1; review of the hold, session 20, F1): a file
// filed with a pending registration has its created event anchored in
// batch 1 (block 1) with no deposit; its deposit comes later, in a batch
// of deposits only naming batch 1 (flag 2), once the registration is
// numbered. The lookup names the block that appended the created event
// and its member, even when another member deposited the same bytes
// meanwhile (before the fix: the release's block, and that member).
func TestReleasedDepositLookup(t *testing.T) {
	app, a, b, work := heldUpload(t)
	// Block 2: b files the same bytes (a copy it came by), deposited at once.
	block(t, app, 2, nil, b.batch7(t, 1, testLeaves(10, 1), nil, []Deposit{{Batch: 1, Offset: 0, SHA256: work}}))
	// Block 3: a's registration is numbered; the released deposit names batch 1.
	block(t, app, 3, nil, a.batch7(t, 2, nil, nil, []Deposit{{Batch: 1, Offset: 0, SHA256: work}}))

	d, ok, err := app.Deposit(work)
	if err != nil || !ok {
		t.Fatalf("Deposit = %+v, %v, %v", d, ok, err)
	}
	if d.Count != 2 {
		t.Errorf("count %d, want 2 (the released deposit is taken)", d.Count)
	}
	// What api.md promises for height ("the block that appended the
	// earliest such record's created event") and member (who anchored it
	// first): a's, at block 1, leaf 0.
	if d.Height != 1 || d.Member != MemberID(a.cert) || d.Leaf != 0 {
		t.Errorf("Deposit(work) = leaf %d, height %d, member a=%v; want leaf 0, height 1, member a (a anchored it at block 1, b at block 2)",
			d.Leaf, d.Height, d.Member == MemberID(a.cert))
	}
}

// Without another member's copy, the height is the block that anchored
// the file, not the release's.
func TestReleasedDepositHeight(t *testing.T) {
	app, a, _, work := heldUpload(t)
	block(t, app, 2, nil, a.batch7(t, 2, testLeaves(1, 1), nil, nil))
	block(t, app, 3, nil, a.batch7(t, 3, nil, nil, []Deposit{{Batch: 1, Offset: 0, SHA256: work}}))
	d, ok, err := app.Deposit(work)
	if err != nil || !ok || d.Member != MemberID(a.cert) || d.Leaf != 0 {
		t.Fatalf("Deposit = %+v, %v, %v; want a's at leaf 0", d, ok, err)
	}
	if d.Height != 1 {
		t.Errorf("height %d, want 1 (the block that appended the created event; api.md lookup `height`)", d.Height)
	}
}

// heldUpload is a chain of members a and b at state version 7 whose block
// 1 holds a's upload of work, held: its created event (local 0, log leaf
// 0) without a deposit.
func heldUpload(t *testing.T) (app *App, a, b *testNode, work [32]byte) {
	t.Helper()
	a = newTestNode(t, nil)
	b = newTestNode(t, a.org)
	app = newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV7, a.root, a, b)
	block(t, app, 1, nil, a.batch7(t, 1, testLeaves(0, 1), nil, nil))
	return app, a, b, digest("the registered work")
}

// DepositedAt finds a deposit by its digest and its created event's log
// leaf: not while the upload is held, nor under another member's copy at
// another leaf; then once released (what the integrity audit asks of a
// held deposit).
func TestDepositedAt(t *testing.T) {
	app, a, b, work := heldUpload(t)
	at := func(step string, leaf uint64, want bool) {
		t.Helper()
		if got, err := app.DepositedAt(work, leaf); err != nil || got != want {
			t.Errorf("%s: DepositedAt(work, %d) = %v, %v; want %v", step, leaf, got, err, want)
		}
	}
	at("held", 0, false)
	block(t, app, 2, nil, b.batch7(t, 1, testLeaves(10, 1), nil, []Deposit{{Batch: 1, Offset: 0, SHA256: work}}))
	at("another member's copy", 0, false)
	at("another member's copy", 1, true)
	block(t, app, 3, nil, a.batch7(t, 2, nil, nil, []Deposit{{Batch: 1, Offset: 0, SHA256: work}}))
	at("released", 0, true)
	if got, err := app.DepositedAt(digest("other bytes"), 0); err != nil || got {
		t.Errorf("DepositedAt(other bytes, 0) = %v, %v; want false", got, err)
	}
}
