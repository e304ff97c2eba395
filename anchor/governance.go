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

	abci "github.com/cometbft/cometbft/abci/types"
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

// GovVote is one member's recorded vote.
type GovVote struct {
	Member string `json:"member"`
	Yes    bool   `json:"yes"`
	Height int64  `json:"height"`
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
	for _, b := range [][]byte{bGovMember, bGovProp, bGovOpen, bGovEffect, bGovCA, bGovVal} {
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

// signer returns the member that signed governance transaction t: a
// member not removed, to which t's organization CA is bound and not
// retired.
func signer(tx *bolt.Tx, t *Tx) (Member, uint32, string) {
	m, ok := getMember(tx, t.GovMember[:])
	if !ok {
		return m, CodeNotMember, fmt.Sprintf("%x is not a member of the consortium", t.GovMember)
	}
	if m.Removed != 0 {
		return m, CodeNotMember, fmt.Sprintf("member %s was removed at height %d", m.ID, m.Removed)
	}
	v := tx.Bucket(bGovCA).Get(caKey(t.OrgCA))
	if len(v) != 40 || !bytes.Equal(v[:32], t.GovMember[:]) {
		return m, CodeNotMember, fmt.Sprintf("organization CA %q is not one of member %s's", t.OrgCA.Subject, m.ID)
	}
	if r := binary.BigEndian.Uint64(v[32:]); r != 0 {
		return m, CodeNotMember, fmt.Sprintf("organization CA %q of member %s was retired at height %d", t.OrgCA.Subject, m.ID, r)
	}
	return m, CodeOK, ""
}

// checkGov checks a proposal or vote against the state in tx, for the
// block at height.
func (a *App) checkGov(tx *bolt.Tx, t *Tx, height int64) (uint32, string) {
	if _, code, msg := signer(tx, t); code != CodeOK {
		return code, msg
	}
	if t.Kind == KindPropose {
		p := t.Proposal
		if _, ok := getProposal(tx, p.ID); ok {
			return CodeDuplicate, fmt.Sprintf("proposal %s exists", p.ID)
		}
		if int64(p.Expires) < height {
			return CodeStale, fmt.Sprintf("proposal %s expired at height %d, before block %d", p.ID, p.Expires, height)
		}
		if int64(p.Expires) > height+MaxProposalLife {
			return CodeRefused, fmt.Sprintf("proposal %s expires at height %d, more than %d blocks after %d", p.ID, p.Expires, MaxProposalLife, height)
		}
		ps := newProposalState(t, height)
		if err := checkEffect(tx, a.cfg.Root, &ps); err != nil {
			return CodeRefused, err.Error()
		}
		return CodeOK, ""
	}
	b := t.Ballot
	p, ok := getProposal(tx, b.ID)
	switch {
	case !ok:
		return CodeStale, fmt.Sprintf("no proposal %s", b.ID)
	case p.Status != StatusOpen:
		return CodeStale, fmt.Sprintf("proposal %s is %s", b.ID, p.Status)
	case p.Expires < height:
		return CodeStale, fmt.Sprintf("proposal %s expired at height %d", b.ID, p.Expires)
	}
	voter := hex.EncodeToString(t.GovMember[:])
	for _, v := range p.Votes {
		if v.Member == voter {
			return CodeDuplicate, fmt.Sprintf("member %s already voted on proposal %s", voter, b.ID)
		}
	}
	return CodeOK, ""
}

func newProposalState(t *Tx, height int64) ProposalState {
	p := t.Proposal
	ps := ProposalState{ID: p.ID, Proposer: hex.EncodeToString(t.GovMember[:]), Action: actionNames[p.Action],
		ValidatorKey: p.ValidatorKey, Power: int64(p.Power), Override: p.Override, Height: height,
		Expires: int64(p.Expires), Votes: []GovVote{}, Status: StatusOpen}
	if p.Action == ActAdmit {
		ps.OrgCA = p.OrgCA.Raw
	} else {
		ps.Target = hex.EncodeToString(p.Target[:])
	}
	if p.Action == ActRetireCA {
		ps.CAHash = hex.EncodeToString(p.CAHash[:])
	}
	return ps
}

// applyGov records a proposal or a vote (checked by checkGov), and counts
// the votes.
func (a *App) applyGov(tx *bolt.Tx, t *Tx, height int64) *abci.ExecTxResult {
	fail := func(err error) { panic(fmt.Sprintf("anchor: governance at height %d: %v", height, err)) }
	if t.Kind == KindPropose {
		ps := newProposalState(t, height)
		ps.TotalPower = totalPower(allMembers(tx))
		a.saveProposal(tx, &ps, fail)
		if err := tx.Bucket(bGovOpen).Put(openKey(ps.Expires, ps.ID), []byte{1}); err != nil {
			fail(err)
		}
		return &abci.ExecTxResult{Code: CodeOK}
	}
	ps, _ := getProposal(tx, t.Ballot.ID)
	ps.Votes = append(ps.Votes, GovVote{Member: hex.EncodeToString(t.GovMember[:]), Yes: t.Ballot.Yes, Height: height})
	ms := allMembers(tx)
	ps.YesPower, ps.NoPower, ps.TotalPower = countVotes(ms, ps.Votes)
	switch {
	case 3*ps.YesPower > 2*ps.TotalPower:
		a.closeOpen(tx, &ps, fail)
		if err := checkEffect(tx, a.cfg.Root, &ps); err != nil {
			ps.Status, ps.Closed, ps.Reason = StatusFailed, height, err.Error()
			break
		}
		ps.Status, ps.Passed, ps.Effective = StatusPassed, height, height+GovDelay
		if err := tx.Bucket(bGovEffect).Put(openKey(ps.Effective, ps.ID), []byte{1}); err != nil {
			fail(err)
		}
	case 3*ps.NoPower >= ps.TotalPower:
		a.closeOpen(tx, &ps, fail)
		ps.Status, ps.Closed = StatusRejected, height
	}
	a.saveProposal(tx, &ps, fail)
	return &abci.ExecTxResult{Code: CodeOK}
}

func (a *App) closeOpen(tx *bolt.Tx, ps *ProposalState, fail func(error)) {
	if err := tx.Bucket(bGovOpen).Delete(openKey(ps.Expires, ps.ID)); err != nil {
		fail(err)
	}
}

func openKey(height int64, id string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(height)), id...)
}

