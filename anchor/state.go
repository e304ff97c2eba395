package anchor

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/custos-project/custos/anchor/vmap"
	"github.com/custos-project/custos/custody"
	bolt "go.etcd.io/bbolt"
)

// State versions. Version 1 is the log alone: the AppHash is the log's size
// and root. Version 2 adds the state map (custody heads, and later the
// consortium's other replicated state), committed in the AppHash beside the
// log. A chain moves from one version to the next at a height that more
// than 2/3 of its validators' voting power voted for (KindUpgrade
// transactions); docs/architecture.md, "Chain state".
//
// Version 3 keys each head by its chain's first event
// (custody.BoundHeadKey), so that only the member that anchored that event
// can write it, and no longer registers the head of a chain of one event:
// a receipt proves such a chain complete by the head's absence. Its AppHash
// adds the log size at which version 3 began ("since"), below which chains
// were anchored under version 2's rules.
//
// Version 4 adds the consortium's digest index (deposits.go): batches
// (transaction version 4) register the deposits their member filed, and
// the state map commits to the deposit log under DepositsKey. The AppHash
// keeps version 3's layout (and its first byte, 0x03): what it commits to
// is read the same way, so receipts and verifiers are unchanged.
//
// Version 5 adds the consortium's copyright register (register.go):
// KindRegister transactions (transaction version 5) file registrations,
// which the state numbers, and the state map commits to each entry under
// RegKey. The AppHash keeps version 3's layout, as version 4 does.
//
// Version 6 adds consortium governance (governance.go): members' signed
// proposals and votes (transaction version 6) admit and remove members,
// rotate validator keys, change powers and retire organization CAs, and
// the state map commits to each member and proposal under GovMemberKey
// and GovProposalKey. The AppHash keeps version 3's layout.
//
// Version 7 makes the directory compare names by NameKey, which is
// idempotent (nameKeyV4, before it, is not for Cherokee): at the upgrade
// the directory's names are keyed anew, and of two organizations whose
// names become one, the earlier registration keeps it and the other's
// claim is recorded (as a registration of a taken name is from version
// 5). The AppHash keeps version 3's layout.
//
// Version 8 fixes five state transitions found wrong by the chain review
// of session 15 (docs/security.md), for blocks from its upgrade height
// only: a directory registration is of transaction version 8, whose
// organizations carry a revision that the state keeps (OrgRevKey), so
// that its bytes cannot be applied again (finding 5); a rename frees the
// old name only if the organization holds it, within the block too
// (findings 2 and 3); a batch refused for its heads or deposits binds no
// organization CA (finding 4); a legacy registration number may not have
// the form of a chain-assigned one, nor be one the member already used
// (finding 6). The AppHash keeps version 3's layout.
//
// Version 9 fixes two governance rules found weak by the governance
// review of session 16 (docs/security.md), for blocks from its upgrade
// height only: a vote is of transaction version 9 and counts only if it
// names the SHA-256 of the proposal recorded under its ID (finding G1);
// without an override, a change after which one validator holds a third
// of the power or more is refused, unless one already did and the change
// does not raise the largest share (finding G2). The AppHash keeps
// version 3's layout.
//
// Version 10 lets a member revoke one of its governance certificates
// without retiring its organization CA (govrevoke.go): a revocation
// (transaction version 10) signed by the organization CA that issued the
// certificate records its SHA-256 in the member's entry, and drops the
// member's votes cast with it on open proposals; a later proposal or vote
// signed with it is refused (CodeRevoked). A vote records the SHA-256 of
// the certificate that signed it. The AppHash keeps version 3's layout.
//
// Version 11 counts a member's registration numbers of the year by the
// member's place, which its rotations keep, instead of by the node key
// that files them (copyright review of session 19, finding K1): under
// version 5 to 10 a rotated member's count started again at 000001 under
// its new key, and its first numbers of the year repeated. From 11 the
// count under the place starts after the highest the member reached under
// any of its keys that year (nextRegNumber). No transaction format
// changes; the AppHash keeps version 3's layout.
//
// Version 12 orders the copyright register by commitments (regcommit.go;
// copyright review of session 19, finding K7): a member commits to a new
// registration (transaction version 11) before it files it, the
// commitment takes the registration's place in the register, and a new
// registration without a legacy number is refused unless the member
// committed to it. Legacy registrations and revocations are filed as
// before. The AppHash keeps version 3's layout.
const (
	StateV1  = 1
	StateV2  = 2
	StateV3  = 3
	StateV4  = 4
	StateV5  = 5
	StateV6  = 6
	StateV7  = 7
	StateV8  = 8
	StateV9  = 9
	StateV10 = 10
	StateV11 = 11
	StateV12 = 12
	// LatestState is the version new chains start with.
	LatestState = StateV12
	// MaxState is the highest version this code runs: a vote for a later
	// one is refused.
	MaxState = StateV12
)

