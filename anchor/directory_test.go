package anchor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	bolt "go.etcd.io/bbolt"
)

// dir is a signed directory registration.
func (n *testNode) dir(t testing.TB, orgs ...OrgEntry) []byte {
	t.Helper()
	b, err := NewDirectoryTx(testChainID, n.cert, n.org.Cert, n.key, orgs)
	if err != nil {
		t.Fatalf("NewDirectoryTx() = %v", err)
	}
	return b
}

// dir8 is a signed directory registration of transaction version 8 (each
// organization's Revision as given).
func (n *testNode) dir8(t testing.TB, orgs ...OrgEntry) []byte {
	t.Helper()
	b, err := NewDirectoryTx8(testChainID, n.cert, n.org.Cert, n.key, orgs)
	if err != nil {
		t.Fatalf("NewDirectoryTx8() = %v", err)
	}
	return b
}

// dirAt is the directory registration of orgs that state version takes:
// dir8 from version 8, else dir (without the revisions).
func (n *testNode) dirAt(t testing.TB, version int, orgs ...OrgEntry) []byte {
	t.Helper()
	if version >= StateV8 {
		return n.dir8(t, orgs...)
	}
	orgs = slices.Clone(orgs)
	for i := range orgs {
		orgs[i].Revision = 0
	}
	return n.dir(t, orgs...)
}

// The directory: a member registers its own organizations, every member
// finds them by ID and by name; an ID stays its first registrant's, a name
// (as NameKey compares names) its first holder's, within a block too; a
// refused registration changes nothing.
func TestStateV4Directory(t *testing.T) {
	a := newTestNode(t, nil)
	b := newTestNode(t, a.org)
	path := filepath.Join(t.TempDir(), "app.db")
	app := newAppAt(t, path, StateV4, a.root, a, b)
	court := OrgEntry{ID: "org-court", Kind: "court", Name: "杭州互联网法院"}
	firm := OrgEntry{ID: "org-firm", Kind: "firm", Name: "ACME Law"}

	res := finalize(t, app, 1, a.dir(t, court, firm))
	commit(t, app)
	if got := codes(res); got[0] != CodeOK {
		t.Fatalf("codes = %v (%s)", got, res.TxResults[0].Log)
	}
	e, ok, err := app.Org("org-court")
	if err != nil || !ok || e.Name != court.Name || e.Kind != "court" || e.Member != MemberID(a.cert) || e.Height != 1 {
		t.Fatalf("Org(org-court) = %+v, %v, %v", e, ok, err)
	}
	if e, ok, _ := app.OrgByName("  acme   LAW "); !ok || e.ID != "org-firm" {
		t.Errorf("OrgByName(acme law, spaced and cased) = %+v, %v; want org-firm", e, ok)
	}
	if e, ok, _ := app.OrgByName("ＡＣＭＥ Law"); !ok || e.ID != "org-firm" {
		t.Errorf("OrgByName(full-width ACME) = %+v, %v; want org-firm (NFKC)", e, ok)
	}
	fe, _, _ := app.Org("org-firm")
	val, _ := json.Marshal(fe)
	if got := proveValue(t, app, OrgKey("org-firm"), 1); got != sha256.Sum256(val) {
		t.Errorf("state map holds %x for org-firm, want the SHA-256 of its entry", got)
	}

	// b may not take a's organization or its name; nothing changes.
	before := bytes.Clone(res.AppHash)
	res = finalize(t, app, 2,
		b.dir(t, OrgEntry{ID: "org-court", Kind: "court", Name: "Another court"}),
		b.dir(t, OrgEntry{ID: "org-b", Kind: "firm", Name: "acme law"}))
	commit(t, app)
	if got := codes(res); got[0] != CodeNotOwner || got[1] != CodeDuplicate {
		t.Fatalf("codes = %v, want not-owner and duplicate", got)
	}
	if !bytes.Equal(res.AppHash, before) {
		t.Error("refused registrations changed the AppHash")
	}
	// Within one block, the first registration of a name keeps it.
	res = finalize(t, app, 3,
		b.dir(t, OrgEntry{ID: "org-b1", Kind: "notary", Name: "Xihu Notary Office"}),
		a.dir(t, OrgEntry{ID: "org-a2", Kind: "notary", Name: "XIHU notary office"}))
	commit(t, app)
	if got := codes(res); got[0] != CodeOK || got[1] != CodeDuplicate {
		t.Fatalf("codes = %v, want OK then duplicate", got)
	}
	// A registration that changes nothing is refused at the mempool; a
	// rename by the home member frees the old name.
	for _, tc := range []struct {
		name string
		raw  []byte
		want uint32
	}{
		{"unchanged", a.dir(t, court), CodeDuplicate},
		{"another member's organization", b.dir(t, court), CodeNotOwner},
		{"a directory registration at state version 4", a.dir(t, OrgEntry{ID: "org-new", Kind: "owner", Name: "A new owner"}), CodeOK},
	} {
		r, err := app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tc.raw})
		if err != nil || r.Code != tc.want {
			t.Errorf("CheckTx %s: %v %d (%s), want %d", tc.name, err, r.Code, r.Log, tc.want)
		}
	}
	res = finalize(t, app, 4, a.dir(t, OrgEntry{ID: "org-firm", Kind: "firm", Name: "ACME Partners"}))
	commit(t, app)
	if _, ok, _ := app.OrgByName("acme law"); codes(res)[0] != CodeOK || ok {
		t.Errorf("after the rename: codes %v, old name still found: %v", codes(res), ok)
	}
	if all, err := app.Orgs(); err != nil || len(all) != 3 {
		t.Errorf("Orgs() = %+v, %v; want 3", all, err)
	}

	app.db.Close()
	again, err := NewApp(AppConfig{DB: openDB(t, path), ChainID: testChainID, Root: a.root.Cert})
	if err != nil {
		t.Fatal(err)
	}
	if e, ok, _ := again.OrgByName("acme partners"); !ok || e.ID != "org-firm" {
		t.Errorf("after restart: %+v %v", e, ok)
	}
	if got := proveValue(t, again, OrgKey("org-court"), 4); got == ([32]byte{}) {
		t.Error("after restart the directory entry is gone from the state map")
	}
}

