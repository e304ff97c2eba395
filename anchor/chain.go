package anchor

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/cometbft/cometbft/mempool"
	"github.com/cometbft/cometbft/types"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/receipt"
)

// ChainConfig configures a node's part in the consortium chain.
type ChainConfig struct {
	Home    string   // CometBFT home (keys, genesis, block store)
	StateDB *bolt.DB // the application's state (the replicated log)
	LocalDB *bolt.DB // this node's batch records
	ChainID string
	Root    *x509.Certificate // consortium root
	// NodeCert certifies this node's validator key; OrgCA issued it.
	NodeCert, OrgCA *x509.Certificate
	Source          LeafSource
	Wake            <-chan struct{} // see BatcherConfig.Wake
	OnFinal         func([]Batch) error
	OnBehind        func(records, log uint64) // see BatcherConfig.OnBehind
	Moniker         string
	P2PListen       string
	Peers           []string
	TimeoutCommit   time.Duration
	TimeoutPropose  time.Duration // see NodeConfig.TimeoutPropose
	Log             *slog.Logger
}

// Chain is a running node of the consortium chain with its batcher.
type Chain struct {
	App     *App
	Node    *Node
	Batcher *Batcher
	chainID string
	cancel  context.CancelFunc
	done    chan struct{}

	trMu    sync.Mutex
	trCache map[int64]*Transition // by change height: Transitions

	bmu   sync.Mutex
	block chan struct{} // closed at the next commit (NextBlock)
}

// Start starts the application, the CometBFT node and the batcher.
func Start(ctx context.Context, cfg ChainConfig) (*Chain, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	c := &Chain{chainID: cfg.ChainID, done: make(chan struct{})}
	app, err := NewApp(AppConfig{DB: cfg.StateDB, ChainID: cfg.ChainID, Root: cfg.Root, Log: cfg.Log,
		OnCommit: func(int64, []Included) {
			if c.Batcher != nil {
				c.Batcher.Notify()
			}
			c.committed()
		}})
	if err != nil {
		return nil, err
	}
	c.App = app
	node, err := StartNode(app, NodeConfig{Home: cfg.Home, Moniker: cfg.Moniker, P2PListen: cfg.P2PListen,
		Peers: cfg.Peers, TimeoutCommit: cfg.TimeoutCommit, TimeoutPropose: cfg.TimeoutPropose, Log: cfg.Log.With("component", "cometbft")})
	if err != nil {
		return nil, err
	}
	c.Node = node
	if pub, ok := cfg.NodeCert.PublicKey.(ed25519.PublicKey); !ok || !pub.Equal(node.PubKey()) {
		node.Stop()
		return nil, errors.New("anchor: the node certificate does not certify this node's validator key")
	}
	b, err := NewBatcher(BatcherConfig{DB: cfg.LocalDB, Node: node, App: app, ChainID: cfg.ChainID,
		NodeCert: cfg.NodeCert, OrgCA: cfg.OrgCA, Source: cfg.Source, Wake: cfg.Wake, OnFinal: cfg.OnFinal, OnBehind: cfg.OnBehind, Log: cfg.Log})
	if err != nil {
		node.Stop()
		return nil, err
	}
	c.Batcher = b
	runCtx, cancel := context.WithCancel(ctx)
	c.cancel = cancel
	go func() { defer close(c.done); b.Run(runCtx) }()
	return c, nil
}

// Stop stops the batcher and the node.
func (c *Chain) Stop() error {
	c.cancel()
	<-c.done
	return c.Node.Stop()
}

// Halted reports whether the node's consensus stopped while it runs
// (Node.Halted): nothing is anchored until the node restarts.
func (c *Chain) Halted() bool { return c.Node.Halted() }

// Syncing reports whether the node is still fetching the blocks it missed
// (Node.Syncing): the replicated state it answers from is behind the
// chain's until then.
func (c *Chain) Syncing() bool { return c.Node.Syncing() }

// Notify wakes the batcher: leaves were queued.
func (c *Chain) Notify() { c.Batcher.Notify() }

// Locate returns the log index of a local leaf once its batch is included.
func (c *Chain) Locate(local uint64) (uint64, bool, error) {
	g, _, ok, err := c.Batcher.Locate(local)
	return g, ok, err
}

