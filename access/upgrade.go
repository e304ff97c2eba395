package access

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// BootstrapKeyName names the admin key made at a node's first start.
const BootstrapKeyName = "bootstrap admin"

// legacyPrefixLen is how much of each token earlier versions kept in clear
// in Key.Prefix.
const legacyPrefixLen = len(TokenPrefix) + 8

// Upgrade brings the credentials that an earlier version stored to this
// version's form, in one transaction, and reports whether it changed
// anything. Earlier versions indexed every token by its unsalted SHA-256
// (bucket apitokens) and kept its first 12 characters in Key.Prefix.
// Upgrade:
//
//   - stores each chosen token's verifier as argon2id over that SHA-256
//     (bucket apichosen), so the token keeps working and its fast hash is
//     gone. A token counts as chosen if its key is the bootstrap admin's
//     (only the bootstrap could choose a token) or its prefix does not
//     look generated; treating a generated token as chosen costs only one
//     derivation per process.
//   - moves the other tokens' SHA-256, each of a token that carries 256
//     random bits, to the index apilegacy;
//   - deletes apitokens, and every Prefix that is not the public start of
//     a generated token of this version.
//
// bbolt keeps freed pages' old bytes in the file until they are reused:
// after a change, the caller compacts the file (see storage.Compact) if no
// trace may stay on disk. Upgrade is idempotent; Open calls it too.
func Upgrade(db *bolt.DB) (changed bool, err error) {
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bOrgs, bKeys, bSecrets, bChosen, bLegacy, bConflicts, bClaimsTold} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if old := tx.Bucket(bTokens); old != nil {
			if err := moveLegacyTokens(tx, old); err != nil {
				return err
			}
			if err := tx.DeleteBucket(bTokens); err != nil {
				return err
			}
			changed = true
		}
		n, err := clearPrefixes(tx)
		changed = changed || n > 0
		return err
	})
	return changed, err
}

// moveLegacyTokens moves each entry SHA-256(token) → key id of old to
// apichosen or apilegacy.
func moveLegacyTokens(tx *bolt.Tx, old *bolt.Bucket) error {
	return old.ForEach(func(digest, id []byte) error {
		var k Key
		err := get(tx, bKeys, string(id), &k)
		if errors.Is(err, ErrNotFound) {
			return nil // a key that no longer exists: nothing to keep
		}
		if err != nil {
			return err
		}
		if !legacyChosen(&k) {
			return tx.Bucket(bLegacy).Put(bytes.Clone(digest), bytes.Clone(id))
		}
		v := chosenVerifier(digest)
		return put(tx, bChosen, k.ID, &v)
	})
}

// legacyChosen reports whether a key stored by an earlier version may have
// a chosen token.
func legacyChosen(k *Key) bool {
	return k.Name == BootstrapKeyName || len(k.Prefix) != legacyPrefixLen || !strings.HasPrefix(k.Prefix, TokenPrefix)
}

// clearPrefixes keeps in Key.Prefix only the public start of a generated
// token, "cst_" and the key's ID.
func clearPrefixes(tx *bolt.Tx) (int, error) {
	type fix struct {
		id  string
		raw []byte
	}
	var fixes []fix
	err := tx.Bucket(bKeys).ForEach(func(id, raw []byte) error {
		var k Key
		if err := json.Unmarshal(raw, &k); err != nil {
			return err
		}
		want := ""
		if tx.Bucket(bSecrets).Get(id) != nil {
			want = TokenPrefix + k.ID
		}
		if k.Prefix == want {
			return nil
		}
		k.Prefix = want
		b, err := json.Marshal(&k)
		fixes = append(fixes, fix{string(id), b})
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, f := range fixes {
		if err := tx.Bucket(bKeys).Put([]byte(f.id), f.raw); err != nil {
			return 0, err
		}
	}
	return len(fixes), nil
}
