package anchor

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/receipt"
)

// Anchoring transaction formats. All integers are big-endian.
// docs/chain-transactions.md gives every format field by field, and
// testdata/vectors (TestTxVectors) their published test vectors.
//
// Version 1 (state version 1) is a batch of leaf hashes:
//
//	magic "CSTX" (4) ‖ version 1 (1)
//	‖ certLen u16 ‖ node certificate DER
//	‖ caLen u16 ‖ organization CA certificate DER
//	‖ seq u64 ‖ count u32 (1..MaxLeaves) ‖ count × 32-byte leaf hashes
//	‖ signature (64 bytes, Ed25519)
//
// Version 2 adds a kind byte after the version and two kinds:
//
//	magic "CSTX" ‖ version 2 ‖ kind (1)
//	‖ certLen u16 ‖ node certificate DER ‖ caLen u16 ‖ organization CA DER
//	‖ body ‖ signature (64 bytes, Ed25519)
//
//	kind 1, a batch (state version 2):
//	  seq u64 ‖ count u32 (0..MaxLeaves) ‖ count × 32-byte leaf hashes
//	  ‖ heads u32 (0..MaxHeads) ‖ heads × (key 32 ‖ events u64 ‖ value 32),
//	  keys in strictly increasing byte order, events ≥ 1, count + heads ≥ 1
//	kind 2, an upgrade vote (any state version):
//	  state version u32 ‖ height u64
//
// Version 3 (state version 3) is version 2 with kind 1 only, and heads
// that name the chain's first event instead of relying on who registered
// a key first:
//
//	seq u64 ‖ count u32 ‖ count × 32-byte leaf hashes
//	‖ heads u32 ‖ heads × (key 32 ‖ batch u64 ‖ offset u32 ‖ events u64 ‖ value 32)
//
// where (batch, offset) is the leaf of the chain's first event: the
// offset-th leaf of the submitting member's own batch number batch (this
// one, or one already in the log). The chain sets the head under
// custody.BoundHeadKey(key, that leaf's log index).
//
// Version 4 (state version 4) is version 3 with the item deposits the
// batch registers in the consortium's digest index after the heads:
//
//	… ‖ heads ‖ deposits u32 (0..MaxLeaves)
//	‖ deposits × (batch u64 ‖ offset u32 ‖ flags u8 ‖ sha256 32 ‖ [sm3 32 if flags = 1])
//
// where (batch, offset) locates the item's created event as a head locates
// a chain's first event, deposits are in strictly increasing (batch,
// offset) order, flags is 0 or 1, and leaves + heads + deposits ≥ 1.
//
// Version 4 adds kind 3, a directory registration: the organizations a
// member's node is home to, as the consortium's directory lists them:
//
//	orgs u32 (1..MaxOrgs) ‖ orgs × (idLen u8 (1..64) ‖ id ‖ kindLen u8
//	(1..32) ‖ kind ‖ nameLen u16 (1..800) ‖ name (UTF-8)), ids in strictly
//	increasing byte order
//
// Version 5 (state version 5) is version 4's framing for kind 4 only, a
// copyright registration: the registrations a member's node files in the
// consortium's copyright register (register.go):
//
//	regs u16 (1..MaxRegistrations) ‖ regs × (idLen u8 (1..64) ‖ id
//	‖ orgLen u8 (0..64) ‖ org ‖ legacyLen u8 (0..64) ‖ legacy number (UTF-8)
//	‖ revoked u8 (0 or 1) ‖ files u8 (1..MaxRegFiles; 0 if revoked)
//	‖ files × (flags u8 ‖ sha256 32 ‖ [perceptual hash u64 if flags = 1])),
//	ids in strictly increasing byte order, flags 0 or 1
//
// The signature is Ed25519 (RFC 8032, pure) by the node certificate's key
// over SignaturePrefix ‖ chainID ‖ 0x00 ‖ every byte before the signature.
//
// Version 6 (state version 6) carries governance transactions, signed by
// a member's governance key instead of a node's (govtx.go).
//
// Version 7 (state version 7) is version 4's batch (kind 1 only) with
// deposits that cost 35 bytes instead of 45 when their created event is
// in the batch itself, as an upload's is:
//
//	… ‖ heads ‖ deposits u32 (0..MaxLeaves)
//	‖ deposits × (flags u8 ‖ [batch u64 if flags & 2] ‖ offset u16
//	‖ sha256 32 ‖ [sm3 32 if flags & 1])
//
// where flags & 1 says the deposit has an SM3, flags & 2 that its created
// event is in another batch than this one (seq), named by batch, which
// then differs from seq; other flag bits are 0. A deposit without flag 2
// names this batch. Offsets stay below MaxLeaves, and the order and the
// rest are version 4's.
//
// Version 8 (state version 8) is version 4's directory registration (kind
// 3 only) with a revision after each organization's name:
//
//	orgs u32 (1..MaxOrgs) ‖ orgs × (idLen u8 (1..64) ‖ id ‖ kindLen u8
//	(1..32) ‖ kind ‖ nameLen u16 (1..800) ‖ name (UTF-8) ‖ revision u64
//	(1 or more)), ids in strictly increasing byte order
//
// The state applies it only if each revision is one more than the one it
// holds for the organization (0 for one it never saw at version 8), so
// that its bytes, once in a block, can never be applied again.
//
// Version 9 (state version 9) is the governance vote (kind 6 only) that
// names the SHA-256 of the proposal it votes for (govtx.go).
//
// Version 10 (state version 10) is the revocation of a governance
// certificate by the organization CA that issued it (kind 7 only,
// govrevoke.go).
const (
	TxMagic = "CSTX"
	// TxVersion is the first transaction version; TxVersion2 the second.
	TxVersion  = 1
	TxVersion2 = 2
	TxVersion3 = 3
	TxVersion4 = 4
	TxVersion5 = 5
	// TxVersion7 is the batch of state version 7 (version 6 is
	// governance's, govtx.go).
	TxVersion7 = 7
	// TxVersion8 is the directory registration of state version 8.
	TxVersion8 = 8
	// MaxLeaves is the largest number of leaf hashes in one transaction.
	MaxLeaves = 10000
	// MaxHeads is the largest number of custody heads in one transaction.
	MaxHeads = 10000
	// SignaturePrefix separates anchoring signatures from any other use of a
	// node's key.
	SignaturePrefix = "custos anchor tx v1\x00"
)

