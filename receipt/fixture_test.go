package receipt

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmtversion "github.com/cometbft/cometbft/proto/tendermint/version"
	"github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
	"github.com/emmansun/gmsm/sm3"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/custos-project/custos/anchor/vmap"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/notary"
)

// The fixture stands for a 4-member consortium (two courts, a notary
// office and an arbitration commission) whose chain anchored one evidence
// item and four later custody events among other items' leaves.
const (
	fixtureChainID  = "custos-test-1"
	fixtureHeight   = 12 // header H+1 carrying the AppHash of block 11
	fixtureEvidence = "mfrggzdfmztwq2lknnwg23tpoa"
	fixtureSize     = 45 // leaves in the log at the checkpoint
)

var (
	fixtureTime   = time.Date(2026, 11, 21, 8, 30, 0, 0, time.UTC)
	fixtureLeaves = []uint64{3, 10, 17, 30, 44} // log positions of the item's 5 events
	fixtureOrgs   = []struct{ kind, name string }{
		{certs.KindCourt, "Hangzhou Internet Court"},
		{certs.KindCourt, "Beijing Internet Court"},
		{certs.KindNotary, "Xihu Notary Office"},
		{certs.KindArbitration, "Shanghai Arbitration Commission"},
	}
)

// fixtureConfig varies the checkpoint for the tamper tests.
type fixtureConfig struct {
	signers   int    // how many validators sign the commit; 0 means all
	untrusted bool   // the chain has a fifth validator the trust bundle lacks
	appHash   []byte // overrides the header's AppHash
	// external adds a second token, from a TSA under another root
	// (returned in fixture.externalRoot); externalFirst puts it first.
	external, externalFirst bool
	// v2 makes a version-2 receipt: the chain's state map holds the
	// item's custody head (among other keys), and the AppHash commits to it.
	v2 bool
	// v1AppHash (with v2) has the validators sign the version-1 AppHash,
	// the log alone, while the receipt claims a state root.
	v1AppHash bool
	// v3 makes a version-3 receipt: state version 3 began at log size
	// since, and the head is under its key bound to the first event's leaf.
	// absent (with v3) keeps only the created event, and the state holds
	// no head for the item: the receipt proves the key absent.
	v3, absent bool
	since      uint64
	// suite is the PKI's and the TSA's suite; "" is ecdsa.
	suite certs.Suite
}

// fixture is one consistent receipt, its artifact and its trust bundle.
type fixture struct {
	receipt  *Receipt
	trust    *Trust
	artifact []byte
	sm3      bool
	// externalRoot is the root of the external TSA (fixtureConfig.external).
	externalRoot *x509.Certificate
	pki          *pki // the PKI and TSA the receipt's token is from
}

// pki is the consortium's dev PKI and the built-in TSA of the first member.
type pki struct {
	root *certs.Authority
	tsa  *notary.TSA
	leaf *certs.Leaf
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	return newSuitePKI(t, certs.SuiteECDSA)
}

// newSuitePKI is newPKI in suite (certs.SuiteSM: SM2 with SM3).
func newSuitePKI(t testing.TB, suite certs.Suite) *pki {
	t.Helper()
	root, err := certs.NewSuiteRoot(suite, "Custos Test Consortium Root", fixtureTime)
	check(t, err)
	org, err := root.NewOrgCA(fixtureOrgs[0].kind, fixtureOrgs[0].name, fixtureTime)
	check(t, err)
	leaf, err := org.IssueTSA(fixtureOrgs[0].name+" TSA", fixtureTime)
	check(t, err)
	tsa, err := notary.NewTSA(notary.TSAConfig{
		Cert: leaf.Cert, Chain: leaf.Chain, Signer: leaf.Signer,
		Now: func() time.Time { return fixtureTime.Add(250 * time.Millisecond) },
	})
	check(t, err)
	return &pki{root: root, tsa: tsa, leaf: leaf}
}