// ErrNoCheckpoint means the chain has no block whose header carries a
// tree head yet.
var ErrNoCheckpoint = errors.New("anchor: no checkpoint yet")

// Checkpoint returns the latest checkpoint: the signed header of the last
// committed block, whose AppHash is the tree head after the block before.
func (c *Chain) Checkpoint(ctx context.Context) (*receipt.Checkpoint, error) {
	return c.CheckpointAt(ctx, c.Node.Height())
}

// CheckpointAt returns the checkpoint at a committed height (≥ 2).
func (c *Chain) CheckpointAt(ctx context.Context, h int64) (*receipt.Checkpoint, error) {
	if h < 2 || h > c.Node.Height() {
		return nil, ErrNoCheckpoint
	}
	sh, vals, err := c.Node.SignedHeader(ctx, h)
	if err != nil {
		return nil, err
	}
	th, err := SplitAppHash(sh.AppHash)
	if err != nil {
		return nil, fmt.Errorf("anchor: header %d has %w", h, err)
	}
	shb, vb, err := encodeHeader(sh, vals)
	if err != nil {
		return nil, err
	}
	// After a validator change, the checkpoint carries the transitions
	// from genesis to the set that signed it (docs/receipt.md §8.2).
	ts, err := c.Transitions(ctx, h)
	if err != nil {
		return nil, err
	}
	return &receipt.Checkpoint{
		Transitions: ts,
		ChainID:     c.chainID, Height: h,
		TreeSize: th.Size, Root: hex.EncodeToString(th.Root), StateRoot: th.StateRoot, HeadsSince: th.HeadsSince,
		SignedHeader: base64.StdEncoding.EncodeToString(shb), ValidatorSet: base64.StdEncoding.EncodeToString(vb),
	}, nil
}

// StateVersion is the chain state's version.
func (c *Chain) StateVersion() int { return c.App.StateVersion() }

// ProveState proves key in the state map that the checkpoint at height
// commits to (the state after the block before it).
func (c *Chain) ProveState(key [32]byte, checkpointHeight int64) (*StateProof, error) {
	return c.App.ProveState(key, checkpointHeight-1)
}

// SubmitHeads registers custody heads with no leaves (Batcher.SubmitHeads).
func (c *Chain) SubmitHeads(ctx context.Context, heads []HeadUpdate) error {
	return c.Batcher.SubmitHeads(ctx, heads)
}

// VoteUpgrade submits this node's vote to run the given state version from
// height on. It returns CheckTx's refusal, if any, as an error.
func (c *Chain) VoteUpgrade(ctx context.Context, version int, height int64) error {
	if version < 2 || height < 1 {
		return fmt.Errorf("%w: state version %d at height %d", ErrMalformedTx, version, height)
	}
	b := c.Batcher.cfg
	raw, err := NewUpgradeTx(c.chainID, b.NodeCert, b.OrgCA, c.Node.Key(), UpgradeVote{Version: uint32(version), Height: uint64(height)})
	if err != nil {
		return err
	}
	res, err := c.Node.Broadcast(ctx, raw)
	if errors.Is(err, mempool.ErrTxInCache) {
		return &TxError{Code: CodeDuplicate, Log: "this node's vote for this upgrade is already pending"}
	}
	if err != nil {
		return err
	}
	if res.Code != CodeOK {
		return &TxError{Code: res.Code, Log: res.Log}
	}
	return nil
}

// TxError is a transaction the chain refused, with its ABCI code.
type TxError struct {
	Code uint32
	Log  string
}

func (e *TxError) Error() string { return fmt.Sprintf("anchor: refused (code %d): %s", e.Code, e.Log) }

// UpgradeStatus reports the state version and the upgrade votes.
func (c *Chain) UpgradeStatus() (int, []UpgradePlan, error) { return c.App.UpgradeStatus() }

// Height is the last committed block.
func (c *Chain) Height() int64 { return c.Node.Height() }

// InclusionProof proves a leaf into the tree of the given size.
func (c *Chain) InclusionProof(index, size uint64) ([][]byte, error) {
	var proof [][]byte
	err := c.App.View(func(l *Log, tx *bolt.Tx) error {
		var err error
		proof, err = l.InclusionProof(tx, index, size)
		return err
	})
	return proof, err
}

