package anchor

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/custos-project/custos/certs"
)

// Governance transactions (transaction version 6, state version 6): a
// member's proposal to change the consortium, and the members' votes on
// it (docs/governance.md). They are signed not by a node but by a member's
// governance key (certs.IssueGovernance), which its administrators keep
// off the node:
//
//	magic "CSTX" ‖ version 6 ‖ kind (5 proposal, 6 vote)
//	‖ certLen u16 ‖ governance certificate DER ‖ caLen u16 ‖ organization CA DER
//	‖ member (32) ‖ idLen u8 (1..64) ‖ proposal ID (printable ASCII)
//	‖ body ‖ signature (64)
//
//	kind 5, a proposal:
//	  expires u64 (the last height at which it can pass) ‖ flags u8 (bit 0:
//	  override the 4-validator and court floors; other bits 0)
//	  ‖ action u8 ‖ params:
//	    1 admit:      caLen u16 ‖ organization CA DER ‖ validator key (32) ‖ power u64
//	    2 remove:     target member (32)
//	    3 rotate:     target member (32) ‖ new validator key (32)
//	    4 power:      target member (32) ‖ power u64
//	    5 retire CA:  target member (32) ‖ SHA-256 of the organization CA DER (32)
//	kind 6, a vote:
//	  choice u8 (1 yes, 0 no)
//
// Version 9 (state version 9) is version 6's vote (kind 6 only) with the
// SHA-256 of the proposal it votes for after the choice (governance
// review finding G1):
//
//	magic "CSTX" ‖ version 9 ‖ kind 6 ‖ certLen u16 ‖ governance
//	certificate DER ‖ caLen u16 ‖ organization CA DER ‖ member (32)
//	‖ idLen u8 ‖ proposal ID ‖ choice u8 ‖ proposal SHA-256 (32)
//	‖ signature (64)
//
// The proposal SHA-256 (ProposalHash, ProposalState.Hash) is the SHA-256
// of the proposal transaction's bytes from its member field to the end of
// its parameters: member (32) ‖ idLen u8 ‖ proposal ID ‖ expires u64 ‖
// flags u8 ‖ action u8 ‖ params, exactly as the chain recorded them. It
// leaves out the proposal's certificates and signature, so it is computed
// alike from the transaction and from the recorded proposal; it names
// the proposer and every parameter, so another proposal under the same
// ID has another hash. From state version 9 a vote counts only if the
// hash is the recorded proposal's, and only version-9 votes are taken.
//
// member is the signer's member ID (MemberOfKey of the validator key the
// member was admitted with; it stays the member's ID when the key is
// rotated). Powers are 1..MaxPower. The signature is ECDSA P-256 with
// SHA-256 (FIPS 186-5) by the governance certificate's key over
// GovSignaturePrefix ‖ chainID ‖ 0x00 ‖ every byte before the signature,
// encoded as r ‖ s (32 bytes each, big-endian) with s ≤ n/2, so that a
// signature has one encoding.
const (
	TxVersion6 = 6
	// TxVersion9 is the vote of state version 9, which names the
	// proposal's SHA-256.
	TxVersion9 = 9
	// KindPropose is a governance proposal (transaction version 6).
	KindPropose = 5
	// KindVote is a vote on a proposal (transaction version 6).
	KindVote = 6
	// GovSignaturePrefix separates governance signatures from any other
	// use of a governance key.
	GovSignaturePrefix = "custos governance tx v1\x00"
	// MaxPower is the largest voting power a proposal gives a validator.
	MaxPower = 1_000_000
	// maxProposalIDLen bounds a proposal ID.
	maxProposalIDLen = 64
)

// Governance actions.
const (
	ActAdmit    = 1 // admit a member: its organization CA and validator key
	ActRemove   = 2 // remove a member and its validator
	ActRotate   = 3 // replace a member's validator key
	ActPower    = 4 // change a member's voting power
	ActRetireCA = 5 // stop accepting one of a member's organization CAs
)

var actionNames = map[uint8]string{ActAdmit: "admit", ActRemove: "remove", ActRotate: "rotate", ActPower: "power", ActRetireCA: "retire-ca"}

// Proposal is the body of a KindPropose transaction.
type Proposal struct {
	ID       string
	Expires  uint64 // the last height at which it can pass
	Override bool   // allow fewer than 4 validators or no court
	Action   uint8
	// Target is the member the action applies to (all but ActAdmit).
	Target [32]byte
	// OrgCA is the new member's organization CA (ActAdmit).
	OrgCA *x509.Certificate
	// ValidatorKey is the new member's (ActAdmit) or the new (ActRotate)
	// Ed25519 validator key.
	ValidatorKey ed25519.PublicKey
	// Power is the voting power (ActAdmit, ActPower).
	Power uint64
	// CAHash is the SHA-256 of the retired organization CA's DER
	// (ActRetireCA).
	CAHash [32]byte
}