// Kinds of version-2 transactions.
const (
	KindBatch   = 1 // leaves and custody heads
	KindUpgrade = 2 // a vote to move the chain state to a new version at a height
	// KindDirectory registers organizations in the directory (version 4).
	KindDirectory = 3
	// KindRegister files copyright registrations in the register
	// (transaction version 5).
	KindRegister = 4
)

// HeadUpdate sets one custody head in the chain's state map: Key is
// custody.HeadKey(chain ID), Value the SHA-256 of the canonical head, and
// Events the number of events the head covers. A head only moves forward:
// an update with no more events than the state already holds is skipped.
//
// From state version 3, Batch and Offset locate the chain's first event
// (see the version-3 format); FirstLocal is where a LeafSource queued that
// event, which the batcher turns into Batch and Offset (it is not encoded).
type HeadUpdate struct {
	Key        [32]byte
	Events     uint64
	Value      [32]byte
	Batch      uint64
	Offset     uint32
	FirstLocal uint64
}

// Deposit registers an item in the consortium's digest index (state
// version 4): its SHA-256, and its SM3 if HasSM3, filed by the submitting
// member, whose created event is the Offset-th leaf of that member's batch
// Batch. FirstLocal is where a LeafSource queued the created event, which
// the batcher turns into Batch and Offset (it is not encoded).
type Deposit struct {
	Batch      uint64
	Offset     uint32
	SHA256     [32]byte
	SM3        [32]byte
	HasSM3     bool
	FirstLocal uint64
}

// depositSize is the encoded size of a deposit without its SM3 (which adds
// 32 bytes).
const depositSize = 8 + 4 + 1 + 32

// UpgradeVote is a validator's vote to run state version Version from the
// block at Height on.
type UpgradeVote struct {
	Version uint32
	Height  uint64
}

// Tx is a decoded anchoring transaction. A batch (Kind KindBatch) is a
// member node's signed run of leaf hashes and, from version 2, custody
// heads; Seq numbers the node's batches, so that a batch is appended once
// however often it is submitted. An upgrade vote (KindUpgrade) carries
// Upgrade.
type Tx struct {
	Version  uint8             // TxVersion … TxVersion11 (docs/chain-transactions.md)
	Kind     uint8             // KindBatch (always, in version 1), KindUpgrade, KindDirectory, KindRegister, KindPropose, KindVote, KindRevokeGov or KindRegCommit
	NodeCert *x509.Certificate // the submitting node; its key is Ed25519
	OrgCA    *x509.Certificate // the node's organization CA, issued by the root
	Seq      uint64
	Leaves   [][]byte // each HashSize bytes
	Heads    []HeadUpdate
	Deposits []Deposit      // version 4
	Orgs     []OrgEntry     // a directory registration (KindDirectory)
	Regs     []Registration // copyright registrations (KindRegister)
	Commits  [][32]byte     // registration commitments (KindRegCommit, version 11)
	Upgrade  UpgradeVote
	// Governance transactions (versions 6 and 9): the signer's governance
	// certificate (under OrgCA; NodeCert is nil), its member ID, and the
	// proposal or the vote.
	GovCert   *x509.Certificate
	GovMember [32]byte
	Proposal  *Proposal
	Ballot    *Ballot
	// Revoked is the governance certificate a revocation (version 10)
	// revokes; its OrgCA signs it, and GovMember is the member.
	Revoked *x509.Certificate
	Sig     []byte // 64 bytes: Ed25519, or ECDSA r ‖ s (versions 6, 9 and 10), or SM2 r ‖ s (version 10)
}

// NewTx encodes and signs a version-1 anchoring transaction for chainID.
// key must be the private half of nodeCert's Ed25519 key; leaves holds
// 1..MaxLeaves leaf hashes of HashSize bytes.
func NewTx(chainID string, nodeCert, orgCA *x509.Certificate, key ed25519.PrivateKey, seq uint64, leaves [][]byte) ([]byte, error) {
	return signTx(chainID, key, &Tx{Version: TxVersion, Kind: KindBatch, NodeCert: nodeCert, OrgCA: orgCA, Seq: seq, Leaves: leaves})
}

// NewBatchTx encodes and signs a version-2 batch: leaves and custody heads
// (sorted here by key; a key given twice is an error).
func NewBatchTx(chainID string, nodeCert, orgCA *x509.Certificate, key ed25519.PrivateKey, seq uint64, leaves [][]byte, heads []HeadUpdate) ([]byte, error) {
	heads = slices.Clone(heads)
	slices.SortFunc(heads, func(a, b HeadUpdate) int { return bytes.Compare(a.Key[:], b.Key[:]) })
	return signTx(chainID, key, &Tx{Version: TxVersion2, Kind: KindBatch, NodeCert: nodeCert, OrgCA: orgCA, Seq: seq, Leaves: leaves, Heads: heads})
}

// NewBatchTx3 encodes and signs a version-3 batch: leaves, and custody
// heads that each locate their chain's first event (Batch, Offset).
func NewBatchTx3(chainID string, nodeCert, orgCA *x509.Certificate, key ed25519.PrivateKey, seq uint64, leaves [][]byte, heads []HeadUpdate) ([]byte, error) {
	heads = slices.Clone(heads)
	slices.SortFunc(heads, func(a, b HeadUpdate) int { return bytes.Compare(a.Key[:], b.Key[:]) })
	return signTx(chainID, key, &Tx{Version: TxVersion3, Kind: KindBatch, NodeCert: nodeCert, OrgCA: orgCA, Seq: seq, Leaves: leaves, Heads: heads})
}

