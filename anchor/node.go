package anchor

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtcons "github.com/cometbft/cometbft/consensus"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/cometbft/cometbft/rpc/client/local"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"

	"github.com/custos-project/custos/internal/atomicfile"
)

// P2PRate is the byte rate each p2p connection may use, each way.
const P2PRate = 64 << 20

// NodeConfig configures the embedded CometBFT node. Its files live under
// Home, in CometBFT's layout: config/genesis.json, config/node_key.json,
// config/priv_validator_key.json and data/.
type NodeConfig struct {
	Home      string
	Moniker   string
	P2PListen string   // e.g. "tcp://127.0.0.1:26656"; "" for a node without peers
	Peers     []string // persistent peers, "nodeID@host:port"
	// TimeoutCommit is how long a block waits for late precommits; it
	// bounds anchoring latency (default 100ms).
	TimeoutCommit time.Duration
	// TimeoutPropose is how long the validators wait for a height's
	// proposal before moving to the next round (default 3s, CometBFT's):
	// it is what a height whose proposer is down costs
	// (docs/operations.md, "Anchoring latency").
	TimeoutPropose time.Duration
	Log            *slog.Logger
}

// Node is a running, embedded CometBFT node with the anchor App.
type Node struct {
	node   *nm.Node
	client *local.Local
	key    ed25519.PrivateKey
	pub    ed25519.PublicKey
	halted atomic.Bool // see Halted
}

// Paths of the node's key files under a CometBFT home.
func PrivValKeyPath(home string) string {
	return filepath.Join(home, "config", "priv_validator_key.json")
}
func privValStatePath(home string) string {
	return filepath.Join(home, "data", "priv_validator_state.json")
}
func NodeKeyPath(home string) string { return filepath.Join(home, "config", "node_key.json") }

// NextPrivValKeyPath is where a validator key prepared for a rotation
// waits, unused, until the members' rotation to it is applied
// (docs/operations.md, "Rotating a member's key").
func NextPrivValKeyPath(home string) string {
	return filepath.Join(home, "config", "priv_validator_key.next.json")
}

// GenNextValidatorKey writes a new Ed25519 validator key, in CometBFT's
// format (0600), to NextPrivValKeyPath, and returns its public key. It
// refuses to replace a key already there.
func GenNextValidatorKey(home string) (ed25519.PublicKey, error) {
	path := NextPrivValKeyPath(home)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("anchor: %s exists: %w", path, os.ErrExist)
	}
	pv := privval.NewFilePV(cmted25519.GenPrivKey(), path, "")
	b, err := cmtjson.MarshalIndent(pv.Key, "", "  ")
	if err != nil {
		return nil, err
	}
	// Whole and durable before its public key is shown to be voted on.
	if err := atomicfile.WriteNew(path, b, 0o600); err != nil {
		return nil, err
	}
	return ed25519.PublicKey(pv.Key.PubKey.Bytes()), nil
}

// loadNodeKey loads the node's p2p key, or makes one, written whole and
// durable (p2p.LoadOrGenNodeKey neither fsyncs the file nor its folder):
// the other members' persistent_peers name the node by its ID.
func loadNodeKey(path string) (*p2p.NodeKey, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		b, err := cmtjson.Marshal(&p2p.NodeKey{PrivKey: cmted25519.GenPrivKey()})
		if err != nil {
			return nil, err
		}
		if err := atomicfile.WriteNew(path, b, 0o600); err != nil {
			return nil, err
		}
	}
	return p2p.LoadNodeKey(path)
}

func GenesisPath(home string) string { return filepath.Join(home, "config", "genesis.json") }

