package anchor

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor/vmap"
	"github.com/custos-project/custos/certs"
)

// ABCI result codes of anchoring transactions.
const (
	CodeOK        uint32 = 0
	CodeMalformed uint32 = 1 // not a well-formed anchoring transaction
	CodeNotMember uint32 = 2 // not signed by a consortium member
	CodeDuplicate uint32 = 3 // this (member, seq) batch is already in the log, or this vote recorded
	CodeStale     uint32 = 4 // an upgrade vote that can no longer count
	CodeVersion   uint32 = 5 // a transaction of another state version than the chain runs
	CodeNotOwner  uint32 = 6 // a custody head that another member registered first
)

// AppVersion is reported by Info.
const AppVersion = "custos-anchor/2"

// Chain state buckets, in the application's own bbolt file.
var (
	bAppMeta = []byte("app")     // height, apphash, root certificate
	bApplied = []byte("applied") // member(32) ‖ seq(8) → first(8) ‖ count(4) ‖ height(8)
)

const logBucket = "log"

// Included says where a batch landed in the log.
type Included struct {
	Member string // the submitting node (Tx.Member)
	Seq    uint64
	First  uint64 // log index of the batch's first leaf
	Count  int
	Height int64 // the block that appended it
}

// AppConfig configures the ABCI application.
type AppConfig struct {
	DB      *bolt.DB // chain state; the application's alone
	ChainID string
	// Root is the consortium root CA: only nodes whose certificates chain to
	// it may anchor.
	Root *x509.Certificate
	// OnCommit, if set, is called after each block is committed, with the
	// batches it appended. It must not block for long.
	OnCommit func(height int64, included []Included)
	Log      *slog.Logger
}

// App is the deterministic ABCI application that replicates the evidence
// log. Its state is one append-only RFC 6962 tree; the AppHash after each
// block is the tree's size (8 bytes, big-endian) followed by its root.
type App struct {
	abci.BaseApplication
	cfg      AppConfig
	db       *bolt.DB
	merkle   *Log
	verifier *Verifier
	txs      *txCache // decoded, verified transactions; nil: none kept
	log      *slog.Logger

	vmu        sync.RWMutex
	validators map[string]bool // Ed25519 keys of the chain's validators (from genesis)

	mu         sync.Mutex // guards the block in progress
	tx         *bolt.Tx   // opened by FinalizeBlock, committed by Commit
	height     int64
	included   []Included
	work       *stateMap                // the state map as the block in progress leaves it
	pending    map[[32]byte]headOwnerID // heads the block in progress moved
	blockPairs []vmap.Pair              // their new values, set in the map at the block's end
	moved      bool                     // whether the block moved any head
	blockDeps  *blockDeposits           // the block's deposits (state version 4); nil: none yet
	blockNames map[string]string        // the block's directory names (NameKey → org ID)
	blockLog   []byte                   // the block's state-log entries (bStateLog)
	blockKeys  []txKey                  // the block's transactions' keys in txs, evicted at Commit

	deposits    *depositIndex // the committed digest index (state version 4); its own lock
	smu         sync.RWMutex  // guards the committed state below
	version     int           // state version (StateV1 … MaxState)
	since       uint64        // the log size when version 3 began
	state       *stateMap     // the map after stateHeight
	stateHeight int64
	versions    []mapVersion           // recent versions, by height
	owners      map[[32]byte]headOwner // each head's first registrant and event count
	members     [][32]byte             // member IDs, indexed by headOwner.member
	memberIdx   map[[32]byte]uint32
	base        *stateMap // the map before the first kept version
	baseHeight  int64

	memberCache membersCache // the committed member lists (memberscache.go)
}

// NewApp opens the application state in cfg.DB.
func NewApp(cfg AppConfig) (*App, error) {
	if cfg.DB == nil || cfg.ChainID == "" || cfg.Root == nil {
		return nil, errors.New("anchor: AppConfig needs DB, ChainID and Root")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	a := &App{cfg: cfg, db: cfg.DB, merkle: NewLog(logBucket), verifier: NewVerifier(cfg.ChainID, cfg.Root), txs: newTxCache(txCacheBytes), log: cfg.Log}
	err := a.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bAppMeta, bApplied, bUpgrades, bStateLog} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if err := initDeposits(tx); err != nil {
			return err
		}
		if err := initDirectory(tx); err != nil {
			return err
		}
		if err := initRegister(tx); err != nil {
			return err
		}
		if err := initGovernanceBuckets(tx); err != nil {
			return err
		}
		return a.merkle.Init(tx)
	})
	if err != nil {
		return nil, fmt.Errorf("anchor: init state: %w", err)
	}
	if err := a.loadValidators(); err != nil {
		return nil, err
	}
	if err := a.loadDeposits(); err != nil {
		return nil, err
	}
	if err := a.loadState(); err != nil {
		return nil, err
	}
	return a, nil
}

