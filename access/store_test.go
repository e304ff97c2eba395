package access

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/internal/problem"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "a.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := Open(db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestKeys(t *testing.T) {
	s := newStore(t)
	op, err := s.CreateOrg(KindOperator, "Node operator")
	if err != nil {
		t.Fatal(err)
	}
	firm, _ := s.CreateOrg(KindLawFirm, "Law firm")
	token, k, err := s.CreateKey(firm.ID, RoleSubmitter, "filing", nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Authenticate(token)
	if err != nil || p.Org.ID != firm.ID || p.Key.ID != k.ID || !p.Can(PermFile) || p.Can(PermAdmin) {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	if p.Actor() != firm.ID+":"+k.ID {
		t.Errorf("Actor() = %q", p.Actor())
	}
	if _, err := s.Authenticate(token + "x"); !errors.Is(err, ErrBadToken) {
		t.Errorf("Authenticate(wrong) = %v, want ErrBadToken", err)
	}
	if k.Prefix == "" || token[:len(k.Prefix)] != k.Prefix {
		t.Errorf("prefix %q does not start the token", k.Prefix)
	}
	if _, err := s.RevokeKey(k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(token); !errors.Is(err, ErrRevoked) {
		t.Errorf("Authenticate(revoked) = %v, want ErrRevoked", err)
	}
	// Expiry.
	soon := time.Now().Add(time.Hour)
	token2, _, err := s.CreateKey(firm.ID, RoleViewer, "temporary", &soon)
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return soon.Add(time.Second) }
	if _, err := s.Authenticate(token2); !errors.Is(err, ErrExpired) {
		t.Errorf("Authenticate(expired) = %v, want ErrExpired", err)
	}
	s.now = time.Now
	// Only the operator's organization holds the admin role.
	if _, _, err := s.CreateKey(firm.ID, RoleAdmin, "escalation", nil); !errors.Is(err, ErrBadInput) {
		t.Errorf("CreateKey(admin in a law firm) = %v, want ErrBadInput", err)
	}
	if _, _, err := s.CreateKey(op.ID, RoleAdmin, "second admin", nil); err != nil {
		t.Errorf("CreateKey(admin in the operator org) = %v", err)
	}
	for _, tc := range []struct {
		org  string
		role Role
		name string
	}{{firm.ID, "god", "x"}, {firm.ID, RoleViewer, ""}, {"nope", RoleViewer, "x"}} {
		if _, _, err := s.CreateKey(tc.org, tc.role, tc.name, nil); err == nil {
			t.Errorf("CreateKey(%q, %q, %q) accepted", tc.org, tc.role, tc.name)
		}
	}
	// The database holds no token in clear.
	s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if string(k) == token || string(v) == token {
					t.Errorf("bucket %s holds a token in clear", name)
				}
				return nil
			})
		})
	})
}