// NewBatchTx4 encodes and signs a version-4 batch: NewBatchTx3's, with the
// deposits it registers (sorted here by batch and offset).
func NewBatchTx4(chainID string, nodeCert, orgCA *x509.Certificate, key ed25519.PrivateKey, seq uint64, leaves [][]byte, heads []HeadUpdate, deposits []Deposit) ([]byte, error) {
	return newDepositBatch(TxVersion4, chainID, nodeCert, orgCA, key, seq, leaves, heads, deposits)
}

// newDepositBatch signs a batch of a version with deposits (4 or 7),
// its heads sorted by key and its deposits by batch and offset.
func newDepositBatch(version uint8, chainID string, nodeCert, orgCA *x509.Certificate, key ed25519.PrivateKey, seq uint64, leaves [][]byte, heads []HeadUpdate, deposits []Deposit) ([]byte, error) {
	heads = slices.Clone(heads)
	slices.SortFunc(heads, func(a, b HeadUpdate) int { return bytes.Compare(a.Key[:], b.Key[:]) })
	deposits = slices.Clone(deposits)
	slices.SortFunc(deposits, compareDeposits)
	return signTx(chainID, key, &Tx{Version: version, Kind: KindBatch, NodeCert: nodeCert, OrgCA: orgCA, Seq: seq, Leaves: leaves, Heads: heads, Deposits: deposits})
}

func compareDeposits(a, b Deposit) int {
	if c := cmp.Compare(a.Batch, b.Batch); c != 0 {
		return c
	}
	return cmp.Compare(a.Offset, b.Offset)
}

// NewBatchTx7 encodes and signs a version-7 batch (state version 7):
// NewBatchTx4's batch with the shorter deposits of version 7.
func NewBatchTx7(chainID string, nodeCert, orgCA *x509.Certificate, key ed25519.PrivateKey, seq uint64, leaves [][]byte, heads []HeadUpdate, deposits []Deposit) ([]byte, error) {
	return newDepositBatch(TxVersion7, chainID, nodeCert, orgCA, key, seq, leaves, heads, deposits)
}

// NewDirectoryTx encodes and signs a directory registration of orgs
// (sorted here by ID).
func NewDirectoryTx(chainID string, nodeCert, orgCA *x509.Certificate, key ed25519.PrivateKey, orgs []OrgEntry) ([]byte, error) {
	orgs = slices.Clone(orgs)
	slices.SortFunc(orgs, func(a, b OrgEntry) int { return strings.Compare(a.ID, b.ID) })
	return signTx(chainID, key, &Tx{Version: TxVersion4, Kind: KindDirectory, NodeCert: nodeCert, OrgCA: orgCA, Orgs: orgs})
}

// NewDirectoryTx8 encodes and signs a directory registration of orgs
// (sorted here by ID) of transaction version 8, the one state version 8
// takes: each organization's Revision must be one more than the one the
// directory holds (App.OrgRevision).
func NewDirectoryTx8(chainID string, nodeCert, orgCA *x509.Certificate, key ed25519.PrivateKey, orgs []OrgEntry) ([]byte, error) {
	orgs = slices.Clone(orgs)
	slices.SortFunc(orgs, func(a, b OrgEntry) int { return strings.Compare(a.ID, b.ID) })
	return signTx(chainID, key, &Tx{Version: TxVersion8, Kind: KindDirectory, NodeCert: nodeCert, OrgCA: orgCA, Orgs: orgs})
}

// NewRegisterTx encodes and signs a copyright registration transaction
// of regs (sorted here by ID).
func NewRegisterTx(chainID string, nodeCert, orgCA *x509.Certificate, key ed25519.PrivateKey, regs []Registration) ([]byte, error) {
	regs = slices.Clone(regs)
	slices.SortFunc(regs, func(a, b Registration) int { return strings.Compare(a.ID, b.ID) })
	return signTx(chainID, key, &Tx{Version: TxVersion5, Kind: KindRegister, NodeCert: nodeCert, OrgCA: orgCA, Regs: regs})
}

// NewUpgradeTx encodes and signs a version-2 upgrade vote.
func NewUpgradeTx(chainID string, nodeCert, orgCA *x509.Certificate, key ed25519.PrivateKey, vote UpgradeVote) ([]byte, error) {
	return signTx(chainID, key, &Tx{Version: TxVersion2, Kind: KindUpgrade, NodeCert: nodeCert, OrgCA: orgCA, Upgrade: vote})
}