// loadValidators reads the validator keys InitChain recorded, or from
// state version 6 those the members' governance made (govvalidators).
func (a *App) loadValidators() error {
	var keys [][]byte
	err := a.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bAppMeta).Get([]byte("govvalidators")); v != nil {
			var vs []validatorPower
			if err := json.Unmarshal(v, &vs); err != nil {
				return err
			}
			for _, p := range vs {
				keys = append(keys, p.Key)
			}
			return nil
		}
		if v := tx.Bucket(bAppMeta).Get([]byte("validators")); v != nil {
			return json.Unmarshal(v, &keys)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("anchor: validator keys: %w", err)
	}
	a.vmu.Lock()
	defer a.vmu.Unlock()
	a.validators = make(map[string]bool, len(keys))
	for _, k := range keys {
		a.validators[string(k)] = true
	}
	return nil
}

// isValidator reports whether a transaction's node certificate certifies
// one of the chain's validator keys: only validators anchor, so a member
// organization cannot mint extra writers with its CA.
func (a *App) isValidator(t *Tx) bool {
	pub, ok := t.NodeCert.PublicKey.(ed25519.PublicKey)
	a.vmu.RLock()
	defer a.vmu.RUnlock()
	return ok && a.validators[string(pub)]
}

// AppHash encodes a tree head as the application hash.
func AppHash(size uint64, root []byte) []byte {
	return append(binary.BigEndian.AppendUint64(nil, size), root...)
}

// Info reports the last committed height and AppHash, so that CometBFT
// replays only the blocks the application has not persisted.
func (a *App) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	height, hash, err := StoredState(a.db)
	if err != nil {
		return nil, err
	}
	return &abci.ResponseInfo{Data: "custos evidence log", Version: AppVersion, LastBlockHeight: height, LastBlockAppHash: hash}, nil
}

// genesisState is the application part of the genesis file. A genesis
// without state_version (written before version 2 existed) starts at 1.
// From version 6 it may name each validator's organization CA (members).
type genesisState struct {
	RootPEM      string          `json:"root_pem"`
	StateVersion int             `json:"state_version,omitempty"`
	Members      []genesisMember `json:"members,omitempty"`
}

// genesisMember binds a genesis validator to its member's organization CA.
type genesisMember struct {
	ValidatorKey []byte `json:"validator_key"` // Ed25519
	OrgCAPEM     string `json:"org_ca_pem"`
}