// keptVersions is how many recent heights' state maps stay provable: a
// receipt's checkpoint is the latest final header, whose AppHash is the
// state after the block before, so only the last few are ever asked for.
const keptVersions = 64

var (
	bUpgrades = []byte("upgrades") // version(4) ‖ height(8) ‖ member(32) → 0x01
	// bStateLog holds every map update, in order: height(8) → the block's
	// updates, each key(32) ‖ value(32) ‖ member(32) ‖ events(8) (the
	// member that moved the head and how many events it covers). The map
	// and its owners are rebuilt from it at start, so that a block writes
	// one value.
	bStateLog = []byte("statelog")
)

// stateLogLen is the length of a state-log value.
const stateLogLen = 32 + 32 + 32 + 8

// headOwner is who registered a head key first, and how many events the
// head covers now. member indexes App.members.
type headOwner struct {
	member uint32
	events uint64
}

// ErrStateGone means a state map version is no longer kept (or never was):
// ask about a recent checkpoint.
var ErrStateGone = errors.New("anchor: state map version not kept")

// AppHashV2 encodes a version-2 state as the application hash:
// 0x02 ‖ log size (8, big-endian) ‖ log root (32) ‖ state map root (32).
func AppHashV2(size uint64, root []byte, stateRoot [32]byte) []byte {
	b := append([]byte{StateV2}, binary.BigEndian.AppendUint64(nil, size)...)
	b = append(b, root...)
	return append(b, stateRoot[:]...)
}

// AppHashV3 encodes a version-3 state: AppHashV2's 73 bytes with 0x03 for
// 0x02, then since (8, big-endian), the log size when version 3 began.
func AppHashV3(size uint64, root []byte, stateRoot [32]byte, since uint64) []byte {
	b := AppHashV2(size, root, stateRoot)
	b[0] = StateV3
	return binary.BigEndian.AppendUint64(b, since)
}

// Since is the log size at which state version 3 began (0 for a chain
// that started at it); meaningful only at version 3.
func (a *App) Since() uint64 {
	a.smu.RLock()
	defer a.smu.RUnlock()
	return a.since
}

// validatorPower is one validator's key and voting power, as InitChain
// recorded them.
type validatorPower struct {
	Key   []byte `json:"key"`
	Power int64  `json:"power"`
}

// StateVersion is the committed state version.
func (a *App) StateVersion() int {
	a.smu.RLock()
	defer a.smu.RUnlock()
	return a.version
}

