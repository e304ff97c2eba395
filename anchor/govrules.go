package anchor

import (
	"bytes"
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

// The rules of governance (docs/governance.md): who may propose and vote,
// how votes count, which changes can be made, and how a passed change
// takes effect.

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
// block at height run at state version.
func (a *App) checkGov(tx *bolt.Tx, t *Tx, version int, height int64) (uint32, string) {
	if t.Kind == KindRevokeGov {
		return checkRevoke(tx, t, version)
	}
	if t.Kind == KindVote {
		if want := VoteVersion(version); t.Version != want {
			return CodeVersion, fmt.Sprintf("a version-%d vote; the chain state is version %d, which takes version-%d votes", t.Version, version, want)
		}
	}
	m, code, msg := signer(tx, t)
	if code != CodeOK {
		return code, msg
	}
	if version >= StateV10 {
		if code, msg := checkRevoked(&m, t); code != CodeOK {
			return code, msg
		}
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
		if err := checkEffect(tx, a.cfg.Root, &ps, version); err != nil {
			return CodeRefused, err.Error()
		}
		return CodeOK, ""
	}
	b := t.Ballot
	p, ok := getProposal(tx, b.ID)
	switch {
	case !ok:
		return CodeStale, fmt.Sprintf("no proposal %s", b.ID)
	case t.Version == TxVersion9 && b.Proposal != p.Hash():
		// Governance review finding G1: the vote is for another
		// proposal than the one recorded under its ID.
		return CodeRefused, fmt.Sprintf("the vote names proposal SHA-256 %x; proposal %s (%s by member %s, recorded at height %d) is %x",
			b.Proposal, b.ID, p.Action, p.Proposer, p.Height, p.Hash())
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
func (a *App) applyGov(tx *bolt.Tx, t *Tx, height int64, version int) *abci.ExecTxResult {
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
	v := GovVote{Member: hex.EncodeToString(t.GovMember[:]), Yes: t.Ballot.Yes, Height: height}
	if version >= StateV10 {
		sum := sha256.Sum256(t.GovCert.Raw)
		v.Cert, v.CertTBS = hex.EncodeToString(sum[:]), TBSSHA256(t.GovCert)
	}
	ps.Votes = append(ps.Votes, v)
	ms := allMembers(tx)
	ps.YesPower, ps.NoPower, ps.TotalPower = countVotes(ms, ps.Votes)
	a.tally(tx, &ps, height, version, fail)
	a.saveProposal(tx, &ps, fail)
	return &abci.ExecTxResult{Code: CodeOK}
}

// tally decides an open proposal on its counted votes at height: passed
// when more than 2/3 of the power voted yes (its change scheduled
// GovDelay blocks later, or failed now if it cannot be made), rejected
// when 1/3 or more voted no, else still open.
func (a *App) tally(tx *bolt.Tx, ps *ProposalState, height int64, version int, fail func(error)) {
	switch {
	case 3*ps.YesPower > 2*ps.TotalPower:
		a.closeOpen(tx, ps, fail)
		if err := checkEffect(tx, a.cfg.Root, ps, version); err != nil {
			ps.Status, ps.Closed, ps.Reason = StatusFailed, height, err.Error()
			break
		}
		ps.Status, ps.Passed, ps.Effective = StatusPassed, height, height+GovDelay
		if err := tx.Bucket(bGovEffect).Put(openKey(ps.Effective, ps.ID), []byte{1}); err != nil {
			fail(err)
		}
	case 3*ps.NoPower >= ps.TotalPower:
		a.closeOpen(tx, ps, fail)
		ps.Status, ps.Closed = StatusRejected, height
	}
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

// checkEffect says whether p's change can be made to the state in tx at
// state version: its target is a member, a new key or CA is in no one's
// use, and the consortium keeps MinValidators validators and a court (or
// did not have them before), unless p overrides that. From state version
// 9, also unless p overrides it, no validator may hold a third of the
// power or more after the change, unless one did before and the change
// does not raise the largest share (governance review finding G2). It
// never lets the set go empty.
func checkEffect(tx *bolt.Tx, root *x509.Certificate, p *ProposalState, version int) error {
	ms := allMembers(tx)
	after, err := changed(tx, root, ms, p, 0, version)
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
	case !p.Override && version >= StateV9:
		return checkPowerShare(p.ID, before, now)
	}
	return nil
}

// checkPowerShare refuses a change of the validator set from before to
// now after which one validator holds a third of the total power or more
// (it could then halt the chain alone, and veto every proposal, its own
// removal included), unless one already did before and the largest share
// does not grow. Powers are at most MaxPower, so the products stay far
// from overflowing.
func checkPowerShare(id string, before, now []validatorPower) error {
	largest := func(vs []validatorPower) (top, total int64) {
		for _, v := range vs {
			top, total = max(top, v.Power), total+v.Power
		}
		return top, total
	}
	top, total := largest(now)
	if 3*top < total {
		return nil
	}
	top0, total0 := largest(before)
	if 3*top0 >= total0 && top*total0 <= top0*total {
		return nil // already at a third or more, and not raised
	}
	return fmt.Errorf("proposal %s would leave one validator with power %d of %d, a third or more, without an override", id, top, total)
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
func changed(tx *bolt.Tx, root *x509.Certificate, ms []Member, p *ProposalState, height int64, version int) ([]Member, error) {
	out := slices.Clone(ms)
	if p.Action == ActionName(ActAdmit) {
		ca, err := certs.ParseCertificate(p.OrgCA)
		if err != nil {
			return nil, fmt.Errorf("proposal %s: organization CA: %v", p.ID, err)
		}
		if err := checkOrgCA(ca, root); err != nil {
			return nil, fmt.Errorf("proposal %s: %v", p.ID, err)
		}
		if tx.Bucket(bGovCA).Get(caKey(ca)) != nil {
			return nil, fmt.Errorf("proposal %s: organization CA %q is already a member's", p.ID, ca.Subject)
		}
		if _, c, found := sameKeyCA(ms, ca, false); version >= StateV10 && found {
			return nil, fmt.Errorf("proposal %s: organization CA %q has the key of organization CA %s, a member's", p.ID, ca.Subject, c.SHA256)
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
		// From state version 10 it retires the key: every CA of the
		// member with the same key goes with it (C9).
		if version >= StateV10 {
			key, _ := certs.ParseCertificate(m.OrgCAs[j].Cert)
			for i := range m.OrgCAs {
				if c, err := certs.ParseCertificate(m.OrgCAs[i].Cert); err == nil && key != nil && m.OrgCAs[i].Retired == 0 && bytes.Equal(c.RawSubjectPublicKeyInfo, key.RawSubjectPublicKeyInfo) {
					m.OrgCAs[i].Retired = max(height, 1)
				}
			}
		}
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
	case certs.CheckSignatureFrom(ca, root) != nil || !bytes.Equal(ca.RawIssuer, root.RawSubject):
		return fmt.Errorf("organization CA %q is not issued by the consortium root", ca.Subject)
	}
	return nil
}

// beginGovBlock runs at the start of each block from state version 6: it
// commits a genesis member list to the state map, closes the proposals
// that expired, and applies the changes due at height. It returns the
// validator updates for CometBFT.
func (a *App) beginGovBlock(tx *bolt.Tx, height int64, version int) []abci.ValidatorUpdate {
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
		a.applyEffect(tx, &ps, height, version, fail)
		if err := tx.Bucket(bGovEffect).Delete(k); err != nil {
			fail(err)
		}
	}
	ms := allMembers(tx)
	if err := saveGovValidators(tx, ms); err != nil {
		fail(err)
	}
	after := validatorSet(ms)
	if version >= StateV10 {
		a.recountOpen(tx, ms, height, version, fail)
	}
	updates := validatorUpdates(before, after)
	if len(updates) > 0 {
		b, err := json.Marshal(after)
		if err == nil {
			err = tx.Bucket(bGovChanges).Put(binary.BigEndian.AppendUint64(nil, uint64(height)), b)
		}
		if err != nil {
			fail(err)
		}
	}
	a.setValidators(after)
	return updates
}

// recountOpen counts the votes of every open proposal again with the
// powers ms of the members after changes took effect at height, and
// decides each whose count changed on them (tally), in the order of their keys in bGovOpen
// (expiry height, then ID). From state version 10: before, a proposal that
// a removal or a lower power left with more than 2/3 of the power for it
// stayed open until its next vote or its expiry (review of state version
// 10, R4).
func (a *App) recountOpen(tx *bolt.Tx, ms []Member, height int64, version int, fail func(error)) {
	var open [][]byte
	tx.Bucket(bGovOpen).ForEach(func(k, _ []byte) error {
		open = append(open, bytes.Clone(k))
		return nil
	})
	for _, k := range open {
		ps, ok := getProposal(tx, string(k[8:]))
		if !ok {
			continue
		}
		yes, no, total := countVotes(ms, ps.Votes)
		if yes == ps.YesPower && no == ps.NoPower && total == ps.TotalPower {
			continue
		}
		ps.YesPower, ps.NoPower, ps.TotalPower = yes, no, total
		a.tally(tx, &ps, height, version, fail)
		a.saveProposal(tx, &ps, fail)
	}
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
func (a *App) applyEffect(tx *bolt.Tx, ps *ProposalState, height int64, version int, fail func(error)) {
	ms := allMembers(tx)
	err := checkEffect(tx, a.cfg.Root, ps, version)
	var after []Member
	if err == nil {
		after, err = changed(tx, a.cfg.Root, ms, ps, height, version)
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