// InitChain checks that the genesis names the same consortium root as this
// node's configuration, and starts from the empty log.
func (a *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	version := StateV1
	var g genesisState
	if len(req.AppStateBytes) > 0 {
		if err := json.Unmarshal(req.AppStateBytes, &g); err != nil {
			return nil, fmt.Errorf("anchor: genesis app_state: %w", err)
		}
		roots, err := certs.ParsePEM([]byte(g.RootPEM))
		if err != nil || len(roots) != 1 || !roots[0].Equal(a.cfg.Root) {
			return nil, errors.New("anchor: the genesis root certificate is not this node's consortium root")
		}
		switch g.StateVersion {
		case 0, StateV1:
		case StateV2, StateV3, StateV4, StateV5, StateV6, StateV7, StateV8, StateV9, StateV10, StateV11, StateV12:
			version = g.StateVersion
		default:
			return nil, fmt.Errorf("anchor: genesis state_version %d; this node runs versions 1 to %d", g.StateVersion, MaxState)
		}
	}
	var keys [][]byte
	var powers []validatorPower
	for _, v := range req.Validators {
		if k := v.PubKey.GetEd25519(); len(k) == ed25519.PublicKeySize {
			keys = append(keys, k)
			powers = append(powers, validatorPower{Key: k, Power: v.Power})
		}
	}
	if len(keys) != len(req.Validators) {
		return nil, errors.New("anchor: every genesis validator must have an Ed25519 key")
	}
	if len(g.Members) > 0 && version < StateV6 {
		return nil, fmt.Errorf("anchor: genesis members at state version %d; they come with version 6", version)
	}
	vals := map[string]bool{}
	for _, k := range keys {
		vals[string(k)] = true
	}
	orgCAs, err := genesisOrgCAs(g.Members, a.cfg.Root, vals)
	if err != nil {
		return nil, err
	}
	var root []byte
	if err := a.db.Update(func(tx *bolt.Tx) error {
		b, err := json.Marshal(keys)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bAppMeta).Put([]byte("validators"), b); err != nil {
			return err
		}
		if b, err = json.Marshal(powers); err != nil {
			return err
		}
		if err := tx.Bucket(bAppMeta).Put([]byte("powers"), b); err != nil {
			return err
		}
		if err := tx.Bucket(bAppMeta).Put([]byte("version"), binary.BigEndian.AppendUint32(nil, uint32(version))); err != nil {
			return err
		}
		if version >= StateV7 {
			if err := startDepositChain(tx); err != nil {
				return err
			}
		}
		if version >= StateV6 {
			// The members enter the state map with the first block.
			if _, err := initGovernance(tx, orgCAs); err != nil {
				return err
			}
			if err := tx.Bucket(bAppMeta).Put([]byte("govqueue"), []byte{1}); err != nil {
				return err
			}
		}
		_, root, err = a.merkle.Root(tx)
		return err
	}); err != nil {
		return nil, err
	}
	if err := a.loadValidators(); err != nil {
		return nil, err
	}
	a.smu.Lock()
	a.version, a.since = version, 0
	a.smu.Unlock()
	a.forgetMembers()
	return &abci.ResponseInitChain{AppHash: a.appHash(version, 0, root, newStateMap().root())}, nil
}

// appHash is the AppHash of a state of the given version.
func (a *App) appHash(version int, size uint64, root []byte, stateRoot [32]byte) []byte {
	switch {
	case version >= StateV3:
		return AppHashV3(size, root, stateRoot, a.since)
	case version == StateV2:
		return AppHashV2(size, root, stateRoot)
	}
	return AppHash(size, root)
}

// GenesisState returns the app_state for a genesis file naming root, for
// a chain that starts at the given state version (LatestState for a new
// consortium; StateV1 only to rehearse an upgrade).
func GenesisState(root *x509.Certificate, version int) json.RawMessage {
	return GenesisStateMembers(root, version, nil)
}

// GenesisStateMembers is GenesisState naming, from state version 6, the
// organization CA of each validator in vals that has one (OrgCA), so that
// its member's governance key is accepted from the first block.
func GenesisStateMembers(root *x509.Certificate, version int, vals []GenesisValidator) json.RawMessage {
	g := genesisState{RootPEM: string(certs.EncodePEM(root))}
	if version != StateV1 {
		g.StateVersion = version
	}
	for _, v := range vals {
		if v.OrgCA != nil && version >= StateV6 {
			g.Members = append(g.Members, genesisMember{ValidatorKey: v.PubKey, OrgCAPEM: string(certs.EncodePEM(v.OrgCA))})
		}
	}
	b, _ := json.Marshal(g)
	return b
}

// CheckTx admits to the mempool only well-formed transactions signed by a
// validator, of the chain's state version, that would change the state:
// batches not yet in the log whose heads are the submitter's, and upgrade
// votes that can still count.
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	t, code, msg := a.checkTx(req.Tx, time.Now())
	if code == CodeOK {
		a.smu.RLock()
		version, height := a.version, a.stateHeight
		a.smu.RUnlock()
		a.db.View(func(tx *bolt.Tx) error {
			code, msg = a.checkState(tx, t, version, height+1, nil)
			return nil
		})
	}
	return &abci.ResponseCheckTx{Code: code, Log: msg}, nil
}

// checkTx decodes raw and checks its signature at time at, and that its
// signer is a validator.
func (a *App) checkTx(raw []byte, at time.Time) (*Tx, uint32, string) {
	return a.checkTxKeyed(a.txs.key(raw), raw, at)
}