func totalPower(ms []Member) int64 {
	var total int64
	for _, v := range validatorSet(ms) {
		total += v.Power
	}
	return total
}

// countVotes sums the current power of the members who voted yes and no
// (a member removed since counts for nothing), and the total power.
func countVotes(ms []Member, votes []GovVote) (yes, no, total int64) {
	power := map[string]int64{}
	for _, m := range ms {
		if m.Removed == 0 {
			power[m.ID] = m.Power
		}
	}
	for _, v := range votes {
		if v.Yes {
			yes += power[v.Member]
		} else {
			no += power[v.Member]
		}
	}
	return yes, no, totalPower(ms)
}

// checkEffect says whether p's change can be made to the state in tx:
// its target is a member, a new key or CA is in no one's use, and the
// consortium keeps MinValidators validators and a court (or did not
// have them before), unless p overrides that. It never lets the set go
// empty.
func checkEffect(tx *bolt.Tx, root *x509.Certificate, p *ProposalState) error {
	ms := allMembers(tx)
	after, err := changed(tx, root, ms, p, 0)
	if err != nil {
		return err
	}
	before, now := validatorSet(ms), validatorSet(after)
	switch {
	case len(now) == 0:
		return fmt.Errorf("proposal %s would leave no validator", p.ID)
	case !p.Override && len(now) < MinValidators && len(now) < len(before):
		return fmt.Errorf("proposal %s would leave %d validators, fewer than %d, without an override", p.ID, len(now), MinValidators)
	case !p.Override && courts(after) == 0 && courts(ms) > 0:
		return fmt.Errorf("proposal %s would leave the consortium without a court, without an override", p.ID)
	}
	return nil
}

func courts(ms []Member) int {
	n := 0
	for _, m := range ms {
		if m.Removed == 0 && m.Power > 0 && m.Kind == certs.KindCourt {
			n++
		}
	}
	return n
}

