package webhooks

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/internal/atomicfile"
)

// A webhook's secret is kept sealed (storedHook.Sealed): a copy of the
// database alone (a support dump, a snapshot, a replica) reveals no
// secret. The seal is AES-256-GCM under the node's seal key, kept out of
// the database (SealKeyFile in the node's PKI folder); whoever holds both
// the key and the database can still unseal every secret.
//
// A sealed secret is version(1) ‖ nonce(12) ‖ AES-256-GCM ciphertext and
// tag, with additional data version ‖ "webhook" ‖ 0x00 ‖ org ‖ "/" ‖ id,
// so that a sealed value moved to another webhook does not open. The
// version byte lets the format change record by record: version 2 is the
// same format with the key in a PKCS#11 token (TokenSealer), so that a
// node told of no token, or given a file key, says which key it needs.

// SealKeyFile is the name of the seal key's file in the node's PKI folder:
// 32 random bytes, mode 0600, made at the first start (LoadSealKey).
const SealKeyFile = "webhook-seal.key"

// SealKeySize is the size of a seal key: AES-256.
const SealKeySize = 32

// sealV1 is the version byte of AES-256-GCM with a 12-byte random nonce;
// sealV2 is the same with the key in a PKCS#11 token (TokenSealer), the
// nonce still ours (the token is given it, it does not make its own).
const (
	sealV1 = 1
	sealV2 = 2
)

// TokenSealer marks aead, an AES-256-GCM of 12-byte nonces computed in a
// PKCS#11 token (hsm.Token.Sealer), as the token's: what it seals carries
// version 2, and a panic of its Seal (crypto11's on a token failure) is
// an error of the call that sealed.
func TokenSealer(aead cipher.AEAD) cipher.AEAD { return tokenSealer{aead} }

type tokenSealer struct{ cipher.AEAD }

func sealVersion(aead cipher.AEAD) byte {
	if _, ok := aead.(tokenSealer); ok {
		return sealV2
	}
	return sealV1
}

var (
	// ErrSealKeyWrong: the seal key given does not open what the store
	// sealed (its check value), so it is not the key the store's secrets
	// were sealed under.
	ErrSealKeyWrong = errors.New("webhooks: the seal key does not open the webhook secrets sealed in this database (it is not the key they were sealed under)")
	// ErrUnseal: a webhook's sealed secret does not open (tampered with,
	// or moved from another webhook); its deliveries fail (ReasonSecret).
	ErrUnseal = errors.New("webhooks: a webhook's sealed secret does not open")
	// ErrSealUnavailable: the seal key's PKCS#11 token did not answer when
	// a secret was to be sealed (a new webhook); nothing was stored, and
	// the request may be made again once the token answers.
	ErrSealUnavailable = errors.New("webhooks: the seal key's token did not answer")
	// ErrSealedByToken: the webhook secrets are sealed under the seal key
	// in the PKCS#11 token, and the node was given the file key instead.
	ErrSealedByToken = errors.New("webhooks: custos.db holds webhook secrets sealed under the seal key in the PKCS#11 token, " +
		"and the node is not configured with it: set pkcs11.webhook_seal_key (or webhook_seal_key_id) and the token's table " +
		"in custos.toml (docs/operations.md, Webhook secrets sealed in the token)")
)

// ErrTokenKeyWrong: the secrets are sealed under a key in the PKCS#11
// token, and the token's key the node was given does not open them: it is
// not the key they were sealed under (or the token fails to unseal). It is
// ErrSealKeyWrong too, to errors.Is.
var ErrTokenKeyWrong = fmt.Errorf("%w (the key in the PKCS#11 token is not the one they were sealed under)", ErrSealKeyWrong)

// ErrSealKeyOpens: NewTokenSealKey was given a key that opens what the
// store sealed: the key is not lost, and nothing is made anew.
var ErrSealKeyOpens = errors.New("webhooks: the seal key opens the webhook secrets sealed in this database: it is not lost")

// SealKeyMissingError is LoadSealKey's refusal to make a new seal key
// while the database holds secrets sealed under the old one: a new key
// would leave every webhook's secret unreadable.
type SealKeyMissingError struct{ Path string }

