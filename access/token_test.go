package access

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/storage"
)

// countKDF counts argon2id derivations until the test ends.
func countKDF(t *testing.T) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	orig := deriveKey
	deriveKey = func(p, s []byte, time, mem uint32, th uint8, l uint32) []byte {
		n.Add(1)
		return orig(p, s, time, mem, th, l)
	}
	t.Cleanup(func() { deriveKey = orig })
	return &n
}

// freshGate gives the test its own KDF gate, with a clock it controls.
func freshGate(t *testing.T, now func() time.Time) {
	t.Helper()
	orig := gate
	gate = &kdfGate{run: make(chan struct{}, 1), now: now, tokens: kdfBurst}
	t.Cleanup(func() { gate = orig })
}

func TestCheckChosenToken(t *testing.T) {
	for _, tc := range []struct {
		token string
		ok    bool
	}{
		{"0123456789abcdef", false},                        // 16 characters: enough before
		{"0123456789abcdefghijklmnopqrstu", false},         // 31
		{"0123456789abcdefghijklmnopqrstuv", true},         // 32, all different
		{strings.Repeat("abcdefgh", 8), false},             // 64, 8 different
		{strings.Repeat("0123456789abcde", 3), false},      // 45, 15 different
		{"correct horse battery staple 0123456789", false}, // spaces
		{"cst_chosen-by-the-operator-0123456789", true},
		{"cst_" + strings.Repeat("A", 43), false},                 // old generated form, but no entropy
		{"cst_c6OGAue4CH5IveElyFnydVS7t9ydXz3K9Jge3yg1_NM", true}, // old generated form
		{NewToken(), false},                                       // the generated form: TestChosenTokenNotGeneratedForm
		{strings.Repeat("0123456789abcdef", 17), false},           // 272 characters
		{"0123456789abcdefghijklmnopqrstuvé", false},              // not ASCII
	} {
		err := CheckChosenToken(tc.token)
		rule := err != nil && (strings.Contains(err.Error(), "at least 16 of them different") || strings.Contains(err.Error(), "form of a generated token"))
		if (err == nil) != tc.ok || err != nil && (!errors.Is(err, ErrBadInput) || !rule) {
			t.Errorf("CheckChosenToken(%q) = %v, want ok %v with the rule stated", tc.token, err, tc.ok)
		}
	}
}

// dbBytes reads a store's whole database file.
func dbBytes(t *testing.T, s *Store) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := s.db.View(func(tx *bolt.Tx) error { _, err := tx.WriteTo(&buf); return err }); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestGeneratedToken checks the generated form: the token names its key,
// the listed prefix is exactly that public part, and nothing of the
// secret part is stored.
func TestGeneratedToken(t *testing.T) {
	s := newStore(t)
	firm, _ := s.CreateOrg(KindLawFirm, "Law firm")
	token, k, err := s.CreateKey(firm.ID, RoleSubmitter, "filing", nil)
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := generatedID(token); !ok || id != k.ID || k.Prefix != TokenPrefix+k.ID || !strings.HasPrefix(token, k.Prefix+"_") {
		t.Fatalf("CreateKey = %q, key %s, prefix %q: want cst_<key id>_<secret>", token, k.ID, k.Prefix)
	}
	secret := token[idEnd+1:]
	db := dbBytes(t, s)
	for i := 0; i+6 <= len(secret); i++ {
		if bytes.Contains(db, []byte(secret[i:i+6])) {
			t.Fatalf("the database holds %q, part of the token's secret", secret[i:i+6])
		}
	}
	// A wrong secret, or another key's ID, does not authenticate.
	other := token[:idEnd+1] + NewToken()[idEnd+1:]
	if _, err := s.Authenticate(other); !errors.Is(err, ErrBadToken) {
		t.Errorf("Authenticate(wrong secret) = %v, want ErrBadToken", err)
	}
	if _, err := s.Authenticate(NewToken()); !errors.Is(err, ErrBadToken) {
		t.Errorf("Authenticate(unknown key) = %v, want ErrBadToken", err)
	}
}