// newFixture builds a real receipt: a stamped artifact, its custody chain,
// a log holding the chain's events among other leaves, and a checkpoint
// signed by CometBFT validators.
func newFixture(t testing.TB, cfg fixtureConfig) *fixture {
	t.Helper()
	p := newPKI(t)
	if cfg.suite != "" {
		p = newSuitePKI(t, cfg.suite)
	}
	artifact := []byte("Contract of sale, signed 2026-11-20.\n<b>Exhibit A</b> & terms.\n")
	sum := sha256.Sum256(artifact)
	tok, err := p.tsa.Stamp(context.Background(), crypto.SHA256, sum[:])
	check(t, err)
	replies := [][]byte{tok.Reply}
	var extRoot *x509.Certificate
	if cfg.external {
		root, err := certs.NewRoot("Independent Time Authority Root", fixtureTime)
		check(t, err)
		org, err := root.NewOrgCA(certs.KindNotary, "Independent Time Authority", fixtureTime)
		check(t, err)
		leaf, err := org.IssueTSA("Independent TSA", fixtureTime)
		check(t, err)
		ext, err := notary.NewTSA(notary.TSAConfig{Cert: leaf.Cert, Chain: leaf.Chain, Signer: leaf.Signer,
			Now: func() time.Time { return fixtureTime.Add(400 * time.Millisecond) }})
		check(t, err)
		et, err := ext.Stamp(context.Background(), crypto.SHA256, sum[:])
		check(t, err)
		replies, extRoot = append(replies, et.Reply), root.Cert
		if cfg.externalFirst {
			replies[0], replies[1] = replies[1], replies[0]
		}
	}
	var tokHashes, tokens []string
	for _, rep := range replies {
		h := sha256.Sum256(rep)
		tokHashes = append(tokHashes, hex.EncodeToString(h[:]))
		tokens = append(tokens, base64.StdEncoding.EncodeToString(rep))
	}

	ev := Evidence{ID: fixtureEvidence, SHA256: hex.EncodeToString(sum[:]), SM3: sm3Hex(artifact),
		Size: int64(len(artifact)), MediaType: "text/plain; charset=utf-8"}
	events := fixtureEvents(t, ev, tokHashes...)

	if cfg.absent {
		events = events[:1]
	}
	leaves, root, proofs := fixtureLog(t, events)
	vals := newValidators(t, cfg.untrusted)
	appHash := AppHash(fixtureSize, root)
	version := Version1
	switch {
	case cfg.v2:
		version = Version2
	case cfg.v3:
		version = Version
	}
	st := newReceiptState(t, ev.ID, events, leaves, root, version, cfg.absent, cfg.since)
	if cfg.v1AppHash {
		st.appHash = appHash
	}
	if cfg.appHash != nil {
		st.appHash = cfg.appHash
	}
	sh, vs := signCheckpoint(t, vals, fixtureChainID, st.appHash, cfg.signers)

	r := &Receipt{Version: version, Evidence: ev, Timestamps: tokens, Custody: st.custody,
		Checkpoint: Checkpoint{ChainID: fixtureChainID, Height: fixtureHeight, TreeSize: fixtureSize,
			Root: hex.EncodeToString(root), StateRoot: st.stateRoot, HeadsSince: st.since, SignedHeader: sh, ValidatorSet: vs}}
	for i, e := range events {
		r.Events = append(r.Events, AnchoredEvent{Event: string(e), LeafIndex: leaves[i], Proof: proofs[i]})
	}
	return &fixture{receipt: r, trust: vals.trust(p), artifact: artifact, sm3: true, externalRoot: extRoot, pki: p}
}

// receiptState is the chain-state side of a receipt of some version: its
// custody proof, the checkpoint's state root and heads_since, and the
// AppHash the validators sign.
type receiptState struct {
	custody   *CustodyProof
	stateRoot string
	since     *uint64
	appHash   []byte
}

// newReceiptState builds the state side of a receipt of version (1, 2 or
// 3) whose events are at leaves of a log with root: version 2 holds the
// head under HeadKey; version 3 under the key bound to the first event's
// leaf, or (absent) not at all, version 3 having begun at log size since.
func newReceiptState(t testing.TB, id string, events [][]byte, leaves []uint64, root []byte, version int, absent bool, since uint64) receiptState {
	t.Helper()
	return newReceiptStateWith(t, id, events, leaves, root, version, absent, since, stateOpts{})
}

// stateOpts vary the chain state newReceiptStateWith builds.
type stateOpts struct {
	// head, when set, edits the custody head the state holds (and the
	// receipt carries): a head the home node registered wrongly.
	head func(h *custody.Head)
	// neighbour adds a key that shares the item's key's first 40 bits, so
	// that an absent head's path ends at that key's leaf (custody.other).
	neighbour bool
	// noHead leaves the head out of a version-3 state, whatever the
	// events.
	noHead bool
}