func signTx(chainID string, key ed25519.PrivateKey, t *Tx) ([]byte, error) {
	if err := checkChainID(chainID); err != nil {
		return nil, err
	}
	if t.NodeCert == nil {
		return nil, fmt.Errorf("%w: missing certificate", ErrMalformedTx)
	}
	if len(key) != ed25519.PrivateKeySize || !certs.SameKey(t.NodeCert, key) {
		return nil, ErrNodeKey
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	sig := ed25519.Sign(key, t.signedMessage(chainID))
	return append(t.appendBody(nil), sig...), nil
}

// DecodeTx parses an anchoring transaction strictly: anything but exactly
// one canonical encoding fails with ErrMalformedTx. It checks the format
// only; Verifier.Verify checks who signed it. The Tx does not share memory
// with b.
func DecodeTx(b []byte) (*Tx, error) {
	d := decoder{b: bytes.Clone(b)}
	if string(d.next(len(TxMagic))) != TxMagic {
		return nil, fmt.Errorf("%w: bad magic", ErrMalformedTx)
	}
	t := &Tx{Kind: KindBatch}
	switch v := d.next(1); {
	case v == nil || v[0] < TxVersion || v[0] > TxVersion11:
		return nil, fmt.Errorf("%w: unknown version", ErrMalformedTx)
	default:
		t.Version = v[0]
	}
	if t.Version >= TxVersion2 {
		k := d.next(1)
		if k == nil || !knownKind(t.Version, k[0]) {
			return nil, fmt.Errorf("%w: unknown kind", ErrMalformedTx)
		}
		t.Kind = k[0]
	}
	var err error
	if t.isGov() {
		if err := t.decodeGov(&d); err != nil {
			return nil, err
		}
	} else if t.NodeCert, err = d.cert("node"); err != nil {
		return nil, err
	} else if t.OrgCA, err = d.cert("organization CA"); err != nil {
		return nil, err
	}
	switch t.Kind {
	case KindPropose, KindVote, KindRevokeGov:
	case KindUpgrade:
		t.Upgrade = UpgradeVote{Version: d.uint32(), Height: d.uint64()}
	case KindDirectory:
		if err := t.decodeOrgs(&d); err != nil {
			return nil, err
		}
	case KindRegister:
		if err := t.decodeRegistrations(&d); err != nil {
			return nil, err
		}
	case KindRegCommit:
		if err := t.decodeCommits(&d); err != nil {
			return nil, err
		}
	default:
		if err := t.decodeBatch(&d); err != nil {
			return nil, err
		}
	}
	if d.short || len(d.b) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: %d bytes left for the signature, want %d", ErrMalformedTx, len(d.b), ed25519.SignatureSize)
	}
	t.Sig = d.next(ed25519.SignatureSize)
	if err := t.check(); err != nil {
		return nil, err
	}
	return t, nil
}

// knownKind reports whether a transaction of version (2 or more) may be
// of kind: the decoder reads no further than the kind byte otherwise.
func knownKind(version, kind uint8) bool {
	switch version {
	case TxVersion5:
		return kind == KindRegister
	case TxVersion6:
		return kind == KindPropose || kind == KindVote
	case TxVersion7:
		return kind == KindBatch
	case TxVersion8:
		return kind == KindDirectory
	case TxVersion9:
		return kind == KindVote
	case TxVersion10:
		return kind == KindRevokeGov
	case TxVersion11:
		return kind == KindRegCommit
	}
	return kind == KindBatch || kind == KindUpgrade || kind == KindDirectory && version == TxVersion4
}

// decodeBatch reads a batch's body: seq, leaves and (version 2) heads.
func (t *Tx) decodeBatch(d *decoder) error {
	t.Seq = d.uint64()
	count := d.uint32()
	if d.short || count > MaxLeaves || len(d.b) < int(count)*HashSize {
		return fmt.Errorf("%w: leaf count %d, want at most %d and the bytes to hold them", ErrMalformedTx, count, MaxLeaves)
	}
	t.Leaves = make([][]byte, count)
	for i := range t.Leaves {
		t.Leaves[i] = d.next(HashSize)
	}
	if t.Version == TxVersion {
		return nil
	}
	n := d.uint32()
	size := t.headSize()
	if d.short || n > MaxHeads || len(d.b) < int(n)*size {
		return fmt.Errorf("%w: head count %d, want at most %d and the bytes to hold them", ErrMalformedTx, n, MaxHeads)
	}
	t.Heads = make([]HeadUpdate, n)
	for i := range t.Heads {
		h := &t.Heads[i]
		copy(h.Key[:], d.next(32))
		if t.Version >= TxVersion3 {
			h.Batch, h.Offset = d.uint64(), d.uint32()
		}
		h.Events = d.uint64()
		copy(h.Value[:], d.next(32))
	}
	if t.Version < TxVersion4 {
		return nil
	}
	n = d.uint32()
	least := depositSize
	if t.Version >= TxVersion7 {
		least = depositSize7
	}
	if d.short || n > MaxLeaves || len(d.b) < int(n)*least {
		return fmt.Errorf("%w: deposit count %d, want at most %d and the bytes to hold them", ErrMalformedTx, n, MaxLeaves)
	}
	t.Deposits = make([]Deposit, n)
	for i := range t.Deposits {
		dp := &t.Deposits[i]
		if err := t.decodeDepositHead(d, i, dp); err != nil {
			return err
		}
		copy(dp.SHA256[:], d.next(32))
		if dp.HasSM3 {
			copy(dp.SM3[:], d.next(32))
		}
	}
	if d.short {
		return fmt.Errorf("%w: deposits cut short", ErrMalformedTx)
	}
	return nil
}

// decodeDepositHead reads what comes before deposit i's digests: version
// 4's batch, offset and flags, or version 7's flags, batch and offset.
func (t *Tx) decodeDepositHead(d *decoder, i int, dp *Deposit) error {
	if t.Version >= TxVersion7 {
		return t.decodeDepositHead7(d, i, dp)
	}
	dp.Batch, dp.Offset = d.uint64(), d.uint32()
	switch f := d.next(1); {
	case f == nil:
	case f[0] == 1:
		dp.HasSM3 = true
	case f[0] != 0:
		return fmt.Errorf("%w: deposit %d has flags %d, want 0 or 1", ErrMalformedTx, i, f[0])
	}
	return nil
}

// headSize is the encoded size of one HeadUpdate in a version-2 batch;
// headSize3 in a version-3 batch.
const (
	headSize  = 32 + 8 + 32
	headSize3 = 32 + 8 + 4 + 8 + 32
)

func (t *Tx) headSize() int {
	if t.Version >= TxVersion3 {
		return headSize3
	}
	return headSize
}