// ConsistencyProof proves that the tree of size1 is a prefix of the tree of
// size2 (RFC 6962 §2.1.2).
func (c *Chain) ConsistencyProof(size1, size2 uint64) ([][]byte, error) {
	var proof [][]byte
	err := c.App.View(func(l *Log, tx *bolt.Tx) error {
		var err error
		proof, err = l.ConsistencyProof(tx, size1, size2)
		return err
	})
	return proof, err
}

// BlockTime is the time in a committed block's header.
func (c *Chain) BlockTime(_ context.Context, height int64) (time.Time, error) {
	meta := c.Node.node.BlockStore().LoadBlockMeta(height)
	if meta == nil {
		return time.Time{}, fmt.Errorf("anchor: no block at height %d", height)
	}
	return meta.Header.Time, nil
}

// SubmitDeposits registers deposits of items anchored before the digest
// index existed (Batcher.SubmitDeposits).
func (c *Chain) SubmitDeposits(ctx context.Context, deposits []Deposit) error {
	return c.Batcher.SubmitDeposits(ctx, deposits)
}

// Deposit looks a SHA-256 digest up in the consortium's digest index.
func (c *Chain) Deposit(sum [32]byte) (DepositInfo, bool, error) { return c.App.Deposit(sum) }

// DepositSM3 looks an SM3 digest up in the consortium's digest index.
func (c *Chain) DepositSM3(sum [32]byte) (DepositInfo, bool, error) { return c.App.DepositSM3(sum) }

// DepositedAt reports whether the digest index holds a deposit of sum
// at log leaf leaf (App.DepositedAt).
func (c *Chain) DepositedAt(sum [32]byte, leaf uint64) (bool, error) {
	return c.App.DepositedAt(sum, leaf)
}

// RegisterOrgs submits a directory registration of this member's
// organizations (state version 4) in the format of the chain's state
// version: from version 8 each carries one more than the revision the
// directory holds (the Revision given is ignored). One the chain already
// holds as it is (CodeDuplicate), or that is still pending in the
// mempool, is no error. A registration built just before the chain moved
// to version 8 is refused (CodeVersion): the caller sends it again.
func (c *Chain) RegisterOrgs(ctx context.Context, orgs []OrgEntry) error {
	b := c.Batcher.cfg
	build := NewDirectoryTx
	orgs = slices.Clone(orgs)
	if c.App.StateVersion() >= StateV8 {
		build = NewDirectoryTx8
		for i := range orgs {
			rev, err := c.App.OrgRevision(orgs[i].ID)
			if err != nil {
				return err
			}
			orgs[i].Revision = rev + 1
		}
	} else {
		for i := range orgs {
			orgs[i].Revision = 0
		}
	}
	raw, err := build(c.chainID, b.NodeCert, b.OrgCA, c.Node.Key(), orgs)
	if err != nil {
		return err
	}
	return c.broadcastState(ctx, raw)
}

// broadcastState submits a transaction that registers state (the
// directory, the register): one the chain already holds all of
// (CodeDuplicate), or that is still pending in the mempool, is no error.
func (c *Chain) broadcastState(ctx context.Context, raw []byte) error {
	res, err := c.Node.Broadcast(ctx, raw)
	switch {
	case errors.Is(err, mempool.ErrTxInCache):
		return nil
	case err != nil:
		return err
	case res.Code == CodeOK || res.Code == CodeDuplicate:
		return nil
	}
	return &TxError{Code: res.Code, Log: res.Log}
}

// SubmitGovernance submits a governance transaction (a proposal or a
// vote) already signed by a member's governance key. CheckTx's refusal,
// or the same transaction still pending in the mempool (CodeDuplicate),
// is returned as a *TxError.
func (c *Chain) SubmitGovernance(ctx context.Context, raw []byte) error {
	res, err := c.Node.Broadcast(ctx, raw)
	switch {
	case errors.Is(err, mempool.ErrTxInCache):
		return &TxError{Code: CodeDuplicate, Log: "this transaction is already pending"}
	case err != nil:
		return err
	case res.Code != CodeOK:
		return &TxError{Code: res.Code, Log: res.Log}
	}
	return nil
}

// Org is the directory's entry of an organization, with its home member's
// current node member ID (App.Org).
func (c *Chain) Org(id string) (DirEntry, bool, error) { return c.App.Org(id) }

