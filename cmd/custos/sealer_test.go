package main

import (
	"bytes"
	"crypto/cipher"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/storage"
	"github.com/custos-project/custos/webhooks"
)

// testSealer seals webhook secrets under a fixed test key.
func testSealer(t *testing.T) cipher.AEAD {
	t.Helper()
	aead, err := webhooks.NewSealer(bytes.Repeat([]byte{0x5a}, webhooks.SealKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return aead
}

// TestOpenDataDBSealsWebhookSecrets: a custos.db of the version before,
// with a webhook secret in clear, is sealed and compacted by openDataDB at
// the first start (the file then holds no trace of the secret), opens
// again at the next start under the same key, and, with the key file
// gone, is refused with a message naming the file; no new key is made.
func TestOpenDataDBSealsWebhookSecrets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "custos.db")
	keyPath := filepath.Join(dir, "pki", webhooks.SealKeyFile)
	const secret = "b2xkLWNsZWFyLXNlY3JldC1vZi1hLXdlYmhvb2stMDE"
	db, err := storage.OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("webhooks"))
		if err != nil {
			return err
		}
		return b.Put([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbbbbbbbbbbbb"), []byte(`{"id":"bbbbbbbbbbbbbbbbbbbbbbbbbb","org":"aaaaaaaaaaaaaaaaaaaaaaaaaa",`+
			`"url":"https://example.com/hook","events":["evidence.timestamped"],"created_at":"2026-01-02T03:04:05Z","created_by":"a:k","secret":"`+secret+`"}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	has := func() bool {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return bytes.Contains(raw, []byte(secret))
	}
	if !has() {
		t.Fatal("the old store does not hold the secret in clear")
	}
	log := slog.New(slog.DiscardHandler)
	for start := 1; start <= 2; start++ {
		db, _, err := openDataDB(path, keyPath, log)
		if err != nil {
			t.Fatalf("start %d: %v", start, err)
		}
		db.Close()
		if has() {
			t.Fatalf("after start %d custos.db holds the webhook secret in clear", start)
		}
	}
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	_, _, err = openDataDB(path, keyPath, log)
	if err == nil || !strings.Contains(err.Error(), keyPath) || !strings.Contains(err.Error(), "restore") {
		t.Fatalf("start without the seal key = %v, want a refusal naming %s", err, keyPath)
	}
	if _, err := os.Stat(keyPath); err == nil {
		t.Fatal("a new seal key was made while secrets are sealed under the lost one")
	}
}