func (e *SealKeyMissingError) Error() string {
	return fmt.Sprintf("webhooks: the seal key %s is missing, and custos.db holds webhook secrets sealed under it: "+
		"restore %s from the backup of the node's PKI folder taken with this custos.db (docs/operations.md, Backups); "+
		"the node does not make a new key, which would leave every webhook's secret unreadable", e.Path, filepath.Base(e.Path))
}

// ErrSealKeyPresent: NewSealKey was asked for a new seal key while the
// key file is there; a key is made anew only in place of a lost one.
var ErrSealKeyPresent = errors.New("webhooks: the seal key file is present: a new seal key is made only in place of a lost one, never over a key")

// NewSealKey makes a new seal key at path in place of one lost for good
// while db holds secrets sealed under it (what LoadSealKey refuses with a
// *SealKeyMissingError): the check value is sealed anew under the new
// key, then the key is written as LoadSealKey writes it. It returns the
// new key's sealer and how many webhooks keep a secret sealed under the
// lost key: those secrets no longer open, so each delivery of those
// webhooks fails at once (ReasonSecret) until their organizations delete
// and re-create them. It refuses if path exists (ErrSealKeyPresent), and
// if the secrets are sealed under the PKCS#11 token's key
// (ErrSealedByToken: that key is not lost, the node is not told of it).
// The check value is written before the key file: a failure between the
// two leaves the key missing, and a second call starts over.
func NewSealKey(db *bolt.DB, path string) (cipher.AEAD, int, error) {
	switch _, err := os.Lstat(path); {
	case err == nil:
		return nil, 0, fmt.Errorf("%w (%s)", ErrSealKeyPresent, path)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, 0, fmt.Errorf("webhooks: the seal key: %w", err)
	}
	versions, err := sealedVersions(db)
	if err != nil {
		return nil, 0, err
	}
	if versions[sealV2] && !versions[sealV1] {
		return nil, 0, ErrSealedByToken
	}
	key := make([]byte, SealKeySize)
	rand.Read(key) // never fails (crypto/rand, Go 1.24+)
	aead, err := NewSealer(key)
	if err != nil {
		return nil, 0, err
	}
	lost, err := replaceCheck(db, aead)
	if err != nil {
		return nil, 0, err
	}
	if err := writeKey(path, key); err != nil {
		return nil, 0, fmt.Errorf("webhooks: making the seal key: %w", err)
	}
	return aead, lost, nil
}

// NewTokenSealKey is NewSealKey for a new key made in the PKCS#11 token
// (token, a TokenSealer) in place of a seal key lost for good: it seals
// the check value anew under token and returns how many webhooks keep a
// secret sealed under the lost key, which no longer open. The caller makes
// the key in the token first, and removes it if this fails. It refuses a
// key that opens the check value (ErrSealKeyOpens: not lost) and an AEAD
// that is not a TokenSealer.
func NewTokenSealKey(db *bolt.DB, token cipher.AEAD) (int, error) {
	if err := checkSealer(token); err != nil {
		return 0, err
	}
	if sealVersion(token) != sealV2 {
		return 0, errors.New("webhooks: NewTokenSealKey takes the token's key (TokenSealer)")
	}
	check, err := loadCheck(db)
	if err != nil {
		return 0, err
	}
	if _, err := open(token, check, checkAD); check != nil && err == nil {
		return 0, ErrSealKeyOpens
	}
	return replaceCheck(db, token)
}

// replaceCheck seals the check value anew under aead, a new seal key in
// place of a lost one, and returns how many webhooks keep a secret sealed
// under the lost key.
func replaceCheck(db *bolt.DB, aead cipher.AEAD) (lost int, err error) {
	err = db.Update(func(tx *bolt.Tx) error {
		lost = 0
		seal, err := tx.CreateBucketIfNotExists(bSeal)
		if err != nil {
			return err
		}
		if hooks := tx.Bucket(bHooks); hooks != nil {
			c := hooks.Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				var h storedHook
				if getJSON(hooks, k, &h) == nil && len(h.Sealed) > 0 {
					lost++
				}
			}
		}
		check, err := sealBytes(aead, []byte(checkText), checkAD)
		if err != nil {
			return err
		}
		return seal.Put(keyCheck, check)
	})
	if err != nil {
		return 0, fmt.Errorf("webhooks: sealing the check value under the new seal key: %w", err)
	}
	return lost, nil
}