// TestChosenToken checks that a chosen token is kept under argon2id with a
// salt of its own: no part of it, and not its SHA-256, is in the database;
// and that it is refused if too weak.
func TestChosenToken(t *testing.T) {
	s := newStore(t)
	op, _ := s.CreateOrg(KindOperator, "Operator")
	if _, err := s.AddKey("cst_only-sixteen", op.ID, RoleAdmin, BootstrapKeyName, nil); !errors.Is(err, ErrBadInput) {
		t.Fatalf("AddKey(16 characters) = %v, want ErrBadInput", err)
	}
	const token = "cst_chosen-by-the-operator-0123456789"
	k, err := s.AddKey(token, op.ID, RoleAdmin, BootstrapKeyName, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k.Prefix != "" {
		t.Errorf("chosen key's prefix = %q, want none", k.Prefix)
	}
	p, err := s.Authenticate(token)
	if err != nil || p.Key.ID != k.ID {
		t.Fatalf("Authenticate(chosen) = %+v, %v", p, err)
	}
	db := dbBytes(t, s)
	digest := sha256.Sum256([]byte(token))
	for _, secret := range [][]byte{[]byte(token[:legacyPrefixLen]), []byte(token[4:14]), digest[:], digest[:8]} {
		if bytes.Contains(db, secret) {
			t.Errorf("the database holds %x of the chosen token", secret)
		}
	}
	var v verifier
	s.db.View(func(tx *bolt.Tx) error { return get(tx, bChosen, k.ID, &v) })
	if v.Alg != algArgon2id || len(v.Salt) != saltBytes || v.Time == 0 || v.Memory == 0 || v.Threads == 0 {
		t.Errorf("chosen verifier = %+v, want argon2id with a salt and its parameters", v)
	}
	// A second chosen token is refused while the first lives.
	if _, err := s.AddKey("cst_another-chosen-token-0123456789", op.ID, RoleAdmin, "second", nil); !errors.Is(err, ErrBadInput) {
		t.Errorf("AddKey(second chosen token) = %v, want ErrBadInput", err)
	}
}

// TestChosenTokenKDFBounded checks that the argon2id derivation is paid
// once per chosen token per process, that concurrent first requests share
// it, that a token naming a key never costs one, and that a flood of
// unknown tokens costs at most the gate's burst.
func TestChosenTokenKDFBounded(t *testing.T) {
	s := newStore(t)
	op, _ := s.CreateOrg(KindOperator, "Operator")
	firm, _ := s.CreateOrg(KindLawFirm, "Law firm")
	const token = "cst_chosen-by-the-operator-0123456789"
	if _, err := s.AddKey(token, op.ID, RoleAdmin, BootstrapKeyName, nil); err != nil {
		t.Fatal(err)
	}
	generated, _, _ := s.CreateKey(firm.ID, RoleViewer, "v", nil)
	clock := time.Unix(1_800_000_000, 0)
	freshGate(t, func() time.Time { return clock })
	kdf := countKDF(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := s.Authenticate(token); err != nil {
				t.Errorf("Authenticate(chosen) = %v", err)
			}
		})
	}
	wg.Wait()
	start := time.Now()
	s.now = func() time.Time { return start.Add(time.Hour) } // past every principal cache entry
	for range 20 {
		if _, err := s.Authenticate(token); err != nil {
			t.Fatalf("Authenticate(chosen) = %v", err)
		}
	}
	if n := kdf.Load(); n != 1 {
		t.Fatalf("%d derivations for one chosen token used 28 times, want 1", n)
	}
	for range 20 {
		s.Authenticate(generated)
		s.Authenticate(generated[:idEnd+1] + NewToken()[idEnd+1:])
		s.Authenticate("short")
	}
	if n := kdf.Load(); n != 1 {
		t.Fatalf("tokens that name a key, or too short to be chosen, caused %d derivations", n-1)
	}
	// The same wrong token again and again: one derivation.
	for range 20 {
		if _, err := s.Authenticate("cst_not-the-operator-token-0123456789"); !errors.Is(err, ErrBadToken) {
			t.Fatalf("Authenticate(wrong) = %v, want ErrBadToken", err)
		}
	}
	if n := kdf.Load(); n != 2 {
		t.Fatalf("one wrong token presented 20 times: %d derivations, want 1", n-1)
	}
	// Many different wrong tokens, with the gate's clock stopped: at most
	// the burst, then ErrBusy.
	busy := 0
	for i := range 50 {
		_, err := s.Authenticate("cst_not-the-operator-token-" + strings.Repeat("x", i+1) + "0123456789")
		if errors.Is(err, ErrBusy) {
			busy++
		} else if !errors.Is(err, ErrBadToken) {
			t.Fatalf("Authenticate(wrong #%d) = %v", i, err)
		}
	}
	if n := kdf.Load() - 2; n > kdfBurst || busy != 50-int(n) {
		t.Errorf("50 different wrong tokens: %d derivations, %d busy; want at most %d derivations", n, busy, kdfBurst)
	}
	// The verified chosen token is not held up by the flood.
	if _, err := s.Authenticate(token); err != nil {
		t.Errorf("Authenticate(chosen) during a flood = %v", err)
	}
	// A store without a chosen token never derives.
	s2 := newStore(t)
	before := kdf.Load()
	for i := range 20 {
		s2.Authenticate("cst_not-the-operator-token-" + strings.Repeat("y", i+1) + "0123456789")
	}
	if n := kdf.Load() - before; n != 0 {
		t.Errorf("a store without a chosen token: %d derivations for wrong tokens, want 0", n)
	}
}