// newReceiptStateWith is newReceiptState with o.
func newReceiptStateWith(t testing.TB, id string, events [][]byte, leaves []uint64, root []byte, version int, absent bool, since uint64, o stateOpts) receiptState {
	t.Helper()
	st := receiptState{appHash: AppHash(fixtureSize, root)}
	var sr vmap.Hash
	switch version {
	case Version2:
		st.custody, sr = fixtureState(t, id, events, custody.HeadKey(id), false, o)
		st.appHash = AppHashV2(fixtureSize, root, sr[:])
	case Version:
		st.custody, sr = fixtureState(t, id, events, custody.BoundHeadKey(custody.HeadKey(id), leaves[0]), absent || o.noHead, o)
		st.appHash, st.since = AppHashV3(fixtureSize, root, sr[:], since), &since
	default:
		return st
	}
	st.stateRoot = hex.EncodeToString(sr[:])
	return st
}

// neighbourKey is key with bit 40 flipped: it shares key's path in the
// state map down to depth 40, deeper than any of fixtureState's keys.
func neighbourKey(key vmap.Hash) vmap.Hash {
	key[5] ^= 0x80
	return key
}

// fixtureHead is the custody head of events.
func fixtureHead(t testing.TB, id string, events [][]byte) *custody.Head {
	t.Helper()
	h := &custody.Head{V: custody.HeadVersion, Evidence: id, Count: uint32(len(events)), Types: map[string]uint32{}}
	rf := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	cr := rf.NewEmptyRange(0)
	for _, e := range events {
		d, err := custody.Decode(e)
		check(t, err)
		h.Types[d.Type]++
		check(t, cr.Append(rfc6962.DefaultHasher.HashLeaf(e), nil))
	}
	root, err := cr.GetRootHash(nil)
	check(t, err)
	h.Root = hex.EncodeToString(root)
	return h
}

// fixtureState builds a state map holding the item's head under key among
// 50 other keys (or, absent, not holding it), changed as o says, and
// returns the head's proof and the map's root.
func fixtureState(t testing.TB, id string, events [][]byte, key vmap.Hash, absent bool, o stateOpts) (*CustodyProof, vmap.Hash) {
	t.Helper()
	head := fixtureHead(t, id, events)
	if o.head != nil {
		o.head(head)
	}
	b, err := head.Encode()
	check(t, err)
	m := vmap.New()
	for i := 0; i < 50; i++ {
		m = m.Set(sha256.Sum256([]byte(fmt.Sprintf("key %d", i))), sha256.Sum256([]byte(fmt.Sprintf("value %d", i))))
	}
	if o.neighbour {
		m = m.Set(neighbourKey(key), sha256.Sum256([]byte("the neighbour's value")))
	}
	if absent {
		p, err := m.Prove(key)
		check(t, err)
		cp := &CustodyProof{Proof: vmap.FormatHex(p.Siblings)}
		if p.Other != nil {
			cp.Other = vmap.FormatHex([]vmap.Hash{p.Other.Key, p.Other.Value})
		}
		return cp, m.Root()
	}
	m = m.Set(key, sha256.Sum256(b))
	p, err := m.Prove(key)
	check(t, err)
	return &CustodyProof{Head: string(b), Proof: vmap.FormatHex(p.Siblings)}, m.Root()
}

