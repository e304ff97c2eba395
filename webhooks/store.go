package webhooks

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bHooks      = []byte("webhooks")            // org ‖ "/" ‖ id → storedHook JSON, its secret sealed
	bDeliveries = []byte("webhooks.deliveries") // delivery id → record JSON
	bDue        = []byte("webhooks.outbox")     // org ‖ "/" ‖ due time(8, unix ns) ‖ delivery id → ∅: the outbox
	bLog        = []byte("webhooks.log")        // webhook id ‖ created(8, unix ns) ‖ delivery id → ∅
	bPending    = []byte("webhooks.pending")    // org → its pending deliveries (8, big-endian), absent if none
	bSeal       = []byte("webhooks.seal")       // "check" → a known text sealed under the seal key (SealSecrets)
	// bParked holds the deliveries of paused webhooks, out of the outbox
	// (park): webhook id ‖ delivery id → org.
	bParked = []byte("webhooks.parked")

	// bOldDue is the outbox as kept before session 14, in due order
	// whoever's the delivery: due time(8, unix ns) ‖ delivery id → ∅.
	// initBuckets moves its entries to bDue and deletes it.
	bOldDue = []byte("webhooks.due")
)

func initBuckets(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		counted := tx.Bucket(bPending) != nil
		for _, b := range [][]byte{bHooks, bDeliveries, bDue, bLog, bPending, bParked} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if err := moveOldDue(tx); err != nil {
			return err
		}
		if counted {
			return nil
		}
		// First start of a version that counts: count the outbox.
		n := map[string]uint64{}
		tx.Bucket(bDue).ForEach(func(k, _ []byte) error {
			if i := bytes.IndexByte(k, '/'); i > 0 {
				n[string(k[:i])]++
			}
			return nil
		})
		for org, c := range n {
			if err := tx.Bucket(bPending).Put([]byte(org), binary.BigEndian.AppendUint64(nil, c)); err != nil {
				return err
			}
		}
		return nil
	})
}

// pendingOf is how many of org's deliveries are pending, as tx sees it.
func pendingOf(tx *bolt.Tx, org string) uint64 {
	if v := tx.Bucket(bPending).Get([]byte(org)); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// addPending adds d (+1 or -1) to org's count of pending deliveries.
func addPending(tx *bolt.Tx, org string, d int) error {
	n := int64(pendingOf(tx, org)) + int64(d)
	if n <= 0 {
		return tx.Bucket(bPending).Delete([]byte(org))
	}
	return tx.Bucket(bPending).Put([]byte(org), binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// moveOldDue moves the entries of the outbox kept before session 14
// (bOldDue) to bDue, under their delivery's organization, and deletes it.
// An entry whose delivery is gone or no longer pending is dropped, as Run
// would have dropped it.
func moveOldDue(tx *bolt.Tx) error {
	old := tx.Bucket(bOldDue)
	if old == nil {
		return nil
	}
	err := old.ForEach(func(k, _ []byte) error {
		if len(k) != 8+idLen {
			return nil
		}
		var r record
		if getJSON(tx.Bucket(bDeliveries), k[8:], &r) != nil || r.State != StatePending || r.Org == "" {
			return nil
		}
		return tx.Bucket(bDue).Put(dueKey(r.Org, time.Unix(0, int64(binary.BigEndian.Uint64(k))), string(k[8:])), nil)
	})
	if err != nil {
		return err
	}
	return tx.DeleteBucket(bOldDue)
}

func hookKey(org, id string) []byte { return []byte(org + "/" + id) }

// dueKey is a delivery's key in the outbox: by organization, then due
// time, so that Run can take each organization's due deliveries in turn
// (org IDs never hold "/": Create refuses them).
func dueKey(org string, t time.Time, id string) []byte {
	return append(binary.BigEndian.AppendUint64([]byte(org+"/"), uint64(t.UnixNano())), id...)
}

// parkKey is a paused delivery's key in bParked: by webhook, so that
// Adopt finds its webhook's deliveries at once.
func parkKey(hook, id string) []byte { return []byte(hook + id) }

func logKey(hook string, created time.Time, id string) []byte {
	return append(binary.BigEndian.AppendUint64([]byte(hook), uint64(created.UnixNano())), id...)
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, raw)
}

// getJSON decodes the value at key into v; json.Unmarshal copies, so v is
// safe to use after the transaction.
func getJSON(b *bolt.Bucket, key []byte, v any) error {
	raw := b.Get(key)
	if raw == nil {
		return ErrNotFound
	}
	return json.Unmarshal(raw, v)
}

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// idLen is the length of webhook and delivery IDs.
const idLen = 26

// newID returns a fresh, unguessable ID: 128 random bits in lowercase
// base32, like Custos's other IDs.
func newID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return idEncoding.EncodeToString(b[:])
}

// newSecret returns a webhook secret: 32 random bytes in base64url.
func newSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// validID reports whether id could be an ID made by newID.
func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	_, err := idEncoding.DecodeString(id)
	return err == nil
}