// TestOneOperator checks that a store holds at most one operator
// organization, the one made at the node's first start.
func TestOneOperator(t *testing.T) {
	s := newStore(t)
	if _, err := s.CreateOrg(KindOperator, "Node operator"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateOrg(KindOperator, "Second operator"); !errors.Is(err, ErrBadInput) {
		t.Errorf("CreateOrg(second operator) = %v, want ErrBadInput", err)
	}
	if orgs, _ := s.Orgs(); len(orgs) != 1 {
		t.Errorf("Orgs() = %d organizations, want 1", len(orgs))
	}
}

func TestUpdateOrg(t *testing.T) {
	s := newStore(t)
	firm, err := s.CreateOrgWith(KindLawFirm, "Law firm", Settings{UnlistedByDefault: true})
	if err != nil || !firm.UnlistedByDefault {
		t.Fatalf("CreateOrgWith(unlisted) = %+v, %v", firm, err)
	}
	tok, _, err := s.CreateKey(firm.ID, RoleSubmitter, "filing", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.Authenticate(tok); err != nil || !p.Org.UnlistedByDefault {
		t.Fatalf("Authenticate = %+v, %v, want the org's setting", p, err)
	}
	off, name := false, "  Law firm LLP "
	before, after, err := s.UpdateOrg(firm.ID, OrgPatch{Name: &name, UnlistedByDefault: &off})
	if err != nil {
		t.Fatal(err)
	}
	if !before.UnlistedByDefault || before.Name != "Law firm" || after.UnlistedByDefault || after.Name != "Law firm LLP" {
		t.Errorf("UpdateOrg = %+v → %+v", before, after)
	}
	// The principal cache sees the change at once.
	if p, err := s.Authenticate(tok); err != nil || p.Org.UnlistedByDefault || p.Org.Name != "Law firm LLP" {
		t.Errorf("Authenticate after UpdateOrg = %+v, %v", p, err)
	}
	if o, err := s.Org(firm.ID); err != nil || *o != *after {
		t.Errorf("Org = %+v, %v, want %+v", o, err, after)
	}
	if _, after, err := s.UpdateOrg(firm.ID, OrgPatch{}); err != nil || after.Name != "Law firm LLP" {
		t.Errorf("UpdateOrg(empty patch) = %+v, %v", after, err)
	}
	bad := "\u202eevil"
	for _, p := range []OrgPatch{{Name: &bad}, {Name: new(string)}} {
		if _, _, err := s.UpdateOrg(firm.ID, p); !errors.Is(err, ErrBadInput) {
			t.Errorf("UpdateOrg(name %q) = %v, want ErrBadInput", *p.Name, err)
		}
	}
	if _, _, err := s.UpdateOrg("nope", OrgPatch{UnlistedByDefault: &off}); !errors.Is(err, ErrNotFound) {
		t.Errorf("UpdateOrg(unknown) = %v, want ErrNotFound", err)
	}
}

func TestToldConflict(t *testing.T) {
	s := newStore(t)
	c := &NameConflict{Name: "ACME", Holder: "h", HolderMember: "m"}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if got, err := toldConflictTx(tx, "org"); err != nil || got != nil {
			t.Errorf("toldConflictTx(none) = %+v, %v", got, err)
		}
		if err := PutToldConflictTx(tx, "org", c); err != nil {
			return err
		}
		if got, err := toldConflictTx(tx, "org"); err != nil || got == nil || *got != *c {
			t.Errorf("toldConflictTx = %+v, %v, want %+v", got, err, c)
		}
		if err := PutToldConflictTx(tx, "org", nil); err != nil {
			return err
		}
		if got, err := toldConflictTx(tx, "org"); err != nil || got != nil {
			t.Errorf("toldConflictTx(cleared) = %+v, %v", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWithinUndoes: an error of the function run in the transaction of an
// act (where the API appends its audit event) undoes the act; a key's
// revocation calls it only when the key was not revoked yet.
func TestWithinUndoes(t *testing.T) {
	s := newStore(t)
	failed := errors.New("audit failed")
	if _, err := s.CreateOrgWithin(KindLawFirm, "Firm", Settings{}, func(*bolt.Tx, *Org) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("CreateOrgWithin = %v, want the within error", err)
	}
	if all, _ := s.Orgs(); len(all) != 0 {
		t.Errorf("after the undone creation: %d organizations", len(all))
	}
	firm, _ := s.CreateOrg(KindLawFirm, "Firm")
	name := "Renamed"
	if _, _, err := s.UpdateOrgWithin(firm.ID, OrgPatch{Name: &name}, func(*bolt.Tx, *Org, *Org) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("UpdateOrgWithin = %v", err)
	}
	if o, _ := s.Org(firm.ID); o.Name != "Firm" {
		t.Errorf("after the undone rename: %q", o.Name)
	}
	token, _, err := s.CreateKeyWithin(firm.ID, RoleViewer, "v", nil, func(*bolt.Tx, *Key) error { return failed })
	if !errors.Is(err, failed) {
		t.Fatalf("CreateKeyWithin = %v", err)
	}
	if ks, _ := s.Keys(firm.ID); len(ks) != 0 {
		t.Errorf("after the undone key creation: %d keys", len(ks))
	}
	if _, err := s.Authenticate(token); err == nil {
		t.Error("the undone key's token authenticates")
	}
	token, k, _ := s.CreateKey(firm.ID, RoleViewer, "v", nil)
	if _, err := s.Authenticate(token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeKeyWithin(k.ID, func(*bolt.Tx, *Key) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("RevokeKeyWithin = %v", err)
	}
	if _, err := s.Authenticate(token); err != nil {
		t.Errorf("after the undone revocation, Authenticate = %v", err)
	}
	calls := 0
	for range 2 {
		if _, err := s.RevokeKeyWithin(k.ID, func(*bolt.Tx, *Key) error { calls++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Authenticate(token); err == nil || calls != 1 {
		t.Errorf("after revoking twice: Authenticate = %v, within called %d times; want refused and once", err, calls)
	}
}

// TestBootstrap: the operator organization and its admin key are stored
// together or not at all, and only in an empty store.
func TestBootstrap(t *testing.T) {
	s := newStore(t)
	const token = "cst_chosen-by-the-operator-0123456789"
	failed := errors.New("audit failed")
	if _, _, err := s.Bootstrap("Operator", token, func(*bolt.Tx, *Org, *Key) error { return failed }); !errors.Is(err, failed) {
		t.Fatalf("Bootstrap = %v, want the within error", err)
	}
	if empty, _ := s.Empty(); !empty {
		t.Error("after the undone bootstrap the store is not empty")
	}
	o, k, err := s.Bootstrap("Operator", token, nil)
	if err != nil || o.Kind != KindOperator || k.Role != RoleAdmin || k.OrgID != o.ID || k.Name != BootstrapKeyName {
		t.Fatalf("Bootstrap = %+v, %+v, %v", o, k, err)
	}
	if p, err := s.Authenticate(token); err != nil || p.Key.ID != k.ID {
		t.Errorf("Authenticate(bootstrap token) = %+v, %v", p, err)
	}
	if _, _, err := s.Bootstrap("Another", NewToken(), nil); !errors.Is(err, ErrBadInput) {
		t.Errorf("second Bootstrap = %v, want ErrBadInput", err)
	}
}

// TestLastAdminKey checks that the last live admin key is not revoked
// (ErrLastAdmin), that an expired or revoked admin key does not count as
// another, and that an admin key revokes once another lives.
func TestLastAdminKey(t *testing.T) {
	s := newStore(t)
	op, _ := s.CreateOrg(KindOperator, "Operator")
	_, first, err := s.CreateKey(op.ID, RoleAdmin, "first", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeKey(first.ID); !errors.Is(err, ErrLastAdmin) {
		t.Fatalf("RevokeKey(last admin) = %v, want ErrLastAdmin", err)
	}
	// An admin key that will have expired is no other administrator.
	soon := time.Now().Add(time.Hour)
	_, expiring, err := s.CreateKey(op.ID, RoleAdmin, "expiring", &soon)
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return soon.Add(time.Second) }
	if _, err := s.RevokeKey(first.ID); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("RevokeKey(last admin, the other expired) = %v, want ErrLastAdmin", err)
	}
	if _, err := s.RevokeKey(expiring.ID); err != nil {
		t.Errorf("RevokeKey(expired admin) = %v, want it revoked", err)
	}
	s.now = time.Now
	_, second, err := s.CreateKey(op.ID, RoleAdmin, "second", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeKey(first.ID); err != nil {
		t.Fatalf("RevokeKey(first, a second admin lives) = %v", err)
	}
	if _, err := s.RevokeKey(second.ID); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("RevokeKey(second, now the last) = %v, want ErrLastAdmin", err)
	}
	if _, err := s.RevokeKey(first.ID); err != nil {
		t.Errorf("RevokeKey(revoked) = %v, want nil: nothing changes", err)
	}
}

// TestActorActive: an actor is active while its key exists in its
// organization and is neither revoked nor expired (the webhooks service
// pauses a webhook otherwise, A6).
func TestActorActive(t *testing.T) {
	s := newStore(t)
	firm, _ := s.CreateOrg(KindLawFirm, "Law firm")
	other, _ := s.CreateOrg(KindCourt, "Court")
	now := time.Now()
	soon := now.Add(time.Hour)
	_, live, _ := s.CreateKey(firm.ID, RoleSubmitter, "live", nil)
	_, expiring, _ := s.CreateKey(firm.ID, RoleSubmitter, "expiring", &soon)
	_, revoked, _ := s.CreateKey(firm.ID, RoleSubmitter, "revoked", nil)
	if _, err := s.RevokeKey(revoked.ID); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		actor string
		at    time.Time
		want  bool
	}{
		{firm.ID + ":" + live.ID, now, true},
		{firm.ID + ":" + expiring.ID, now, true},
		{firm.ID + ":" + expiring.ID, soon, false},
		{firm.ID + ":" + revoked.ID, now, false},
		{other.ID + ":" + live.ID, now, false}, // another organization's actor
		{firm.ID + ":" + NewID(), now, false},  // no such key
		{live.ID, now, false},
		{firm.ID + ":", now, false},
		{"", now, false},
	} {
		if got := s.ActorActive(tc.actor, tc.at); got != tc.want {
			t.Errorf("ActorActive(%q, %v) = %v, want %v", tc.actor, tc.at, got, tc.want)
		}
	}
}

// TestBadKindWords: an unknown kind is refused with the kinds listed as
// each language lists: "court, notary, …" in English, "court、notary、…"
// in Chinese (they were joined with ASCII commas in both).
func TestBadKindWords(t *testing.T) {
	s := newStore(t)
	_, err := s.CreateOrg("firm", "A firm")
	var r *problem.Refusal
	if !errors.As(err, &r) {
		t.Fatalf("CreateOrg(firm) = %v, want a *problem.Refusal", err)
	}
	if got, want := r.Msg.In(problem.English), "court, notary, arbitration, lawfirm"; !strings.Contains(got, want) {
		t.Errorf("English = %q, want it to hold %q", got, want)
	}
	if got, want := r.Msg.In(problem.Chinese), "court、notary、arbitration、lawfirm"; !strings.Contains(got, want) {
		t.Errorf("Chinese = %q, want it to hold %q", got, want)
	}
}

// toldConflictTx returns the name conflict org was last told of in tx,
// nil if none (or it was cleared since).
func toldConflictTx(tx *bolt.Tx, org string) (*NameConflict, error) {
	b := tx.Bucket(bConflicts).Get([]byte(org))
	if b == nil {
		return nil, nil
	}
	var c NameConflict
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// TestRestoreOrg: an organization lost in a restore is re-created under
// its own ID, kind and name, with no keys; never over one that exists,
// never as the operator, never under an ID NewID would not make, and
// within's error undoes it.
func TestRestoreOrg(t *testing.T) {
	s := newStore(t)
	id := NewID()
	for _, tc := range []struct{ what, id, kind, name string }{
		{"the operator", id, KindOperator, "Node operator"},
		{"an unknown kind", id, "guild", "Guild"},
		{"an ID too short", id[:25], KindCourt, "Court"},
		{"an ID in capitals", strings.ToUpper(id), KindCourt, "Court"},
		{"an empty name", id, KindCourt, " "},
	} {
		if _, err := s.RestoreOrgWithin(tc.id, tc.kind, tc.name, nil); !errors.Is(err, ErrBadInput) {
			t.Errorf("RestoreOrgWithin(%s) = %v, want ErrBadInput", tc.what, err)
		}
	}
	boom := errors.New("boom")
	if _, err := s.RestoreOrgWithin(id, KindCourt, "Xihu Court", func(*bolt.Tx, *Org) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("RestoreOrgWithin with a failing within = %v", err)
	}
	if _, err := s.Org(id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a failed restore left the organization: %v", err)
	}
	o, err := s.RestoreOrgWithin(id, KindCourt, " Xihu Court ", nil)
	if err != nil || o.ID != id || o.Kind != KindCourt || o.Name != "Xihu Court" {
		t.Fatalf("RestoreOrgWithin = %+v, %v", o, err)
	}
	if got, err := s.Org(id); err != nil || got.Name != "Xihu Court" {
		t.Errorf("Org after the restore = %+v, %v", got, err)
	}
	if keys, err := s.Keys(id); err != nil || len(keys) != 0 {
		t.Errorf("Keys after the restore = %v, %v; want none", keys, err)
	}
	if _, err := s.RestoreOrgWithin(id, KindCourt, "Another Court", nil); !errors.Is(err, ErrBadInput) {
		t.Errorf("RestoreOrgWithin over an existing organization = %v, want ErrBadInput", err)
	}
}