// A directory registration needs state version 4.
func TestDirectoryNeedsV4(t *testing.T) {
	a := newTestNode(t, nil)
	app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV3, a.root, a)
	res := finalize(t, app, 1, a.dir(t, OrgEntry{ID: "o", Kind: "court", Name: "C"}))
	commit(t, app)
	if got := codes(res); got[0] != CodeVersion {
		t.Errorf("codes = %v, want CodeVersion", got)
	}
}

// Directory registrations round-trip, and their rules hold.
func TestDirectoryTxStrictness(t *testing.T) {
	n := newTestNode(t, nil)
	raw := n.dir(t, OrgEntry{ID: "b", Kind: "firm", Name: "B 律师事务所"}, OrgEntry{ID: "a", Kind: "court", Name: "A"})
	tx, err := DecodeTx(raw)
	if err != nil || tx.Kind != KindDirectory || len(tx.Orgs) != 2 || tx.Orgs[0].ID != "a" || tx.Orgs[1].Name != "B 律师事务所" {
		t.Fatalf("DecodeTx = %+v, %v", tx, err)
	}
	if !bytes.Equal(tx.Encode(), raw) {
		t.Error("a directory registration does not re-encode to its bytes")
	}
	for name, orgs := range map[string][]OrgEntry{
		"none":             nil,
		"empty ID":         {{Kind: "court", Name: "C"}},
		"ID with a space":  {{ID: "a b", Kind: "court", Name: "C"}},
		"ID too long":      {{ID: strings.Repeat("i", 65), Kind: "court", Name: "C"}},
		"no kind":          {{ID: "a", Name: "C"}},
		"blank name":       {{ID: "a", Kind: "court", Name: " \t "}},
		"name too long":    {{ID: "a", Kind: "court", Name: strings.Repeat("名", 201)}},
		"bad UTF-8":        {{ID: "a", Kind: "court", Name: "\xff"}},
		"control in name":  {{ID: "a", Kind: "court", Name: "C\x07"}},
		"same ID twice":    {{ID: "a", Kind: "court", Name: "C"}, {ID: "a", Kind: "court", Name: "D"}},
		"too many at once": make([]OrgEntry, MaxOrgs+1),
	} {
		if _, err := NewDirectoryTx(testChainID, n.cert, n.org.Cert, n.key, orgs); !errors.Is(err, ErrMalformedTx) {
			t.Errorf("%s: NewDirectoryTx = %v, want ErrMalformedTx", name, err)
		}
	}
	// Kind 3 does not exist before transaction version 4.
	old := bytes.Clone(raw)
	old[4] = TxVersion3
	if _, err := DecodeTx(old); !errors.Is(err, ErrMalformedTx) {
		t.Errorf("a version-3 directory registration: %v, want ErrMalformedTx", err)
	}
	// Version 4 carries no revision.
	if _, err := NewDirectoryTx(testChainID, n.cert, n.org.Cert, n.key, []OrgEntry{{ID: "a", Kind: "court", Name: "A", Revision: 1}}); !errors.Is(err, ErrMalformedTx) {
		t.Errorf("a version-4 registration with a revision: %v, want ErrMalformedTx", err)
	}
}

