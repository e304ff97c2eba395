package anchor

import (
	"bytes"
	"cmp"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/certs"
)

// Consortium governance (state version 6; docs/governance.md): the
// members, which validator each runs and with what power, which
// organization CAs each may sign governance transactions under, and the
// proposals to change any of it with their votes.
//
//	govmember  member ID (32) → the member's JSON (Member)
//	govprop    proposal ID → the proposal's JSON (ProposalState)
//	govopen    expires (8) ‖ proposal ID → {} (open proposals, by expiry)
//	goveffect  height (8) ‖ proposal ID → {} (passed, to apply at height)
//	govca      SHA-256 of an organization CA's DER → member ID (32) ‖ retired height (8)
//	govval     MemberOfKey(validator key) (32) → member ID (32), every key a member ran
//
// and in the app metadata "govvalidators", the validator set (JSON
// []validatorPower, ordered by key) that the members' powers make, and
// "govplace", the last place given to a member. Each member and each
// proposal is committed in the state map under GovMemberKey and
// GovProposalKey, with the SHA-256 of its JSON as the value.
var (
	bGovMember = []byte("govmember")
	bGovProp   = []byte("govprop")
	bGovOpen   = []byte("govopen")
	bGovEffect = []byte("goveffect")
	bGovCA     = []byte("govca")
	bGovVal    = []byte("govval")
	// bGovChanges: height (8) → the validator set (JSON []validatorPower)
	// that the updates FinalizeBlock returned at height make.
	bGovChanges = []byte("govchanges")
)

// CodeRefused is the result code of a governance change the rules refuse:
// a target that is not a member, a key in use, fewer than 4 validators or
// no court left without an override.
const CodeRefused uint32 = 7

// Governance timing.
const (
	// GovDelay is how many blocks after the block in which a proposal
	// passes its change takes effect: the app's member list changes, and
	// FinalizeBlock returns the validator updates, at height passed +
	// GovDelay. CometBFT lets the new set sign from 2 blocks later still.
	GovDelay = 2
	// MaxProposalLife bounds how far ahead of its block a proposal may
	// expire.
	MaxProposalLife = 100_000
	// MinValidators is the smallest set that tolerates one faulty
	// validator (3f+1 with f = 1).
	MinValidators = 4
)

// Proposal statuses.
const (
	StatusOpen     = "open"     // taking votes
	StatusPassed   = "passed"   // more than 2/3 of the power voted yes; takes effect at EffectiveHeight
	StatusApplied  = "applied"  // took effect
	StatusFailed   = "failed"   // passed, but the change was no longer possible (Reason)
	StatusRejected = "rejected" // at least 1/3 of the power voted no: it can no longer pass
	StatusExpired  = "expired"  // not passed by its expiry height
)

// Member is a consortium member as the chain knows it.
type Member struct {
	ID           string     `json:"id"`             // hex; MemberOfKey of its first validator key
	Name         string     `json:"name,omitempty"` // its organization CA's O ("" until one is known)
	Kind         string     `json:"kind,omitempty"` // its organization CA's OU: court, notary, arbitration
	ValidatorKey []byte     `json:"validator_key"`  // Ed25519
	Power        int64      `json:"power"`
	OrgCAs       []MemberCA `json:"org_cas,omitempty"`
	Place        int        `json:"place"`             // from 1, in order of admission (genesis first)
	Admitted     int64      `json:"admitted"`          // 0 for a genesis member
	Removed      int64      `json:"removed,omitempty"` // the height it was removed at; 0 while a member
	// RevokedGov is the governance certificates the member revoked
	// (state version 10), in order.
	RevokedGov []RevokedCert `json:"revoked_gov,omitempty"`
}

// MemberCA is one of a member's organization CAs.
type MemberCA struct {
	SHA256  string `json:"sha256"` // of the DER
	Cert    []byte `json:"cert"`   // DER
	Bound   int64  `json:"bound"`  // the height the chain learned it at
	Retired int64  `json:"retired,omitempty"`
}

