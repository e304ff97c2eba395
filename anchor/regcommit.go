package anchor

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Registration commitments (state version 12; copyright review of session
// 19, finding K7). A registration transaction shows its files'
// fingerprints to every validator's mempool before it is ordered, so a
// byzantine member could copy them into a registration of its own and,
// as a block's proposer or by racing, take the earlier place in the
// register, which is the priority its search reports. From version 12 a
// member first commits to each new registration (transaction version 11,
// kind KindRegCommit): a hash of the registration's ID and fingerprints,
// which reveals neither (the ID is 128 random bits). The commitment takes
// the registration's place in the register when it is applied. Once it
// is final the member's node files the registration itself (a version-5
// KindRegister transaction, unchanged); the chain recomputes the
// commitment from it, finds it among the member's, and gives the entry
// the commitment's place. A copy made from the revealed fingerprints
// needs a commitment of its own, which comes after the original's, so it
// sorts after it; and a new registration (one without a legacy number)
// without a commitment is refused.
//
//	regcommit  member(32) ‖ commitment(32) → order(8) ‖ height(8) ‖ time(8) ‖ used(8)
//
// order is the register place the commitment took (the app metadata's
// "regcount", which registrations from before version 12, and those filed
// too late, also take), height the block that applied it, time that
// block's time (Unix nanoseconds), used the block that filed its
// registration (0 while none did). Each is committed in the state map
// under RegCommitKey(member, commitment), with the SHA-256 of its stored
// value. Places of commitments never followed by their registration stay
// unused: the register's orders have gaps.
//
// A registration filed more than MaxCommitAge (by block time) after its
// commitment takes the register's next place when filed instead, and
// records no commitment: a commitment does not hold a place for ever, so a
// member cannot commit in secret to every fingerprint it learns and reveal
// only the copies that come to be contested (chain review of session 20,
// R2). Every new registration needs a commitment, one with a legacy
// number too (R4), and the entries a transaction files are numbered in the
// order of their places (R5).

// Transaction version 11 and its kind.
const (
	// TxVersion11 is the registration commitment of state version 12.
	TxVersion11 = 11
	// KindRegCommit commits to copyright registrations (transaction
	// version 11).
	KindRegCommit = 8
)

var bRegCommit = []byte("regcommit")

// MaxCommitAge is how long, by block time, a commitment holds its place.
const MaxCommitAge = 10 * time.Minute

// regCommitPrefix separates commitments from any other hash.
const regCommitPrefix = "custos/regcommit/v1\x00"

// RegCommitment is the commitment to a registration: SHA-256 of
// regCommitPrefix ‖ idLen u8 ‖ id ‖ files u8 ‖ files × (flags u8 ‖ sha256
// 32 ‖ [perceptual hash u64 if flags = 1]), the registration's ID and
// files as a KindRegister transaction encodes them. Its registrant
// organization and revoked flag are not committed to.
func RegCommitment(id string, files []RegFile) [32]byte {
	b := make([]byte, 0, len(regCommitPrefix)+2+len(id)+len(files)*41)
	b = append(append(append(b, regCommitPrefix...), byte(len(id))), id...)
	b = append(b, byte(len(files)))
	for _, f := range files {
		if f.HasPHash {
			b = binary.BigEndian.AppendUint64(append(append(b, 1), f.SHA256[:]...), f.PHash)
		} else {
			b = append(append(b, 0), f.SHA256[:]...)
		}
	}
	return sha256.Sum256(b)
}

// RegCommitKey is the state-map key of a member's commitment.
func RegCommitKey(member string, c [32]byte) [32]byte {
	return sha256.Sum256(append([]byte("custos/state/v12/regcommit\x00"+member+"\x00"), c[:]...))
}

// NewRegCommitTx encodes and signs a registration commitment transaction
// (version 11) of commits, in their order: the order the register gives
// them.
func NewRegCommitTx(chainID string, nodeCert, orgCA *x509.Certificate, key ed25519.PrivateKey, commits [][32]byte) ([]byte, error) {
	return signTx(chainID, key, &Tx{Version: TxVersion11, Kind: KindRegCommit, NodeCert: nodeCert, OrgCA: orgCA, Commits: commits})
}

// checkCommits checks a commitment transaction's list: 1..MaxRegistrations
// commitments, none twice.
func checkCommits(cs [][32]byte) error {
	if len(cs) == 0 || len(cs) > MaxRegistrations {
		return fmt.Errorf("%w: %d commitments, want 1..%d", ErrMalformedTx, len(cs), MaxRegistrations)
	}
	seen := make(map[[32]byte]bool, len(cs))
	for i, c := range cs {
		if seen[c] {
			return fmt.Errorf("%w: commitment %d is in the transaction twice", ErrMalformedTx, i)
		}
		seen[c] = true
	}
	return nil
}

func appendCommits(b []byte, cs [][32]byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(cs)))
	for _, c := range cs {
		b = append(b, c[:]...)
	}
	return b
}