// A version-8 directory registration is version 4's with a revision (u64,
// from 1) after each name; it decodes strictly and re-encodes to its
// bytes. Version 8 has kind 3 only.
func TestDirectoryTx8Strictness(t *testing.T) {
	n := newTestNode(t, nil)
	orgs := []OrgEntry{{ID: "b", Kind: "firm", Name: "B 律师事务所", Revision: 7}, {ID: "a", Kind: "court", Name: "A", Revision: 1}}
	raw := n.dir8(t, orgs...)
	tx, err := DecodeTx(raw)
	if err != nil || tx.Version != TxVersion8 || tx.Kind != KindDirectory || len(tx.Orgs) != 2 || tx.Orgs[0] != orgs[1] || tx.Orgs[1] != orgs[0] {
		t.Fatalf("DecodeTx = %+v, %v", tx, err)
	}
	if !bytes.Equal(tx.Encode(), raw) {
		t.Error("a version-8 directory registration does not re-encode to its bytes")
	}
	v4 := n.dir(t, OrgEntry{ID: "a", Kind: "court", Name: "A"}, OrgEntry{ID: "b", Kind: "firm", Name: "B 律师事务所"})
	if len(raw) != len(v4)+2*8 {
		t.Errorf("version 8 is %d bytes, version 4 %d: want 8 more per organization", len(raw), len(v4))
	}
	if _, err := NewDirectoryTx8(testChainID, n.cert, n.org.Cert, n.key, []OrgEntry{{ID: "a", Kind: "court", Name: "A"}}); !errors.Is(err, ErrMalformedTx) {
		t.Errorf("revision 0: NewDirectoryTx8 = %v, want ErrMalformedTx", err)
	}
	for name, mutate := range map[string]func([]byte) []byte{
		"as version 4":    func(b []byte) []byte { b[4] = TxVersion4; return b },
		"kind 1":          func(b []byte) []byte { b[5] = KindBatch; return b },
		"kind 4":          func(b []byte) []byte { b[5] = KindRegister; return b },
		"a byte short":    func(b []byte) []byte { return b[:len(b)-1] },
		"a byte too many": func(b []byte) []byte { return append(b, 0) },
	} {
		if _, err := DecodeTx(mutate(bytes.Clone(raw))); !errors.Is(err, ErrMalformedTx) {
			t.Errorf("%s: DecodeTx = %v, want ErrMalformedTx", name, err)
		}
	}
	// A version-4 registration read as version 8 runs short.
	v4[4] = TxVersion8
	if _, err := DecodeTx(v4); !errors.Is(err, ErrMalformedTx) {
		t.Errorf("version 4's bytes as version 8: %v, want ErrMalformedTx", err)
	}
}