// writeLegacyStore writes what an earlier version stored for a key: its
// record with the token's first 12 characters, and SHA-256(token) → id.
func writeLegacyStore(t *testing.T, db *bolt.DB, org Org, keys map[string]Key) {
	t.Helper()
	err := db.Update(func(tx *bolt.Tx) error {
		orgs, _ := tx.CreateBucketIfNotExists(bOrgs)
		ks, _ := tx.CreateBucketIfNotExists(bKeys)
		idx, err := tx.CreateBucketIfNotExists(bTokens)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(org)
		orgs.Put([]byte(org.ID), b)
		for token, k := range keys {
			k.Prefix = token[:legacyPrefixLen]
			b, _ := json.Marshal(k)
			ks.Put([]byte(k.ID), b)
			h := sha256.Sum256([]byte(token))
			idx.Put(h[:], []byte(k.ID))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeLegacyTokens stores keys as an earlier version did, a chosen
// bootstrap token of 16 characters and a generated token, and reopens the
// store: both still authenticate, and after the compaction that serve
// runs, the file holds neither the clear prefix nor the unsalted SHA-256
// of the chosen token.
func TestUpgradeLegacyTokens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "custos.db")
	db, err := storage.OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	org := Org{ID: NewID(), Kind: KindOperator, Name: "Operator", CreatedAt: now}
	const chosen = "sixteen-chars-ok"
	const generated = "cst_c6OGAue4CH5IveElyFnydVS7t9ydXz3K9Jge3yg1_NM"
	boot := Key{ID: NewID(), OrgID: org.ID, Role: RoleAdmin, Name: BootstrapKeyName, CreatedAt: now}
	viewer := Key{ID: NewID(), OrgID: org.ID, Role: RoleViewer, Name: "viewer", CreatedAt: now}
	writeLegacyStore(t, db, org, map[string]Key{chosen: boot, generated: viewer})
	changed, err := Upgrade(db)
	if err != nil || !changed {
		t.Fatalf("Upgrade = %v, %v; want a change", changed, err)
	}
	if changed, err := Upgrade(db); err != nil || changed {
		t.Fatalf("Upgrade again = %v, %v; want nothing to do", changed, err)
	}
	db.Close()
	if err := storage.Compact(path); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	chosenDigest := sha256.Sum256([]byte(chosen))
	for what, b := range map[string][]byte{
		"the chosen token's prefix":    []byte(chosen[:legacyPrefixLen]),
		"the chosen token's SHA-256":   chosenDigest[:],
		"the generated token's prefix": []byte(generated[:legacyPrefixLen]),
	} {
		if bytes.Contains(file, b) {
			t.Errorf("after the upgrade the database file holds %s", what)
		}
	}
	db, err = storage.OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := Open(db)
	if err != nil {
		t.Fatal(err)
	}
	for token, want := range map[string]string{chosen: boot.ID, generated: viewer.ID} {
		if p, err := s.Authenticate(token); err != nil || p.Key.ID != want {
			t.Errorf("Authenticate(%q) after the upgrade = %+v, %v; want key %s", token, p, err, want)
		}
	}
	keys, _ := s.Keys("")
	for _, k := range keys {
		if k.Prefix != "" {
			t.Errorf("key %s keeps prefix %q", k.Name, k.Prefix)
		}
	}
	if _, err := s.Authenticate(chosen[:15] + "x"); !errors.Is(err, ErrBadToken) {
		t.Errorf("Authenticate(wrong) after the upgrade = %v, want ErrBadToken", err)
	}
}

// cacheKey, through its pool of HMACs, is HMAC-SHA256 under processKey of
// each token, whatever was asked before and from however many goroutines.
func TestCacheKeyPooled(t *testing.T) {
	want := func(token string) [32]byte {
		m := hmac.New(sha256.New, processKey[:])
		m.Write([]byte(token))
		return [32]byte(m.Sum(nil))
	}
	tokens := []string{"", "cst_a", strings.Repeat("long token ", 20), "cst_a"}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				for _, tok := range tokens {
					if got := cacheKey(tok); got != want(tok) {
						t.Errorf("cacheKey(%q) = %x, want %x", tok, got, want(tok))
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestChosenTokenNotGeneratedForm (A3): a chosen token in the form of a
// generated one (cst_, a key ID, _, 43 base64url characters) was taken
// for a generated one and kept as a fast, unsalted SHA-256, whatever
// little entropy its chooser gave it. CheckChosenToken refuses that form,
// stating the rule; a generated token still makes a key.
func TestChosenTokenNotGeneratedForm(t *testing.T) {
	weak := TokenPrefix + strings.Repeat("a", idChars) + "_" + "0123456789abcdef0123456789abcdef0123456789A"
	if _, ok := generatedID(weak); !ok {
		t.Fatalf("%q is not in the generated form", weak)
	}
	for _, token := range []string{weak, NewToken()} {
		if err := CheckChosenToken(token); !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "not have the form of a generated token") {
			t.Errorf("CheckChosenToken(%q) = %v, want ErrBadInput stating the rule", token, err)
		}
	}
	s := newStore(t)
	op, _ := s.CreateOrg(KindOperator, "Operator")
	if _, _, err := s.CreateKey(op.ID, RoleAdmin, "generated", nil); err != nil {
		t.Errorf("CreateKey = %v", err)
	}
}