// Encode returns the transaction's encoding. For a Tx from DecodeTx, it is
// the decoded bytes. NodeCert and OrgCA must be set.
func (t *Tx) Encode() []byte {
	return append(t.appendBody(nil), t.Sig...)
}

// appendBody appends everything but the signature.
func (t *Tx) appendBody(b []byte) []byte {
	b = append(b, TxMagic...)
	b = append(b, t.Version)
	if t.Version >= TxVersion2 {
		b = append(b, t.Kind)
	}
	if t.isGov() {
		return t.appendGov(b)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.NodeCert.Raw)))
	b = append(b, t.NodeCert.Raw...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.OrgCA.Raw)))
	b = append(b, t.OrgCA.Raw...)
	if t.Kind == KindUpgrade {
		b = binary.BigEndian.AppendUint32(b, t.Upgrade.Version)
		return binary.BigEndian.AppendUint64(b, t.Upgrade.Height)
	}
	if t.Kind == KindDirectory {
		return appendOrgs(b, t.Orgs, t.Version)
	}
	if t.Kind == KindRegister {
		return appendRegistrations(b, t.Regs)
	}
	if t.Kind == KindRegCommit {
		return appendCommits(b, t.Commits)
	}
	b = binary.BigEndian.AppendUint64(b, t.Seq)
	b = binary.BigEndian.AppendUint32(b, uint32(len(t.Leaves)))
	for _, h := range t.Leaves {
		b = append(b, h...)
	}
	if t.Version == TxVersion {
		return b
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(t.Heads)))
	for _, h := range t.Heads {
		b = append(b, h.Key[:]...)
		if t.Version >= TxVersion3 {
			b = binary.BigEndian.AppendUint64(b, h.Batch)
			b = binary.BigEndian.AppendUint32(b, h.Offset)
		}
		b = binary.BigEndian.AppendUint64(b, h.Events)
		b = append(b, h.Value[:]...)
	}
	if t.Version < TxVersion4 {
		return b
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(t.Deposits)))
	if t.Version >= TxVersion7 {
		return t.appendDeposits7(b)
	}
	for _, d := range t.Deposits {
		b = binary.BigEndian.AppendUint64(b, d.Batch)
		b = binary.BigEndian.AppendUint32(b, d.Offset)
		if d.HasSM3 {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		b = append(b, d.SHA256[:]...)
		if d.HasSM3 {
			b = append(b, d.SM3[:]...)
		}
	}
	return b
}

// signedMessage is what a node signs: SignaturePrefix ‖ chainID ‖ 0x00 ‖
// the encoding up to the signature. It is built from t's fields, never from
// bytes kept aside, so what Verify checks is what the caller reads.
func (t *Tx) signedMessage(chainID string) []byte {
	if t.isGov() {
		prefix := GovSignaturePrefix
		if t.Kind == KindRevokeGov {
			prefix = RevokeSignaturePrefix
		}
		m := append(append([]byte(prefix), chainID...), 0)
		return t.appendBody(m)
	}
	n := len(SignaturePrefix) + len(chainID) + 1 + 6 + 2 + len(t.NodeCert.Raw) + 2 + len(t.OrgCA.Raw) + 16 +
		len(t.Leaves)*HashSize + len(t.Heads)*t.headSize() + 4 + len(t.Deposits)*(depositSize+32) + len(t.Orgs)*128 + len(t.Regs)*512 + len(t.Commits)*32
	m := append(append(append(make([]byte, 0, n), SignaturePrefix...), chainID...), 0)
	return t.appendBody(m)
}

// check reports whether t's fields have an encoding: DecodeTx's results
// always do, a Tx built by hand may not.
func (t *Tx) check() error {
	if len(t.Commits) != 0 && t.Kind != KindRegCommit {
		return fmt.Errorf("%w: only a registration commitment carries commitments", ErrMalformedTx)
	}
	if t.isGov() {
		return t.checkGov()
	}
	if t.GovCert != nil || t.Proposal != nil || t.Ballot != nil || t.Revoked != nil {
		return fmt.Errorf("%w: a version-%d transaction carries no governance fields", ErrMalformedTx, t.Version)
	}
	if t.NodeCert == nil || t.OrgCA == nil {
		return fmt.Errorf("%w: missing certificate", ErrMalformedTx)
	}
	for _, c := range []*x509.Certificate{t.NodeCert, t.OrgCA} {
		if len(c.Raw) == 0 || len(c.Raw) > 0xffff {
			return fmt.Errorf("%w: certificate of %d bytes", ErrMalformedTx, len(c.Raw))
		}
	}
	switch {
	case t.Version == TxVersion && t.Kind == KindBatch:
		if len(t.Heads) != 0 || t.Upgrade != (UpgradeVote{}) {
			return fmt.Errorf("%w: a version-1 transaction has leaves only", ErrMalformedTx)
		}
		if len(t.Leaves) == 0 || len(t.Leaves) > MaxLeaves {
			return fmt.Errorf("%w: %d leaves, want 1..%d", ErrMalformedTx, len(t.Leaves), MaxLeaves)
		}
	case (t.Version >= TxVersion2 && t.Version <= TxVersion4 || t.Version == TxVersion7) && t.Kind == KindBatch:
		if err := t.checkBatch2(); err != nil {
			return err
		}
	case (t.Version == TxVersion4 || t.Version == TxVersion8) && t.Kind == KindDirectory:
		if t.Seq != 0 || len(t.Leaves) != 0 || len(t.Heads) != 0 || len(t.Deposits) != 0 || len(t.Regs) != 0 || t.Upgrade != (UpgradeVote{}) {
			return fmt.Errorf("%w: a directory registration carries organizations only", ErrMalformedTx)
		}
		if err := checkOrgs(t.Orgs, t.Version); err != nil {
			return err
		}
	case t.Version == TxVersion5 && t.Kind == KindRegister:
		if t.Seq != 0 || len(t.Leaves) != 0 || len(t.Heads) != 0 || len(t.Deposits) != 0 || len(t.Orgs) != 0 || t.Upgrade != (UpgradeVote{}) {
			return fmt.Errorf("%w: a copyright registration carries registrations only", ErrMalformedTx)
		}
		if err := checkRegistrations(t.Regs); err != nil {
			return err
		}
	case t.Version == TxVersion11 && t.Kind == KindRegCommit:
		if t.Seq != 0 || len(t.Leaves) != 0 || len(t.Heads) != 0 || len(t.Deposits) != 0 || len(t.Orgs) != 0 || len(t.Regs) != 0 || t.Upgrade != (UpgradeVote{}) {
			return fmt.Errorf("%w: a registration commitment carries commitments only", ErrMalformedTx)
		}
		if err := checkCommits(t.Commits); err != nil {
			return err
		}
	case t.Version == TxVersion2 && t.Kind == KindUpgrade:
		if t.Seq != 0 || len(t.Leaves) != 0 || len(t.Heads) != 0 || len(t.Deposits) != 0 || len(t.Orgs) != 0 || len(t.Regs) != 0 {
			return fmt.Errorf("%w: an upgrade vote carries no batch", ErrMalformedTx)
		}
		if t.Upgrade.Version < 2 || t.Upgrade.Height == 0 || t.Upgrade.Height > math.MaxInt64 {
			return fmt.Errorf("%w: upgrade vote for state version %d at height %d", ErrMalformedTx, t.Upgrade.Version, t.Upgrade.Height)
		}
	default:
		return fmt.Errorf("%w: version %d, kind %d", ErrMalformedTx, t.Version, t.Kind)
	}
	for i, h := range t.Leaves {
		if len(h) != HashSize {
			return fmt.Errorf("%w: leaf %d has %d bytes", ErrBadLeaf, i, len(h))
		}
	}
	return nil
}

