package main

import (
	"context"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/internal/atomicfile"
	"github.com/custos-project/custos/receipt"
	"github.com/custos-project/custos/storage"
)

// nodePKI is what a node needs of the consortium PKI.
type nodePKI struct {
	Root *x509.Certificate
	Org  *certs.Authority
	TSA  *certs.Leaf
	// Node certifies the node's validator key; nil on a dev node's first
	// start (serve issues it).
	Node *x509.Certificate
	// Notary signs certificates (PDF); nil on a member that is not a
	// notary office.
	Notary *certs.Leaf
	dir    string
	// keys holds the token of the TSA's and notary's keys, if any, open
	// while the node runs.
	keys *keyStore
	// webhookSeal seals the webhooks' secrets in custos.db, under the key
	// in dir/webhook-seal.key (set by build, webhooks.LoadSealKey) or the
	// token's AES key (pkcs11.webhook_seal_key, webhooks.TokenSealer).
	webhookSeal cipher.AEAD
}

// chain is the running consortium-chain part of a node.
type chain struct {
	*anchor.Chain
	validators []receipt.Validator
	chainID    string
	dbs        []*bolt.DB
}

func (c *chain) close() {
	if c.Chain != nil {
		c.Chain.Stop()
	}
	for _, db := range c.dbs {
		db.Close()
	}
}

func (c Config) chainHome() string {
	if c.Chain.Home != "" {
		return c.Chain.Home
	}
	return filepath.Join(c.Data, "chain")
}

// startChain starts this node's part of the consortium chain, which
// anchors the evidence service's leaves: ev says on wake that it queued
// some. On the embedded default (no trust bundle configured) it creates a
// single-validator development chain on first start.
func startChain(ctx context.Context, cfg Config, log *slog.Logger, pki *nodePKI, ev *evidence.Service, wake <-chan struct{}, onBehind func(records, log uint64)) (*chain, error) {
	home := cfg.chainHome()
	if cfg.Chain.Trust != "" {
		if err := adoptRotatedKey(cfg, pki, log); err != nil {
			return nil, fmt.Errorf("switching to the rotated validator key: %w", err)
		}
	}
	pub, _, err := anchor.InitHome(home)
	if err != nil {
		return nil, err
	}
	ch := &chain{}
	if pki.Node == nil {
		if pki.Node, err = devNodeCert(pki, cfg.Org, pub); err != nil {
			return nil, err
		}
	}
	if np, ok := pki.Node.PublicKey.(ed25519.PublicKey); !ok || !np.Equal(pub) {
		return nil, fmt.Errorf("the node certificate in %s does not certify the validator key in %s", pki.dir, home)
	}
	if cfg.Chain.Trust == "" {
		if err := devGenesis(home, cfg.Org, pub, pki.Root); err != nil {
			return nil, err
		}
	}
	gen, err := anchor.ReadGenesis(anchor.GenesisPath(home))
	if err != nil {
		return nil, fmt.Errorf("chain genesis: %w", err)
	}
	ch.chainID = gen.ChainID
	if cfg.Chain.Trust == "" {
		ch.validators = []receipt.Validator{{Name: cfg.Org, Kind: certs.KindNotary, PubKey: base64.StdEncoding.EncodeToString(pub),
			Power: gen.Validators[0].Power, CertPEM: string(certs.EncodePEM(pki.Node, pki.Org.Cert))}}
	} else if ch.validators, err = trustedValidators(cfg.Chain.Trust, gen.ChainID); err != nil {
		return nil, err
	}
	state, err := storage.OpenDB(filepath.Join(home, "app.db"))
	if err != nil {
		return nil, err
	}
	local, err := storage.OpenDB(filepath.Join(cfg.Data, "anchor.db"))
	if err != nil {
		state.Close()
		return nil, err
	}
	ch.dbs = []*bolt.DB{state, local}
	ch.Chain, err = anchor.Start(ctx, anchor.ChainConfig{
		Home: home, StateDB: state, LocalDB: local, ChainID: gen.ChainID, Root: pki.Root,
		NodeCert: pki.Node, OrgCA: pki.Org.Cert, Source: ev, Wake: wake, OnFinal: ev.MarkFinal, OnBehind: onBehind,
		Moniker: moniker(cfg.Org), P2PListen: cfg.Chain.P2PListen, Peers: cfg.Chain.Peers,
		TimeoutCommit:  cfg.Chain.TimeoutCommit.Duration,
		TimeoutPropose: cfg.Chain.TimeoutPropose.Duration, Log: log,
	})
	if err != nil {
		ch.close()
		return nil, err
	}
	go registerHeads(ctx, ch.Chain, ev, log)
	go releaseDeposits(ctx, ch.Chain, ev, log) // depositrelease.go
	return ch, nil
}