// Ballot is the body of a KindVote transaction.
type Ballot struct {
	ID  string
	Yes bool
	// Proposal is the SHA-256 of the proposal voted for (ProposalHash);
	// version 9 only, zero in version 6.
	Proposal [32]byte
}

// NewProposeTx encodes and signs a proposal by member (a member ID)
// with the governance key signer, certified by govCert under orgCA.
func NewProposeTx(chainID string, govCert, orgCA *x509.Certificate, signer crypto.Signer, member string, p Proposal) ([]byte, error) {
	return signGovTx(chainID, signer, &Tx{Version: TxVersion6, Kind: KindPropose, GovCert: govCert, OrgCA: orgCA, Proposal: &p}, member)
}

// NewVoteTx encodes and signs member's vote on proposal id, of
// transaction version 6: the vote below state version 9.
func NewVoteTx(chainID string, govCert, orgCA *x509.Certificate, signer crypto.Signer, member, id string, yes bool) ([]byte, error) {
	return signGovTx(chainID, signer, &Tx{Version: TxVersion6, Kind: KindVote, GovCert: govCert, OrgCA: orgCA, Ballot: &Ballot{ID: id, Yes: yes}}, member)
}

// NewVoteTx9 encodes and signs member's vote on proposal id whose
// SHA-256 (ProposalHash) is proposal, of transaction version 9: the vote
// from state version 9.
func NewVoteTx9(chainID string, govCert, orgCA *x509.Certificate, signer crypto.Signer, member, id string, proposal [32]byte, yes bool) ([]byte, error) {
	return signGovTx(chainID, signer, &Tx{Version: TxVersion9, Kind: KindVote, GovCert: govCert, OrgCA: orgCA, Ballot: &Ballot{ID: id, Yes: yes, Proposal: proposal}}, member)
}

// VoteVersion is the transaction version of votes at a state version.
func VoteVersion(state int) uint8 {
	if state >= StateV9 {
		return TxVersion9
	}
	return TxVersion6
}

// ProposalHash is the SHA-256 a version-9 vote names of the proposal
// that transaction t carries (docs/chain-transactions.md): of member ‖
// idLen ‖ ID ‖ expires ‖ flags ‖ action ‖ params, the bytes of t between
// its organization CA and its signature. It is ProposalState.Hash of the
// proposal the chain records from t.
func ProposalHash(t *Tx) ([32]byte, error) {
	if t == nil || t.Kind != KindPropose || t.Proposal == nil {
		return [32]byte{}, fmt.Errorf("%w: not a proposal", ErrMalformedTx)
	}
	p := t.Proposal
	var ca []byte
	if p.OrgCA != nil {
		ca = p.OrgCA.Raw
	}
	return sha256.Sum256(appendProposal(nil, t.GovMember, p, ca)), nil
}

// appendProposal appends a proposal's fields from member to its
// parameters; ca is the admitted organization CA's DER (ActAdmit).
func appendProposal(b []byte, member [32]byte, p *Proposal, ca []byte) []byte {
	b = append(b, member[:]...)
	b = append(append(b, byte(len(p.ID))), p.ID...)
	b = binary.BigEndian.AppendUint64(b, p.Expires)
	b = append(b, boolByte(p.Override), p.Action)
	if p.Action == ActAdmit {
		b = binary.BigEndian.AppendUint16(b, uint16(len(ca)))
		b = append(b, ca...)
		b = append(b, p.ValidatorKey...)
		return binary.BigEndian.AppendUint64(b, p.Power)
	}
	b = append(b, p.Target[:]...)
	switch p.Action {
	case ActRotate:
		b = append(b, p.ValidatorKey...)
	case ActPower:
		b = binary.BigEndian.AppendUint64(b, p.Power)
	case ActRetireCA:
		b = append(b, p.CAHash[:]...)
	}
	return b
}

// isGov reports whether t is a governance transaction (signed by a
// governance key, not a node's).
func (t *Tx) isGov() bool {
	return t.Version == TxVersion6 || t.Version == TxVersion9 || t.Version == TxVersion10
}

func signGovTx(chainID string, signer crypto.Signer, t *Tx, member string) ([]byte, error) {
	if err := checkChainID(chainID); err != nil {
		return nil, err
	}
	m, err := memberKeyHex(member)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedTx, err)
	}
	copy(t.GovMember[:], m)
	if t.GovCert == nil || !certs.SameKey(t.GovCert, signer) {
		return nil, fmt.Errorf("%w: the signer is not the governance certificate's key", ErrGovKey)
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	digest := sha256.Sum256(t.signedMessage(chainID))
	der, err := signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("anchor: governance signature: %w", err)
	}
	if t.Sig, err = fixedSig(der, true); err != nil {
		return nil, fmt.Errorf("%w: the signer returned no ECDSA signature", ErrGovKey)
	}
	return t.Encode(), nil
}