// checkTxKeyed is checkTx of raw, whose key in a.txs is key: the decoding
// and the signature come from a.txs if it holds them (see txCache).
func (a *App) checkTxKeyed(key txKey, raw []byte, at time.Time) (*Tx, uint32, string) {
	var t *Tx
	if ct, ok := a.cached(key, raw); ok {
		if err := ct.m.within(at); err != nil {
			return nil, CodeNotMember, err.Error()
		}
		t = ct.t
	} else {
		var err error
		if t, err = DecodeTx(raw); err != nil {
			return nil, CodeMalformed, err.Error()
		}
		m, err := a.verifier.verify(t, at)
		if err != nil {
			return nil, CodeNotMember, err.Error()
		}
		if a.txs != nil && !t.isGov() {
			a.txs.put(key, raw, t, m)
		}
	}
	if !t.isGov() && !a.isValidator(t) {
		return nil, CodeNotMember, "the signing node is not a validator of this chain"
	}
	return t, CodeOK, ""
}

// cached returns what a.txs holds of raw, whose key is key.
func (a *App) cached(key txKey, raw []byte) (*cachedTx, bool) {
	if a.txs == nil {
		return nil, false
	}
	return a.txs.get(key, raw)
}

// checkState checks t against the state in tx, for the block at height
// run at state version: a batch of the version's format, not yet
// applied, naming no head of another member; an upgrade vote that counts.
func (a *App) checkState(tx *bolt.Tx, t *Tx, version int, height int64, pending map[[32]byte]headOwnerID) (uint32, string) {
	if t.isGov() {
		if version < StateV6 {
			return CodeVersion, fmt.Sprintf("a governance transaction; the chain state is version %d, which has no governance (version 6 has)", version)
		}
		return a.checkGov(tx, t, version, height)
	}
	if version >= StateV6 {
		if code, msg := checkRetiredCA(tx, t, version); code != CodeOK {
			return code, msg
		}
	}
	if t.Kind == KindUpgrade {
		if code, msg := a.checkUpgrade(t, version, height); code != CodeOK {
			return code, msg
		}
		if tx.Bucket(bUpgrades).Get(upgradeKey(t.Upgrade, t.memberKey())) != nil {
			return CodeDuplicate, "this validator already voted for this upgrade"
		}
		return CodeOK, ""
	}
	if t.Kind == KindDirectory {
		if version < StateV4 {
			return CodeVersion, fmt.Sprintf("a directory registration; the chain state is version %d, which has no directory (version 4 has)", version)
		}
		if want := directoryVersion(version); t.Version != want {
			return CodeVersion, fmt.Sprintf("a version-%d directory registration; the chain state is version %d, which takes version-%d ones", t.Version, version, want)
		}
		return a.checkDirectory(tx, t, version, a.blockNamesFor(pending))
	}
	if t.Kind == KindRegCommit {
		return a.checkRegCommit(tx, t, version)
	}
	if t.Kind == KindRegister {
		if version < StateV5 {
			return CodeVersion, fmt.Sprintf("a copyright registration; the chain state is version %d, which has no register (version 5 has)", version)
		}
		return a.checkRegister(tx, t, version)
	}
	if want := batchVersion(version); t.Version != want {
		return CodeVersion, fmt.Sprintf("a version-%d batch; the chain state is version %d, which takes version-%d batches", t.Version, version, want)
	}
	if appliedBatch(tx, t.memberKey(), t.Seq) != nil {
		return CodeDuplicate, "batch already in the log"
	}
	if pending == nil { // CheckTx; a block's apply computes the keys itself
		if _, code, msg := a.stateKeys(tx, t, 0, true); code != CodeOK {
			return code, msg
		}
		if _, code, msg := a.depositLeaves(tx, t, 0, true); code != CodeOK {
			return code, msg
		}
	}
	return a.checkHeadOwners(t, pending)
}

// directoryVersion is the transaction version of directory registrations
// at a state version (from 4).
func directoryVersion(state int) uint8 {
	if state >= StateV8 {
		return TxVersion8
	}
	return TxVersion4
}

// batchVersion is the transaction version of batches at a state version.
func batchVersion(state int) uint8 {
	switch {
	case state >= StateV7:
		return TxVersion7
	case state >= StateV4:
		return TxVersion4
	case state == StateV3:
		return TxVersion3
	case state == StateV2:
		return TxVersion2
	}
	return TxVersion
}

