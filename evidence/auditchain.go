package evidence

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
)

// The organizations' audit chains as stored: the core keeps them, in the
// audit bucket, because the leaf queue (eventBytes), the custody heads
// (heads.go) and the integrity audit (auditChains) read them beside the
// items' custody chains; evidence/audittrail appends acts and reads trails
// through the kernel (AppendAuditOrStartTx, AppendAuditTx, AuditEvents).

// auditKeyLen is the length of an audit event's key: org ID (26) ‖ n (4).
// (Evidence event keys are 12 bytes, so the leaf queue tells them apart.)
const auditKeyLen = 26 + 4

// errNoAuditChain means an audit event other than the first was appended
// for an organization whose chain has no org.created event yet.
var errNoAuditChain = errors.New("evidence: the organization has no audit chain")

// appendAudit appends e to the audit chain of the organization e.Evidence
// in tx and queues it for anchoring, setting its seq and prev (afresh on
// every run, as a group-commit function may run more than once). Unless
// first is true the chain must exist already: only AppendAuditOrStartTx
// (audittrail.Trails.AppendAudit) may start one, with org.created.
func appendAudit(tx *bolt.Tx, e *custody.Event, first bool) error {
	b := tx.Bucket(bAudit)
	org := e.Evidence
	e.Seq, e.Prev = 0, ""
	c := b.Cursor()
	prefix := []byte(org)
	k, v := c.Seek(append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k != nil && bytes.HasPrefix(k, prefix) && len(k) == auditKeyLen {
		sum := sha256Sum(v)
		e.Seq, e.Prev = binary.BigEndian.Uint32(k[26:])+1, hex.EncodeToString(sum[:])
	} else if !first {
		return fmt.Errorf("%w: %s", errNoAuditChain, org)
	}
	raw, err := e.Encode()
	if err != nil {
		return err
	}
	key := binary.BigEndian.AppendUint32([]byte(org), e.Seq)
	if err := b.Put(key, raw); err != nil {
		return err
	}
	return queueLeaf(tx, key)
}

// queueLeaf appends an event key to the global leaf queue.
func queueLeaf(tx *bolt.Tx, key []byte) error {
	leaves := sequential(tx.Bucket(bLeaves))
	idx, err := leaves.NextSequence()
	if err != nil {
		return err
	}
	leaf := u64(idx - 1) // leaf indexes start at 0
	if err := leaves.Put(leaf, key); err != nil {
		return err
	}
	return sequential(tx.Bucket(bEvLeaf)).Put(key, leaf)
}

// auditChain reads the audit chain of org in tx (AuditEvents); on an
// event that does not decode, it returns the events before it and the error.
func auditChain(tx *bolt.Tx, org string) ([]*custody.Event, error) {
	var out []*custody.Event
	c := tx.Bucket(bAudit).Cursor()
	for k, v := c.Seek([]byte(org)); k != nil && bytes.HasPrefix(k, []byte(org)); k, v = c.Next() {
		e, err := custody.Decode(v)
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

// eventBytes reads a queued leaf's event, custody or audit.
func eventBytes(tx *bolt.Tx, key []byte) []byte {
	if len(key) == auditKeyLen {
		return tx.Bucket(bAudit).Get(key)
	}
	return tx.Bucket(bEvents).Get(key)
}