// From state version 5 a registration of a name another organization
// holds records the organization's claim instead of being refused: the
// claimant stays out of the directory, the claim is committed in the
// state map and listed while it stands (the holder keeps the name and the
// claimant is not registered since), and the rest of the registration
// applies.
func TestStateV5Claims(t *testing.T) {
	a := newTestNode(t, nil)
	b := newTestNode(t, a.org)
	app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV5, a.root, a, b)
	court := OrgEntry{ID: "org-court", Kind: "court", Name: "杭州互联网法院"}
	res := finalize(t, app, 1, a.dir(t, court))
	commit(t, app)
	if codes(res)[0] != CodeOK {
		t.Fatalf("codes = %v", codes(res))
	}
	lookalike := OrgEntry{ID: "org-b", Kind: "court", Name: "杭州互联网法院 "}
	other := OrgEntry{ID: "org-b2", Kind: "firm", Name: "B Law"}
	res = finalize(t, app, 2, b.dir(t, lookalike, other))
	commit(t, app)
	if got := codes(res); got[0] != CodeOK {
		t.Fatalf("a registration with a taken name at version 5: %v (%s), want OK", got, res.TxResults[0].Log)
	}
	if _, ok, _ := app.Org("org-b"); ok {
		t.Error("the claimant entered the directory")
	}
	if _, ok, _ := app.Org("org-b2"); !ok {
		t.Error("the rest of the registration did not apply")
	}
	claims, err := app.Claims()
	if err != nil || len(claims) != 1 || claims[0].Org != "org-b" || claims[0].Holder != "org-court" || claims[0].Member != MemberID(b.cert) || claims[0].Height != 2 {
		t.Fatalf("Claims() = %+v, %v", claims, err)
	}
	val, _ := json.Marshal(claims[0])
	if got := proveValue(t, app, ClaimKey("org-b"), 2); got != sha256.Sum256(val) {
		t.Errorf("state map holds %x for the claim", got)
	}
	// The same claim again changes nothing: refused at the mempool.
	if r, err := app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: b.dir(t, lookalike)}); err != nil || r.Code != CodeDuplicate {
		t.Errorf("the same claim again: %v %d (%s), want duplicate", err, r.Code, r.Log)
	}
	// Renamed, the claimant is registered; its claim no longer stands.
	res = finalize(t, app, 3, b.dir(t, OrgEntry{ID: "org-b", Kind: "court", Name: "Another Court"}))
	commit(t, app)
	if codes(res)[0] != CodeOK {
		t.Fatalf("rename: %v", codes(res))
	}
	if claims, _ := app.Claims(); len(claims) != 0 {
		t.Errorf("after the rename, claims %+v stand", claims)
	}
	// At version 4 a taken name is refused, as before.
	old := newAppAt(t, filepath.Join(t.TempDir(), "v4.db"), StateV4, a.root, a, b)
	finalize(t, old, 1, a.dir(t, court))
	commit(t, old)
	res = finalize(t, old, 2, b.dir(t, lookalike))
	commit(t, old)
	if codes(res)[0] != CodeDuplicate {
		t.Errorf("a taken name at version 4: %v, want duplicate", codes(res))
	}
}

