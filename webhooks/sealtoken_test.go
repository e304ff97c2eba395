package webhooks

import (
	"crypto/cipher"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/custos-project/custos/certs/hsm"
	"github.com/custos-project/custos/internal/testenv"
)

// TestTokenSealKey moves a store's secrets from the file key to an AES key
// in a real SoftHSM2 token (ResealSecrets), delivers under the token key
// before and after, and refuses the file key once the secrets are the
// token's (ErrSealedByToken), without making a new one when it is gone.
func TestTokenSealKey(t *testing.T) {
	sh := testenv.SoftHSM(t)
	tok, err := hsm.Open(hsm.Config{Module: sh.Module, TokenLabel: sh.Label, PIN: sh.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	ref := hsm.KeyRef{Label: "webhook-seal"}
	if err := tok.GenerateAES(ref); err != nil {
		t.Fatal(err)
	}
	inToken, err := tok.Sealer(ref)
	if err != nil {
		t.Fatal(err)
	}
	token := TokenSealer(inToken)

	dir := t.TempDir()
	keyPath := filepath.Join(dir, "pki", SealKeyFile)
	dbPath := filepath.Join(dir, "w.db")
	db := openDB(t, dbPath)
	file, err := LoadSealKey(db, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	s := newService(t, Config{DB: db, Sealer: file})
	rcv := newReceiver(t, 200)
	a, secretA := create(t, s, orgA, rcv.URL, EventTimestamped)

	// Under the file key, the token key is refused until re-sealing.
	if _, err := SealSecrets(db, token); !errors.Is(err, ErrSealKeyWrong) {
		t.Fatalf("SealSecrets(token) over file-sealed secrets = %v, want ErrSealKeyWrong", err)
	}
	n, unopened, err := ResealSecrets(db, file, token)
	if err != nil || n != 1 || unopened != 0 {
		t.Fatalf("ResealSecrets = %d, %d, %v; want 1, 0, nil", n, unopened, err)
	}
	if v, err := sealedVersions(db); err != nil || !v[sealV2] || v[sealV1] {
		t.Fatalf("sealed versions after re-sealing: %v, %v; want only 2", v, err)
	}
	if n, _, err := ResealSecrets(db, file, token); err != nil || n != 0 {
		t.Fatalf("ResealSecrets again = %d, %v; want a no-op", n, err)
	}

	s2 := newService(t, Config{DB: db, Sealer: token})
	run(t, s2)
	b, secretB := create(t, s2, orgB, rcv.URL, EventTimestamped)
	s2.Publish(orgA, EventTimestamped, 1)
	s2.Publish(orgB, EventTimestamped, 2)
	waitState(t, s2, orgA, a.ID, StateDelivered)
	waitState(t, s2, orgB, b.ID, StateDelivered)
	reqs := rcv.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for _, r := range reqs {
		if Verify(secretA, r.header.Get(HeaderSignature), r.body, time.Now(), time.Minute) != nil &&
			Verify(secretB, r.header.Get(HeaderSignature), r.body, time.Now(), time.Minute) != nil {
			t.Fatal("a delivery under the token key verifies with neither webhook's secret")
		}
	}
	if rawHas(t, dbPath, secretA) || rawHas(t, dbPath, secretB) {
		t.Fatal("custos.db holds a secret in clear")
	}

	// The file key is refused now, and once gone no new one is made.
	if _, err := New(Config{DB: db, Sealer: file}); !errors.Is(err, ErrSealedByToken) {
		t.Fatalf("New with the file key after re-sealing = %v, want ErrSealedByToken", err)
	}
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSealKey(db, keyPath); !errors.Is(err, ErrSealedByToken) {
		t.Fatalf("LoadSealKey without file key, secrets the token's = %v, want ErrSealedByToken", err)
	}
	if _, err := os.Stat(keyPath); err == nil {
		t.Fatal("LoadSealKey made a file key while secrets are sealed under the token's")
	}
	if aead, err := ReadSealKey(keyPath); aead != nil || err != nil {
		t.Fatalf("ReadSealKey of a missing file = %v, %v; want nil, nil", aead, err)
	}
}

// TestTokenUnavailableRetries: while the token does not answer (here,
// closed), a delivery is not failed as if its secret were tampered with
// (ReasonSecret, final): the attempt is recorded as ReasonSealKey and the
// delivery stays pending, to be retried.
func TestTokenUnavailableRetries(t *testing.T) {
	sh := testenv.SoftHSM(t)
	tok, err := hsm.Open(hsm.Config{Module: sh.Module, TokenLabel: sh.Label, PIN: sh.PIN})
	if err != nil {
		t.Fatal(err)
	}
	ref := hsm.KeyRef{Label: "webhook-seal"}
	if err := tok.GenerateAES(ref); err != nil {
		t.Fatal(err)
	}
	inToken, err := tok.Sealer(ref)
	if err != nil {
		t.Fatal(err)
	}
	s := newService(t, Config{DB: openDB(t, filepath.Join(t.TempDir(), "w.db")), Sealer: TokenSealer(inToken), Backoff: time.Hour})
	rcv := newReceiver(t, 200)
	h, _ := create(t, s, orgA, rcv.URL, EventTimestamped)
	tok.Close() // the token goes away
	run(t, s)
	s.Publish(orgA, EventTimestamped, 1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds, err := s.Deliveries(orgA, h.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) > 0 && len(ds[0].Attempts) > 0 {
			if d := ds[0]; d.State != StatePending || d.Attempts[0].Reason != ReasonSealKey {
				t.Fatalf("delivery with the token gone: state %s, reason %q; want pending, %q", d.State, d.Attempts[0].Reason, ReasonSealKey)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no attempt recorded: %+v", ds)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("%d requests without a secret", n)
	}
}

// TestNewTokenSealKey: with nothing sealed, NewTokenSealKey takes the key
// (no webhook left behind). With the secrets sealed under a key in a real
// SoftHSM2 token, another key of the token is refused as ErrTokenKeyWrong
// (not as the file key's error); NewTokenSealKey refuses the key that
// opens them (ErrSealKeyOpens, not lost) and takes another in place of
// the lost one, reporting the webhooks left behind; New then accepts the
// new key, the old webhook's delivery fails at once (ReasonSecret) and a
// webhook made after delivers.
func TestNewTokenSealKey(t *testing.T) {
	sh := testenv.SoftHSM(t)
	tok, err := hsm.Open(hsm.Config{Module: sh.Module, TokenLabel: sh.Label, PIN: sh.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	sealer := func(label string) cipher.AEAD {
		t.Helper()
		ref := hsm.KeyRef{Label: label}
		if err := tok.GenerateAES(ref); err != nil {
			t.Fatal(err)
		}
		aead, err := tok.Sealer(ref)
		if err != nil {
			t.Fatal(err)
		}
		return TokenSealer(aead)
	}
	lostKey, newKey := sealer("webhook-seal"), sealer("webhook-seal-2")
	dir := t.TempDir()
	if lost, err := NewTokenSealKey(openDB(t, filepath.Join(dir, "empty.db")), lostKey); lost != 0 || err != nil {
		t.Fatalf("NewTokenSealKey with nothing sealed = %d, %v; want 0 webhooks", lost, err)
	}
	db := openDB(t, filepath.Join(dir, "w.db"))
	s := newService(t, Config{DB: db, Sealer: lostKey})
	rcv := newReceiver(t, 200)
	old, _ := create(t, s, orgA, rcv.URL, EventTimestamped)

	if _, err := SealSecrets(db, newKey); !errors.Is(err, ErrTokenKeyWrong) || !errors.Is(err, ErrSealKeyWrong) {
		t.Fatalf("SealSecrets with another key of the token = %v, want ErrTokenKeyWrong", err)
	}
	if ok, err := SealKeyOpens(db, lostKey); !ok || err != nil {
		t.Fatalf("SealKeyOpens(the key they were sealed under) = %v, %v; want true", ok, err)
	}
	if ok, err := SealKeyOpens(db, newKey); ok || err != nil {
		t.Fatalf("SealKeyOpens(another key) = %v, %v; want false", ok, err)
	}
	if _, err := NewTokenSealKey(db, lostKey); !errors.Is(err, ErrSealKeyOpens) {
		t.Fatalf("NewTokenSealKey(the key they were sealed under) = %v, want ErrSealKeyOpens", err)
	}
	file, err := NewSealer(make([]byte, SealKeySize))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewTokenSealKey(db, file); err == nil {
		t.Fatal("NewTokenSealKey took a file key")
	}

	lost, err := NewTokenSealKey(db, newKey)
	if err != nil || lost != 1 {
		t.Fatalf("NewTokenSealKey in place of the lost key = %d webhooks, %v; want 1", lost, err)
	}
	if _, err := NewTokenSealKey(db, newKey); !errors.Is(err, ErrSealKeyOpens) {
		t.Fatalf("NewTokenSealKey again = %v, want ErrSealKeyOpens", err)
	}
	s2 := newService(t, Config{DB: db, Sealer: newKey})
	made, secret := create(t, s2, orgA, rcv.URL, EventTimestamped)
	run(t, s2)
	s2.Publish(orgA, EventTimestamped, 1)
	wantSecretUnreadable(t, s2, rcv, orgA, old.ID, made.ID, secret)
}
