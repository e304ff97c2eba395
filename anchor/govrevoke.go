package anchor

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"slices"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/certs"
)

// The revocation of a governance certificate (transaction version 10,
// state version 10; docs/governance.md): a member's organization CA, the
// authority that issued the certificate, withdraws it, as a CRL entry
// would (RFC 5280 §5.3), without retiring the CA itself:
//
//	magic "CSTX" ‖ version 10 ‖ kind 7
//	‖ caLen u16 ‖ organization CA DER ‖ member (32)
//	‖ certLen u16 ‖ the revoked governance certificate DER
//	‖ signature (64)
//
// The transaction carries the certificate, not only its SHA-256, so that
// the chain itself checks that the signing CA issued it (a member cannot
// revoke another member's certificate). The signature is by the
// organization CA's key, over RevokeSignaturePrefix ‖ chainID ‖ 0x00 ‖
// every byte before the signature: ECDSA P-256 with SHA-256, r ‖ s with
// s ≤ n/2 (as a governance signature), or, for an SM2 organization CA
// (the sm suite), SM2 with SM3 and the default user ID (GM/T 0009),
// r ‖ s, each 32 bytes big-endian.
//
// From state version 10 the member's entry keeps the revoked
// certificates' SHA-256, of the DER and of the TBSCertificate
// (Member.RevokedGov, committed in the state map with the member); a
// proposal or vote signed with the certificate, in any encoding (the same
// TBSCertificate), is refused with CodeRevoked, and the revocation drops
// the member's votes on open proposals cast with it, or cast before state
// version 10 (the chain did not record with which certificate), so that
// the member can vote again with a new key. A proposal whose votes it
// changed is decided on the votes left, as a vote decides it.
const (
	// TxVersion10 is the revocation of a governance certificate.
	TxVersion10 = 10
	// KindRevokeGov revokes one governance certificate of a member
	// (transaction version 10).
	KindRevokeGov = 7
	// RevokeSignaturePrefix separates a revocation's signature from any
	// other use of an organization CA's key (its certificates' DER start
	// with 0x30).
	RevokeSignaturePrefix = "custos governance revocation v1\x00"
	// CodeRevoked is the result code of a proposal or vote signed with a
	// governance certificate its member revoked (state version 10).
	CodeRevoked uint32 = 8
)

// RevokedCert is one governance certificate a member revoked.
type RevokedCert struct {
	SHA256  string `json:"sha256"`     // of the certificate's DER, as revoked
	TBS     string `json:"tbs_sha256"` // of its TBSCertificate: the identity the chain compares
	Revoked int64  `json:"revoked"`    // the height of the revocation
}

// NewRevokeGovTx encodes and signs member's revocation of its governance
// certificate cert, with the key caKey of the organization CA orgCA that
// issued cert (ECDSA P-256 or SM2).
func NewRevokeGovTx(chainID string, orgCA *x509.Certificate, caKey crypto.Signer, member string, cert *x509.Certificate) ([]byte, error) {
	if err := checkChainID(chainID); err != nil {
		return nil, err
	}
	t := &Tx{Version: TxVersion10, Kind: KindRevokeGov, OrgCA: orgCA, Revoked: cert}
	m, err := memberKeyHex(member)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedTx, err)
	}
	copy(t.GovMember[:], m)
	if orgCA == nil || !certs.SameKey(orgCA, caKey) {
		return nil, fmt.Errorf("%w: the signer is not the organization CA's key", ErrGovKey)
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	der, err := certs.Sign(caKey, t.signedMessage(chainID))
	if err != nil {
		return nil, fmt.Errorf("anchor: revocation signature: %w", err)
	}
	if t.Sig, err = fixedSig(der, certs.KeySuite(orgCA.PublicKey) != certs.SuiteSM); err != nil {
		return nil, fmt.Errorf("%w: the signer returned no ECDSA or SM2 signature", ErrGovKey)
	}
	return t.Encode(), nil
}