// An organization that lost its name at the version-7 rekeying stays in
// the directory under that name without holding it; from state version 8
// renaming it does not take the name from the organization that holds it
// (chain review finding 2). At version 7 the rename still deletes the
// holder's name, as the blocks already committed replay.
func TestRenameOfOrgThatLostItsNameAtV7(t *testing.T) {
	for _, version := range []int{StateV7, StateV8} {
		t.Run(fmt.Sprintf("v%d", version), func(t *testing.T) {
			nodes := []*testNode{newTestNode(t, nil)}
			for range 2 {
				nodes = append(nodes, newTestNode(t, nodes[0].org))
			}
			a, b, c := nodes[0], nodes[1], nodes[2]
			app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV6, a.root, nodes...)
			small := OrgEntry{ID: "org-small", Kind: "court", Name: "ꮳꮃꭹ Court"}
			capital := OrgEntry{ID: "org-capital", Kind: "court", Name: "ᏣᎳᎩ court"}
			vote := UpgradeVote{Version: StateV7, Height: 3}
			block(t, app, 1, nil, a.dir(t, small), a.vote(t, vote), b.vote(t, vote), c.vote(t, vote))
			block(t, app, 2, nil, b.dir(t, capital))
			// Version 7 from block 3: org-small holds the name, org-capital claims it.
			var votes [][]byte
			if version == StateV8 {
				vote = UpgradeVote{Version: StateV8, Height: 4}
				votes = [][]byte{a.vote(t, vote), b.vote(t, vote), c.vote(t, vote)}
			}
			block(t, app, 3, nil, votes...)
			block(t, app, 4, nil, b.dirAt(t, version, OrgEntry{ID: capital.ID, Kind: "court", Name: "Capital Court", Revision: 1}))
			if app.StateVersion() != version {
				t.Fatalf("state version %d, want %d", app.StateVersion(), version)
			}
			if e, ok, _ := app.OrgByName("Capital Court"); !ok || e.ID != capital.ID {
				t.Errorf("OrgByName(Capital Court) = %+v, %v; want %s", e, ok, capital.ID)
			}
			e, ok, _ := app.OrgByName(small.Name)
			block(t, app, 5, nil, c.dirAt(t, version, OrgEntry{ID: "org-third", Kind: "firm", Name: "ᏣᎳᎩ COURT", Revision: 1}))
			_, third, _ := app.Org("org-third")
			if version == StateV7 {
				// The old transition, kept: the holder lost its name, and a
				// third organization took it.
				if ok || !third {
					t.Errorf("at version 7: OrgByName(%q) found %v, org-third registered %v; want the old transition (false, true)", small.Name, ok, third)
				}
				return
			}
			if !ok || e.ID != small.ID {
				t.Errorf("OrgByName(%q) after org-capital's rename = %+v, %v; want %s", small.Name, e, ok, small.ID)
			}
			if third {
				t.Error("org-third took the name org-small holds")
			}
		})
	}
}

// Within one block, a rename frees the old name for a later registration
// of the block as it would for one in a later block, from state version 8
// (chain review finding 3). At version 7 the later registration of the
// block only claims the name, as the blocks already committed replay.
func TestRenameFreesNameWithinBlock(t *testing.T) {
	a := newTestNode(t, nil)
	b := newTestNode(t, a.org)
	old, renamed, taker := OrgEntry{ID: "org-a", Kind: "firm", Name: "Old Name", Revision: 1}, OrgEntry{ID: "org-a", Kind: "firm", Name: "New Name", Revision: 2}, OrgEntry{ID: "org-b", Kind: "firm", Name: "old name", Revision: 1}
	for _, version := range []int{StateV7, StateV8} {
		for _, split := range []bool{false, true} {
			app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), version, a.root, a, b)
			if split {
				block(t, app, 1, nil, a.dirAt(t, version, old), a.dirAt(t, version, renamed))
				block(t, app, 2, nil, b.dirAt(t, version, taker))
			} else {
				block(t, app, 1, nil, a.dirAt(t, version, old), a.dirAt(t, version, renamed), b.dirAt(t, version, taker))
			}
			e, ok, _ := app.OrgByName("Old Name")
			cs, _ := app.Claims()
			if version == StateV7 && !split {
				// The old transition, kept: org-b's claim recorded against
				// org-a, which no longer holds the name.
				var c Claim
				var claimed bool
				app.db.View(func(tx *bolt.Tx) error { c, claimed = getClaim(tx, taker.ID); return nil })
				if ok || !claimed || c.Holder != old.ID {
					t.Errorf("v7, one block: OrgByName(Old Name) = %+v, %v, org-b's claim %+v, %v; want the old transition (none, a claim against org-a)", e, ok, c, claimed)
				}
				continue
			}
			if !ok || e.ID != taker.ID {
				t.Errorf("v%d, split %v: OrgByName(Old Name) = %+v, %v; want %s", version, split, e, ok, taker.ID)
			}
			if len(cs) != 0 {
				t.Errorf("v%d, split %v: Claims() = %+v, want none", version, split, cs)
			}
		}
	}
}