// ProposalState is a proposal and where it stands.
type ProposalState struct {
	ID           string    `json:"id"`
	Proposer     string    `json:"proposer"`
	Action       string    `json:"action"` // admit, remove, rotate, power, retire-ca
	Target       string    `json:"target,omitempty"`
	OrgCA        []byte    `json:"org_ca,omitempty"` // DER (admit)
	ValidatorKey []byte    `json:"validator_key,omitempty"`
	Power        int64     `json:"power,omitempty"`
	CAHash       string    `json:"ca_sha256,omitempty"`
	Override     bool      `json:"override,omitempty"`
	Height       int64     `json:"height"` // the block that recorded it
	Expires      int64     `json:"expires"`
	Votes        []GovVote `json:"votes"`
	YesPower     int64     `json:"yes_power"`
	NoPower      int64     `json:"no_power"`
	TotalPower   int64     `json:"total_power"` // when last counted
	Status       string    `json:"status"`
	Passed       int64     `json:"passed,omitempty"`    // the height it passed at
	Effective    int64     `json:"effective,omitempty"` // the height it takes (took) effect at
	Closed       int64     `json:"closed,omitempty"`    // the height it was applied, failed, rejected or expired at
	Reason       string    `json:"reason,omitempty"`
}

// Matches reports whether p is the proposal that transaction t carries:
// the same ID, proposer, action, parameters, override and expiry. A
// proposal ID is taken by the first proposal recorded under it, whoever
// proposed it, and a vote names only the ID: a proposer whose own
// transaction was refused as a duplicate (code 3) learns here whether the
// proposal recorded under its ID is its own (governance review finding
// G1, docs/security.md).
func (p ProposalState) Matches(t *Tx) bool {
	if t == nil || t.Kind != KindPropose || t.Proposal == nil {
		return false
	}
	q := newProposalState(t, p.Height)
	return p.ID == q.ID && p.Proposer == q.Proposer && p.Action == q.Action && p.Target == q.Target &&
		bytes.Equal(p.OrgCA, q.OrgCA) && bytes.Equal(p.ValidatorKey, q.ValidatorKey) && p.Power == q.Power &&
		p.CAHash == q.CAHash && p.Override == q.Override && p.Expires == q.Expires
}

// Hash is the SHA-256 that a version-9 vote names of p (ProposalHash of
// the transaction that proposed it): of member ‖ idLen ‖ ID ‖ expires ‖
// flags ‖ action ‖ params, encoded as in that transaction
// (docs/chain-transactions.md).
func (p ProposalState) Hash() [32]byte {
	q := &Proposal{ID: p.ID, Expires: uint64(p.Expires), Override: p.Override, ValidatorKey: p.ValidatorKey, Power: uint64(p.Power)}
	for a, name := range actionNames {
		if name == p.Action {
			q.Action = a
		}
	}
	copy(q.Target[:], mustHex(p.Target))
	copy(q.CAHash[:], mustHex(p.CAHash))
	var member [32]byte
	copy(member[:], mustHex(p.Proposer))
	return sha256.Sum256(appendProposal(nil, member, q, p.OrgCA))
}

// GovVote is one member's recorded vote.
type GovVote struct {
	Member string `json:"member"`
	Yes    bool   `json:"yes"`
	Height int64  `json:"height"`
	// Cert is the SHA-256 of the governance certificate that signed the
	// vote, and CertTBS of its TBSCertificate (by which a revocation finds
	// the votes to drop, in whatever encoding the certificate came),
	// recorded from state version 10 ("" before).
	Cert    string `json:"cert_sha256,omitempty"`
	CertTBS string `json:"cert_tbs_sha256,omitempty"`
}

// GovMemberKey is the state-map key of a member's entry.
func GovMemberKey(id string) [32]byte {
	return sha256.Sum256([]byte("custos/state/v6/member\x00" + id))
}

// GovProposalKey is the state-map key of a proposal's entry.
func GovProposalKey(id string) [32]byte {
	return sha256.Sum256([]byte("custos/state/v6/proposal\x00" + id))
}