// fixedSig turns the ASN.1 signature der, ECDSA P-256 or SM2, into r ‖ s
// in 32 bytes each; with lowS (ECDSA) in the low-s form, s ≤ n/2, so that
// a signature has one encoding.
func fixedSig(der []byte, lowS bool) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &sig); err != nil || len(rest) != 0 {
		return nil, errors.New("not an ASN.1 signature")
	}
	n := elliptic.P256().Params().N
	if lowS && sig.S.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		sig.S.Sub(n, sig.S) // the low-s form of the same signature
	}
	out := make([]byte, 64)
	sig.R.FillBytes(out[:32])
	sig.S.FillBytes(out[32:])
	return out, nil
}

// decodeGov reads a governance transaction after its kind byte.
func (t *Tx) decodeGov(d *decoder) error {
	if t.Kind == KindRevokeGov {
		return t.decodeRevoke(d)
	}
	var err error
	if t.GovCert, err = d.cert("governance"); err != nil {
		return err
	}
	if t.OrgCA, err = d.cert("organization CA"); err != nil {
		return err
	}
	copy(t.GovMember[:], d.next(32))
	id := ""
	if l := d.next(1); l != nil {
		id = string(d.next(int(l[0])))
	}
	if t.Kind == KindVote {
		t.Ballot = &Ballot{ID: id}
		switch c := d.next(1); {
		case c == nil:
		case c[0] == 1:
			t.Ballot.Yes = true
		case c[0] != 0:
			return fmt.Errorf("%w: vote choice %d, want 0 or 1", ErrMalformedTx, c[0])
		}
		if t.Version == TxVersion9 {
			copy(t.Ballot.Proposal[:], d.next(32))
		}
		return nil
	}
	p := &Proposal{ID: id, Expires: d.uint64()}
	t.Proposal = p
	switch f := d.next(1); {
	case f == nil:
	case f[0] == 1:
		p.Override = true
	case f[0] != 0:
		return fmt.Errorf("%w: proposal flags %d, want 0 or 1", ErrMalformedTx, f[0])
	}
	if a := d.next(1); a != nil {
		p.Action = a[0]
	}
	switch p.Action {
	case ActAdmit:
		if p.OrgCA, err = d.cert("new organization CA"); err != nil {
			return err
		}
		p.ValidatorKey = ed25519.PublicKey(d.next(ed25519.PublicKeySize))
		p.Power = d.uint64()
	case ActRemove, ActRotate, ActPower, ActRetireCA:
		copy(p.Target[:], d.next(32))
		switch p.Action {
		case ActRotate:
			p.ValidatorKey = ed25519.PublicKey(d.next(ed25519.PublicKeySize))
		case ActPower:
			p.Power = d.uint64()
		case ActRetireCA:
			copy(p.CAHash[:], d.next(32))
		}
	default:
		return fmt.Errorf("%w: unknown governance action %d", ErrMalformedTx, p.Action)
	}
	if d.short {
		return fmt.Errorf("%w: proposal cut short", ErrMalformedTx)
	}
	return nil
}

// appendGov appends a governance transaction's fields after its kind.
func (t *Tx) appendGov(b []byte) []byte {
	if t.Kind == KindRevokeGov {
		return t.appendRevoke(b)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.GovCert.Raw)))
	b = append(b, t.GovCert.Raw...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.OrgCA.Raw)))
	b = append(b, t.OrgCA.Raw...)
	if t.Kind == KindVote {
		b = append(b, t.GovMember[:]...)
		b = append(append(b, byte(len(t.Ballot.ID))), t.Ballot.ID...)
		b = append(b, boolByte(t.Ballot.Yes))
		if t.Version == TxVersion9 {
			b = append(b, t.Ballot.Proposal[:]...)
		}
		return b
	}
	p := t.Proposal
	var ca []byte
	if p.OrgCA != nil {
		ca = p.OrgCA.Raw
	}
	return appendProposal(b, t.GovMember, p, ca)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// checkGov reports whether a governance transaction's fields have an