// Finding 5 of the chain review (session 15): a directory registration
// of transaction version 4 carries no sequence number nor height, so its
// bytes, once in a block, can be put in a later block by anyone (a
// proposer, or any node's mempool) and undo what its member registered
// since. From state version 8 a registration is of transaction version 8,
// whose revisions apply once: the bytes again are refused (code 4) and
// change nothing. At version 7 the replay still applies, as committed
// blocks replay.
func TestDirectoryReplayUndoesRename(t *testing.T) {
	for _, version := range []int{StateV7, StateV8} {
		t.Run(fmt.Sprintf("v%d", version), func(t *testing.T) {
			a := newTestNode(t, nil)
			app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), version, a.root, a)
			first := a.dirAt(t, version, OrgEntry{ID: "org-a", Kind: "firm", Name: "Old Name", Revision: 1})
			block(t, app, 1, nil, first)
			block(t, app, 2, nil, a.dirAt(t, version, OrgEntry{ID: "org-a", Kind: "firm", Name: "New Name", Revision: 2}))
			empty := finalize(t, app, 3).AppHash
			code, _ := checkTx(t, app, first)
			res := finalize(t, app, 3, first)
			commit(t, app)
			e, _, _ := app.Org("org-a")
			if version == StateV7 {
				if code != CodeOK || codes(res)[0] != CodeOK || e.Name != "Old Name" {
					t.Errorf("v7: the block-1 registration again: CheckTx %d, FinalizeBlock %d, org-a named %q; want the old transition (applied)", code, codes(res)[0], e.Name)
				}
				return
			}
			if code != CodeStale || codes(res)[0] != CodeStale || e.Name != "New Name" || !bytes.Equal(res.AppHash, empty) {
				t.Errorf("the block-1 registration again at block 3: CheckTx %d, FinalizeBlock %d, org-a named %q, AppHash changed %v; want %d, %d, %q, false",
					code, codes(res)[0], e.Name, !bytes.Equal(res.AppHash, empty), CodeStale, CodeStale, "New Name")
			}
		})
	}
}

