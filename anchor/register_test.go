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
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
)

// reg is a signed copyright registration transaction.
func (n *testNode) reg(t testing.TB, regs ...Registration) []byte {
	t.Helper()
	b, err := NewRegisterTx(testChainID, n.cert, n.org.Cert, n.key, regs)
	if err != nil {
		t.Fatalf("NewRegisterTx() = %v", err)
	}
	return b
}

func regFile(s string) RegFile { return RegFile{SHA256: digest(s)} }

// The register: each member files its own registrations, for its own
// organizations; the chain numbers them per member and year, once, in
// block order; every member finds every registration by fingerprint, by
// number, and in the order the chain made them final.
func TestStateV5Register(t *testing.T) {
	a := newTestNode(t, nil)
	b := newTestNode(t, a.org)
	path := filepath.Join(t.TempDir(), "app.db")
	app := newAppAt(t, path, StateV5, a.root, a, b)
	res := finalize(t, app, 1,
		a.dir(t, OrgEntry{ID: "org-owner-a", Kind: "owner", Name: "Owner A"}),
		b.dir(t, OrgEntry{ID: "org-owner-b", Kind: "owner", Name: "Owner B"}))
	commit(t, app)
	if got := codes(res); got[0] != CodeOK || got[1] != CodeOK {
		t.Fatalf("directory: %v", got)
	}
	photo := RegFile{SHA256: digest("photo"), PHash: 0xf0f0f0f0f0f0f0f0, HasPHash: true}
	// b's registration of the same photo comes first in the block; then a's.
	res = finalize(t, app, 2,
		b.reg(t, Registration{ID: "R-B1", Org: "org-owner-b", Files: []RegFile{photo}}),
		a.reg(t, Registration{ID: "R-A1", Org: "org-owner-a", Files: []RegFile{regFile("novel"), photo}},
			Registration{ID: "R-A2", Org: "org-owner-a", Files: []RegFile{regFile("song")}}))
	commit(t, app)
	if got := codes(res); got[0] != CodeOK || got[1] != CodeOK {
		t.Fatalf("registrations: %v (%s %s)", got, res.TxResults[0].Log, res.TxResults[1].Log)
	}
	year := txNow.Add(time.Minute).In(cstZone).Format("2006")
	eb, ok, err := app.Registration(MemberID(b.cert), "R-B1")
	if err != nil || !ok || eb.Number != "CUS-("+year+")-作登字-M2-000001" || eb.Order != 1 || eb.Height != 2 || eb.Org != "org-owner-b" {
		t.Fatalf("Registration(b, R-B1) = %+v, %v, %v", eb, ok, err)
	}
	ea2, _, _ := app.Registration(MemberID(a.cert), "R-A2")
	if ea2.Number != "CUS-("+year+")-作登字-M1-000002" || ea2.Order != 3 {
		t.Errorf("R-A2 = %+v; want a's second number of the year, order 3", ea2)
	}
	val, _ := json.Marshal(eb)
	if got := proveValue(t, app, RegKey(MemberID(b.cert), "R-B1"), 2); got != sha256.Sum256(val) {
		t.Errorf("state map holds %x for R-B1, want the SHA-256 of its entry", got)
	}

	// Priority: b's registration is first, on either member's replica.
	sum := digest("photo")
	ms, truncated, err := app.SearchRegister(&sum, nil, 10, 10)
	if err != nil || truncated || len(ms) != 2 || ms[0].Entry.ID != "R-B1" || ms[1].Entry.ID != "R-A1" || ms[1].File != 1 || !ms[0].Exact {
		t.Fatalf("SearchRegister(photo) = %+v, %v, %v; want R-B1 then R-A1 (file 1)", ms, truncated, err)
	}
	near := uint64(0xf0f0f0f0f0f0f0f1)
	if ms, _, _ := app.SearchRegister(nil, &near, 10, 10); len(ms) != 2 || ms[0].Exact || ms[0].Distance != 1 {
		t.Errorf("similar search = %+v; want both, at distance 1", ms)
	}
	if ms, truncated, _ := app.SearchRegister(&sum, nil, 10, 1); len(ms) != 1 || !truncated {
		t.Errorf("limit 1: %d matches, truncated %v", len(ms), truncated)
	}
	if es, _ := app.RegistrationsByNumber(eb.Number); len(es) != 1 || es[0].ID != "R-B1" {
		t.Errorf("RegistrationsByNumber = %+v", es)
	}

	// Refused: a registration again (never renumbered), another member's
	// organization, an organization not in the directory, before version 5.
	before := bytes.Clone(res.AppHash)
	for _, tc := range []struct {
		name string
		raw  []byte
		want uint32
	}{
		{"again", a.reg(t, Registration{ID: "R-A1", Org: "org-owner-a", Files: []RegFile{regFile("novel")}}), CodeDuplicate},
		{"another member's organization", a.reg(t, Registration{ID: "R-X", Org: "org-owner-b", Files: []RegFile{regFile("x")}}), CodeNotOwner},
		{"an organization not in the directory", a.reg(t, Registration{ID: "R-Y", Org: "org-nobody", Files: []RegFile{regFile("y")}}), CodeNotOwner},
	} {
		r, err := app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tc.raw})
		if err != nil || r.Code != tc.want {
			t.Errorf("CheckTx %s: %v %d (%s), want %d", tc.name, err, r.Code, r.Log, tc.want)
		}
		res = finalize(t, app, 3, tc.raw)
		if codes(res)[0] != tc.want || !bytes.Equal(res.AppHash, before) {
			t.Errorf("%s in a block: code %d, AppHash changed %v", tc.name, codes(res)[0], !bytes.Equal(res.AppHash, before))
		}
	}
	// Resubmitted with a new one, in one block twice: only the new one is
	// entered, once; the operator's own (Org "") and a legacy number too.
	res = finalize(t, app, 3,
		a.reg(t, Registration{ID: "R-A1", Org: "org-owner-a", Files: []RegFile{regFile("novel")}}, Registration{ID: "R-A3", Files: []RegFile{regFile("film")}}),
		a.reg(t, Registration{ID: "R-A3", Files: []RegFile{regFile("film")}}),
		b.reg(t, Registration{ID: "R-OLD", Org: "org-owner-b", Legacy: "CUS-(2025)-作登字-000001", Files: []RegFile{regFile("old")}}))
	commit(t, app)
	if got := codes(res); got[0] != CodeOK || got[1] != CodeDuplicate || got[2] != CodeOK {
		t.Fatalf("codes = %v, want OK, duplicate (R-A3 again in the same block), OK", got)
	}
	if e, _, _ := app.Registration(MemberID(a.cert), "R-A3"); e.Number != "CUS-("+year+")-作登字-M1-000003" || e.Order != 4 {
		t.Errorf("R-A3 = %+v; want a's third number, order 4", e)
	}
	if e, _, _ := app.Registration(MemberID(a.cert), "R-A1"); e.Order != 2 || e.Height != 2 {
		t.Errorf("R-A1 changed: %+v", e)
	}
	if es, _ := app.RegistrationsByNumber("CUS-(2025)-作登字-000001"); len(es) != 1 || es[0].Number != "" || es[0].Legacy == "" || es[0].Display() != es[0].Legacy {
		t.Errorf("legacy number: %+v", es)
	}

	// A revocation: marked once, the number and order unchanged; a
	// revocation of a registration the register lacks is refused; one
	// filed revoked with its files enters revoked, numbered.
	res = finalize(t, app, 4,
		b.reg(t, Registration{ID: "R-B1", Revoked: true}),
		b.reg(t, Registration{ID: "R-NONE", Revoked: true}),
		a.reg(t, Registration{ID: "R-A4", Org: "org-owner-a", Revoked: true, Files: []RegFile{regFile("withdrawn")}}))
	commit(t, app)
	if got := codes(res); got[0] != CodeOK || got[1] != CodeStale || got[2] != CodeOK {
		t.Fatalf("revocations: codes %v, want OK, stale, OK", got)
	}
	if e, _, _ := app.Registration(MemberID(b.cert), "R-B1"); e.RevokedHeight != 4 || e.Number != eb.Number || e.Order != 1 {
		t.Errorf("R-B1 after its revocation = %+v", e)
	}
	if e, _, _ := app.Registration(MemberID(a.cert), "R-A4"); e.RevokedHeight != 4 || !strings.HasSuffix(e.Number, "-000004") {
		t.Errorf("R-A4, filed revoked = %+v", e)
	}
	if r, err := app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: b.reg(t, Registration{ID: "R-B1", Revoked: true})}); err != nil || r.Code != CodeDuplicate {
		t.Errorf("revoked again: %v %d, want duplicate", err, r.Code)
	}

	app.db.Close()
	again, err := NewApp(AppConfig{DB: openDB(t, path), ChainID: testChainID, Root: a.root.Cert})
	if err != nil {
		t.Fatal(err)
	}
	if e, ok, _ := again.Registration(MemberID(b.cert), "R-B1"); !ok || e.Number != eb.Number {
		t.Errorf("after restart: %+v %v", e, ok)
	}
	if got := proveValue(t, again, RegKey(MemberID(a.cert), "R-A3"), 4); got == ([32]byte{}) {
		t.Error("after restart the register entry is gone from the state map")
	}
}