// loadPrivVal loads the validator key, or makes one. A key whose
// last-sign state (data/priv_validator_state.json) is missing, as after a
// member is restored from a backup without its chain data
// (docs/operations.md, "Recovering a member"), starts from an empty state:
// the node block-syncs to the chain's height before it votes again.
//
// A new key is written whole and durable, its folder fsynced, before it
// is used (CometBFT's own FilePV.Save renames without fsyncing the
// folder): the node certificate certifies it, so losing it to a crash
// would leave the node unable to start.
func loadPrivVal(home string) (*privval.FilePV, error) {
	key, state := PrivValKeyPath(home), privValStatePath(home)
	if _, err := os.Stat(key); errors.Is(err, os.ErrNotExist) {
		pv := privval.GenFilePV(key, state)
		b, err := cmtjson.MarshalIndent(pv.Key, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := atomicfile.WriteNew(key, b, 0o600); err != nil {
			return nil, fmt.Errorf("anchor: validator key: %w", err)
		}
		pv.LastSignState.Save() // a new key starts from an empty state
		return pv, atomicfile.SyncDir(filepath.Dir(state))
	}
	if _, err := os.Stat(state); errors.Is(err, os.ErrNotExist) {
		pv := privval.LoadFilePVEmptyState(key, state)
		pv.LastSignState.Save()
		return pv, atomicfile.SyncDir(filepath.Dir(state))
	}
	return privval.LoadFilePV(key, state), nil
}

// StartNode starts CometBFT in process with app as its application (a local
// ABCI client: no socket between them).
func StartNode(app *App, cfg NodeConfig) (*Node, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.TimeoutCommit == 0 {
		cfg.TimeoutCommit = 100 * time.Millisecond
	}
	c := cmtcfg.DefaultConfig()
	c.SetRoot(cfg.Home)
	c.Moniker = cfg.Moniker
	c.ProxyApp = ""
	c.RPC.ListenAddress = "" // the node is driven in process; no RPC port
	c.P2P.ListenAddress = cfg.P2PListen
	if c.P2P.ListenAddress == "" {
		c.P2P.ListenAddress = "tcp://127.0.0.1:0"
	}
	c.P2P.PersistentPeers = strings.Join(cfg.Peers, ",")
	c.P2P.PexReactor = false // members know each other; no gossip of addresses
	c.P2P.AddrBookStrict = false
	c.P2P.AllowDuplicateIP = true
	c.P2P.FlushThrottleTimeout = 10 * time.Millisecond
	// CometBFT caps each p2p connection at 5 MB/s by default. From state
	// version 4 an upload costs the chain 77 bytes (its leaf and its
	// deposit), gossiped in the mempool and again in the block, so at the
	// default the network, not the nodes, held four validators to under
	// 5,000 uploads/s (BenchmarkConsortiumThroughput). Members are few and
	// known: the cap is raised to P2PRate (a ceiling, not a reservation).
	c.P2P.SendRate, c.P2P.RecvRate = P2PRate, P2PRate
	c.Consensus.TimeoutCommit = cfg.TimeoutCommit
	if cfg.TimeoutPropose > 0 {
		c.Consensus.TimeoutPropose = cfg.TimeoutPropose
	}
	c.Consensus.PeerGossipSleepDuration = 10 * time.Millisecond
	c.Consensus.CreateEmptyBlocks = false // blocks when there is something to anchor (and one more to carry its AppHash)
	c.TxIndex.Indexer = "null"
	c.Instrumentation.Prometheus = false
	c.Storage.DiscardABCIResponses = true
	if err := c.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("anchor: node config: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(cfg.Home, "data"), 0o700); err != nil {
		return nil, err
	}
	pv, err := loadPrivVal(cfg.Home)
	if err != nil {
		return nil, err
	}
	nodeKey, err := loadNodeKey(NodeKeyPath(cfg.Home))
	if err != nil {
		return nil, fmt.Errorf("anchor: node key: %w", err)
	}
	priv, ok := pv.Key.PrivKey.(cmted25519.PrivKey)
	if !ok {
		return nil, errors.New("anchor: the validator key is not Ed25519")
	}
	n, err := nm.NewNode(c, pv, nodeKey, proxy.NewLocalClientCreator(app),
		nm.DefaultGenesisDocProviderFunc(c), cmtcfg.DefaultDBProvider,
		nm.DefaultMetricsProvider(c.Instrumentation), slogAdapter{cfg.Log})
	if err != nil {
		return nil, fmt.Errorf("anchor: create node: %w", err)
	}
	if err := n.Start(); err != nil {
		return nil, fmt.Errorf("anchor: start node: %w", err)
	}
	key := ed25519.PrivateKey(priv)
	node := &Node{node: n, client: local.New(n), key: key, pub: key.Public().(ed25519.PublicKey)}
	if err := node.watchConsensus(cfg.Log); err != nil {
		node.Stop()
		return nil, err
	}
	return node, nil
}

// watchConsensus notices when CometBFT's consensus stops while the node
// runs: a panic in its state machine, such as the application's panic
// when its state cannot be written (App.Commit; a full disk) or a
// consensus WAL write that fails, which CometBFT logs as "CONSENSUS
// FAILURE!!!" and answers by stopping consensus for good, leaving the
// rest of the process running. Nothing is anchored after that until the
// node restarts; Halted reports it, and the log says so at ERROR.
func (n *Node) watchConsensus(log *slog.Logger) error {
	env, err := n.node.ConfigureRPC()
	if err != nil {
		return fmt.Errorf("anchor: %w", err)
	}
	st, ok := env.ConsensusState.(*cmtcons.State)
	if !ok {
		return fmt.Errorf("anchor: consensus state is a %T", env.ConsensusState)
	}
	go func() {
		st.Wait()
		if !n.node.IsRunning() {
			return // Stop: not a failure
		}
		// Logged first: whoever sees Halted true finds the line there.
		log.Error("the chain's consensus stopped (the CONSENSUS FAILURE logged before says why; often a full disk): nothing is anchored until the node restarts; uploads are still recorded and are anchored after the restart. Fix the cause, then restart the node")
		n.halted.Store(true)
	}()
	return nil
}

// Halted reports whether the node's consensus stopped while the node runs
// (see watchConsensus): the chain makes no progress on this node until it
// is restarted.
func (n *Node) Halted() bool { return n.halted.Load() }

// Syncing reports whether the node is behind the chain: CometBFT is still
// fetching the blocks it missed from its peers (block sync), or a peer has
// committed a block this node has not. The second covers what block sync
// leaves to consensus: it hands over a block or two before the peers'
// height, and at once on a node with a third of the voting power. The
// application's state is behind the chain's until then. A peer whose
// height is not known yet counts for nothing; a node a block behind in
// ordinary running is syncing for that moment.
func (n *Node) Syncing() bool {
	if n.node.ConsensusReactor().WaitSync() {
		return true
	}
	height := n.node.BlockStore().Height()
	for _, p := range n.node.Switch().Peers().List() {
		// A peer's round state is at the height it works on, one past
		// the last it committed.
		if ps, ok := p.Get(types.PeerStateKey).(*cmtcons.PeerState); ok && ps.GetHeight()-1 > height {
			return true
		}
	}
	return false
}

// Stop stops the node and waits for it.
func (n *Node) Stop() error {
	if !n.node.IsRunning() {
		return nil
	}
	if err := n.node.Stop(); err != nil {
		return err
	}
	n.node.Wait()
	return nil
}

// Key is the node's Ed25519 validator key, which also signs its anchoring
// transactions.
func (n *Node) Key() ed25519.PrivateKey { return n.key }

// PubKey is the validator's public key.
func (n *Node) PubKey() ed25519.PublicKey { return n.pub }

// ID is the node's p2p ID (for peers' persistent_peers lists).
func (n *Node) ID() string { return string(n.node.NodeInfo().ID()) }

// Height is the last committed block height.
func (n *Node) Height() int64 { return n.node.BlockStore().Height() }

// Broadcast submits a transaction to the mempool (CheckTx) without waiting
// for a block.
func (n *Node) Broadcast(ctx context.Context, tx []byte) (*ctypes.ResultBroadcastTx, error) {
	return n.client.BroadcastTxSync(ctx, tx)
}

// SignedHeader returns the header at height with the commit that makes it
// final, and the validator set that signed it.
func (n *Node) SignedHeader(ctx context.Context, height int64) (*types.SignedHeader, *types.ValidatorSet, error) {
	c, err := n.client.Commit(ctx, &height)
	if err != nil {
		return nil, nil, fmt.Errorf("anchor: commit at height %d: %w", height, err)
	}
	vals, err := n.Validators(ctx, height)
	if err != nil {
		return nil, nil, err
	}
	return &c.SignedHeader, vals, nil
}

// Validators returns the validator set that signs the block at height.
func (n *Node) Validators(ctx context.Context, height int64) (*types.ValidatorSet, error) {
	var vals []*types.Validator
	for page := 1; ; page++ {
		perPage := 100
		r, err := n.client.Validators(ctx, &height, &page, &perPage)
		if err != nil {
			return nil, fmt.Errorf("anchor: validators at height %d: %w", height, err)
		}
		vals = append(vals, r.Validators...)
		if len(vals) >= r.Total {
			break
		}
	}
	return types.NewValidatorSet(vals), nil
}

// slogAdapter feeds CometBFT's logs to slog. CometBFT's info level is
// chatty (every block, every peer), so it becomes debug.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(msg string, kv ...any) { a.l.Debug(msg, kv...) }
func (a slogAdapter) Info(msg string, kv ...any)  { a.l.Debug(msg, kv...) }
func (a slogAdapter) Error(msg string, kv ...any) { a.l.Warn(msg, kv...) }
func (a slogAdapter) With(kv ...any) cmtlog.Logger {
	return slogAdapter{a.l.With(kv...)}
}