// From state version 8 the directory takes registrations of transaction
// version 8 only, and each organization's revision must be one more than
// the directory holds: a stale, repeated or skipped one is refused in
// CheckTx and FinalizeBlock (code 4) and changes nothing; two in one
// block apply in order; a claim takes a revision too. The revisions are
// committed in the state map (OrgRevKey).
func TestStateV8Directory(t *testing.T) {
	a := newTestNode(t, nil)
	b := newTestNode(t, a.org)
	app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV8, a.root, a, b)
	court := OrgEntry{ID: "org-court", Kind: "court", Name: "Court", Revision: 1}
	if code, msg := checkTx(t, app, a.dir(t, OrgEntry{ID: court.ID, Kind: court.Kind, Name: court.Name})); code != CodeVersion {
		t.Errorf("a version-4 registration at state 8: CheckTx code %d (%s), want %d", code, msg, CodeVersion)
	}
	block(t, app, 1, []uint32{CodeVersion, CodeOK}, a.dir(t, OrgEntry{ID: court.ID, Kind: court.Kind, Name: court.Name}), a.dir8(t, court))
	if rev, err := app.OrgRevision(court.ID); err != nil || rev != 1 {
		t.Errorf("OrgRevision(%s) = %d, %v; want 1", court.ID, rev, err)
	}
	if p, err := app.ProveState(OrgRevKey(court.ID), 1); err != nil || !p.Found || p.Value != orgRevValue(1) {
		t.Errorf("ProveState(OrgRevKey(%s)) = %+v, %v; want revision 1", court.ID, p, err)
	}
	empty := finalize(t, app, 2).AppHash
	for _, rev := range []uint64{1, 3} {
		raw := a.dir8(t, OrgEntry{ID: court.ID, Kind: court.Kind, Name: "Renamed", Revision: rev})
		if code, msg := checkTx(t, app, raw); code != CodeStale {
			t.Errorf("revision %d after 1: CheckTx code %d (%s), want %d", rev, code, msg, CodeStale)
		}
		if res := finalize(t, app, 2, raw); codes(res)[0] != CodeStale || !bytes.Equal(res.AppHash, empty) {
			t.Errorf("revision %d after 1: FinalizeBlock code %d, AppHash changed %v; want %d, false", rev, codes(res)[0], !bytes.Equal(res.AppHash, empty), CodeStale)
		}
	}
	// Two in one block, in order; the same revision twice: the second refused.
	r2 := a.dir8(t, OrgEntry{ID: court.ID, Kind: court.Kind, Name: "Second", Revision: 2})
	block(t, app, 2, []uint32{CodeOK, CodeOK, CodeStale}, r2,
		a.dir8(t, OrgEntry{ID: court.ID, Kind: court.Kind, Name: "Third", Revision: 3}),
		a.dir8(t, OrgEntry{ID: court.ID, Kind: court.Kind, Name: "Other third", Revision: 3}))
	if e, _, _ := app.Org(court.ID); e.Name != "Third" {
		t.Errorf("org-court named %q, want Third", e.Name)
	}
	// Another member's organization of a held name: a claim, revision 1;
	// the same claim again with revision 2 is a duplicate (nothing new).
	claim := OrgEntry{ID: "org-b", Kind: "firm", Name: "third", Revision: 1}
	block(t, app, 3, nil, b.dir8(t, claim))
	if cs, _ := app.Claims(); len(cs) != 1 || cs[0].Org != claim.ID {
		t.Errorf("Claims() = %+v, want org-b's", cs)
	}
	claim.Revision = 2
	block(t, app, 4, []uint32{CodeDuplicate, CodeStale}, b.dir8(t, claim), b.dir8(t, OrgEntry{ID: "org-b", Kind: "firm", Name: "B Firm", Revision: 1}))
	if rev, _ := app.OrgRevision(claim.ID); rev != 1 {
		t.Errorf("OrgRevision(org-b) = %d, want 1", rev)
	}
	// A version-8 registration at state 7 is refused.
	app7 := newAppAt(t, filepath.Join(t.TempDir(), "app7.db"), StateV7, a.root, a, b)
	block(t, app7, 1, []uint32{CodeVersion}, a.dir8(t, court))
}

// Across the upgrade to state version 8: an organization registered at
// version 7 (no revision: 0) is registered again with revision 1, and the
// version-4 registration from before is refused (code 5).
func TestUpgradeToV8Directory(t *testing.T) {
	nodes := []*testNode{newTestNode(t, nil)}
	for range 2 {
		nodes = append(nodes, newTestNode(t, nodes[0].org))
	}
	a, b, c := nodes[0], nodes[1], nodes[2]
	app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV7, a.root, nodes...)
	vote := UpgradeVote{Version: StateV8, Height: 3}
	before := a.dir(t, OrgEntry{ID: "org-a", Kind: "firm", Name: "Before"})
	block(t, app, 1, nil, before, a.vote(t, vote), b.vote(t, vote), c.vote(t, vote))
	block(t, app, 2, nil)
	if rev, _ := app.OrgRevision("org-a"); rev != 0 || app.StateVersion() != StateV7 {
		t.Fatalf("before the upgrade: revision %d, state %d; want 0, 7", rev, app.StateVersion())
	}
	block(t, app, 3, []uint32{CodeVersion, CodeOK}, a.dir(t, OrgEntry{ID: "org-a", Kind: "firm", Name: "After"}), a.dir8(t, OrgEntry{ID: "org-a", Kind: "firm", Name: "After", Revision: 1}))
	block(t, app, 4, []uint32{CodeVersion}, before)
	if e, _, _ := app.Org("org-a"); e.Name != "After" {
		t.Errorf("org-a named %q, want After", e.Name)
	}
}
