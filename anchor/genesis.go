package anchor

import (
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"

	"github.com/custos-project/custos/internal/atomicfile"
)

// GenesisValidator is one validator of a new chain.
type GenesisValidator struct {
	Name   string
	PubKey ed25519.PublicKey
	Power  int64
	// OrgCA is the member's organization CA: from state version 6 the
	// genesis names it, so that the member's governance key counts from
	// the first block. Optional.
	OrgCA *x509.Certificate
}

// InitHome creates a node's key files under a CometBFT home, if missing,
// and returns its validator public key and p2p node ID.
func InitHome(home string) (ed25519.PublicKey, string, error) {
	for _, d := range []string{filepath.Join(home, "config"), filepath.Join(home, "data")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, "", err
		}
	}
	pv, err := loadPrivVal(home)
	if err != nil {
		return nil, "", err
	}
	pub, ok := pv.Key.PubKey.(cmted25519.PubKey)
	if !ok {
		return nil, "", errors.New("anchor: the validator key is not Ed25519")
	}
	nk, err := loadNodeKey(NodeKeyPath(home))
	if err != nil {
		return nil, "", fmt.Errorf("anchor: node key: %w", err)
	}
	return ed25519.PublicKey(pub), string(nk.ID()), nil
}

// ValidatorKey reads the Ed25519 validator key of the CometBFT home made by
// InitHome (config/priv_validator_key.json), without the node running: the
// key its node certificate certifies, and so the key a node's peer API
// client presents (docs/operations.md, "Joining the consortium").
func ValidatorKey(home string) (ed25519.PrivateKey, error) {
	if _, err := os.Stat(PrivValKeyPath(home)); err != nil {
		return nil, fmt.Errorf("anchor: validator key: %w", err)
	}
	pv, err := loadPrivVal(home)
	if err != nil {
		return nil, err
	}
	priv, ok := pv.Key.PrivKey.(cmted25519.PrivKey)
	if !ok {
		return nil, errors.New("anchor: the validator key is not Ed25519")
	}
	return ed25519.PrivateKey(priv), nil
}

// WriteGenesis writes the genesis file of a new chain to path. The
// application state names the consortium root and the state version the
// chain starts at (LatestState, or StateV1 to rehearse an upgrade).
func WriteGenesis(path, chainID string, vals []GenesisValidator, root *x509.Certificate, now time.Time, stateVersion int) error {
	doc := &types.GenesisDoc{
		ChainID:         chainID,
		GenesisTime:     now.UTC(),
		ConsensusParams: types.DefaultConsensusParams(),
		AppState:        GenesisStateMembers(root, stateVersion, vals),
	}
	for _, v := range vals {
		pk := cmted25519.PubKey(v.PubKey)
		doc.Validators = append(doc.Validators, types.GenesisValidator{Address: pk.Address(), PubKey: pk, Power: v.Power, Name: v.Name})
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("anchor: genesis: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	// As doc.SaveAs writes it, but whole and durable (SaveAs writes in
	// place, with no fsync).
	b, err := cmtjson.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b, 0o644)
}

// ReadGenesis reads a genesis file.
func ReadGenesis(path string) (*types.GenesisDoc, error) {
	return types.GenesisDocFromFile(path)
}