// loadState reads the state version and rebuilds the state map from the
// update log: the map as of keptVersions blocks ago in one bulk build, then
// block by block, keeping each recent block's version provable.
func (a *App) loadState() error {
	var height int64
	var recent []logEntry
	old := map[[32]byte][32]byte{}
	err := a.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bAppMeta)
		a.version = StateV1
		if v := m.Get([]byte("version")); len(v) == 4 {
			a.version = int(binary.BigEndian.Uint32(v))
		}
		if v := m.Get([]byte("height")); len(v) == 8 {
			height = int64(binary.BigEndian.Uint64(v))
		}
		if v := m.Get([]byte("since")); len(v) == 8 {
			a.since = binary.BigEndian.Uint64(v)
		}
		a.owners, a.members, a.memberIdx = map[[32]byte]headOwner{}, nil, map[[32]byte]uint32{}
		return tx.Bucket(bStateLog).ForEach(func(k, v []byte) error {
			if len(k) != 8 || len(v) == 0 || len(v)%stateLogLen != 0 {
				return fmt.Errorf("anchor: state log entry %x: %w", k, ErrCorrupt)
			}
			for ; len(v) > 0; v = v[stateLogLen:] {
				e := logEntry{height: int64(binary.BigEndian.Uint64(k))}
				copy(e.key[:], v[:32])
				copy(e.value[:], v[32:64])
				var m [32]byte
				copy(m[:], v[64:96])
				if e.key != DepositsKey {
					a.owners[e.key] = headOwner{member: a.internMember(m), events: binary.BigEndian.Uint64(v[96:])}
				}
				if e.height <= height-keptVersions {
					old[e.key] = e.value
				} else {
					recent = append(recent, e)
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("anchor: load state: %w", err)
	}
	t, err := buildMap(old)
	if err != nil {
		return fmt.Errorf("anchor: rebuild state map: %w", err)
	}
	a.base, a.baseHeight, a.versions = t, max(0, height-keptVersions), nil
	for i, e := range recent {
		t = t.set(e.key, e.value)
		if i == len(recent)-1 || recent[i+1].height != e.height {
			a.versions = append(a.versions, mapVersion{e.height, t})
		}
	}
	a.state, a.work, a.stateHeight = t, t, height
	return nil
}

type logEntry struct {
	height     int64
	key, value [32]byte
}

// mapVersion is the state map after the block at height.
type mapVersion struct {
	height int64
	t      *stateMap
}

// versionAt returns the state map after the block at height (the state a
// header at height+1 commits to): the last version recorded at or below
// height, or the base the kept versions start from.
func (a *App) versionAt(height int64) (*stateMap, error) {
	a.smu.RLock()
	defer a.smu.RUnlock()
	if height > a.stateHeight || height < a.baseHeight {
		return nil, fmt.Errorf("%w: height %d (committed %d, kept from %d)", ErrStateGone, height, a.stateHeight, a.baseHeight)
	}
	i := sort.Search(len(a.versions), func(i int) bool { return a.versions[i].height > height })
	if i == 0 {
		return a.base, nil
	}
	return a.versions[i-1].t, nil
}

// StateProof is a proof of one key of the state map after a block.
type StateProof struct {
	Height   int64      // the block after which the map is proven
	Root     [32]byte   // the map's root then
	Value    [32]byte   // the key's value (zero when Found is false)
	Found    bool       // whether the key was set
	Siblings [][32]byte // the proof's sibling hashes (see vmap)
	Other    *vmap.Pair // when Found is false: the leaf where the key's path ends, if any
}

// ProveState proves key in the state map as it was after the block at
// height. ErrStateGone if that version is not kept.
func (a *App) ProveState(key [32]byte, height int64) (*StateProof, error) {
	t, err := a.versionAt(height)
	if err != nil {
		return nil, err
	}
	p := &StateProof{Height: height, Root: t.root()}
	p.Value, p.Found, p.Siblings, p.Other, err = t.prove(key)
	return p, err
}

// recordVersions stores the block's map as its version, folds versions
// beyond keptVersions into the base, and makes it the committed state.
func (a *App) recordVersions(height int64, t *stateMap, changed bool, pending map[[32]byte]headOwnerID) {
	a.smu.Lock()
	defer a.smu.Unlock()
	for k, p := range pending {
		a.owners[k] = headOwner{member: a.internMember(p.member), events: p.events}
	}
	if changed {
		a.versions = append(a.versions, mapVersion{height, t})
	}
	for len(a.versions) > 0 && a.versions[0].height <= height-keptVersions {
		a.base, a.baseHeight = a.versions[0].t, a.versions[0].height
		a.versions = a.versions[1:]
	}
	a.state, a.stateHeight = t, height
}

// loadPowers reads the validators' voting powers (InitChain records them;
// a chain created before they were recorded gives each validator power 1;
// from state version 6, the members' governance sets them).
func loadPowers(tx *bolt.Tx) (map[string]int64, error) {
	out := map[string]int64{}
	for _, name := range []string{"govvalidators", "powers"} {
		v := tx.Bucket(bAppMeta).Get([]byte(name))
		if v == nil {
			continue
		}
		var ps []validatorPower
		if err := json.Unmarshal(v, &ps); err != nil {
			return nil, fmt.Errorf("anchor: validator powers: %w", err)
		}
		for _, p := range ps {
			out[string(p.Key)] = p.Power
		}
		return out, nil
	}
	var keys [][]byte
	if v := tx.Bucket(bAppMeta).Get([]byte("validators")); v != nil {
		if err := json.Unmarshal(v, &keys); err != nil {
			return nil, fmt.Errorf("anchor: validator keys: %w", err)
		}
	}
	for _, k := range keys {
		out[string(k)] = 1
	}
	return out, nil
}

// applyUpgrade records a validator's upgrade vote. A vote is for the next
// state version, at a height after the block it is in.
func (a *App) applyUpgrade(tx *bolt.Tx, t *Tx, height int64) *abci.ExecTxResult {
	if code, msg := a.checkUpgrade(t, a.version, height); code != CodeOK {
		return &abci.ExecTxResult{Code: code, Log: msg}
	}
	key := upgradeKey(t.Upgrade, t.memberKey())
	b := tx.Bucket(bUpgrades)
	if b.Get(key) != nil {
		return &abci.ExecTxResult{Code: CodeDuplicate, Log: "this validator already voted for this upgrade"}
	}
	if err := b.Put(key, []byte{1}); err != nil {
		panic(fmt.Sprintf("anchor: record upgrade vote at height %d: %v", height, err))
	}
	return &abci.ExecTxResult{Code: CodeOK}
}

// checkUpgrade says whether an upgrade vote can still count: it is for the
// version after current, at a height after the block at height.
func (a *App) checkUpgrade(t *Tx, current int, height int64) (uint32, string) {
	if int(t.Upgrade.Version) > MaxState {
		return CodeVersion, fmt.Sprintf("a vote for state version %d; this node runs versions up to %d", t.Upgrade.Version, MaxState)
	}
	if int(t.Upgrade.Version) != current+1 {
		return CodeStale, fmt.Sprintf("a vote for state version %d; the chain runs version %d and can only move to %d", t.Upgrade.Version, current, current+1)
	}
	if int64(t.Upgrade.Height) <= height {
		return CodeStale, fmt.Sprintf("a vote for height %d, which is not after block %d", t.Upgrade.Height, height)
	}
	return CodeOK, ""
}

func upgradeKey(v UpgradeVote, member []byte) []byte {
	k := binary.BigEndian.AppendUint32(nil, v.Version)
	k = binary.BigEndian.AppendUint64(k, v.Height)
	return append(k, member...)
}

// maybeActivate moves the state to the next version at height if more
// than 2/3 of the voting power voted for that height. The voters are
// validators by their node certificates' keys (Tx.Member is the SHA-256 of
// the key's SubjectPublicKeyInfo), so the vote record keeps the member ID,
// and the powers are looked up by it.
func (a *App) maybeActivate(tx *bolt.Tx, height int64) (bool, error) {
	next := UpgradeVote{Version: uint32(a.version + 1), Height: uint64(height)}
	prefix := upgradeKey(next, nil)
	powers, err := loadPowers(tx)
	if err != nil {
		return false, err
	}
	byMember := map[string]int64{}
	var total int64
	for k, p := range powers {
		byMember[string(memberOfKey(ed25519.PublicKey(k)))] = p
		total += p
	}
	var voted int64
	c := tx.Bucket(bUpgrades).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		voted += byMember[string(k[len(prefix):])]
	}
	if total == 0 || 3*voted <= 2*total {
		return false, nil
	}
	a.version = int(next.Version)
	if a.version == StateV6 {
		ms, err := initGovernance(tx, nil)
		if err != nil {
			return false, err
		}
		for _, m := range ms {
			a.queueMember(&m)
		}
	}
	if a.version == StateV7 {
		if err := a.rekeyNames(tx, height); err != nil {
			return false, err
		}
		if err := startDepositChain(tx); err != nil {
			return false, err
		}
	}
	if a.version == StateV3 {
		if a.since, err = a.merkle.Size(tx); err != nil {
			return false, err
		}
		if err := tx.Bucket(bAppMeta).Put([]byte("since"), binary.BigEndian.AppendUint64(nil, a.since)); err != nil {
			return false, err
		}
	}
	return true, tx.Bucket(bAppMeta).Put([]byte("version"), binary.BigEndian.AppendUint32(nil, next.Version))
}

// storedVersion is the state version tx sees committed (or being
// written, in the block's own transaction).
func storedVersion(tx *bolt.Tx) int {
	if v := tx.Bucket(bAppMeta).Get([]byte("version")); len(v) == 4 {
		return int(binary.BigEndian.Uint32(v))
	}
	return StateV1
}

// UpgradePlan is one proposed state upgrade and the power that voted for it.
type UpgradePlan struct {
	Version     int      `json:"state_version"`
	Height      int64    `json:"height"`
	Voters      []string `json:"voters"` // member IDs (Tx.Member)
	VotedPower  int64    `json:"voted_power"`
	TotalPower  int64    `json:"total_power"`
	WillHappen  bool     `json:"will_happen"` // more than 2/3 voted and the height is ahead
	CurrentHead int64    `json:"current_height"`
}

// UpgradeStatus reports the state version and the upgrade votes recorded.
func (a *App) UpgradeStatus() (version int, plans []UpgradePlan, err error) {
	err = a.db.View(func(tx *bolt.Tx) error {
		powers, err := loadPowers(tx)
		if err != nil {
			return err
		}
		byMember := map[string]int64{}
		var total int64
		for k, p := range powers {
			byMember[fmt.Sprintf("%x", memberOfKey(ed25519.PublicKey(k)))] = p
			total += p
		}
		var height int64
		if v := tx.Bucket(bAppMeta).Get([]byte("height")); len(v) == 8 {
			height = int64(binary.BigEndian.Uint64(v))
		}
		idx := map[[12]byte]*UpgradePlan{}
		err = tx.Bucket(bUpgrades).ForEach(func(k, _ []byte) error {
			if len(k) != 44 {
				return nil
			}
			var id [12]byte
			copy(id[:], k)
			p := idx[id]
			if p == nil {
				p = &UpgradePlan{Version: int(binary.BigEndian.Uint32(k)), Height: int64(binary.BigEndian.Uint64(k[4:])), TotalPower: total, CurrentHead: height}
				idx[id] = p
			}
			m := fmt.Sprintf("%x", k[12:])
			p.Voters = append(p.Voters, m)
			p.VotedPower += byMember[m]
			return nil
		})
		for _, p := range idx {
			p.WillHappen = 3*p.VotedPower > 2*p.TotalPower && p.Height > height
			plans = append(plans, *p)
		}
		return err
	})
	sort.Slice(plans, func(i, j int) bool { return plans[i].Height < plans[j].Height })
	return a.StateVersion(), plans, err
}

// memberOfKey is the member ID (Tx.Member) of a node with Ed25519 key pub:
// SHA-256 of its SubjectPublicKeyInfo.
func memberOfKey(pub ed25519.PublicKey) []byte {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil // not an Ed25519 key of 32 bytes: matches no member
	}
	sum := sha256.Sum256(spki)
	return sum[:]
}