func initGovernanceBuckets(tx *bolt.Tx) error {
	for _, b := range [][]byte{bGovMember, bGovProp, bGovOpen, bGovEffect, bGovCA, bGovVal, bGovChanges} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// initGovernance starts the member list when the state reaches version 6
// (genesis or upgrade): one member per validator, in the genesis order,
// with its power, and the organization CAs the genesis names (orgCAs, by
// validator key; none after an upgrade: the chain learns each from the
// member's node's transactions, learnOrgCA). It returns the members.
func initGovernance(tx *bolt.Tx, orgCAs map[string]*x509.Certificate) ([]Member, error) {
	powers, err := loadPowers(tx)
	if err != nil {
		return nil, err
	}
	var keys [][]byte
	if v := tx.Bucket(bAppMeta).Get([]byte("validators")); v != nil {
		if err := json.Unmarshal(v, &keys); err != nil {
			return nil, err
		}
	}
	var ms []Member
	for i, k := range keys {
		id := memberOfKey(k)
		m := Member{ID: hex.EncodeToString(id), ValidatorKey: k, Power: powers[string(k)], Place: i + 1}
		if ca := orgCAs[string(k)]; ca != nil {
			m.bindCA(ca, 0)
			if err := tx.Bucket(bGovCA).Put(caKey(ca), caValue(id, 0)); err != nil {
				return nil, err
			}
		}
		if err := tx.Bucket(bGovVal).Put(id, id); err != nil {
			return nil, err
		}
		if err := putMember(tx, &m); err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	if err := tx.Bucket(bAppMeta).Put([]byte("govplace"), binary.BigEndian.AppendUint64(nil, uint64(len(keys)))); err != nil {
		return nil, err
	}
	return ms, saveGovValidators(tx, ms)
}

// bindCA adds ca to m's organization CAs, naming m after it if unnamed.
func (m *Member) bindCA(ca *x509.Certificate, height int64) {
	sum := sha256.Sum256(ca.Raw)
	m.OrgCAs = append(m.OrgCAs, MemberCA{SHA256: hex.EncodeToString(sum[:]), Cert: ca.Raw, Bound: height})
	if m.Name == "" && len(ca.Subject.Organization) > 0 && len(ca.Subject.OrganizationalUnit) > 0 {
		m.Name, m.Kind = ca.Subject.Organization[0], ca.Subject.OrganizationalUnit[0]
	}
}

func caKey(ca *x509.Certificate) []byte {
	sum := sha256.Sum256(ca.Raw)
	return sum[:]
}

func caValue(member []byte, retired int64) []byte {
	return binary.BigEndian.AppendUint64(bytes.Clone(member), uint64(retired))
}

func putMember(tx *bolt.Tx, m *Member) error {
	val, err := json.Marshal(m)
	if err != nil {
		return err
	}
	id, err := hex.DecodeString(m.ID)
	if err != nil {
		return err
	}
	return tx.Bucket(bGovMember).Put(id, val)
}

// saveMember stores m and queues its state-map entry.
func (a *App) saveMember(tx *bolt.Tx, m *Member, fail func(error)) {
	if err := putMember(tx, m); err != nil {
		fail(err)
	}
	a.queueMember(m)
}

func (a *App) queueMember(m *Member) {
	val, _ := json.Marshal(m)
	a.queuePair(GovMemberKey(m.ID), sha256.Sum256(val))
}

func getMember(tx *bolt.Tx, id []byte) (Member, bool) {
	var m Member
	v := tx.Bucket(bGovMember).Get(id)
	if v == nil || json.Unmarshal(v, &m) != nil {
		return m, false
	}
	return m, true
}

func allMembers(tx *bolt.Tx) []Member {
	var ms []Member
	tx.Bucket(bGovMember).ForEach(func(_, v []byte) error {
		var m Member
		if json.Unmarshal(v, &m) == nil {
			ms = append(ms, m)
		}
		return nil
	})
	slices.SortFunc(ms, func(x, y Member) int { return cmp.Compare(x.Place, y.Place) })
	return ms
}

// validatorSet is the validators the members make: every member not
// removed, with its key and power, ordered by key.
func validatorSet(ms []Member) []validatorPower {
	var vs []validatorPower
	for _, m := range ms {
		if m.Removed == 0 && m.Power > 0 {
			vs = append(vs, validatorPower{Key: m.ValidatorKey, Power: m.Power})
		}
	}
	slices.SortFunc(vs, func(x, y validatorPower) int { return bytes.Compare(x.Key, y.Key) })
	return vs
}

func saveGovValidators(tx *bolt.Tx, ms []Member) error {
	b, err := json.Marshal(validatorSet(ms))
	if err != nil {
		return err
	}
	return tx.Bucket(bAppMeta).Put([]byte("govvalidators"), b)
}

func getProposal(tx *bolt.Tx, id string) (ProposalState, bool) {
	var p ProposalState
	v := tx.Bucket(bGovProp).Get([]byte(id))
	if v == nil || json.Unmarshal(v, &p) != nil {
		return p, false
	}
	return p, true
}

// saveProposal stores p and queues its state-map entry.
func (a *App) saveProposal(tx *bolt.Tx, p *ProposalState, fail func(error)) {
	val, err := json.Marshal(p)
	if err == nil {
		err = tx.Bucket(bGovProp).Put([]byte(p.ID), val)
	}
	if err != nil {
		fail(err)
	}
	a.queuePair(GovProposalKey(p.ID), sha256.Sum256(val))
}

// learnOrgCA binds the organization CA of a node's applied transaction to
// the node's member, if no member has it yet: the CA certified the
// member's validator key, so it is the member's. A chain upgraded to
// version 6 learns its members' CAs this way. From state version 10 a CA
// whose key is another member's CA's is not bound (C9).
func (a *App) learnOrgCA(tx *bolt.Tx, t *Tx, height int64, version int) {
	key := caKey(t.OrgCA)
	if tx.Bucket(bGovCA).Get(key) != nil {
		return
	}
	id := tx.Bucket(bGovVal).Get(t.memberKey())
	if id == nil {
		return
	}
	m, ok := getMember(tx, id)
	if !ok || m.Removed != 0 || !bytes.Equal(memberOfKey(m.ValidatorKey), t.memberKey()) || checkOrgCA(t.OrgCA, a.cfg.Root) != nil {
		return
	}
	// From state version 10 a CA with the key of another member's CA is
	// not bound (a retired one's is refused before, checkRetiredCA).
	if holder, _, found := sameKeyCA(allMembers(tx), t.OrgCA, false); version >= StateV10 && found && holder != m.ID {
		return
	}
	fail := func(err error) { panic(fmt.Sprintf("anchor: governance at height %d: %v", height, err)) }
	m.bindCA(t.OrgCA, height)
	if err := tx.Bucket(bGovCA).Put(key, caValue(id, 0)); err != nil {
		fail(err)
	}
	a.saveMember(tx, &m, fail)
}

// checkRetiredCA refuses, from state version 6, a node's transaction
// under an organization CA that a proposal retired; from state version
// 10 also under an organization CA the chain does not know whose key is
// a retired CA's (sameKeyCA): another encoding of the retired certificate
// (its root's ECDSA signature written the other valid way) or a new
// certificate for the stolen key (review of consortium reissue, C9).
func checkRetiredCA(tx *bolt.Tx, t *Tx, version int) (uint32, string) {
	v := tx.Bucket(bGovCA).Get(caKey(t.OrgCA))
	if len(v) == 40 && binary.BigEndian.Uint64(v[32:]) != 0 {
		return CodeNotMember, fmt.Sprintf("organization CA %q was retired at height %d", t.OrgCA.Subject, binary.BigEndian.Uint64(v[32:]))
	}
	if v == nil && version >= StateV10 {
		if _, ca, ok := sameKeyCA(allMembers(tx), t.OrgCA, true); ok {
			return CodeNotMember, fmt.Sprintf("organization CA %q has the key of organization CA %s, retired at height %d", t.OrgCA.Subject, ca.SHA256, ca.Retired)
		}
	}
	return CodeOK, ""
}

// sameKeyCA finds, among the organization CAs of ms, one other than ca
// (by its DER) with ca's public key, only a retired one if retired: the
// member that holds it and its entry.
func sameKeyCA(ms []Member, ca *x509.Certificate, retired bool) (string, MemberCA, bool) {
	own := hex.EncodeToString(caKey(ca))
	for _, m := range ms {
		for _, c := range m.OrgCAs {
			if c.SHA256 == own || retired && c.Retired == 0 {
				continue
			}
			if other, err := certs.ParseCertificate(c.Cert); err == nil && bytes.Equal(other.RawSubjectPublicKeyInfo, ca.RawSubjectPublicKeyInfo) {
				return m.ID, c, true
			}
		}
	}
	return "", MemberCA{}, false
}

// governanceMemberPlace is the place of the member whose node key hashes
// to member (MemberOfKey), for a key that is not a genesis validator's.
func governanceMemberPlace(tx *bolt.Tx, member []byte) int {
	b := tx.Bucket(bGovVal)
	if b == nil {
		return 0
	}
	if id := b.Get(member); id != nil {
		if m, ok := getMember(tx, id); ok {
			return m.Place
		}
	}
	return 0
}

// StoredMembers reads the member list, by place, from a chain state
// database (chain/app.db), such as a stopped node's; none before state
// version 6.
func StoredMembers(db *bolt.DB) ([]Member, error) {
	var ms []Member
	err := db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bGovMember) != nil {
			ms = allMembers(tx)
		}
		return nil
	})
	return ms, err
}