func (t *Tx) checkBatch2() error {
	if t.Upgrade != (UpgradeVote{}) {
		return fmt.Errorf("%w: a batch carries no upgrade vote", ErrMalformedTx)
	}
	if len(t.Leaves) > MaxLeaves || len(t.Heads) > MaxHeads || len(t.Deposits) > MaxLeaves || len(t.Leaves)+len(t.Heads)+len(t.Deposits) == 0 {
		return fmt.Errorf("%w: %d leaves, %d heads and %d deposits, want at most %d, %d and %d, and not none", ErrMalformedTx,
			len(t.Leaves), len(t.Heads), len(t.Deposits), MaxLeaves, MaxHeads, MaxLeaves)
	}
	if len(t.Orgs) != 0 || len(t.Regs) != 0 {
		return fmt.Errorf("%w: a batch carries no organizations or registrations", ErrMalformedTx)
	}
	if t.Version < TxVersion4 && len(t.Deposits) != 0 {
		return fmt.Errorf("%w: a version-%d batch carries no deposits", ErrMalformedTx, t.Version)
	}
	for i, d := range t.Deposits {
		switch {
		case d.Batch == 0:
			return fmt.Errorf("%w: deposit %d names no batch for its created event", ErrMalformedTx, i)
		case d.Offset >= MaxLeaves:
			return fmt.Errorf("%w: deposit %d names leaf %d of a batch, which holds at most %d", ErrMalformedTx, i, d.Offset, MaxLeaves)
		case !d.HasSM3 && d.SM3 != [32]byte{}:
			return fmt.Errorf("%w: deposit %d has an SM3 digest but no flag for it", ErrMalformedTx, i)
		case i > 0 && compareDeposits(t.Deposits[i-1], d) >= 0:
			return fmt.Errorf("%w: deposits are not in strictly increasing (batch, offset) order at %d", ErrMalformedTx, i)
		}
	}
	for i, h := range t.Heads {
		if h.Events == 0 {
			return fmt.Errorf("%w: head %d covers no event", ErrMalformedTx, i)
		}
		switch {
		case t.Version >= TxVersion3 && h.Batch == 0:
			return fmt.Errorf("%w: head %d names no batch for its chain's first event", ErrMalformedTx, i)
		case t.Version == TxVersion2 && (h.Batch != 0 || h.Offset != 0):
			return fmt.Errorf("%w: head %d of a version-2 batch names a first event", ErrMalformedTx, i)
		case h.Offset >= MaxLeaves:
			return fmt.Errorf("%w: head %d names leaf %d of a batch, which holds at most %d", ErrMalformedTx, i, h.Offset, MaxLeaves)
		}
		if i > 0 && bytes.Compare(t.Heads[i-1].Key[:], h.Key[:]) >= 0 {
			return fmt.Errorf("%w: head keys are not in strictly increasing order at %d", ErrMalformedTx, i)
		}
	}
	return nil
}

// Member returns a stable ID of the submitting node: the hex SHA-256 of its
// certificate's SubjectPublicKeyInfo. It survives certificate renewal as
// long as the node keeps its key.
func (t *Tx) Member() string {
	return hex.EncodeToString(t.memberKey())
}

// memberKey is the binary form of Member (32 bytes, freshly allocated).
func (t *Tx) memberKey() []byte {
	if t.NodeCert == nil { // a governance transaction: the signer's member
		return bytes.Clone(t.GovMember[:])
	}
	sum := sha256.Sum256(t.NodeCert.RawSubjectPublicKeyInfo)
	return sum[:]
}

// MemberOfKey is the member ID (Tx.Member) of a node whose validator key
// is pub; "" if pub is not an Ed25519 key.
func MemberOfKey(pub ed25519.PublicKey) string {
	if k := memberOfKey(pub); k != nil {
		return hex.EncodeToString(k)
	}
	return ""
}

