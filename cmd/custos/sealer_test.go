package main

import (
	"bytes"
	"crypto/cipher"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/internal/testenv"
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
		db, _, err := openDataDB(path, keyPath, nil, false, log)
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
	_, _, err = openDataDB(path, keyPath, nil, false, log)
	if err == nil || !strings.Contains(err.Error(), keyPath) || !strings.Contains(err.Error(), "restore") {
		t.Fatalf("start without the seal key = %v, want a refusal naming %s", err, keyPath)
	}
	if _, err := os.Stat(keyPath); err == nil {
		t.Fatal("a new seal key was made while secrets are sealed under the lost one")
	}
}

// TestOpenDataDBTokenSealKey keeps the webhook seal key in a real SoftHSM2
// token (pkcs11.webhook_seal_key): named but not in the token, it stops
// the start; made there with pkcs11-tool (as docs/operations.md says), it
// takes over from the file key at the next start, which re-seals under it
// the secret sealed under the file key; the file key can then go, and a
// start without the token is refused with a message naming the setting.
func TestOpenDataDBTokenSealKey(t *testing.T) {
	sh := testenv.SoftHSM(t)
	tool := testenv.LookBinary(t, "pkcs11-tool")
	t.Setenv("CUSTOS_TEST_SEAL_PIN", sh.PIN)
	keys := &keyStore{cfg: Config{PKCS11: PKCS11Config{Module: sh.Module, TokenLabel: sh.Label, PINEnv: "CUSTOS_TEST_SEAL_PIN",
		WebhookSealKey: "custos-webhook-seal", WebhookSealKeyID: "0b01"}}}
	defer keys.close()
	if _, err := keys.webhookSealer(); err == nil || !strings.Contains(err.Error(), "webhook_seal_key") || !strings.Contains(err.Error(), "does not hold") {
		t.Fatalf("webhookSealer before the key is made = %v, want a refusal naming webhook_seal_key", err)
	}
	if out, err := exec.Command(tool, "--module", sh.Module, "--token-label", sh.Label, "--login", "--pin", sh.PIN,
		"--keygen", "--key-type", "AES:32", "--label", "custos-webhook-seal", "--id", "0b01", "--usage-decrypt", "--sensitive").CombinedOutput(); err != nil {
		t.Fatalf("pkcs11-tool --keygen: %v\n%s", err, out)
	}
	inToken, err := keys.webhookSealer()
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "custos.db")
	keyPath := filepath.Join(dir, "pki", webhooks.SealKeyFile)
	log := slog.New(slog.DiscardHandler)
	// A node of the file key with one webhook.
	db, seal, err := openDataDB(path, keyPath, nil, false, log)
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := webhooks.New(webhooks.Config{DB: db, Sealer: seal, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	w, secret, err := hooks.Create("aaaaaaaaaaaaaaaaaaaaaaaaaa", "a:k", webhooks.Input{URL: "https://example.com/hook", Events: []string{webhooks.EventTimestamped}})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	// sealed is the webhook's sealed secret as stored:
	// version ‖ nonce(12) ‖ ciphertext and tag.
	sealed := func() []byte {
		t.Helper()
		db, err := storage.OpenDB(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var h struct {
			Sealed []byte `json:"sealed_secret"`
		}
		db.View(func(tx *bolt.Tx) error {
			return json.Unmarshal(tx.Bucket([]byte("webhooks")).Get([]byte(w.Org+"/"+w.ID)), &h)
		})
		if len(h.Sealed) < 1+12+16 {
			t.Fatalf("sealed secret of %d bytes", len(h.Sealed))
		}
		return h.Sealed
	}
	sealedVersion := func() byte { return sealed()[0] }
	if v := sealedVersion(); v != 1 {
		t.Fatalf("sealed under the file key: version %d, want 1", v)
	}

	// Two starts with the token key: the first re-seals, the second (the
	// file key removed) opens what the first sealed.
	for start := 1; start <= 2; start++ {
		db, seal, err := openDataDB(path, keyPath, inToken, false, log)
		if err != nil {
			t.Fatalf("start %d with the token key: %v", start, err)
		}
		if v := func() byte { db.Close(); return sealedVersion() }(); v != 2 {
			t.Fatalf("start %d: sealed version %d, want 2 (the token's)", start, v)
		}
		db, err = storage.OpenDB(path)
		if err != nil {
			t.Fatal(err)
		}
		hooks, err := webhooks.New(webhooks.Config{DB: db, Sealer: seal, Log: log})
		if err != nil {
			t.Fatalf("start %d: webhooks.New under the token key: %v", start, err)
		}
		_ = hooks
		db.Close()
		raw := sealed()
		got, err := inToken.Open(nil, raw[1:13], raw[13:], []byte("\x02webhook\x00"+w.Org+"/"+w.ID))
		if err != nil || string(got) != secret {
			t.Fatalf("start %d: the secret opened in the token = %q, %v; want the one made under the file key", start, got, err)
		}
		if err := os.RemoveAll(keyPath); err != nil {
			t.Fatal(err)
		}
	}

	// Without the token: refused, naming the setting; no file key made.
	_, _, err = openDataDB(path, keyPath, nil, false, log)
	if err == nil || !strings.Contains(err.Error(), "webhook_seal_key") {
		t.Fatalf("start without the token key = %v, want a refusal naming pkcs11.webhook_seal_key", err)
	}
	if _, err := os.Stat(keyPath); err == nil {
		t.Fatal("a file seal key was made while the secrets are sealed under the token's")
	}
}

// TestPKISealKey: `custos pki seal-key` makes the AES key that
// pkcs11.webhook_seal_key names in the token, keeps it when run again,
// and asks for the setting when the config names none.
func TestPKISealKey(t *testing.T) {
	sh := testenv.SoftHSM(t)
	tmp := t.TempDir()
	pinFile := writeFile(t, tmp, "pin", []byte(sh.PIN+"\n"))
	if err := os.Chmod(pinFile, 0o600); err != nil {
		t.Fatal(err)
	}
	table := fmt.Sprintf("[pkcs11]\nmodule = %q\ntoken_label = %q\npin_file = %q\n", sh.Module, sh.Label, pinFile)
	unset := writeFile(t, tmp, "unset.toml", []byte(table+"tsa_key = \"custos-tsa\"\n"))
	if _, out, err := custosOutErr(t, nil, "pki", "seal-key", "--config", unset); err == nil || !strings.Contains(out, "webhook_seal_key") {
		t.Fatalf("custos pki seal-key without webhook_seal_key = %v\n%s\nwant a refusal naming it", err, out)
	}
	config := writeFile(t, tmp, "custos.toml", []byte(table+"webhook_seal_key = \"custos-webhook-seal\"\n"))
	for run, want := range []string{"made a new key in the PKCS#11 token", "reused the key in the PKCS#11 token"} {
		if _, out, err := custosOutErr(t, nil, "pki", "seal-key", "--config", config); err != nil || !strings.Contains(out, want) {
			t.Fatalf("custos pki seal-key, run %d = %v\n%s\nwant %q", run+1, err, out, want)
		}
	}
	cfg, err := loadConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	keys := &keyStore{cfg: cfg}
	defer keys.close()
	if aead, err := keys.webhookSealer(); err != nil || aead == nil {
		t.Fatalf("webhookSealer after custos pki seal-key = %v, %v", aead, err)
	}
}

// TestOpenDataDBNewSealKey: the seal key lost while a webhook's secret is
// sealed under it, a start is refused and names --new-webhook-seal-key
// after the backup; with the flag the node starts on a new key, logging at
// error level the webhooks left behind; the flag with the key present is
// refused, and the next start, without it, reads the new key.
func TestOpenDataDBNewSealKey(t *testing.T) {
	path, keyPath, logged, log := sealedWebhookDB(t, nil)
	if _, _, err := openDataDB(path, keyPath, nil, true, log); err == nil || !strings.Contains(err.Error(), "present") {
		t.Fatalf("--new-webhook-seal-key with the key present = %v, want a refusal", err)
	}
	old, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	_, _, err = openDataDB(path, keyPath, nil, false, log)
	if err == nil || !strings.Contains(err.Error(), "restore") || !strings.Contains(err.Error(), "--new-webhook-seal-key") ||
		strings.Index(err.Error(), "restore") > strings.Index(err.Error(), "--new-webhook-seal-key") {
		t.Fatalf("start without the seal key = %v, want a refusal advising the backup, then --new-webhook-seal-key", err)
	}

	db, _, err := openDataDB(path, keyPath, nil, true, log)
	if err != nil {
		t.Fatalf("start with --new-webhook-seal-key, the key lost: %v", err)
	}
	db.Close()
	if !strings.Contains(logged.String(), "level=ERROR") || !strings.Contains(logged.String(), "webhooks=1") || !strings.Contains(logged.String(), "re-create") {
		t.Fatalf("log = %s; want an error naming 1 webhook to re-create", logged.String())
	}
	made, err := os.ReadFile(keyPath)
	if err != nil || len(made) != webhooks.SealKeySize || bytes.Equal(made, old) {
		t.Fatalf("new seal key: %d bytes, %v (the old one again: %v)", len(made), err, bytes.Equal(made, old))
	}
	if _, _, err := openDataDB(path, keyPath, nil, true, log); err == nil || !strings.Contains(err.Error(), "present") {
		t.Fatalf("--new-webhook-seal-key again, the new key present = %v, want a refusal", err)
	}
	db, _, err = openDataDB(path, keyPath, nil, false, log)
	if err != nil {
		t.Fatalf("start after, without the flag: %v", err)
	}
	db.Close()
	if again, _ := os.ReadFile(keyPath); !bytes.Equal(again, made) {
		t.Fatal("the start after changed the new key")
	}
}

// TestNewTokenSealKey: the webhook seal key in a real SoftHSM2 token
// (pkcs11.webhook_seal_key), custos serve --new-webhook-seal-key
// (newTokenSealKey) makes a new one there only where the token, answering,
// holds none: refused while the key is there and opens the secrets (not
// lost), refused with nothing changed while the token does not answer (a
// token down is no lost key); once the key is gone from the token, a start
// without the flag names the backup, then the flag, and the flag makes the
// key anew under the same name, logs at error level the webhook left
// behind, and the next start, without it, opens with the new key. A key
// of the token that does not open the secrets is never taken over: the
// refusal says to name a label the token does not hold, and a start with
// that label and the flag makes the key there.
func TestNewTokenSealKey(t *testing.T) {
	sh := testenv.SoftHSM(t)
	t.Setenv("CUSTOS_TEST_SEAL_PIN", sh.PIN)
	p11 := func(label string) PKCS11Config {
		return PKCS11Config{Module: sh.Module, TokenLabel: sh.Label, PINEnv: "CUSTOS_TEST_SEAL_PIN", WebhookSealKey: label}
	}
	keys := &keyStore{cfg: Config{PKCS11: p11("custos-webhook-seal")}}
	defer keys.close()
	tok, err := keys.cfg.PKCS11.openToken()
	if err != nil {
		t.Fatal(err)
	}
	keys.token = tok
	ref, _ := keys.cfg.PKCS11.sealKeyRef()
	if err := tok.GenerateAES(ref); err != nil {
		t.Fatal(err)
	}
	inToken, err := keys.webhookSealer()
	if err != nil {
		t.Fatal(err)
	}
	path, keyPath, logged, log := sealedWebhookDB(t, inToken)
	// check is the check value custos.db holds: unchanged by a refusal.
	check := func() []byte {
		t.Helper()
		db, err := storage.OpenDB(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var v []byte
		db.View(func(tx *bolt.Tx) error {
			v = bytes.Clone(tx.Bucket([]byte("webhooks.seal")).Get([]byte("check")))
			return nil
		})
		return v
	}
	refused := func(name string, keys *keyStore, words ...string) {
		t.Helper()
		before := check()
		aead, err := newTokenSealKey(path, keyPath, keys, log)
		if aead != nil || err == nil {
			t.Fatalf("%s: newTokenSealKey = %v, %v; want a refusal", name, aead, err)
		}
		for _, w := range words {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: newTokenSealKey = %v; want it to say %q", name, err, w)
			}
		}
		if !bytes.Equal(check(), before) {
			t.Errorf("%s: the check value changed", name)
		}
	}
	start := func(name string, inToken cipher.AEAD) error {
		t.Helper()
		db, _, err := openDataDB(path, keyPath, inToken, false, log)
		if err == nil {
			db.Close()
		}
		return err
	}

	refused("the key there", keys, "not lost", "without the flag")
	down := &keyStore{cfg: Config{PKCS11: p11("custos-webhook-seal")}}
	down.cfg.PKCS11.TokenLabel = "no-such-token"
	refused("the token not answering", down, "did not answer", "nothing was changed")
	if _, err := os.Stat(keyPath); err == nil {
		t.Fatal("a file seal key was made")
	}

	// The key lost for good: gone from the token.
	if err := tok.DeleteAES(ref); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.webhookSealer(); err == nil || !strings.Contains(err.Error(), "restore") || !strings.Contains(err.Error(), "--new-webhook-seal-key") ||
		strings.Index(err.Error(), "restore") > strings.Index(err.Error(), "--new-webhook-seal-key") {
		t.Fatalf("start with the token's key gone = %v, want a refusal advising its backup, then --new-webhook-seal-key", err)
	}
	made, err := newTokenSealKey(path, keyPath, keys, log)
	if err != nil {
		t.Fatalf("--new-webhook-seal-key, the token's key gone: %v", err)
	}
	if err := start("the start with the flag", made); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged.String(), "level=ERROR") || !strings.Contains(logged.String(), "webhooks=1") || !strings.Contains(logged.String(), "re-create") {
		t.Fatalf("log = %s; want an error naming 1 webhook to re-create", logged.String())
	}
	again, err := keys.webhookSealer()
	if err != nil {
		t.Fatalf("the next start, without the flag: %v", err)
	}
	if err := start("the next start", again); err != nil {
		t.Fatalf("the next start, without the flag: %v", err)
	}
	refused("the new key there", keys, "not lost")

	// Another key of the token is never taken over.
	other := &keyStore{cfg: Config{PKCS11: p11("other-key")}, token: tok}
	oref, _ := other.cfg.PKCS11.sealKeyRef()
	if err := tok.GenerateAES(oref); err != nil {
		t.Fatal(err)
	}
	otherKey, err := other.webhookSealer()
	if err != nil {
		t.Fatal(err)
	}
	if err := start("a start with another key", otherKey); err == nil || !strings.Contains(err.Error(), "does not open") || strings.Contains(err.Error(), "file key") {
		t.Fatalf("a start with another key of the token = %v, want a refusal saying that key does not open the secrets", err)
	}
	refused("another key there", other, "does not open", `"other-key-2"`)
	fresh := &keyStore{cfg: Config{PKCS11: p11("other-key-2")}, token: tok}
	made, err = newTokenSealKey(path, keyPath, fresh, log)
	if err != nil {
		t.Fatalf("--new-webhook-seal-key under a label the token does not hold: %v", err)
	}
	if err := start("the start under the new label", made); err != nil {
		t.Fatal(err)
	}
}

// sealedWebhookDB opens a new custos.db in a temporary folder, with the
// webhook seal key at keyPath (made there, unless sealer is a key in the
// token), creates one webhook, whose secret is sealed, and closes it. The
// logger writes to logged.
func sealedWebhookDB(t *testing.T, sealer cipher.AEAD) (path, keyPath string, logged *bytes.Buffer, log *slog.Logger) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "custos.db")
	keyPath = filepath.Join(dir, "pki", webhooks.SealKeyFile)
	logged = new(bytes.Buffer)
	log = slog.New(slog.NewTextHandler(logged, nil))
	db, seal, err := openDataDB(path, keyPath, sealer, false, log)
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := webhooks.New(webhooks.Config{DB: db, Sealer: seal, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := hooks.Create("aaaaaaaaaaaaaaaaaaaaaaaaaa", "a:k", webhooks.Input{URL: "https://example.com/hook", Events: []string{webhooks.EventTimestamped}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	return path, keyPath, logged, log
}