// SealKeyOpens reports whether aead opens the check value db holds, that
// is whether it is the key the webhook secrets are sealed under; with no
// check value (nothing was ever sealed) it reports true. A key in a token
// that fails to unseal does not open it either.
func SealKeyOpens(db *bolt.DB, aead cipher.AEAD) (bool, error) {
	if err := checkSealer(aead); err != nil {
		return false, err
	}
	check, err := loadCheck(db)
	if err != nil || check == nil {
		return err == nil, err
	}
	_, err = open(aead, check, checkAD)
	return err == nil, nil
}

// loadCheck returns the check value db holds, or nil.
func loadCheck(db *bolt.DB) ([]byte, error) {
	var check []byte
	err := db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bSeal); b != nil {
			check = bytes.Clone(b.Get(keyCheck))
		}
		return nil
	})
	return check, err
}

// NewSealer returns the AEAD that seals webhook secrets under key, which
// must be SealKeySize bytes: AES-256-GCM.
func NewSealer(key []byte) (cipher.AEAD, error) {
	if len(key) != SealKeySize {
		return nil, fmt.Errorf("webhooks: a seal key is %d bytes, not %d", SealKeySize, len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// LoadSealKey reads the seal key at path (SealKeyFile in the node's PKI
// folder) and returns its sealer (NewSealer). If path does not exist and
// db holds no sealed secret, it makes the key: 32 random bytes, written
// whole to a temporary file of mode 0600 and renamed into place. If path
// does not exist but db holds sealed secrets, it refuses with a
// *SealKeyMissingError and makes nothing. The key is never logged.
func LoadSealKey(db *bolt.DB, path string) (cipher.AEAD, error) {
	key, err := os.ReadFile(path)
	switch {
	case err == nil:
		if len(key) != SealKeySize {
			return nil, fmt.Errorf("webhooks: the seal key %s holds %d bytes, not %d: restore it from the backup of the node's PKI folder", path, len(key), SealKeySize)
		}
		return NewSealer(key)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("webhooks: reading the seal key: %w", err)
	}
	versions, err := sealedVersions(db)
	if err != nil {
		return nil, err
	}
	if versions[sealV2] && !versions[sealV1] {
		return nil, ErrSealedByToken
	}
	if len(versions) > 0 {
		return nil, &SealKeyMissingError{Path: path}
	}
	key = make([]byte, SealKeySize)
	rand.Read(key) // never fails (crypto/rand, Go 1.24+)
	if err := writeKey(path, key); err != nil {
		return nil, fmt.Errorf("webhooks: making the seal key: %w", err)
	}
	return NewSealer(key)
}

// ReadSealKey reads the seal key at path, as LoadSealKey does, but
// makes none: a missing file is (nil, nil). A node with its seal key in a
// token reads the file key only to re-seal under the token's what the
// file key sealed (ResealSecrets).
func ReadSealKey(path string) (cipher.AEAD, error) {
	key, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("webhooks: reading the seal key: %w", err)
	case len(key) != SealKeySize:
		return nil, fmt.Errorf("webhooks: the seal key %s holds %d bytes, not %d: restore it from the backup of the node's PKI folder", path, len(key), SealKeySize)
	}
	return NewSealer(key)
}

// writeKey writes key to path, mode 0600, whole or not at all.
func writeKey(path string, key []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, key, 0o600)
}

// sealedVersions returns the version bytes of the secrets db holds sealed.
func sealedVersions(db *bolt.DB) (map[byte]bool, error) {
	v := map[byte]bool{}
	err := db.View(func(tx *bolt.Tx) error {
		hooks := tx.Bucket(bHooks)
		if hooks == nil {
			return nil
		}
		c := hooks.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			var h storedHook
			if getJSON(hooks, k, &h) == nil && len(h.Sealed) > 0 {
				v[h.Sealed[0]] = true
			}
		}
		return nil
	})
	return v, err
}

func anySealed(hooks *bolt.Bucket) bool {
	c := hooks.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		var h storedHook
		if getJSON(hooks, k, &h) == nil && len(h.Sealed) > 0 {
			return true
		}
	}
	return false
}