func (t *Tx) decodeCommits(d *decoder) error {
	n := d.uint16()
	if d.short || n == 0 || n > MaxRegistrations || len(d.b) < int(n)*32 {
		return fmt.Errorf("%w: commitment count %d, want 1..%d and the bytes to hold them", ErrMalformedTx, n, MaxRegistrations)
	}
	t.Commits = make([][32]byte, n)
	for i := range t.Commits {
		copy(t.Commits[i][:], d.next(32))
	}
	return nil
}

// encode is c as regcommit stores it.
func (c RegCommit) encode() []byte {
	b := binary.BigEndian.AppendUint64(nil, c.Order)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Height))
	b = binary.BigEndian.AppendUint64(b, uint64(c.Time.UnixNano()))
	return binary.BigEndian.AppendUint64(b, uint64(c.Used))
}

// ownCommit is the member's commitment c, whose node signs with key,
// under any key ownKeys gives, with the bucket key it is stored under.
func ownCommit(tx *bolt.Tx, key []byte, c [32]byte) ([]byte, RegCommit, bool) {
	b := tx.Bucket(bRegCommit)
	if b == nil {
		return nil, RegCommit{}, false
	}
	for _, k := range ownKeys(tx, key) {
		ref := append(bytes.Clone(k), c[:]...)
		if v := b.Get(ref); len(v) == 32 {
			return ref, RegCommit{Order: binary.BigEndian.Uint64(v), Height: int64(binary.BigEndian.Uint64(v[8:])),
				Time: time.Unix(0, int64(binary.BigEndian.Uint64(v[16:]))).UTC(), Used: int64(binary.BigEndian.Uint64(v[24:]))}, true
		}
	}
	return nil, RegCommit{}, false
}

// checkRegCommit checks a commitment transaction against the state in
// tx: at state version 12 or later, with at least one commitment the
// member has not made.
func (a *App) checkRegCommit(tx *bolt.Tx, t *Tx, version int) (uint32, string) {
	if version < StateV12 {
		return CodeVersion, fmt.Sprintf("a registration commitment; the chain state is version %d, which takes none (version 12 does)", version)
	}
	member := t.memberKey()
	for _, c := range t.Commits {
		if _, _, ok := ownCommit(tx, member, c); !ok {
			return CodeOK, ""
		}
	}
	return CodeDuplicate, "every commitment is already in the register"
}

// applyRegCommit stores t's new commitments (checked by checkRegCommit),
// each taking the register's next place, in the transaction's order.
func (a *App) applyRegCommit(tx *bolt.Tx, t *Tx, height int64, at time.Time) {
	fail := func(err error) {
		panic(fmt.Sprintf("anchor: registration commitments at height %d: %v", height, err))
	}
	b, err := tx.CreateBucketIfNotExists(bRegCommit)
	if err != nil {
		fail(err)
	}
	meta := tx.Bucket(bAppMeta)
	var order uint64
	if v := meta.Get([]byte("regcount")); len(v) == 8 {
		order = binary.BigEndian.Uint64(v)
	}
	member := t.memberKey()
	for _, c := range t.Commits {
		if _, _, ok := ownCommit(tx, member, c); ok {
			continue // made before, under this key or another of the member's
		}
		order++
		a.putCommit(b, append(bytes.Clone(member), c[:]...), RegCommit{Order: order, Height: height, Time: at}, fail)
	}
	if err := meta.Put([]byte("regcount"), binary.BigEndian.AppendUint64(nil, order)); err != nil {
		fail(err)
	}
}

// putCommit stores a commitment under ref (member ‖ commitment) and
// queues its state-map entry.
func (a *App) putCommit(b *bolt.Bucket, ref []byte, c RegCommit, fail func(error)) {
	v := c.encode()
	if err := b.Put(ref, v); err != nil {
		fail(err)
	}
	var sum [32]byte
	copy(sum[:], ref[32:])
	a.queuePair(RegCommitKey(fmt.Sprintf("%x", ref[:32]), sum), sha256.Sum256(v))
}

// RegCommit is what the register holds of a member's commitment.
type RegCommit struct {
	Order  uint64    // the register place it took
	Height int64     // the block that applied it
	Time   time.Time // that block's time
	Used   int64     // the block that filed its registration; 0 while none did
}

// Commitment is the member's commitment c (made under any validator key
// the member ran), if the register holds it. member is a node member ID.
func (a *App) Commitment(member string, c [32]byte) (RegCommit, bool, error) {
	key, err := memberKeyHex(member)
	if err != nil {
		return RegCommit{}, false, err
	}
	var rc RegCommit
	var ok bool
	err = a.db.View(func(tx *bolt.Tx) error {
		_, rc, ok = ownCommit(tx, key, c)
		return nil
	})
	return rc, ok, err
}
