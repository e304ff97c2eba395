package webhooks

import (
	"bytes"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/storage"
)

// testSealer is a sealer under a fixed key, so that a test's restarts
// open what it sealed.
func testSealer(t *testing.T) cipher.AEAD {
	t.Helper()
	aead, err := NewSealer(bytes.Repeat([]byte{0x5a}, SealKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return aead
}

// rawHas reports whether the file at path, read whole, holds s.
func rawHas(t *testing.T, path, s string) bool {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(raw, []byte(s))
}

// TestSecretSealedAtRest: the bytes of the database file hold no webhook
// secret after Create, and deliveries are still signed with it, before and
// after a restart.
func TestSecretSealedAtRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	db := openDB(t, path)
	s := newService(t, Config{DB: db})
	rcv := newReceiver(t, 200)
	h, secret := create(t, s, orgA, rcv.URL, EventTimestamped)
	create(t, s, orgB, rcv.URL, EventTimestamped)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if rawHas(t, path, secret) {
		t.Fatal("custos.db holds the webhook's secret in clear")
	}
	if rawHas(t, path, `"secret":`) {
		t.Fatal(`custos.db holds a "secret" field`)
	}

	s2 := newService(t, Config{DB: openDB(t, path)})
	run(t, s2)
	s2.Publish(orgA, EventTimestamped, map[string]int{"n": 1})
	waitState(t, s2, orgA, h.ID, StateDelivered)
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	if err := Verify(secret, reqs[0].header.Get(HeaderSignature), reqs[0].body, time.Now(), time.Minute); err != nil {
		t.Errorf("Verify after restart = %v", err)
	}
}

// oldHook is a webhook as versions before session 14 stored it: its secret
// in clear.
type oldHook struct {
	ID        string    `json:"id"`
	Org       string    `json:"org"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	Secret    string    `json:"secret"`
}

// writeOldStore writes, at path, a store in the layout of the version
// before: two webhooks with their secrets in clear. It returns them.
func writeOldStore(t *testing.T, path, url string) []oldHook {
	t.Helper()
	hooks := []oldHook{
		{ID: newID(), Org: orgA, URL: url, Events: []string{EventTimestamped}, CreatedAt: time.Now().UTC(), CreatedBy: orgA + ":k", Secret: newSecret()},
		{ID: newID(), Org: orgB, URL: url, Events: []string{EventTimestamped}, CreatedAt: time.Now().UTC(), CreatedBy: orgB + ":k", Secret: newSecret()},
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("webhooks"))
		if err != nil {
			return err
		}
		for _, h := range hooks {
			raw, _ := json.Marshal(h)
			if err := b.Put([]byte(h.Org+"/"+h.ID), raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks {
		if !rawHas(t, path, h.Secret) {
			t.Fatal("the old store does not hold its secrets in clear")
		}
	}
	return hooks
}

// TestSealOldSecrets: a store written by the version before, its secrets
// in clear, has them sealed at the first start (once: the next start has
// nothing to seal); once compacted, its file holds none of them; the
// deliveries are still signed with them.
func TestSealOldSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	rcv := newReceiver(t, 200)
	old := writeOldStore(t, path, rcv.URL)

	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := SealSecrets(db, testSealer(t)); n != 2 || err != nil {
		t.Fatalf("SealSecrets = %d, %v; want 2 sealed", n, err)
	}
	if n, err := SealSecrets(db, testSealer(t)); n != 0 || err != nil {
		t.Fatalf("SealSecrets again = %d, %v; want 0", n, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := storage.Compact(path); err != nil {
		t.Fatal(err)
	}
	for _, h := range old {
		if rawHas(t, path, h.Secret) {
			t.Fatalf("after sealing and compacting, the file holds %s's secret", h.ID)
		}
	}

	s := newService(t, Config{DB: openDB(t, path)})
	run(t, s)
	for _, h := range old {
		s.Publish(h.Org, EventTimestamped, map[string]string{"to": h.ID})
		waitState(t, s, h.Org, h.ID, StateDelivered)
	}
	reqs := rcv.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for _, r := range reqs {
		i := 0
		if r.header.Get(HeaderWebhookID) == old[1].ID {
			i = 1
		}
		if err := Verify(old[i].Secret, r.header.Get(HeaderSignature), r.body, time.Now(), time.Minute); err != nil {
			t.Errorf("Verify with %s's old secret = %v", old[i].ID, err)
		}
	}
}

// TestNewSealsOldSecrets: New itself seals what an earlier version left in
// clear, so no caller keeps them so.
func TestNewSealsOldSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.db")
	old := writeOldStore(t, path, "http://127.0.0.1:1/")
	db := openDB(t, path)
	newService(t, Config{DB: db})
	err := db.View(func(tx *bolt.Tx) error {
		for _, h := range old {
			var sh storedHook
			if err := getHook(tx, h.Org, h.ID, &sh); err != nil {
				return err
			}
			if sh.Secret != "" || len(sh.Sealed) == 0 {
				t.Errorf("%s after New: secret %q, %d sealed bytes", h.ID, sh.Secret, len(sh.Sealed))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSealKeyFile: LoadSealKey makes the key at the first start (0600, 32
// bytes) and reads the same key after; with the key gone and secrets
// sealed it refuses and makes none; another key is refused by New.
func TestSealKeyFile(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "pki", SealKeyFile)
	dbPath := filepath.Join(dir, "w.db")
	db := openDB(t, dbPath)
	aead, err := LoadSealKey(db, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(keyPath)
	if err != nil || fi.Size() != SealKeySize || fi.Mode().Perm() != 0o600 {
		t.Fatalf("seal key file: %v, %v", fi, err)
	}
	s := newService(t, Config{DB: db, Sealer: aead})
	rcv := newReceiver(t, 200)
	h, secret := create(t, s, orgA, rcv.URL, EventTimestamped)

	// A restart reads the same key.
	again, err := LoadSealKey(db, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	s2 := newService(t, Config{DB: db, Sealer: again})
	run(t, s2)
	s2.Publish(orgA, EventTimestamped, 1)
	waitState(t, s2, orgA, h.ID, StateDelivered)
	if r := rcv.requests(); len(r) != 1 || Verify(secret, r[0].header.Get(HeaderSignature), r[0].body, time.Now(), time.Minute) != nil {
		t.Fatalf("delivery after reloading the key does not verify (%d requests)", len(r))
	}

	// The key lost: refused, and no new key made.
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	_, err = LoadSealKey(db, keyPath)
	var missing *SealKeyMissingError
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), keyPath) || !strings.Contains(err.Error(), "restore") {
		t.Fatalf("LoadSealKey without the key = %v, want a SealKeyMissingError naming %s", err, keyPath)
	}
	if _, err := os.Stat(keyPath); err == nil {
		t.Fatal("LoadSealKey made a new key while secrets are sealed under the old one")
	}

	// Another key: refused by New.
	other, err := NewSealer(bytes.Repeat([]byte{1}, SealKeySize))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Config{DB: db, Sealer: other}); !errors.Is(err, ErrSealKeyWrong) {
		t.Fatalf("New with another key = %v, want ErrSealKeyWrong", err)
	}
	if _, err := New(Config{DB: db}); err == nil {
		t.Fatal("New without a sealer = nil error")
	}
}

// TestTamperedSecret: a webhook whose sealed secret was altered, or
// swapped with another webhook's, fails its delivery at once with
// ReasonSecret, without a request; the other webhooks' deliveries go on.
func TestTamperedSecret(t *testing.T) {
	for _, how := range []string{"flipped", "swapped"} {
		t.Run(how, func(t *testing.T) {
			db := openDB(t, filepath.Join(t.TempDir(), "w.db"))
			s := newService(t, Config{DB: db})
			rcv := newReceiver(t, 200)
			bad, _ := create(t, s, orgA, rcv.URL, EventTimestamped)
			good, secret := create(t, s, orgA, rcv.URL, EventTimestamped)
			err := db.Update(func(tx *bolt.Tx) error {
				var b, g storedHook
				if err := getHook(tx, orgA, bad.ID, &b); err != nil {
					return err
				}
				if err := getHook(tx, orgA, good.ID, &g); err != nil {
					return err
				}
				if how == "flipped" {
					b.Sealed[len(b.Sealed)-1] ^= 1
				} else {
					b.Sealed = g.Sealed
				}
				return putJSON(tx.Bucket(bHooks), hookKey(orgA, bad.ID), &b)
			})
			if err != nil {
				t.Fatal(err)
			}
			run(t, s)
			s.Publish(orgA, EventTimestamped, 1)
			wantSecretUnreadable(t, s, rcv, orgA, bad.ID, good.ID, secret)
		})
	}
}

// TestSealKeyLostWithoutWebhooks: a node that keeps no webhook (none made,
// or all deleted) is not held to its seal key: a lost key is made anew,
// and another key takes over, since nothing sealed would be orphaned.
func TestSealKeyLostWithoutWebhooks(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, SealKeyFile)
	db := openDB(t, filepath.Join(dir, "w.db"))
	aead, err := LoadSealKey(db, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	s := newService(t, Config{DB: db, Sealer: aead})
	h, _ := create(t, s, orgA, "http://127.0.0.1:1/", EventTimestamped)
	if _, err := s.Delete(orgA, h.ID); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	fresh, err := LoadSealKey(db, keyPath)
	if err != nil {
		t.Fatalf("LoadSealKey with no webhook kept = %v", err)
	}
	s2 := newService(t, Config{DB: db, Sealer: fresh})
	create(t, s2, orgA, "http://127.0.0.1:1/", EventTimestamped)
	if _, err := New(Config{DB: db, Sealer: testSealer(t)}); !errors.Is(err, ErrSealKeyWrong) {
		t.Fatalf("New with another key once a secret is sealed = %v, want ErrSealKeyWrong", err)
	}
}

// TestNewSealKey: with the seal key lost for good while secrets are sealed
// under it, NewSealKey makes a new key (0600) and a check value under it,
// and reports the webhooks left behind; New then accepts the new key,
// the old webhook's delivery fails at once (ReasonSecret, no request) and
// a webhook made after delivers. A key present is never replaced.
func TestNewSealKey(t *testing.T) {
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "pki", SealKeyFile)
	db := openDB(t, filepath.Join(dir, "w.db"))
	aead, err := LoadSealKey(db, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	s := newService(t, Config{DB: db, Sealer: aead})
	rcv := newReceiver(t, 200)
	old, _ := create(t, s, orgA, rcv.URL, EventTimestamped)
	if _, _, err := NewSealKey(db, keyPath); !errors.Is(err, ErrSealKeyPresent) {
		t.Fatalf("NewSealKey with the key present = %v, want ErrSealKeyPresent", err)
	}
	if again, err := LoadSealKey(db, keyPath); err != nil || again == nil {
		t.Fatalf("the key present after a refused NewSealKey: %v", err)
	}
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	var missing *SealKeyMissingError
	if _, err := LoadSealKey(db, keyPath); !errors.As(err, &missing) {
		t.Fatalf("LoadSealKey without the key = %v, want a SealKeyMissingError", err)
	}

	_, lost, err := NewSealKey(db, keyPath)
	if err != nil || lost != 1 {
		t.Fatalf("NewSealKey with the key lost = %d webhooks, %v; want 1", lost, err)
	}
	if fi, err := os.Stat(keyPath); err != nil || fi.Size() != SealKeySize || fi.Mode().Perm() != 0o600 {
		t.Fatalf("new seal key file: %v, %v", fi, err)
	}
	if _, _, err := NewSealKey(db, keyPath); !errors.Is(err, ErrSealKeyPresent) {
		t.Fatalf("NewSealKey again, the new key present = %v, want ErrSealKeyPresent", err)
	}
	reloaded, err := LoadSealKey(db, keyPath) // the next start, without asking
	if err != nil {
		t.Fatal(err)
	}
	s2 := newService(t, Config{DB: db, Sealer: reloaded})
	made, secret := create(t, s2, orgA, rcv.URL, EventTimestamped)
	run(t, s2)
	s2.Publish(orgA, EventTimestamped, 1)
	wantSecretUnreadable(t, s2, rcv, orgA, old.ID, made.ID, secret)
}

// wantSecretUnreadable checks that bad's delivery failed at once, with
// ReasonSecret and no request sent, and that the one request the receiver
// got is good's, signed with secret.
func wantSecretUnreadable(t *testing.T, s *Service, rcv *receiver, org, bad, good, secret string) {
	t.Helper()
	d := waitState(t, s, org, bad, StateFailed)
	if len(d.Attempts) != 1 || d.Attempts[0].Reason != ReasonSecret || d.Attempts[0].Status != 0 {
		t.Errorf("delivery of the webhook whose secret does not open = %+v, want failed at once, %q", d, ReasonSecret)
	}
	waitState(t, s, org, good, StateDelivered)
	reqs := rcv.requests()
	if len(reqs) != 1 || reqs[0].header.Get(HeaderWebhookID) != good {
		t.Fatalf("%d requests; want 1, to webhook %s", len(reqs), good)
	}
	if err := Verify(secret, reqs[0].header.Get(HeaderSignature), reqs[0].body, time.Now(), time.Minute); err != nil {
		t.Errorf("Verify = %v", err)
	}
}