// changed returns the members after p's change at height, or why it
// cannot be made. ms is not modified.
func changed(tx *bolt.Tx, root *x509.Certificate, ms []Member, p *ProposalState, height int64) ([]Member, error) {
	out := slices.Clone(ms)
	if p.Action == ActionName(ActAdmit) {
		ca, err := x509.ParseCertificate(p.OrgCA)
		if err != nil {
			return nil, fmt.Errorf("proposal %s: organization CA: %v", p.ID, err)
		}
		if err := checkOrgCA(ca, root); err != nil {
			return nil, fmt.Errorf("proposal %s: %v", p.ID, err)
		}
		if tx.Bucket(bGovCA).Get(caKey(ca)) != nil {
			return nil, fmt.Errorf("proposal %s: organization CA %q is already a member's", p.ID, ca.Subject)
		}
		id := memberOfKey(p.ValidatorKey)
		if tx.Bucket(bGovVal).Get(id) != nil {
			return nil, fmt.Errorf("proposal %s: validator key %x is, or was, a member's", p.ID, []byte(p.ValidatorKey))
		}
		m := Member{ID: hex.EncodeToString(id), ValidatorKey: p.ValidatorKey, Power: p.Power, Admitted: height}
		m.bindCA(ca, height)
		return append(out, m), nil
	}
	i := slices.IndexFunc(out, func(m Member) bool { return m.ID == p.Target })
	if i < 0 || out[i].Removed != 0 {
		return nil, fmt.Errorf("proposal %s: %s is not a member", p.ID, p.Target)
	}
	m := &out[i]
	m.OrgCAs = slices.Clone(m.OrgCAs)
	switch p.Action {
	case ActionName(ActRemove):
		m.Removed = max(height, 1)
	case ActionName(ActRotate):
		if tx.Bucket(bGovVal).Get(memberOfKey(p.ValidatorKey)) != nil {
			return nil, fmt.Errorf("proposal %s: validator key %x is, or was, a member's", p.ID, p.ValidatorKey)
		}
		m.ValidatorKey = p.ValidatorKey
	case ActionName(ActPower):
		if m.Power == p.Power {
			return nil, fmt.Errorf("proposal %s: member %s already has power %d", p.ID, m.ID, p.Power)
		}
		m.Power = p.Power
	case ActionName(ActRetireCA):
		j := slices.IndexFunc(m.OrgCAs, func(c MemberCA) bool { return c.SHA256 == p.CAHash })
		if j < 0 || m.OrgCAs[j].Retired != 0 {
			return nil, fmt.Errorf("proposal %s: member %s has no organization CA %s in use", p.ID, m.ID, p.CAHash)
		}
		m.OrgCAs[j].Retired = max(height, 1)
	}
	return out, nil
}

// ActionName is the name of a governance action in ProposalState.Action.
func ActionName(action uint8) string { return actionNames[action] }

// checkOrgCA checks that ca is an organization CA issued by root: a CA
// that issues only end-entity certificates, with an O and a known OU.
func checkOrgCA(ca, root *x509.Certificate) error {
	ou := ca.Subject.OrganizationalUnit
	switch {
	case !ca.IsCA || !ca.BasicConstraintsValid:
		return fmt.Errorf("organization CA %q is not a CA", ca.Subject)
	case len(ca.Subject.Organization) == 0 || len(ou) != 1 || ou[0] != certs.KindCourt && ou[0] != certs.KindNotary && ou[0] != certs.KindArbitration:
		return fmt.Errorf("organization CA %q names no organization and kind", ca.Subject)
	case ca.CheckSignatureFrom(root) != nil || !bytes.Equal(ca.RawIssuer, root.RawSubject):
		return fmt.Errorf("organization CA %q is not issued by the consortium root", ca.Subject)
	}
	return nil
}

// beginGovBlock runs at the start of each block of state version 6: it
// commits a genesis member list to the state map, closes the proposals
// that expired, and applies the changes due at height. It returns the
// validator updates for CometBFT.
func (a *App) beginGovBlock(tx *bolt.Tx, height int64) []abci.ValidatorUpdate {
	fail := func(err error) { panic(fmt.Sprintf("anchor: governance at height %d: %v", height, err)) }
	meta := tx.Bucket(bAppMeta)
	if meta.Get([]byte("govqueue")) != nil {
		for _, m := range allMembers(tx) {
			a.queueMember(&m)
		}
		if err := meta.Delete([]byte("govqueue")); err != nil {
			fail(err)
		}
	}
	for _, k := range keysBelow(tx.Bucket(bGovOpen), height) {
		ps, _ := getProposal(tx, string(k[8:]))
		ps.Status, ps.Closed = StatusExpired, height
		a.saveProposal(tx, &ps, fail)
		if err := tx.Bucket(bGovOpen).Delete(k); err != nil {
			fail(err)
		}
	}
	due := keysBelow(tx.Bucket(bGovEffect), height+1)
	if len(due) == 0 {
		return nil
	}
	before := validatorSet(allMembers(tx))
	for _, k := range due {
		ps, _ := getProposal(tx, string(k[8:]))
		a.applyEffect(tx, &ps, height, fail)
		if err := tx.Bucket(bGovEffect).Delete(k); err != nil {
			fail(err)
		}
	}
	ms := allMembers(tx)
	if err := saveGovValidators(tx, ms); err != nil {
		fail(err)
	}
	after := validatorSet(ms)
	a.setValidators(after)
	return validatorUpdates(before, after)
}

