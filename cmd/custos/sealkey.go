package main

import (
	"crypto/cipher"
	"errors"
	"log/slog"
	"strconv"
	"strings"

	"github.com/custos-project/custos/certs/hsm"
	"github.com/custos-project/custos/storage"
	"github.com/custos-project/custos/webhooks"
)

// tokenSealKey is the webhook seal key in the PKCS#11 token
// (pkcs11.webhook_seal_key) as build needs it: nil when none is
// configured; with newKey (serve --new-webhook-seal-key), a new one made
// in place of a key lost for good (newTokenSealKey).
func tokenSealKey(keys *keyStore, newKey bool, path, sealKey string, log *slog.Logger) (cipher.AEAD, error) {
	if _, ok := keys.cfg.PKCS11.sealKeyRef(); ok && newKey {
		return newTokenSealKey(path, sealKey, keys, log)
	}
	return keys.webhookSealer()
}

// newTokenSealKey is custos serve --new-webhook-seal-key with the seal key
// in the PKCS#11 token: the key pkcs11.webhook_seal_key names is lost for
// good, and a new one is made under that name in the token, in place of
// it (webhooks.NewTokenSealKey), as the flag makes a new file key. It
// makes a key only where the token, answering, holds none, never over a
// key, so a token that is down is never taken for a lost key:
//
//   - the token does not open, or does not answer the key's lookup:
//     refused, nothing changed;
//   - the file key at sealKey opens the secrets sealed in the database at
//     path, or the token holds the key and it opens them: not lost,
//     refused;
//   - the token holds a key under that name that does not open them (the
//     wrong key, or a token that fails to unseal): refused, and the
//     operator names a label the token does not hold to make the new key
//     there;
//   - the token holds none: the AES key is made (hsm.Token.GenerateAES),
//     the check value sealed anew under it, and the count of the webhooks
//     left behind (their secrets no longer open) logged at error level. If
//     sealing fails, the key made is destroyed again, so that the next
//     start with the flag starts over.
//
// It returns the new key; build then opens the database with it as with
// any token key (openDataDB).
func newTokenSealKey(path, sealKey string, keys *keyStore, log *slog.Logger) (cipher.AEAD, error) {
	ref, _ := keys.cfg.PKCS11.sealKeyRef()
	if keys.token == nil {
		tok, err := keys.cfg.PKCS11.openToken()
		if err != nil {
			return nil, failure(1, "fail.seal-key-token-down", "err", err)
		}
		keys.token = tok
	}
	db, err := storage.OpenDB(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// The secrets may still be sealed under the file key, which is there:
	// then nothing is lost (the next start re-seals them under the token's
	// key, made with custos pki seal-key if the token holds none).
	if file, err := webhooks.ReadSealKey(sealKey); err != nil {
		return nil, err
	} else if file != nil {
		if opens, err := webhooks.SealKeyOpens(db, file); err != nil {
			return nil, err
		} else if opens {
			return nil, failure(1, "fail.seal-key-not-lost", "where", sealKey)
		}
	}
	aead, err := keys.token.Sealer(ref)
	switch {
	case err == nil:
		opens, err := webhooks.SealKeyOpens(db, webhooks.TokenSealer(aead))
		if err != nil {
			return nil, err
		}
		if opens {
			return nil, failure(1, "fail.seal-key-not-lost", "where", tr("out.pki-key-token", "key", ref))
		}
		return nil, failure(1, "fail.seal-key-token-other", "ref", ref, "next", nextLabel(ref.Label))
	case !errors.Is(err, hsm.ErrNoKey):
		return nil, failure(1, "fail.seal-key-token-down", "err", err)
	}
	if err := keys.token.GenerateAES(ref); err != nil {
		return nil, failure(1, "fail.seal-key-token-down", "err", err)
	}
	aead, err = keys.token.Sealer(ref)
	lost := 0
	if err == nil {
		lost, err = webhooks.NewTokenSealKey(db, webhooks.TokenSealer(aead))
	}
	if err != nil {
		if derr := keys.token.DeleteAES(ref); derr != nil {
			return nil, failure(1, "fail.seal-key-token-undo", "ref", ref, "err", err, "undo", derr)
		}
		return nil, failure(1, "fail.seal-key-token-down", "err", err)
	}
	if lost > 0 {
		log.Error("made a new webhook seal key in the PKCS#11 token in place of the lost one (--new-webhook-seal-key): the secrets of the webhooks made before no longer open, "+
			"and each of their deliveries fails at once (secret unreadable); their organizations must delete and re-create them", "webhooks", lost, "key", ref.String())
	} else {
		log.Warn("--new-webhook-seal-key: no webhook secret was sealed under the lost key; made a new one in the PKCS#11 token", "key", ref.String())
	}
	notice("notice.seal-key-token-made", "ref", ref, "n", lost)
	return aead, nil
}

// nextLabel is a label to suggest in place of label, whose key does not
// open the secrets: label-2, or label-N+1 for label-N.
func nextLabel(label string) string {
	if label == "" {
		return "custos-webhook-seal-2"
	}
	if i := strings.LastIndexByte(label, '-'); i > 0 {
		if n, err := strconv.Atoi(label[i+1:]); err == nil && n > 0 {
			return label[:i+1] + strconv.Itoa(n+1)
		}
	}
	return label + "-2"
}