// RevokedHash is the SHA-256 of the certificate a revocation revokes.
func (t *Tx) RevokedHash() [32]byte {
	if t.Revoked == nil {
		return [32]byte{}
	}
	return sha256.Sum256(t.Revoked.Raw)
}

// decodeRevoke reads a revocation after its kind byte.
func (t *Tx) decodeRevoke(d *decoder) error {
	var err error
	if t.OrgCA, err = d.cert("organization CA"); err != nil {
		return err
	}
	copy(t.GovMember[:], d.next(32))
	if t.Revoked, err = d.cert("revoked governance"); err != nil {
		return err
	}
	return nil
}

// appendRevoke appends a revocation's fields after its kind.
func (t *Tx) appendRevoke(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.OrgCA.Raw)))
	b = append(b, t.OrgCA.Raw...)
	b = append(b, t.GovMember[:]...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.Revoked.Raw)))
	return append(b, t.Revoked.Raw...)
}

// checkRevokeFields reports whether a revocation's fields have an
// encoding.
func (t *Tx) checkRevokeFields() error {
	if t.Version != TxVersion10 || t.Kind != KindRevokeGov || t.OrgCA == nil || t.Revoked == nil || t.GovCert != nil || t.Proposal != nil || t.Ballot != nil {
		return fmt.Errorf("%w: a revocation carries an organization CA and a governance certificate only", ErrMalformedTx)
	}
	for _, c := range []*x509.Certificate{t.OrgCA, t.Revoked} {
		if len(c.Raw) == 0 || len(c.Raw) > 0xffff {
			return fmt.Errorf("%w: certificate of %d bytes", ErrMalformedTx, len(c.Raw))
		}
	}
	if t.NodeCert != nil || t.Seq != 0 || len(t.Leaves) != 0 || len(t.Heads) != 0 || len(t.Deposits) != 0 || len(t.Orgs) != 0 || len(t.Regs) != 0 || t.Upgrade != (UpgradeVote{}) {
		return fmt.Errorf("%w: a revocation carries no node certificate or batch", ErrMalformedTx)
	}
	if t.GovMember == ([32]byte{}) {
		return fmt.Errorf("%w: a revocation names a member", ErrMalformedTx)
	}
	return nil
}

// verifyRevoke checks that a revocation is signed by its organization
// CA, an organization CA of the consortium valid at at, which issued the
// revoked governance certificate. Whether the CA is the named member's is
// the state's to say.
func (v *Verifier) verifyRevoke(t *Tx, at time.Time) error {
	if err := checkOrgCA(t.OrgCA, v.root); err != nil {
		return fmt.Errorf("%w: %v", ErrNotMember, err)
	}
	if err := certs.UsableAt(t.OrgCA, at); err != nil {
		return fmt.Errorf("%w: organization CA %v", ErrExpired, err)
	}
	if err := certs.CheckGovernanceIssued(t.Revoked, t.OrgCA); err != nil {
		return fmt.Errorf("%w: %v", ErrNotMember, err)
	}
	pub, ok := t.OrgCA.PublicKey.(*ecdsa.PublicKey)
	if !ok || len(t.Sig) != 64 {
		return fmt.Errorf("%w: a revocation is signed by an ECDSA P-256 or SM2 organization CA, in 64 bytes", ErrBadSignature)
	}
	n := pub.Curve.Params().N
	r, s := new(big.Int).SetBytes(t.Sig[:32]), new(big.Int).SetBytes(t.Sig[32:])
	bad := r.Sign() == 0 || r.Cmp(n) >= 0 || s.Sign() == 0 || s.Cmp(n) >= 0
	if certs.KeySuite(pub) != certs.SuiteSM && s.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		bad = true // one encoding per signature
	}
	der, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if bad || err != nil || certs.CheckSignature(t.OrgCA, t.signedMessage(v.chainID), der) != nil {
		return fmt.Errorf("%w: revocation by organization CA %q of member %x", ErrBadSignature, t.OrgCA.Subject, t.GovMember)
	}
	return nil
}