// internMember returns the index of member ID m in a.members, adding it.
// Callers hold a.smu for writing, or own a (loadState).
func (a *App) internMember(m [32]byte) uint32 {
	i, ok := a.memberIdx[m]
	if !ok {
		i = uint32(len(a.members))
		a.members = append(a.members, m)
		a.memberIdx[m] = i
	}
	return i
}

// owner returns the owner of head key k as the block in progress leaves it
// (pending, when set) or as committed.
func (a *App) owner(k [32]byte, pending map[[32]byte]headOwnerID) (member [32]byte, events uint64, ok bool) {
	if p, ok := pending[k]; ok {
		return p.member, p.events, true
	}
	a.smu.RLock()
	defer a.smu.RUnlock()
	o, ok := a.owners[k]
	if !ok {
		return member, 0, false
	}
	return a.members[o.member], o.events, true
}

// headOwnerID is a pending headOwner, with the member ID itself.
type headOwnerID struct {
	member [32]byte
	events uint64
}

// checkHeadOwners refuses a batch that names a head another member
// registered first: only an item's home node moves its head. pending is
// the block in progress's changes (nil in CheckTx).
func (a *App) checkHeadOwners(t *Tx, pending map[[32]byte]headOwnerID) (uint32, string) {
	if len(t.Heads) == 0 || t.Version >= TxVersion3 {
		return CodeOK, "" // version-3 keys are bound to the member's own leaves (stateKeys)
	}
	me := [32]byte(t.memberKey())
	a.smu.RLock()
	defer a.smu.RUnlock()
	mine, known := a.memberIdx[me]
	for i := range t.Heads {
		k := t.Heads[i].Key
		if p, ok := pending[k]; ok {
			if p.member != me {
				return CodeNotOwner, fmt.Sprintf("head %x belongs to another member", k)
			}
			continue
		}
		if o, ok := a.owners[k]; ok && (!known || o.member != mine) {
			return CodeNotOwner, fmt.Sprintf("head %x belongs to another member", k)
		}
	}
	return CodeOK, ""
}