// Proposals lists every governance proposal, oldest first.
func (a *App) Proposals() ([]ProposalState, error) {
	var ps []ProposalState
	err := a.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bGovProp).ForEach(func(_, v []byte) error {
			var p ProposalState
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("%w: proposal: %v", ErrCorrupt, err)
			}
			ps = append(ps, p)
			return nil
		})
	})
	slices.SortFunc(ps, func(x, y ProposalState) int {
		return cmp.Or(cmp.Compare(x.Height, y.Height), cmp.Compare(x.ID, y.ID))
	})
	return ps, err
}

// Proposal returns one proposal and where it stands.
func (a *App) Proposal(id string) (ProposalState, bool, error) {
	var p ProposalState
	var ok bool
	err := a.db.View(func(tx *bolt.Tx) error {
		p, ok = getProposal(tx, id)
		return nil
	})
	return p, ok, err
}

// genesisOrgCAs checks the organization CAs a genesis names (each issued
// by root, for a distinct genesis validator in vals, each CA once) and
// returns them by validator key.
func genesisOrgCAs(members []genesisMember, root *x509.Certificate, vals map[string]bool) (map[string]*x509.Certificate, error) {
	out := map[string]*x509.Certificate{}
	seen := map[string]bool{}
	for i, gm := range members {
		cas, err := certs.ParsePEM([]byte(gm.OrgCAPEM))
		if err != nil || len(cas) != 1 {
			return nil, fmt.Errorf("anchor: genesis member %d: organization CA: want one PEM certificate", i)
		}
		if err := checkOrgCA(cas[0], root); err != nil {
			return nil, fmt.Errorf("anchor: genesis member %d: %v", i, err)
		}
		k := string(gm.ValidatorKey)
		if len(gm.ValidatorKey) != ed25519.PublicKeySize || !vals[k] || out[k] != nil || seen[string(caKey(cas[0]))] {
			return nil, fmt.Errorf("anchor: genesis member %d: not one genesis validator's key, or named twice", i)
		}
		out[k], seen[string(caKey(cas[0]))] = cas[0], true
	}
	return out, nil
}

// ValidatorChanges lists the heights at which governance changed the
// validator set: FinalizeBlock returned the updates at each, so the header
// at height + 1 is the first whose next_validators_hash names the new set
// (Chain.Transition), which signs from height + 2.
func (a *App) ValidatorChanges() ([]int64, error) {
	var hs []int64
	err := a.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bGovChanges).ForEach(func(k, _ []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("%w: validator change key %x", ErrCorrupt, k)
			}
			hs = append(hs, int64(binary.BigEndian.Uint64(k)))
			return nil
		})
	})
	return hs, err
}