// TBSSHA256 is the hex SHA-256 of cert's TBSCertificate, by which the
// chain knows a revoked governance certificate: the part its CA signed,
// the same in every encoding of the certificate (review of state version
// 10, findings R1 and R2: the DER has others, its ECDSA signature's twin
// (r, n − s) and its signature BIT STRING written with unused bits, each
// under another SHA-256, that Go's parsers read as the same certificate).
func TBSSHA256(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawTBSCertificate)
	return hex.EncodeToString(sum[:])
}

// revokedAt is the height at which m revoked the governance certificate
// cert, in any encoding, and the SHA-256 of the DER it revoked; or 0.
func (m *Member) revokedAt(cert *x509.Certificate) (int64, string) {
	tbs := TBSSHA256(cert)
	for _, r := range m.RevokedGov {
		if r.TBS == tbs {
			return r.Revoked, r.SHA256
		}
	}
	return 0, ""
}

// checkRevoked refuses, from state version 10, a proposal or vote signed
// with a governance certificate its member m revoked, in any encoding.
func checkRevoked(m *Member, t *Tx) (uint32, string) {
	if h, sum := m.revokedAt(t.GovCert); h != 0 {
		return CodeRevoked, fmt.Sprintf("governance certificate %q (SHA-256 %s) of member %s was revoked at height %d", t.GovCert.Subject, sum, m.ID, h)
	}
	return CodeOK, ""
}

// checkRevoke checks a revocation against the state: from state version
// 10, by the organization CA of a member not removed, bound to it and not
// retired, of a certificate not yet revoked in any encoding.
func checkRevoke(tx *bolt.Tx, t *Tx, version int) (uint32, string) {
	if version < StateV10 {
		return CodeVersion, fmt.Sprintf("a governance certificate revocation; the chain state is version %d, which has none (version 10 has)", version)
	}
	m, code, msg := signer(tx, t)
	if code != CodeOK {
		return code, msg
	}
	if h, sum := m.revokedAt(t.Revoked); h != 0 {
		return CodeDuplicate, fmt.Sprintf("governance certificate %q (SHA-256 %s) of member %s was revoked at height %d", t.Revoked.Subject, sum, m.ID, h)
	}
	return CodeOK, ""
}

// applyRevoke records a revocation (checked by checkRevoke) in its
// member's entry, drops that member's votes on the open proposals that
// were cast with the certificate in any encoding, or before state version
// 10 (the chain did not record with which certificate),
// and decides each proposal it changed on the votes left (tally), as a
// vote would (review of state version 10, finding R4).
func (a *App) applyRevoke(tx *bolt.Tx, t *Tx, height int64, version int) *abci.ExecTxResult {
	fail := func(err error) { panic(fmt.Sprintf("anchor: revocation at height %d: %v", height, err)) }
	m, _ := getMember(tx, t.GovMember[:])
	sum, tbs := t.RevokedHash(), TBSSHA256(t.Revoked)
	m.RevokedGov = append(m.RevokedGov, RevokedCert{SHA256: hex.EncodeToString(sum[:]), TBS: tbs, Revoked: height})
	a.saveMember(tx, &m, fail)
	var open [][]byte
	tx.Bucket(bGovOpen).ForEach(func(k, _ []byte) error {
		open = append(open, slices.Clone(k))
		return nil
	})
	ms := allMembers(tx)
	for _, k := range open {
		ps, ok := getProposal(tx, string(k[8:]))
		if !ok {
			continue
		}
		kept := slices.DeleteFunc(slices.Clone(ps.Votes), func(v GovVote) bool {
			return v.Member == m.ID && (v.CertTBS == "" || v.CertTBS == tbs)
		})
		if len(kept) == len(ps.Votes) {
			continue
		}
		ps.Votes = kept
		ps.YesPower, ps.NoPower, ps.TotalPower = countVotes(ms, ps.Votes)
		a.tally(tx, &ps, height, version, fail)
		a.saveProposal(tx, &ps, fail)
	}
	return &abci.ExecTxResult{Code: CodeOK}
}