// MaxProposalBytes bounds the transactions a proposer puts in one block.
// CometBFT allows 21 MB, but a block must reach every validator within
// timeout_propose (3 s) over p2p connections that also carry the mempool's
// gossip of the same transactions: at CometBFT's 5 MB/s a 14.6 MB block
// (38 batches of 5,000 uploads with their deposits) took rounds of
// timeouts and 80 s to commit (BenchmarkConsortiumThroughput). The links
// now run at P2PRate, but larger bounds measured no better: with 8 MiB the
// four validators used more CPU for the same uploads (11.1 CPU-s against
// 9.5, medians of three alternated runs), and a 16 MiB block of 190,000
// uploads once took 16 s to commit on the loaded 2-core machine
// (docs/performance.md). What does not fit waits for the next block.
const MaxProposalBytes = 4 << 20

// PrepareProposal proposes the mempool's transactions that are valid at the
// block's time, within the size limit (and MaxProposalBytes). A transaction
// that has become invalid since CheckTx (an expired certificate) is left
// out, and so is a transaction given twice, so that the other validators
// do not reject the whole proposal in ProcessProposal.
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	txs := make([][]byte, 0, len(req.Txs))
	limit := min(req.MaxTxBytes, MaxProposalBytes)
	var size int64
	seen := newTxSet(len(req.Txs))
	for _, raw := range req.Txs {
		if _, code, _ := a.checkTx(raw, req.Time); code != CodeOK || !seen.add(raw) {
			continue
		}
		if size += int64(len(raw)); size > limit && len(txs) > 0 {
			break
		}
		if size > req.MaxTxBytes {
			break
		}
		txs = append(txs, raw)
	}
	return &abci.ResponsePrepareProposal{Txs: txs}, nil
}

// ProcessProposal refuses a block that carries a transaction no member
// signed (checked at the block's time, so every validator decides alike),
// and what PrepareProposal never proposes: a transaction twice, or more
// than one transaction adding up to more than MaxProposalBytes.
func (a *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	if reason := proposalShape(req.Txs); reason != "" {
		a.log.Warn("rejecting proposal", "height", req.Height, "reason", reason)
		return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
	}
	for _, raw := range req.Txs {
		if _, code, msg := a.checkTx(raw, req.Time); code != CodeOK {
			a.log.Warn("rejecting proposal", "height", req.Height, "reason", msg)
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
	}
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

// proposalShape says what is wrong with a proposal's transactions as a
// whole, "" if nothing: the same bytes twice, or more than one
// transaction and more than MaxProposalBytes in all (PrepareProposal
// proposes a single transaction larger than that, never more).
func proposalShape(txs [][]byte) string {
	var size int
	seen := newTxSet(len(txs))
	for i, raw := range txs {
		if !seen.add(raw) {
			return fmt.Sprintf("transaction %d is in the block twice", i)
		}
		size += len(raw)
	}
	if len(txs) > 1 && size > MaxProposalBytes {
		return fmt.Sprintf("%d transactions of %d bytes, more than %d", len(txs), size, MaxProposalBytes)
	}
	return ""
}

// txSet finds a block's repeated transactions: by a fast hash of their
// bytes (hash/maphash, as txCache), comparing the bytes themselves.
type txSet struct {
	seed maphash.Seed
	m    map[uint64][][]byte
}

func newTxSet(n int) *txSet {
	return &txSet{seed: maphash.MakeSeed(), m: make(map[uint64][][]byte, n)}
}

// add adds raw, reporting false if the set already holds the same bytes.
func (s *txSet) add(raw []byte) bool {
	h := maphash.Bytes(s.seed, raw)
	for _, o := range s.m[h] {
		if bytes.Equal(o, raw) {
			return false
		}
	}
	s.m[h] = append(s.m[h], raw)
	return true
}

func appliedKey(t *Tx) []byte {
	return binary.BigEndian.AppendUint64(t.memberKey(), t.Seq)
}

// FinalizeBlock applies the block's valid transactions: it first moves the
// state to the next version if this is the height that version was voted
// for; then it appends each new batch to the log and moves its custody
// heads, and records upgrade votes. It returns the new state as AppHash.
// The changes stay in one open bbolt transaction until Commit. A storage
// failure here panics: the node must halt rather than diverge from the
// other validators.
func (a *App) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tx != nil {
		a.tx.Rollback() // a block finalized but never committed (a replay after a crash)
	}
	tx, err := a.db.Begin(true)
	if err != nil {
		panic(fmt.Sprintf("anchor: begin state transaction at height %d: %v", req.Height, err))
	}
	a.smu.RLock()
	a.tx, a.height, a.included, a.work, a.moved, a.blockLog = tx, req.Height, nil, a.state, false, a.blockLog[:0]
	a.blockDeps, a.blockNames, a.blockKeys = nil, map[string]string{}, a.blockKeys[:0]
	a.pending, a.blockPairs = map[[32]byte]headOwnerID{}, a.blockPairs[:0]
	a.smu.RUnlock()
	a.smu.Lock() // version changes only here, under both locks
	_, err = a.maybeActivate(tx, req.Height)
	version := a.version
	a.smu.Unlock()
	if err != nil {
		panic(fmt.Sprintf("anchor: state upgrade at height %d: %v", req.Height, err))
	}
	var updates []abci.ValidatorUpdate
	if version >= StateV6 {
		updates = a.beginGovBlock(tx, req.Height, version)
	}
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, raw := range req.Txs {
		results[i] = a.apply(tx, raw, req, version)
	}
	if a.blockDeps != nil && a.blockDeps.count > 0 {
		a.commitDeposits(tx, req.Height, version)
	}
	a.work = a.work.setMany(a.blockPairs)
	if len(a.blockLog) > 0 {
		if err := tx.Bucket(bStateLog).Put(binary.BigEndian.AppendUint64(nil, uint64(req.Height)), a.blockLog); err != nil {
			panic(fmt.Sprintf("anchor: log the state map at height %d: %v", req.Height, err))
		}
	}
	size, root, err := a.merkle.Root(tx)
	if err != nil {
		panic(fmt.Sprintf("anchor: tree root at height %d: %v", req.Height, err))
	}
	hash := a.appHash(version, size, root, a.work.root())
	meta := tx.Bucket(bAppMeta)
	if err := meta.Put([]byte("height"), binary.BigEndian.AppendUint64(nil, uint64(req.Height))); err != nil {
		panic(fmt.Sprintf("anchor: store height %d: %v", req.Height, err))
	}
	if err := meta.Put([]byte("apphash"), hash); err != nil {
		panic(fmt.Sprintf("anchor: store app hash at height %d: %v", req.Height, err))
	}
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: hash, ValidatorUpdates: updates}, nil
}