// MemberNames maps each validator's member ID (Tx.Member) to its name in
// the trust bundle.
func MemberNames(vs []receipt.Validator) map[string]string {
	out := map[string]string{}
	for _, v := range vs {
		pub, err := base64.StdEncoding.DecodeString(v.PubKey)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			continue
		}
		if id := MemberOfKey(pub); id != "" {
			out[id] = v.Name
		}
	}
	return out
}

// memberKeyHex parses a Member ID back into its binary form.
func memberKeyHex(member string) ([]byte, error) {
	k, err := hex.DecodeString(member)
	if err != nil || len(k) != sha256.Size {
		return nil, fmt.Errorf("anchor: member ID %q is not 64 hex digits", member)
	}
	return k, nil
}

func checkChainID(chainID string) error {
	if chainID == "" || strings.IndexByte(chainID, 0) >= 0 {
		return fmt.Errorf("%w: %q", ErrChainID, chainID)
	}
	return nil
}

// decoder reads big-endian fields; once short, it stays short and returns
// nil or zero.
type decoder struct {
	b     []byte
	short bool
}

func (d *decoder) next(n int) []byte {
	if d.short || n > len(d.b) {
		d.short = true
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) uint16() uint16 {
	if v := d.next(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (d *decoder) uint32() uint32 {
	if v := d.next(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (d *decoder) uint64() uint64 {
	if v := d.next(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// cert reads a u16-length-prefixed DER certificate.
func (d *decoder) cert(what string) (*x509.Certificate, error) {
	der := d.next(int(d.uint16()))
	if d.short || len(der) == 0 {
		return nil, fmt.Errorf("%w: truncated %s certificate", ErrMalformedTx, what)
	}
	c, err := certs.ParseCertificate(der) // x509's, or smx509's for the sm suite
	if err != nil {
		return nil, fmt.Errorf("%w: %s certificate: %v", ErrMalformedTx, what, err)
	}
	return c, nil
}

// Verifier checks that a transaction is signed by a consortium member: the
// node certificate's key is Ed25519, it chains to the consortium root
// through the organization CA (x509.Verify at the given time, key usage
// client authentication), and the signature is valid for the chain ID.
//
// The verdict on a (node certificate, organization CA) pair is cached, keyed
// by the SHA-256 of both DERs, together with the pair's validity window, so
// repeated transactions from one node cost one signature check. Only pairs
// that verified are cached, so the cache is bounded by the certificates the
// consortium issued. The outcome never depends on the cache. A Verifier is
// safe for concurrent use.
type Verifier struct {
	chainID string
	root    *x509.Certificate
	roots   *x509.CertPool

	mu    sync.RWMutex
	cache map[[sha256.Size]byte]member
}

// member is a verified (node certificate, organization CA) pair.
type member struct {
	key                 ed25519.PublicKey
	notBefore, notAfter time.Time // the intersection of the chain's validity periods
}

// maxCached bounds the cache; when full it starts over.
const maxCached = 4096

// NewVerifier returns a Verifier of transactions for chainID, from members
// of the consortium whose root CA is root.
func NewVerifier(chainID string, root *x509.Certificate) *Verifier {
	roots := x509.NewCertPool()
	roots.AddCert(root)
	return &Verifier{chainID: chainID, root: root, roots: roots, cache: make(map[[sha256.Size]byte]member)}
}

// Verify checks t at time at (for a transaction in a block, the block's time,
// so that every validator decides alike). The error wraps ErrChainID,
// ErrMalformedTx, ErrBadLeaf (a Tx built by hand), ErrNodeKey, ErrExpired,
// ErrNotMember or ErrBadSignature.
func (v *Verifier) Verify(t *Tx, at time.Time) error {
	_, err := v.verify(t, at)
	return err
}

// verify is Verify, also returning the verified pair of a node-signed
// transaction (the zero member for a governance one).
func (v *Verifier) verify(t *Tx, at time.Time) (member, error) {
	if err := checkChainID(v.chainID); err != nil {
		return member{}, err
	}
	if err := t.check(); err != nil {
		return member{}, err
	}
	if t.isGov() {
		return member{}, v.verifyGov(t, at)
	}
	m, err := v.member(t, at)
	if err != nil {
		return member{}, err
	}
	if len(t.Sig) != ed25519.SignatureSize || !ed25519.Verify(m.key, t.signedMessage(v.chainID), t.Sig) {
		return member{}, fmt.Errorf("%w: member %s, seq %d", ErrBadSignature, t.Member(), t.Seq)
	}
	return m, nil
}

// member returns the verified pair of t's certificates, from the cache or by
// verifying it.
func (v *Verifier) member(t *Tx, at time.Time) (member, error) {
	id := pairID(t.NodeCert, t.OrgCA)
	v.mu.RLock()
	m, ok := v.cache[id]
	v.mu.RUnlock()
	if !ok {
		var err error
		if m, err = v.verifyChain(t.NodeCert, t.OrgCA, at); err != nil {
			return member{}, err
		}
		v.mu.Lock()
		if len(v.cache) >= maxCached {
			clear(v.cache)
		}
		v.cache[id] = m
		v.mu.Unlock()
	}
	if err := m.within(at); err != nil {
		return member{}, err
	}
	return m, nil
}

// within checks that at is within the pair's validity window.
func (m member) within(at time.Time) error {
	if at.Before(m.notBefore) || at.After(m.notAfter) {
		return fmt.Errorf("%w: %v is outside the chain's validity [%v, %v]", ErrExpired,
			at.UTC().Format(time.RFC3339), m.notBefore.Format(time.RFC3339), m.notAfter.Format(time.RFC3339))
	}
	return nil
}

// verifyChain checks, once per pair, what does not depend on the time within
// the pair's validity window: an Ed25519 node key, and the chain
// node → organization CA → root with client authentication.
func (v *Verifier) verifyChain(node, orgCA *x509.Certificate, at time.Time) (member, error) {
	key, ok := node.PublicKey.(ed25519.PublicKey)
	if !ok {
		return member{}, fmt.Errorf("%w: node %q has a %T key", ErrNodeKey, node.Subject, node.PublicKey)
	}
	m := member{key: key, notBefore: node.NotBefore, notAfter: node.NotAfter}
	for _, c := range []*x509.Certificate{orgCA, v.root} {
		if c.NotBefore.After(m.notBefore) {
			m.notBefore = c.NotBefore
		}
		if c.NotAfter.Before(m.notAfter) {
			m.notAfter = c.NotAfter
		}
	}
	if at.Before(m.notBefore) || at.After(m.notAfter) {
		// Checked first, so that expiry gives the same error with a cold
		// cache as with a warm one.
		return member{}, fmt.Errorf("%w: %v is outside the chain's validity [%v, %v]", ErrExpired,
			at.UTC().Format(time.RFC3339), m.notBefore.Format(time.RFC3339), m.notAfter.Format(time.RFC3339))
	}
	if certs.KeySuite(v.root.PublicKey) == certs.SuiteSM {
		return m, v.verifyChainSM(node, orgCA, at)
	}
	inter := x509.NewCertPool()
	inter.AddCert(orgCA)
	chains, err := node.Verify(x509.VerifyOptions{
		Roots:         v.roots,
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return member{}, fmt.Errorf("%w: node %q: %v", ErrNotMember, node.Subject, err)
	}
	for _, c := range chains {
		if len(c) == 3 && c[1].Equal(orgCA) && c[2].Equal(v.root) {
			return m, nil
		}
	}
	return member{}, fmt.Errorf("%w: node %q is not certified by organization CA %q under the root", ErrNotMember, node.Subject, orgCA.Subject)
}

// verifyChainSM is verifyChain's check for a root of the sm suite, whose
// SM2-with-SM3 signatures x509.Verify does not know: node issued by orgCA,
// orgCA by the root (certs.CheckSignatureFrom), each CA allowed to issue,
// every certificate usable at at, and the node certificate's extended key
// usage client authentication (or any).
func (v *Verifier) verifyChainSM(node, orgCA *x509.Certificate, at time.Time) error {
	fail := func(err error) error {
		return fmt.Errorf("%w: node %q: %v", ErrNotMember, node.Subject, err)
	}
	if _, err := certs.FindIssuer(node, []*x509.Certificate{orgCA}, func(p *x509.Certificate) error { return certs.MayIssue(p, 0) }, fmt.Errorf("not issued by %q", orgCA.Subject)); err != nil {
		return fail(err)
	}
	if _, err := certs.FindIssuer(orgCA, []*x509.Certificate{v.root}, func(p *x509.Certificate) error { return certs.MayIssue(p, 1) }, fmt.Errorf("%q is not issued by the root", orgCA.Subject)); err != nil {
		return fail(err)
	}
	for _, c := range []*x509.Certificate{node, orgCA, v.root} {
		if err := certs.UsableAt(c, at); err != nil {
			return fail(err)
		}
	}
	if len(node.ExtKeyUsage) > 0 && !slices.Contains(node.ExtKeyUsage, x509.ExtKeyUsageClientAuth) && !slices.Contains(node.ExtKeyUsage, x509.ExtKeyUsageAny) {
		return fail(fmt.Errorf("no client authentication in its extended key usage"))
	}
	return nil
}

// pairID is the cache key of a (node certificate, organization CA) pair:
// SHA-256 of both DERs, each preceded by its length.
func pairID(node, orgCA *x509.Certificate) [sha256.Size]byte {
	h := sha256.New()
	for _, c := range []*x509.Certificate{node, orgCA} {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(c.Raw))))
		h.Write(c.Raw)
	}
	var id [sha256.Size]byte
	h.Sum(id[:0])
	return id
}

// depositSize7 is the smallest encoded size of a version-7 deposit: flags,
// offset and SHA-256 (its created event in the batch itself, no SM3).
const depositSize7 = 1 + 2 + 32

// Flags of a version-7 deposit.
const (
	depositSM3   = 1 // an SM3 follows the SHA-256
	depositOther = 2 // the created event is in another batch, named
)

// decodeDepositHead7 reads a version-7 deposit's flags, batch and offset.
func (t *Tx) decodeDepositHead7(d *decoder, i int, dp *Deposit) error {
	f := d.next(1)
	if f == nil {
		return nil // cut short: the caller reports it
	}
	if f[0]&^(depositSM3|depositOther) != 0 {
		return fmt.Errorf("%w: deposit %d has flags %d, want bits 1 and 2 only", ErrMalformedTx, i, f[0])
	}
	dp.HasSM3, dp.Batch = f[0]&depositSM3 != 0, t.Seq
	if f[0]&depositOther != 0 {
		if dp.Batch = d.uint64(); dp.Batch == t.Seq {
			return fmt.Errorf("%w: deposit %d names its own batch as another", ErrMalformedTx, i)
		}
	}
	dp.Offset = uint32(d.uint16())
	return nil
}

// appendDeposits7 appends t.Deposits in version 7's encoding (check has
// kept their offsets below MaxLeaves, so each fits in 16 bits).
func (t *Tx) appendDeposits7(b []byte) []byte {
	for _, d := range t.Deposits {
		var f byte
		if d.HasSM3 {
			f |= depositSM3
		}
		if d.Batch != t.Seq {
			f |= depositOther
		}
		b = append(b, f)
		if d.Batch != t.Seq {
			b = binary.BigEndian.AppendUint64(b, d.Batch)
		}
		b = binary.BigEndian.AppendUint16(b, uint16(d.Offset))
		b = append(b, d.SHA256[:]...)
		if d.HasSM3 {
			b = append(b, d.SM3[:]...)
		}
	}
	return b
}