// itemProof is the RFC 6962 audit path of event i among events.
func itemProof(t testing.TB, events [][]byte, i int) []string {
	t.Helper()
	h := rfc6962.DefaultHasher
	nodes := map[compact.NodeID][]byte{}
	rf := &compact.RangeFactory{Hash: h.HashChildren}
	cr := rf.NewEmptyRange(0)
	for _, e := range events {
		check(t, cr.Append(h.HashLeaf(e), func(id compact.NodeID, hash []byte) { nodes[id] = hash }))
	}
	n, err := proof.Inclusion(uint64(i), uint64(len(events)))
	check(t, err)
	hashes := make([][]byte, len(n.IDs))
	for j, id := range n.IDs {
		hashes[j] = nodes[id]
	}
	path, err := n.Rehash(hashes, h.HashChildren)
	check(t, err)
	out := []string{}
	for _, p := range path {
		out = append(out, hex.EncodeToString(p))
	}
	return out
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fixtureEvents makes the custody chain: created, then four reads.
func fixtureEvents(t testing.TB, ev Evidence, tokens ...string) [][]byte {
	t.Helper()
	later := []struct{ typ, actor, subject string }{
		{custody.EventViewed, "key:law-firm-1", "metadata"},
		{custody.EventDownloaded, "key:law-firm-1", ""},
		{custody.EventViewed, "admin", "custody"},
		{custody.EventViewed, "key:court-clerk", "timestamp"},
	}
	e := &custody.Event{V: custody.EventVersion, Evidence: ev.ID, Type: custody.EventCreated,
		Time: custody.FormatTime(fixtureTime.Add(time.Second)), Actor: "admin",
		SHA256: ev.SHA256, SM3: ev.SM3, Size: ev.Size, MediaType: ev.MediaType, Tokens: tokens}
	var out [][]byte
	for i := 0; ; i++ {
		b, err := e.Encode()
		check(t, err)
		out = append(out, b)
		if i == len(later) {
			return out
		}
		l := later[i]
		e = &custody.Event{V: custody.EventVersion, Evidence: ev.ID, Seq: uint32(i + 1), Type: l.typ,
			Time: custody.FormatTime(fixtureTime.Add(time.Duration(i+2) * time.Minute)), Actor: l.actor,
			Prev: fmt.Sprintf("%x", sha256.Sum256(b)), Subject: l.subject}
	}
}

// fixtureLog builds an RFC 6962 log of fixtureSize leaves with events at
// fixtureLeaves and filler leaves elsewhere, and returns the positions,
// the root and each event's audit path.
func fixtureLog(t testing.TB, events [][]byte) ([]uint64, []byte, [][]string) {
	t.Helper()
	h := rfc6962.DefaultHasher
	nodes := make(map[compact.NodeID][]byte)
	rf := &compact.RangeFactory{Hash: h.HashChildren}
	cr := rf.NewEmptyRange(0)
	next := 0
	for i := uint64(0); i < fixtureSize; i++ {
		leaf := []byte(fmt.Sprintf("another item's event %d", i))
		if next < len(events) && fixtureLeaves[next] == i {
			leaf = events[next]
			next++
		}
		check(t, cr.Append(h.HashLeaf(leaf), func(id compact.NodeID, hash []byte) { nodes[id] = hash }))
	}
	root, err := cr.GetRootHash(nil)
	check(t, err)
	proofs := make([][]string, len(events))
	for i, idx := range fixtureLeaves[:len(events)] {
		n, err := proof.Inclusion(idx, fixtureSize)
		check(t, err)
		hashes := make([][]byte, len(n.IDs))
		for j, id := range n.IDs {
			hashes[j] = nodes[id]
		}
		path, err := n.Rehash(hashes, h.HashChildren)
		check(t, err)
		proofs[i] = []string{}
		for _, p := range path {
			proofs[i] = append(proofs[i], hex.EncodeToString(p))
		}
		check(t, proof.VerifyInclusion(h, idx, fixtureSize, h.HashLeaf(events[i]), path, root))
	}
	return fixtureLeaves[:len(events)], root, proofs
}

// validators are the chain's validators and their keys.
type validators struct {
	set   *types.ValidatorSet
	keys  map[string]cmted25519.PrivKey // by address
	names map[string]int                // address → index in fixtureOrgs (untrusted: absent)
}

func newValidators(t testing.TB, untrusted bool) *validators {
	t.Helper()
	v := &validators{keys: map[string]cmted25519.PrivKey{}, names: map[string]int{}}
	var list []*types.Validator
	n := len(fixtureOrgs)
	if untrusted {
		n++
	}
	for i := 0; i < n; i++ {
		k := cmted25519.GenPrivKey()
		val := types.NewValidator(k.PubKey(), 10)
		v.keys[val.Address.String()] = k
		if i < len(fixtureOrgs) {
			v.names[val.Address.String()] = i
		}
		list = append(list, val)
	}
	v.set = types.NewValidatorSet(list)
	return v
}

// trust is the trust bundle listing the trusted validators.
func (v *validators) trust(p *pki) *Trust {
	tr := &Trust{Version: 1, ChainID: fixtureChainID, RootPEM: string(certs.EncodePEM(p.root.Cert)),
		TSAChain: string(certs.EncodePEM(append([]*x509.Certificate{p.leaf.Cert}, p.leaf.Chain[:len(p.leaf.Chain)-1]...)...)),
		TSAName:  p.tsa.Name()}
	tr.Validators = make([]Validator, len(fixtureOrgs))
	for _, val := range v.set.Validators {
		i, ok := v.names[val.Address.String()]
		if !ok {
			continue
		}
		tr.Validators[i] = Validator{Name: fixtureOrgs[i].name, Kind: fixtureOrgs[i].kind,
			PubKey: base64.StdEncoding.EncodeToString(val.PubKey.Bytes()), Power: val.VotingPower}
	}
	return tr
}

// signCheckpoint makes header fixtureHeight of chainID with appHash, a
// commit for it signed by the first signers validators (all if 0), and
// returns both protobufs, base64.
func signCheckpoint(t testing.TB, v *validators, chainID string, appHash []byte, signers int) (string, string) {
	t.Helper()
	if signers == 0 {
		signers = v.set.Size()
	}
	flags := make([]types.BlockIDFlag, v.set.Size())
	for i := range flags {
		flags[i] = types.BlockIDFlagAbsent
		if i < signers {
			flags[i] = types.BlockIDFlagCommit
		}
	}
	return signCheckpointSlots(t, v, chainID, appHash, flags)
}

// signCheckpointSlots is signCheckpoint with each slot's flag given: the
// validator at index i (in the set's order) votes for the block (COMMIT),
// votes nil (NIL, a signed nil precommit, as CometBFT keeps it in a
// commit) or is absent (ABSENT).
func signCheckpointSlots(t testing.TB, v *validators, chainID string, appHash []byte, flags []types.BlockIDFlag) (string, string) {
	t.Helper()
	fill := func(tag string) []byte { s := sha256.Sum256([]byte(tag)); return s[:] }
	blockTime := fixtureTime.Add(10 * time.Minute)
	h := &types.Header{
		Version: cmtversion.Consensus{Block: version.BlockProtocol, App: 1},
		ChainID: chainID, Height: fixtureHeight, Time: blockTime,
		LastBlockID:    types.BlockID{Hash: fill("last block"), PartSetHeader: types.PartSetHeader{Total: 1, Hash: fill("last parts")}},
		LastCommitHash: fill("last commit"), DataHash: fill("data"),
		ValidatorsHash: v.set.Hash(), NextValidatorsHash: v.set.Hash(),
		ConsensusHash: fill("consensus"), AppHash: appHash, LastResultsHash: fill("results"),
		EvidenceHash: fill("evidence"), ProposerAddress: v.set.GetProposer().Address,
	}
	blockID := types.BlockID{Hash: h.Hash(), PartSetHeader: types.PartSetHeader{Total: 1, Hash: fill("parts")}}
	commit := &types.Commit{Height: fixtureHeight, BlockID: blockID, Signatures: make([]types.CommitSig, v.set.Size())}
	for i, val := range v.set.Validators {
		if flags[i] == types.BlockIDFlagAbsent {
			commit.Signatures[i] = types.NewCommitSigAbsent()
			continue
		}
		vote := &types.Vote{Type: cmtproto.PrecommitType, Height: fixtureHeight, BlockID: blockID,
			Timestamp: blockTime.Add(time.Duration(i+1) * time.Second), ValidatorAddress: val.Address, ValidatorIndex: int32(i)}
		if flags[i] == types.BlockIDFlagNil {
			vote.BlockID = types.BlockID{}
		}
		sig, err := v.keys[val.Address.String()].Sign(types.VoteSignBytes(chainID, vote.ToProto()))
		check(t, err)
		commit.Signatures[i] = types.CommitSig{BlockIDFlag: flags[i], ValidatorAddress: val.Address,
			Timestamp: vote.Timestamp, Signature: sig}
	}
	sh := &types.SignedHeader{Header: h, Commit: commit}
	shb, err := sh.ToProto().Marshal()
	check(t, err)
	vp, err := v.set.ToProto()
	check(t, err)
	vsb, err := vp.Marshal()
	check(t, err)
	return base64.StdEncoding.EncodeToString(shb), base64.StdEncoding.EncodeToString(vsb)
}

func sm3Hex(b []byte) string {
	s := sm3.Sum(b)
	return hex.EncodeToString(s[:])
}