// OrgByName is the directory's entry of the organization with a name.
func (c *Chain) OrgByName(name string) (DirEntry, bool, error) { return c.App.OrgByName(name) }

// Orgs lists the directory.
func (c *Chain) Orgs() ([]DirEntry, error) { return c.App.Orgs() }

// StoredOrg is the directory's entry of an organization as stored
// (App.StoredOrg).
func (c *Chain) StoredOrg(id string) (DirEntry, bool, error) { return c.App.StoredOrg(id) }

// CurrentNode is the current node member ID of the member that ran node
// (App.CurrentNode).
func (c *Chain) CurrentNode(node string) (string, bool, error) { return c.App.CurrentNode(node) }

// FormerMembers maps the node member IDs of removed members to them
// (App.FormerMembers).
func (c *Chain) FormerMembers() (map[string]Member, error) { return c.App.FormerMembers() }

// RegisterCopyrights submits a copyright registration transaction of this
// member's registrations (state version 5). Registrations the register
// already holds all of (CodeDuplicate), or a transaction still pending in
// the mempool, are no error.
func (c *Chain) RegisterCopyrights(ctx context.Context, regs []Registration) error {
	b := c.Batcher.cfg
	raw, err := NewRegisterTx(c.chainID, b.NodeCert, b.OrgCA, c.Node.Key(), regs)
	if err != nil {
		return err
	}
	return c.broadcastState(ctx, raw)
}

// CommitRegistrations submits a registration commitment transaction
// (state version 12) of this member's commitments (RegCommitment), in
// the order the register is to give them places. Commitments the
// register already holds all of (CodeDuplicate), or a transaction still
// pending in the mempool, are no error.
func (c *Chain) CommitRegistrations(ctx context.Context, commits [][32]byte) error {
	b := c.Batcher.cfg
	raw, err := NewRegCommitTx(c.chainID, b.NodeCert, b.OrgCA, c.Node.Key(), commits)
	if err != nil {
		return err
	}
	return c.broadcastState(ctx, raw)
}

// Commitment is the register's record of a member's commitment
// (App.Commitment).
func (c *Chain) Commitment(member string, commit [32]byte) (RegCommit, bool, error) {
	return c.App.Commitment(member, commit)
}

// NextBlock returns a channel that is closed once the next block is
// committed.
func (c *Chain) NextBlock() <-chan struct{} {
	c.bmu.Lock()
	defer c.bmu.Unlock()
	if c.block == nil {
		c.block = make(chan struct{})
	}
	return c.block
}

// committed wakes NextBlock's waiters.
func (c *Chain) committed() {
	c.bmu.Lock()
	defer c.bmu.Unlock()
	if c.block != nil {
		close(c.block)
		c.block = nil
	}
}

// Member is this node's member ID (Tx.Member), the batcher's: computed
// once, as the API asks for it on every write (whether the member was
// removed).
func (c *Chain) Member() string { return c.Batcher.member }

// Registration is the register's entry of a member's registration.
func (c *Chain) Registration(member, id string) (RegEntry, bool, error) {
	return c.App.Registration(member, id)
}

// StoredRegistration is the register's entry under exactly a node member
// ID (App.StoredRegistration).
func (c *Chain) StoredRegistration(member, id string) (RegEntry, bool, error) {
	return c.App.StoredRegistration(member, id)
}

// SearchRegister searches the consortium's register (App.SearchRegister).
func (c *Chain) SearchRegister(sum *[32]byte, ph *uint64, threshold, limit int) ([]RegMatch, bool, error) {
	return c.App.SearchRegister(sum, ph, threshold, limit)
}

// RegistrationsByNumber lists the registrations known by a number.
func (c *Chain) RegistrationsByNumber(number string) ([]RegEntry, error) {
	return c.App.RegistrationsByNumber(number)
}

// Claims lists the directory's standing name claims (App.Claims).
func (c *Chain) Claims() ([]Claim, error) { return c.App.Claims() }

// Members lists the consortium's members (state version 6; none before).
func (c *Chain) Members() ([]Member, error) { return c.App.Members() }

// Proposals lists the governance proposals, oldest first.
func (c *Chain) Proposals() ([]ProposalState, error) { return c.App.Proposals() }

// Proposal returns one governance proposal and where it stands.
func (c *Chain) Proposal(id string) (ProposalState, bool, error) { return c.App.Proposal(id) }