// A registration needs state version 5.
func TestRegisterNeedsV5(t *testing.T) {
	a := newTestNode(t, nil)
	app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), StateV4, a.root, a)
	res := finalize(t, app, 1, a.reg(t, Registration{ID: "R", Files: []RegFile{regFile("x")}}))
	commit(t, app)
	if got := codes(res); got[0] != CodeVersion {
		t.Errorf("codes = %v, want CodeVersion", got)
	}
}

// Registration transactions round-trip, and their rules hold.
func TestRegisterTxStrictness(t *testing.T) {
	n := newTestNode(t, nil)
	photo := RegFile{SHA256: digest("p"), PHash: 7, HasPHash: true}
	raw := n.reg(t, Registration{ID: "b", Org: "o", Legacy: "CUS-(2025)-作登字-000009", Files: []RegFile{photo, regFile("q")}}, Registration{ID: "a", Files: []RegFile{regFile("r")}})
	tx, err := DecodeTx(raw)
	if err != nil || tx.Kind != KindRegister || len(tx.Regs) != 2 || tx.Regs[0].ID != "a" || tx.Regs[1].Files[0] != photo || tx.Regs[1].Legacy != "CUS-(2025)-作登字-000009" {
		t.Fatalf("DecodeTx = %+v, %v", tx, err)
	}
	if !bytes.Equal(tx.Encode(), raw) {
		t.Error("a registration does not re-encode to its bytes")
	}
	one := []RegFile{regFile("x")}
	for name, regs := range map[string][]Registration{
		"none":                  nil,
		"empty ID":              {{Files: one}},
		"ID with a space":       {{ID: "a b", Files: one}},
		"org with a space":      {{ID: "a", Org: "o o", Files: one}},
		"legacy too long":       {{ID: "a", Legacy: strings.Repeat("号", 22), Files: one}},
		"legacy with a control": {{ID: "a", Legacy: "N\n1", Files: one}},
		"no files, not revoked": {{ID: "a"}},
		"too many files":        {{ID: "a", Files: make([]RegFile, MaxRegFiles+1)}},
		"phash without flag":    {{ID: "a", Files: []RegFile{{PHash: 1}}}},
		"same ID twice":         {{ID: "a", Files: one}, {ID: "a", Files: one}},
		"too many":              make([]Registration, MaxRegistrations+1),
	} {
		if _, err := NewRegisterTx(testChainID, n.cert, n.org.Cert, n.key, regs); !errors.Is(err, ErrMalformedTx) {
			t.Errorf("%s: NewRegisterTx = %v, want ErrMalformedTx", name, err)
		}
	}
	// Kind 4 exists only in transaction version 5, and version 5 has no
	// other kind.
	old := bytes.Clone(raw)
	old[4] = TxVersion4
	if _, err := DecodeTx(old); !errors.Is(err, ErrMalformedTx) {
		t.Errorf("a version-4 registration: %v, want ErrMalformedTx", err)
	}
	other := bytes.Clone(raw)
	other[5] = KindDirectory
	if _, err := DecodeTx(other); !errors.Is(err, ErrMalformedTx) {
		t.Errorf("a version-5 directory registration: %v, want ErrMalformedTx", err)
	}
	// A flag byte other than 0 or 1: the registration's revoked flag and
	// its first file's (registration "a": ID, org and legacy lengths,
	// revoked, file count, then the file).
	at := bytes.Index(raw, []byte{0, 2, 1, 'a', 0, 0, 0, 1})
	if at < 0 {
		t.Fatal("registration a not found in the encoding")
	}
	for _, off := range []int{6, 8} {
		bad := bytes.Clone(raw)
		bad[at+off] = 2
		if _, err := DecodeTx(bad); !errors.Is(err, ErrMalformedTx) {
			t.Errorf("flags 2 at offset %d: %v, want ErrMalformedTx", off, err)
		}
	}
	// A revocation carries no files; anything else has some.
	if _, err := NewRegisterTx(testChainID, n.cert, n.org.Cert, n.key, []Registration{{ID: "a", Revoked: true}}); err != nil {
		t.Errorf("a revocation without files: %v", err)
	}
}