// encoding (DecodeTx's results always do).
func (t *Tx) checkGov() error {
	if t.Kind == KindRevokeGov || t.Version == TxVersion10 {
		return t.checkRevokeFields()
	}
	if t.GovCert == nil || t.OrgCA == nil || t.Revoked != nil {
		return fmt.Errorf("%w: missing certificate", ErrMalformedTx)
	}
	for _, c := range []*x509.Certificate{t.GovCert, t.OrgCA} {
		if len(c.Raw) == 0 || len(c.Raw) > 0xffff {
			return fmt.Errorf("%w: certificate of %d bytes", ErrMalformedTx, len(c.Raw))
		}
	}
	if t.NodeCert != nil || t.Seq != 0 || len(t.Leaves) != 0 || len(t.Heads) != 0 || len(t.Deposits) != 0 || len(t.Orgs) != 0 || len(t.Regs) != 0 || t.Upgrade != (UpgradeVote{}) {
		return fmt.Errorf("%w: a governance transaction carries no node certificate or batch", ErrMalformedTx)
	}
	var id string
	switch {
	case t.Kind == KindVote && t.Ballot != nil && t.Proposal == nil:
		id = t.Ballot.ID
		if t.Version == TxVersion6 && t.Ballot.Proposal != ([32]byte{}) {
			return fmt.Errorf("%w: a version-6 vote names no proposal SHA-256", ErrMalformedTx)
		}
	case t.Kind == KindPropose && t.Version == TxVersion6 && t.Proposal != nil && t.Ballot == nil:
		id = t.Proposal.ID
		if err := t.Proposal.check(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: version %d, kind %d", ErrMalformedTx, t.Version, t.Kind)
	}
	if id == "" || len(id) > maxProposalIDLen || !printableASCII(id) {
		return fmt.Errorf("%w: a proposal ID of 1 to %d printable ASCII characters", ErrMalformedTx, maxProposalIDLen)
	}
	return nil
}

func (p *Proposal) check() error {
	if p.Expires == 0 || p.Expires > math.MaxInt64 {
		return fmt.Errorf("%w: proposal expires at height %d", ErrMalformedTx, p.Expires)
	}
	keyLen := 0
	switch p.Action {
	case ActAdmit:
		keyLen = ed25519.PublicKeySize
		if p.OrgCA == nil || len(p.OrgCA.Raw) == 0 || len(p.OrgCA.Raw) > 0xffff || p.Target != ([32]byte{}) || p.CAHash != ([32]byte{}) {
			return fmt.Errorf("%w: an admission names an organization CA and no target", ErrMalformedTx)
		}
	case ActRotate:
		keyLen = ed25519.PublicKeySize
	case ActRemove, ActPower, ActRetireCA:
	default:
		return fmt.Errorf("%w: unknown governance action %d", ErrMalformedTx, p.Action)
	}
	if p.Action != ActAdmit && (p.OrgCA != nil || p.Target == ([32]byte{})) {
		return fmt.Errorf("%w: a %s proposal names a target member and no organization CA", ErrMalformedTx, actionNames[p.Action])
	}
	if len(p.ValidatorKey) != keyLen {
		return fmt.Errorf("%w: a %s proposal with a validator key of %d bytes, want %d", ErrMalformedTx, actionNames[p.Action], len(p.ValidatorKey), keyLen)
	}
	hasPower := p.Action == ActAdmit || p.Action == ActPower
	if hasPower && (p.Power == 0 || p.Power > MaxPower) || !hasPower && p.Power != 0 {
		return fmt.Errorf("%w: a %s proposal with power %d (1..%d only for admit and power)", ErrMalformedTx, actionNames[p.Action], p.Power, MaxPower)
	}
	if (p.Action == ActRetireCA) != (p.CAHash != [32]byte{}) {
		return fmt.Errorf("%w: a CA hash only in, and always in, a retire-ca proposal", ErrMalformedTx)
	}
	return nil
}

// verifyGov checks that a governance transaction is signed by a
// governance key certified by its organization CA under the root, at
// time at. Whether that CA is the named member's is the state's to say.
func (v *Verifier) verifyGov(t *Tx, at time.Time) error {
	if t.Kind == KindRevokeGov {
		return v.verifyRevoke(t, at)
	}
	if err := certs.CheckGovernance(t.GovCert, t.OrgCA, v.root, at); err != nil {
		if errors.Is(err, certs.ErrValidity) {
			return fmt.Errorf("%w: %v", ErrExpired, err)
		}
		return fmt.Errorf("%w: %v", ErrNotMember, err)
	}
	pub := t.GovCert.PublicKey.(*ecdsa.PublicKey) // CheckGovernance: P-256
	if len(t.Sig) != 64 {
		return fmt.Errorf("%w: a signature of %d bytes, want 64", ErrBadSignature, len(t.Sig))
	}
	n := elliptic.P256().Params().N
	r, s := new(big.Int).SetBytes(t.Sig[:32]), new(big.Int).SetBytes(t.Sig[32:])
	digest := sha256.Sum256(t.signedMessage(v.chainID))
	if r.Sign() == 0 || r.Cmp(n) >= 0 || s.Sign() == 0 || s.Cmp(new(big.Int).Rsh(n, 1)) > 0 || !ecdsa.Verify(pub, digest[:], r, s) {
		return fmt.Errorf("%w: governance transaction of member %x", ErrBadSignature, t.GovMember)
	}
	return nil
}