// registerHeads waits until the chain state has custody heads (version 2:
// from genesis, or after an upgrade), then registers the head of every
// chain this node holds, once per state version that keys heads anew (2,
// and 3, which binds each key to the chain's first event), and from
// version 4 the deposits of the items anchored before the digest index
// existed: evidence.Service.RegisterHeads and RegisterDeposits remember
// that they finished, and resume if stopped.
func registerHeads(ctx context.Context, ch *anchor.Chain, ev *evidence.Service, log *slog.Logger) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	done := 0
	for done < anchor.MaxState {
		v := ch.StateVersion()
		if v < anchor.StateV2 || v == done {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			continue
		}
		n, err := ev.RegisterHeads(ctx, v, ch.SubmitHeads)
		if err == nil && n > 0 {
			log.Info("custody heads registered", "chains", n, "state_version", v)
		}
		if err == nil && v >= anchor.StateV4 {
			if n, err = ev.RegisterDeposits(ctx, ch.SubmitDeposits); err == nil && n > 0 {
				log.Info("deposits registered in the consortium's digest index", "items", n)
			}
		}
		if err == nil {
			done = v
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if !errors.Is(err, anchor.ErrSyncing) { // catching up after a start: wait quietly
			log.Warn("registering custody heads; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
	}
}

// devNodeCert loads the dev node's certificate, or issues it for pub.
func devNodeCert(pki *nodePKI, org string, pub ed25519.PublicKey) (*x509.Certificate, error) {
	path := filepath.Join(pki.dir, "node.pem")
	if b, err := os.ReadFile(path); err == nil {
		cs, err := certs.ParsePEM(b)
		if err != nil || len(cs) != 1 {
			return nil, fmt.Errorf("%s: not one certificate", path)
		}
		return cs[0], nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	cert, err := pki.Org.IssueNode(org+" node", pub, time.Now())
	if err != nil {
		return nil, err
	}
	return cert, atomicfile.WriteFile(path, certs.EncodePEM(cert), 0o644)
}

// devGenesis writes a single-validator genesis on a dev node's first start.
func devGenesis(home, org string, pub ed25519.PublicKey, root *x509.Certificate) error {
	path := anchor.GenesisPath(home)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	var b [4]byte
	rand.Read(b[:])
	chainID := "custos-dev-" + hex.EncodeToString(b[:])
	return anchor.WriteGenesis(path, chainID, []anchor.GenesisValidator{{Name: org, PubKey: pub, Power: 10}}, root, time.Now(), anchor.LatestState)
}

// trustedValidators reads the validators of a consortium trust bundle.
func trustedValidators(path, chainID string) ([]receipt.Validator, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("trust bundle: %w", err)
	}
	t, err := receipt.ParseTrust(b)
	if err != nil {
		return nil, fmt.Errorf("trust bundle %s: %w", path, err)
	}
	if t.ChainID != chainID {
		return nil, fmt.Errorf("trust bundle %s is for chain %q, the genesis for %q", path, t.ChainID, chainID)
	}
	return t.Validators, nil
}

// moniker is the organization name as CometBFT accepts it: printable ASCII
// only (names in Chinese keep their ASCII parts, or become "custos-node").
func moniker(org string) string {
	var b strings.Builder
	for _, r := range org {
		if r > 0x20 && r < 0x7f {
			b.WriteRune(r)
		} else if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
			b.WriteByte('-')
		}
	}
	m := strings.Trim(b.String(), "-")
	if m == "" {
		return "custos-node"
	}
	return m
}

// memberNames maps each validator's member ID to its trust-bundle name.
func (c *chain) memberNames() map[string]string { return anchor.MemberNames(c.validators) }