// applyHeads moves t's heads forward: it notes their owner and event count
// in a.pending, their new values in a.blockPairs (set in the map at the
// block's end) and their log entries in a.blockLog. It returns whether any
// moved.
func (a *App) applyHeads(t *Tx, keys [][32]byte) bool {
	me := [32]byte(t.memberKey())
	moved := false
	for i, h := range t.Heads {
		key := keys[i]
		if _, events, ok := a.owner(key, a.pending); ok && events >= h.Events {
			continue // not forward: an older batch landing late
		}
		a.pending[key] = headOwnerID{member: me, events: h.Events}
		a.blockLog = append(append(append(a.blockLog, key[:]...), h.Value[:]...), me[:]...)
		a.blockLog = binary.BigEndian.AppendUint64(a.blockLog, h.Events)
		a.blockPairs = append(a.blockPairs, vmap.Pair{Key: key, Value: h.Value})
		moved = true
	}
	return moved
}

// stateKeys returns the state-map keys of t's heads: in a version-2 batch
// the keys it names; in a version-3 batch each key bound to the log index
// of its chain's first event (custody.BoundHeadKey), which the head locates
// in the member's own batches: this one (whose first leaf is at first) or
// one already in the log. CodeStale if a head names a batch that is not in
// the log (yet), or a leaf the batch does not have. In CheckTx (pending
// true) a head may name an earlier batch of the member that is not in the
// log yet: a node submits its batches in order and the mempool keeps that
// order, so the earlier one lands first (or this one is refused then), and
// refusing it here would make it land after later batches.
func (a *App) stateKeys(tx *bolt.Tx, t *Tx, first uint64, pending bool) ([][32]byte, uint32, string) {
	keys := make([][32]byte, len(t.Heads))
	if t.Version < TxVersion3 {
		for i, h := range t.Heads {
			keys[i] = h.Key
		}
		return keys, CodeOK, ""
	}
	member := t.memberKey()
	for i, h := range t.Heads {
		var from uint64
		var count uint32
		if h.Batch == t.Seq {
			from, count = first, uint32(len(t.Leaves))
		} else {
			v := appliedBatch(tx, member, h.Batch)
			if len(v) != 20 && pending && h.Batch < t.Seq {
				continue // checked when the block applies it
			}
			if len(v) != 20 {
				return nil, CodeStale, fmt.Sprintf("head %x: the chain's first event is in batch %d, which is not in the log", h.Key, h.Batch)
			}
			from, count = binary.BigEndian.Uint64(v), binary.BigEndian.Uint32(v[8:])
		}
		if h.Offset >= count {
			return nil, CodeStale, fmt.Sprintf("head %x: batch %d has %d leaves, not a leaf %d", h.Key, h.Batch, count, h.Offset)
		}
		keys[i] = custody.BoundHeadKey(h.Key, from+uint64(h.Offset))
	}
	return keys, CodeOK, ""
}