// SealSecrets seals every secret db keeps in clear (as versions before
// session 14 kept them) under aead, in one transaction, and returns how
// many it sealed; it is a no-op once done. It also checks that aead opens
// the check value sealed at the first call, or leaves one: another key is
// refused (ErrSealKeyWrong) while a secret is sealed, and takes over when
// none is. The clear secrets' old bytes stay in the file's free pages
// until the database is compacted (storage.Compact), which the caller
// does when n > 0. New calls it.
func SealSecrets(db *bolt.DB, aead cipher.AEAD) (n int, err error) {
	if err := checkSealer(aead); err != nil {
		return 0, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		n = 0
		seal, err := tx.CreateBucketIfNotExists(bSeal)
		if err != nil {
			return err
		}
		hooks, err := tx.CreateBucketIfNotExists(bHooks)
		if err != nil {
			return err
		}
		check := seal.Get(keyCheck)
		if check != nil {
			if _, err := open(aead, check, checkAD); err != nil {
				if anySealed(hooks) && check[0] == sealV2 && sealVersion(aead) != sealV2 {
					return ErrSealedByToken
				}
				if anySealed(hooks) && check[0] == sealV2 {
					return ErrTokenKeyWrong
				}
				if anySealed(hooks) {
					return ErrSealKeyWrong
				}
				check = nil // nothing sealed under the old key: the new one takes over
			}
		}
		if check == nil {
			sealed, err := sealBytes(aead, []byte(checkText), checkAD)
			if err != nil {
				return err
			}
			if err := seal.Put(keyCheck, sealed); err != nil {
				return err
			}
		}
		var clear []*storedHook
		err = hooks.ForEach(func(k, _ []byte) error {
			var h storedHook
			if err := getJSON(hooks, k, &h); err != nil {
				return fmt.Errorf("webhook %q: %w", k, err)
			}
			if h.Secret != "" {
				clear = append(clear, &h)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, h := range clear {
			if h.Sealed, err = sealSecret(aead, h.Org, h.ID, h.Secret); err != nil {
				return err
			}
			h.Secret = ""
			if err := putJSON(hooks, hookKey(h.Org, h.ID), h); err != nil {
				return err
			}
		}
		n = len(clear)
		return nil
	})
	if errors.Is(err, ErrSealKeyWrong) || errors.Is(err, ErrSealedByToken) {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("webhooks: sealing secrets: %w", err)
	}
	return n, nil
}

// ResealSecrets re-seals under to every secret db holds sealed under
// from, and the check value, in one transaction: the move from the file
// key to the token's (TokenSealer). It returns how many it re-sealed and
// how many did not open under from (tampered with: left as they are, their
// deliveries failed already). It is a no-op when nothing is sealed under
// from. The old sealed bytes stay in the file's free pages until the
// database is compacted (storage.Compact), which the caller does when
// n > 0; from can then be destroyed. A from that does not open the check
// value while secrets are sealed is refused (ErrSealKeyWrong).
func ResealSecrets(db *bolt.DB, from, to cipher.AEAD) (n, unopened int, err error) {
	if err := checkSealer(from); err != nil {
		return 0, 0, err
	}
	if err := checkSealer(to); err != nil {
		return 0, 0, err
	}
	vfrom := sealVersion(from)
	err = db.Update(func(tx *bolt.Tx) error {
		n, unopened = 0, 0
		seal, hooks := tx.Bucket(bSeal), tx.Bucket(bHooks)
		if seal == nil || hooks == nil {
			return nil
		}
		check := seal.Get(keyCheck)
		if check == nil || check[0] != vfrom {
			return nil
		}
		if _, err := open(from, check, checkAD); err != nil {
			if anySealed(hooks) {
				return ErrSealKeyWrong
			}
			return nil // nothing sealed: SealSecrets lets to take over
		}
		var moved []*storedHook
		err := hooks.ForEach(func(k, _ []byte) error {
			var h storedHook
			if err := getJSON(hooks, k, &h); err != nil {
				return fmt.Errorf("webhook %q: %w", k, err)
			}
			if len(h.Sealed) == 0 || h.Sealed[0] != vfrom {
				return nil
			}
			secret, err := openSecret(from, &h)
			if err != nil {
				unopened++
				return nil
			}
			if h.Sealed, err = sealSecret(to, h.Org, h.ID, secret); err != nil {
				return err
			}
			moved = append(moved, &h)
			return nil
		})
		if err != nil {
			return err
		}
		for _, h := range moved {
			if err := putJSON(hooks, hookKey(h.Org, h.ID), h); err != nil {
				return err
			}
		}
		sealed, err := sealBytes(to, []byte(checkText), checkAD)
		if err != nil {
			return err
		}
		if err := seal.Put(keyCheck, sealed); err != nil {
			return err
		}
		n = len(moved)
		return nil
	})
	if errors.Is(err, ErrSealKeyWrong) {
		return 0, 0, err
	}
	if err != nil {
		return 0, 0, fmt.Errorf("webhooks: re-sealing secrets: %w", err)
	}
	return n, unopened, nil
}

// checkSealer refuses an AEAD other than a GCM-like one of 12-byte nonces.
func checkSealer(aead cipher.AEAD) error {
	if aead == nil {
		return errors.New("webhooks: Config.Sealer is required (webhook secrets are never stored in clear)")
	}
	if aead.NonceSize() != 12 {
		return fmt.Errorf("webhooks: the sealer takes %d-byte nonces, not 12", aead.NonceSize())
	}
	return nil
}

// The check value: a known text sealed under the key, with its own
// additional data (no webhook's: those start with "webhook").
var (
	keyCheck  = []byte("check")
	checkAD   = []byte("check")
	checkText = "custos webhook seal key"
)

// sealerAnswers reports whether the sealer opens the check value: a
// secret that does not open while it does was altered (ReasonSecret); if
// it does not either, the seal key is unreachable (a PKCS#11 token gone;
// tokens report a failed tag and a failed device alike, SoftHSM2 both as
// CKR_GENERAL_ERROR), and the delivery is retried (ReasonSealKey).
func (s *Service) sealerAnswers() bool {
	var check []byte
	s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bSeal); b != nil {
			check = bytes.Clone(b.Get(keyCheck))
		}
		return nil
	})
	if check == nil {
		return true
	}
	_, err := open(s.cfg.Sealer, check, checkAD)
	return err == nil
}