// Transition is a change of the validator set as a light client follows
// it (docs/governance.md, "Receipts across validator-set changes"): the
// header at Height, signed by the set before the change, whose
// next_validators_hash is the hash of NextValidatorSet. It is the
// verifier's type (receipt.Transition, docs/receipt.md §8.1); a chain
// builds transitions without skipping, so ValidatorSet is empty.
type Transition = receipt.Transition

// Transitions returns the transitions, from genesis, of every validator
// change whose new set is in force at height (a change at H is in force
// from H + 2). Each is built once from the block store and kept.
func (c *Chain) Transitions(ctx context.Context, height int64) ([]Transition, error) {
	changes, err := c.App.ValidatorChanges()
	if err != nil {
		return nil, err
	}
	var out []Transition
	for _, h := range changes {
		if h+2 > height {
			break
		}
		c.trMu.Lock()
		t, ok := c.trCache[h]
		c.trMu.Unlock()
		if !ok {
			if t, err = c.Transition(ctx, h); err != nil {
				return nil, err
			}
			c.trMu.Lock()
			if c.trCache == nil {
				c.trCache = map[int64]*Transition{}
			}
			c.trCache[h] = t
			c.trMu.Unlock()
		}
		out = append(out, *t)
	}
	return out, nil
}

// TrustV2 is base (the genesis trust bundle, version 1) as trust bundle
// version 2 (docs/receipt.md §8.3): with the transitions to the set in
// force at the chain's height, that set as validators_current (named from
// base where base lists the key), and the last transition's height.
func (c *Chain) TrustV2(ctx context.Context, base receipt.Trust) (*receipt.Trust, error) {
	ts, err := c.Transitions(ctx, c.Node.Height())
	if err != nil {
		return nil, err
	}
	t := base
	t.Version, t.Transitions, t.TransitionsThrough = t.TransitionsVersion(), ts, 0
	t.ValidatorsCurrent = base.Validators
	if len(ts) == 0 {
		return &t, nil
	}
	last := ts[len(ts)-1].Height
	vals, err := c.Node.Validators(ctx, last+1)
	if err != nil {
		return nil, err
	}
	known := map[string]receipt.Validator{}
	for _, v := range base.Validators {
		known[v.PubKey] = v
	}
	t.TransitionsThrough, t.ValidatorsCurrent = last, nil
	for _, v := range vals.Validators {
		key := base64.StdEncoding.EncodeToString(v.PubKey.Bytes())
		cv := receipt.Validator{PubKey: key, Power: v.VotingPower}
		if k, ok := known[key]; ok {
			cv.Name, cv.Kind = k.Name, k.Kind
		}
		t.ValidatorsCurrent = append(t.ValidatorsCurrent, cv)
	}
	return &t, nil
}

// Transition returns the transition of the validator-set change at
// height change (App.ValidatorChanges): the signed header at change + 1
// and the set that signs from change + 2. ErrNoCheckpoint until the
// header at change + 1 is final (the chain is at change + 2).
func (c *Chain) Transition(ctx context.Context, change int64) (*Transition, error) {
	h := change + 1
	if change < 1 || h+1 > c.Node.Height() {
		return nil, ErrNoCheckpoint
	}
	sh, _, err := c.Node.SignedHeader(ctx, h)
	if err != nil {
		return nil, err
	}
	next, err := c.Node.Validators(ctx, h+1)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(sh.NextValidatorsHash, next.Hash()) {
		return nil, fmt.Errorf("anchor: header %d names next validators %X, but the set at %d hashes to %X", h, sh.NextValidatorsHash, h+1, next.Hash())
	}
	shb, vb, err := encodeHeader(sh, next)
	if err != nil {
		return nil, err
	}
	return &Transition{Height: h, SignedHeader: base64.StdEncoding.EncodeToString(shb), NextValidatorSet: base64.StdEncoding.EncodeToString(vb)}, nil
}

// encodeHeader is the protobuf of a signed header and of a validator set.
func encodeHeader(sh *types.SignedHeader, vals *types.ValidatorSet) (header, set []byte, err error) {
	if header, err = sh.ToProto().Marshal(); err != nil {
		return nil, nil, err
	}
	vp, err := vals.ToProto()
	if err != nil {
		return nil, nil, err
	}
	set, err = vp.Marshal()
	return header, set, err
}