func (a *App) apply(tx *bolt.Tx, raw []byte, req *abci.RequestFinalizeBlock, version int) *abci.ExecTxResult {
	key := a.txs.key(raw)
	a.blockKeys = append(a.blockKeys, key)
	t, code, msg := a.checkTxKeyed(key, raw, req.Time)
	if code == CodeOK {
		code, msg = a.checkState(tx, t, version, req.Height, a.pending)
	}
	if code != CodeOK {
		return &abci.ExecTxResult{Code: code, Log: msg}
	}
	if t.Kind == KindRevokeGov {
		return a.applyRevoke(tx, t, req.Height, version)
	}
	if t.Kind == KindPropose || t.Kind == KindVote {
		return a.applyGov(tx, t, req.Height, version)
	}
	// From state version 8 a batch binds its organization CA only once
	// its heads and deposits are found good (chain review finding 4).
	if version >= StateV6 && (version < StateV8 || t.Kind != KindBatch) {
		a.learnOrgCA(tx, t, req.Height, version)
	}
	if t.Kind == KindUpgrade {
		return a.applyUpgrade(tx, t, req.Height)
	}
	if t.Kind == KindDirectory {
		a.applyDirectory(tx, t, req.Height, version, a.blockNames)
		return &abci.ExecTxResult{Code: CodeOK}
	}
	if t.Kind == KindRegister {
		a.applyRegister(tx, t, req.Height, req.Time, version)
		return &abci.ExecTxResult{Code: CodeOK}
	}
	if t.Kind == KindRegCommit {
		a.applyRegCommit(tx, t, req.Height, req.Time)
		return &abci.ExecTxResult{Code: CodeOK}
	}
	first, err := a.merkle.Size(tx)
	if err != nil {
		panic(fmt.Sprintf("anchor: log size at height %d: %v", req.Height, err))
	}
	// The heads' state keys, before anything changes: the batch's leaves
	// go at first, and a head that locates no leaf refuses the batch.
	keys, code, msg := a.stateKeys(tx, t, first, false)
	if code != CodeOK {
		return &abci.ExecTxResult{Code: code, Log: msg}
	}
	deposits, code, msg := a.depositLeaves(tx, t, first, false)
	if code != CodeOK {
		return &abci.ExecTxResult{Code: code, Log: msg}
	}
	if version >= StateV8 {
		a.learnOrgCA(tx, t, req.Height, version)
	}
	if len(t.Leaves) > 0 {
		if first, err = a.merkle.Append(tx, t.Leaves); err != nil {
			panic(fmt.Sprintf("anchor: append at height %d: %v", req.Height, err))
		}
	}
	val := binary.BigEndian.AppendUint64(nil, first)
	val = binary.BigEndian.AppendUint32(val, uint32(len(t.Leaves)))
	val = binary.BigEndian.AppendUint64(val, uint64(req.Height))
	if err := tx.Bucket(bApplied).Put(appliedKey(t), val); err != nil {
		panic(fmt.Sprintf("anchor: record batch at height %d: %v", req.Height, err))
	}
	if a.applyHeads(t, keys) {
		a.moved = true
	}
	a.applyDeposits(tx, t, deposits, req.Height, version)
	a.included = append(a.included, Included{Member: t.Member(), Seq: t.Seq, First: first, Count: len(t.Leaves), Height: req.Height})
	return &abci.ExecTxResult{Code: CodeOK, Data: binary.BigEndian.AppendUint64(nil, first)}
}