// keysBelow lists b's keys whose 8-byte height prefix is below height.
func keysBelow(b *bolt.Bucket, height int64) [][]byte {
	var out [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && int64(binary.BigEndian.Uint64(k)) < height; k, _ = c.Next() {
		out = append(out, bytes.Clone(k))
	}
	return out
}

// applyEffect makes a passed proposal's change at height, or marks it
// failed if it is no longer possible.
func (a *App) applyEffect(tx *bolt.Tx, ps *ProposalState, height int64, fail func(error)) {
	ms := allMembers(tx)
	err := checkEffect(tx, a.cfg.Root, ps)
	var after []Member
	if err == nil {
		after, err = changed(tx, a.cfg.Root, ms, ps, height)
	}
	if err != nil {
		ps.Status, ps.Closed, ps.Reason = StatusFailed, height, err.Error()
		a.saveProposal(tx, ps, fail)
		return
	}
	for i := range after {
		if i < len(ms) && equalMember(ms[i], after[i]) {
			continue
		}
		m := &after[i]
		id, _ := hex.DecodeString(m.ID)
		if i >= len(ms) { // admitted
			m.Place = a.nextPlace(tx, fail)
			ca := m.OrgCAs[0]
			if err := tx.Bucket(bGovCA).Put(mustHex(ca.SHA256), caValue(id, 0)); err != nil {
				fail(err)
			}
		}
		for _, ca := range m.OrgCAs {
			if ca.Retired == height {
				if err := tx.Bucket(bGovCA).Put(mustHex(ca.SHA256), caValue(id, height)); err != nil {
					fail(err)
				}
			}
		}
		if err := tx.Bucket(bGovVal).Put(memberOfKey(m.ValidatorKey), id); err != nil {
			fail(err)
		}
		a.saveMember(tx, m, fail)
	}
	ps.Status, ps.Closed = StatusApplied, height
	a.saveProposal(tx, ps, fail)
}

func equalMember(x, y Member) bool {
	bx, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	return bytes.Equal(bx, by)
}

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}

func (a *App) nextPlace(tx *bolt.Tx, fail func(error)) int {
	meta := tx.Bucket(bAppMeta)
	var n uint64
	if v := meta.Get([]byte("govplace")); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	n++
	if err := meta.Put([]byte("govplace"), binary.BigEndian.AppendUint64(nil, n)); err != nil {
		fail(err)
	}
	return int(n)
}

// validatorUpdates is what CometBFT must change to go from set before to
// after: a power of 0 removes a validator. Ordered by key.
func validatorUpdates(before, after []validatorPower) []abci.ValidatorUpdate {
	old := map[string]int64{}
	for _, v := range before {
		old[string(v.Key)] = v.Power
	}
	var out []abci.ValidatorUpdate
	for _, v := range after {
		if p, ok := old[string(v.Key)]; !ok || p != v.Power {
			out = append(out, abci.Ed25519ValidatorUpdate(v.Key, v.Power))
		}
		delete(old, string(v.Key))
	}
	for _, v := range before {
		if _, ok := old[string(v.Key)]; ok {
			out = append(out, abci.Ed25519ValidatorUpdate(v.Key, 0))
		}
	}
	slices.SortFunc(out, func(x, y abci.ValidatorUpdate) int {
		return bytes.Compare(x.PubKey.GetEd25519(), y.PubKey.GetEd25519())
	})
	return out
}

// setValidators makes vs the validators whose nodes may anchor.
func (a *App) setValidators(vs []validatorPower) {
	a.vmu.Lock()
	defer a.vmu.Unlock()
	a.validators = make(map[string]bool, len(vs))
	for _, v := range vs {
		a.validators[string(v.Key)] = true
	}
}

// learnOrgCA binds the organization CA of a node's applied transaction to
// the node's member, if no member has it yet: the CA certified the
// member's validator key, so it is the member's. A chain upgraded to
// version 6 learns its members' CAs this way.
func (a *App) learnOrgCA(tx *bolt.Tx, t *Tx, height int64) {
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
	fail := func(err error) { panic(fmt.Sprintf("anchor: governance at height %d: %v", height, err)) }
	m.bindCA(t.OrgCA, height)
	if err := tx.Bucket(bGovCA).Put(key, caValue(id, 0)); err != nil {
		fail(err)
	}
	a.saveMember(tx, &m, fail)
}

// checkRetiredCA refuses, from state version 6, a node's transaction
// under an organization CA that a proposal retired.
func checkRetiredCA(tx *bolt.Tx, t *Tx) (uint32, string) {
	v := tx.Bucket(bGovCA).Get(caKey(t.OrgCA))
	if len(v) == 40 && binary.BigEndian.Uint64(v[32:]) != 0 {
		return CodeNotMember, fmt.Sprintf("organization CA %q was retired at height %d", t.OrgCA.Subject, binary.BigEndian.Uint64(v[32:]))
	}
	return CodeOK, ""
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

// Members lists the consortium's members, by place (state version 6;
// none before).
func (a *App) Members() ([]Member, error) {
	var ms []Member
	err := a.db.View(func(tx *bolt.Tx) error {
		ms = allMembers(tx)
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

// governance validator keys a genesis may name, checked against the root
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