// hookAD is the additional data of webhook id's sealed secret (org IDs
// never hold "/", Create refuses them).
func hookAD(org, id string) []byte { return []byte("webhook\x00" + org + "/" + id) }

func sealSecret(aead cipher.AEAD, org, id, secret string) ([]byte, error) {
	return sealBytes(aead, []byte(secret), hookAD(org, id))
}

// openSecret returns the secret of h; ErrUnseal if it does not open.
func openSecret(aead cipher.AEAD, h *storedHook) (string, error) {
	if len(h.Sealed) == 0 {
		return "", ErrUnseal // SealSecrets sealed every clear one at start
	}
	p, err := open(aead, h.Sealed, hookAD(h.Org, h.ID))
	if err != nil {
		return "", err
	}
	return string(p), nil
}

// sealBytes seals p: version ‖ nonce ‖ ciphertext, the version byte
// (sealVersion) prefixed to the additional data too. A token's failure
// (crypto11's Seal panics) is an error.
func sealBytes(aead cipher.AEAD, p, ad []byte) (out []byte, err error) {
	v := sealVersion(aead)
	out = make([]byte, 1+aead.NonceSize(), 1+aead.NonceSize()+len(p)+aead.Overhead())
	out[0] = v
	rand.Read(out[1:])
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: sealing in the PKCS#11 token: %v", ErrSealUnavailable, r)
		}
	}()
	return aead.Seal(out, out[1:], p, append([]byte{v}, ad...)), nil
}

func open(aead cipher.AEAD, sealed, ad []byte) ([]byte, error) {
	ns, v := aead.NonceSize(), sealVersion(aead)
	if len(sealed) < 1+ns+aead.Overhead() || sealed[0] != v {
		return nil, ErrUnseal
	}
	p, err := aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], append([]byte{v}, ad...))
	if err != nil {
		return nil, ErrUnseal
	}
	return p, nil
}