// Finding 6 of the chain review (session 15): a legacy number is free
// text, so a member could file one spelled as another member's
// chain-assigned number, and a search by that number found both; and two
// of one member's registrations with one legacy number kept only the later
// in the number index. From state version 8 the first is refused (code 6)
// and the second too (code 3); a node's own numbers from before the
// register (CUS-(YEAR)-作登字-NNNNNN) are still taken. At version 7 the old
// transition is kept, as committed blocks replay.
func TestLegacyNumberSpelledAsAnotherMembers(t *testing.T) {
	for _, version := range []int{StateV7, StateV8} {
		t.Run(fmt.Sprintf("v%d", version), func(t *testing.T) {
			a := newTestNode(t, nil)
			b := newTestNode(t, a.org)
			app := newAppAt(t, filepath.Join(t.TempDir(), "app.db"), version, a.root, a, b)
			block(t, app, 1, nil, a.reg(t, Registration{ID: "R1", Files: []RegFile{regFile("a's work")}}))
			e, ok, err := app.Registration(MemberID(a.cert), "R1")
			if err != nil || !ok || e.Number == "" {
				t.Fatalf("Registration(a, R1) = %+v, %v, %v", e, ok, err)
			}
			want := map[int][]uint32{StateV7: {CodeOK, CodeOK, CodeOK, CodeOK}, StateV8: {CodeNotOwner, CodeOK, CodeDuplicate, CodeDuplicate}}[version]
			own := "CUS-(2025)-作登字-000007" // a node's own number from before the register
			res := finalize(t, app, 2,
				b.reg(t, Registration{ID: "R9", Legacy: e.Number, Files: []RegFile{regFile("b's work")}}),
				b.reg(t, Registration{ID: "R10", Legacy: own, Files: []RegFile{regFile("b's older work")}}),
				b.reg(t, Registration{ID: "R11", Legacy: own, Files: []RegFile{regFile("b's other work")}}),
				b.reg(t, Registration{ID: "R12", Legacy: "L-1", Files: []RegFile{regFile("one")}}, Registration{ID: "R13", Legacy: "L-1", Files: []RegFile{regFile("two")}}))
			commit(t, app)
			if got := codes(res); !slices.Equal(got, want) {
				t.Errorf("v%d: codes %v, want %v", version, got, want)
			}
			byNumber, _ := app.RegistrationsByNumber(e.Number)
			if n := map[int]int{StateV7: 2, StateV8: 1}[version]; len(byNumber) != n {
				t.Errorf("v%d: RegistrationsByNumber(%q) finds %d, want %d", version, e.Number, len(byNumber), n)
			}
			if got, _ := app.RegistrationsByNumber(own); len(got) != 1 || got[0].ID != map[int]string{StateV7: "R11", StateV8: "R10"}[version] {
				t.Errorf("v%d: RegistrationsByNumber(%q) = %+v", version, own, got)
			}
			// Revoking a registration files its legacy number again: taken.
			block(t, app, 3, nil, b.reg(t, Registration{ID: "R10", Legacy: own, Revoked: true}))
		})
	}
}