// Commit persists the block's changes. A failure panics (see FinalizeBlock).
func (a *App) Commit(context.Context, *abci.RequestCommit) (*abci.ResponseCommit, error) {
	a.mu.Lock()
	tx, height, included, work, moved, pending, deps := a.tx, a.height, a.included, a.work, a.moved, a.pending, a.blockDeps
	a.tx, a.included, a.blockDeps = nil, nil, nil
	if a.txs != nil {
		a.txs.evict(a.blockKeys)
	}
	a.mu.Unlock()
	if tx == nil {
		return &abci.ResponseCommit{}, nil
	}
	if err := tx.Commit(); err != nil {
		panic(fmt.Sprintf("anchor: commit state at height %d: %v", height, err))
	}
	a.recordVersions(height, work, moved, pending)
	a.publishDeposits(deps)
	if a.cfg.OnCommit != nil {
		a.cfg.OnCommit(height, included)
	}
	return &abci.ResponseCommit{}, nil
}

// Applied reports where a member's batch landed, if it is in the log
// (from state version 6, under any validator key its member ran).
func (a *App) Applied(member string, seq uint64) (Included, bool, error) {
	key, err := memberKeyHex(member)
	if err != nil {
		return Included{}, false, err
	}
	var inc Included
	var ok bool
	err = a.db.View(func(tx *bolt.Tx) error {
		v := appliedBatch(tx, key, seq)
		if v == nil {
			return nil
		}
		ok = true
		inc = Included{Member: member, Seq: seq, First: binary.BigEndian.Uint64(v), Count: int(binary.BigEndian.Uint32(v[8:])), Height: int64(binary.BigEndian.Uint64(v[12:]))}
		return nil
	})
	return inc, ok, err
}

// LastApplied is the highest batch number the log holds from member (a
// node member ID, Tx.Member), under any validator key the member ran; 0
// if none. A node's batches go on after it (Batcher.cut), so that a node
// whose batch records are older than the chain (restored from a backup)
// does not number a new batch as one the log already holds.
func (a *App) LastApplied(member string) (uint64, error) {
	key, err := memberKeyHex(member)
	if err != nil {
		return 0, err
	}
	var last uint64
	err = a.db.View(func(tx *bolt.Tx) error {
		last = lastApplied(tx, key)
		return nil
	})
	return last, err
}

// View runs fn with a read transaction on the committed log.
func (a *App) View(fn func(l *Log, tx *bolt.Tx) error) error {
	return a.db.View(func(tx *bolt.Tx) error { return fn(a.merkle, tx) })
}

// blockNamesFor is the block's directory names when checking within a
// block (pending set), nil in CheckTx.
func (a *App) blockNamesFor(pending map[[32]byte]headOwnerID) map[string]string {
	if pending == nil {
		return nil
	}
	return a.blockNames
}
