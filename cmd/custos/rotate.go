package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/internal/atomicfile"
)

// Rotating a member's validator key (docs/operations.md, "Rotating a
// member's key"): rotate-key writes a new key beside the node's key,
// unused, with its node certificate; the members vote the rotation
// (propose rotate); and the node's next start after the rotation is
// applied switches to the new key (adoptRotatedKey). The old key signs
// until then; the chain's validator set changes two blocks after the
// application's member list, so a node restarted any time after the
// rotation is applied signs with the key the set holds.

// nodeNextCert is the node certificate of the prepared key, in the PKI folder.
const nodeNextCert = "node.next.pem"

func consortiumRotateKeyCmd() *cobra.Command {
	var configPath, orgKey string
	cmd := &cobra.Command{
		Use:   "rotate-key --config custos.toml --org-ca-key KEY",
		Short: "Prepare a new validator key for this member's node, to be voted in with propose rotate",
		Long: `Writes a new Ed25519 validator key beside the node's own (chain/config/priv_validator_key.next.json,
0600), which the node does not use yet, and its node certificate, issued with the member's organization
CA key (pki/node.next.pem). It prints the proposal to make: custos consortium propose rotate. Once the
members have voted and the proposal is applied, restart the node: at start, custos serve sees that the
chain's member list holds the new key and switches to it (the old key file is replaced). Until then
the node keeps signing with its old key. Run it on the node's machine, the node running or not; bring
the organization CA key (--org-ca-key, from the offline folder) for this step only.
See docs/operations.md, "Rotating a member's key".`,
		Example: `  custos consortium rotate-key --config hangzhou-internet-court/custos.toml --org-ca-key offline/hangzhou-internet-court-org-ca.key`,
		Args:    positional(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configPath == "" || orgKey == "" {
				return usageError("usage.rotate-key")
			}
			cfg, err := loadConfig(configPath)
			if err != nil {
				return usageErrorOf(err)
			}
			return rotateKey(cmd.OutOrStdout(), cfg, orgKey, time.Now())
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "the member node's configuration file (custos.toml)")
	cmd.Flags().StringVar(&orgKey, "org-ca-key", "", "the member's organization CA key (PEM; OUT/offline/SLUG-org-ca.key from 'consortium init', DIR/offline/org-ca.key from 'consortium join')")
	return cmd
}

// rotateKey prepares the new validator key and its node certificate.
func rotateKey(w io.Writer, cfg Config, orgKeyPath string, now time.Time) error {
	if cfg.Chain.Trust == "" {
		return failure(1, "fail.rotate-dev")
	}
	home, pki := cfg.chainHome(), cfg.pkiDir()
	next := anchor.NextPrivValKeyPath(home)
	if _, err := os.Stat(next); err == nil {
		return failure(1, "fail.rotate-prepared", "path", next)
	}
	root, err := readCert(filepath.Join(pki, "root.pem"))
	if err != nil {
		return err
	}
	orgCert, err := readCert(filepath.Join(pki, "org-ca.pem"))
	if err != nil {
		return err
	}
	kb, err := readPrivateFile(orgKeyPath)
	if err != nil {
		return err
	}
	key, err := certs.ParseKeyPEM(kb)
	if err != nil || !certs.SameKey(orgCert, key) {
		return failure(1, "fail.rotate-org-key", "key", orgKeyPath, "cert", filepath.Join(pki, "org-ca.pem"))
	}
	pub, err := anchor.GenNextValidatorKey(home)
	if err != nil {
		return err
	}
	org := &certs.Authority{Cert: orgCert, Signer: key, Chain: []*x509.Certificate{root}}
	node, err := org.IssueNode(cfg.Org+" node", pub, now)
	if err == nil {
		err = atomicfile.WriteFile(filepath.Join(pki, nodeNextCert), certs.EncodePEM(node), 0o644)
	}
	if err != nil {
		os.Remove(next) // nothing half-prepared
		return err
	}
	b64 := base64.StdEncoding.EncodeToString(pub)
	fmt.Fprintln(w, tr("out.rotate-ready", "key", next, "cert", filepath.Join(pki, nodeNextCert), "pub", b64))
	fmt.Fprintln(w, tr("out.rotate-propose"))
	fmt.Fprintf(w, "  custos consortium propose rotate %q %s --key governance.key --cert governance.pem --server http://MEMBER-NODE\n", cfg.Org, b64)
	fmt.Fprintln(w, tr("out.rotate-restart"))
	return nil
}

// adoptRotatedKey switches a member's node to its prepared validator key
// (rotate-key) at start, once the chain's member list (this node's
// chain/app.db) holds that key as a current member's: the prepared key
// replaces the node's key file, its certificate node.pem, and pki.Node is
// the new certificate. Before that it does nothing. A start interrupted
// half-way finishes the switch at the next.
func adoptRotatedKey(cfg Config, pki *nodePKI, log *slog.Logger) error {
	home := cfg.chainHome()
	next := anchor.NextPrivValKeyPath(home)
	pub, err := readValidatorPub(next)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	applied, err := keyApplied(filepath.Join(home, "app.db"), pub)
	if err != nil || !applied {
		if err == nil {
			log.Info("a prepared validator key waits until the members' rotation to it is applied", "key", next, "pub_key", base64.StdEncoding.EncodeToString(pub))
		}
		return err
	}
	nodePEM, nextPEM := filepath.Join(pki.dir, "node.pem"), filepath.Join(pki.dir, nodeNextCert)
	if _, err := os.Stat(nextPEM); err == nil {
		cert, err := readCert(nextPEM)
		if err != nil {
			return err
		}
		if np, ok := cert.PublicKey.(ed25519.PublicKey); !ok || !np.Equal(pub) {
			return fmt.Errorf("%s does not certify the prepared validator key in %s", nextPEM, next)
		}
		if err := atomicfile.Rename(nextPEM, nodePEM); err != nil {
			return err
		}
	}
	cert, err := readCert(nodePEM)
	if err != nil {
		return err
	}
	if np, ok := cert.PublicKey.(ed25519.PublicKey); !ok || !np.Equal(pub) {
		return fmt.Errorf("%s does not certify the prepared validator key in %s, and %s is missing", nodePEM, next, nextPEM)
	}
	if err := atomicfile.Rename(next, anchor.PrivValKeyPath(home)); err != nil {
		return err
	}
	pki.Node = cert
	log.Info("the members' rotation is applied: the node now signs with its new validator key", "pub_key", base64.StdEncoding.EncodeToString(pub), "member", anchor.MemberOfKey(pub))
	return nil
}

// keyApplied reports whether the chain state at path lists pub as the
// validator key of a member not removed.
func keyApplied(path string, pub ed25519.PublicKey) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return false, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	ms, err := anchor.StoredMembers(db)
	if err != nil {
		return false, err
	}
	for _, m := range ms {
		if m.Removed == 0 && bytes.Equal(m.ValidatorKey, pub) {
			return true, nil
		}
	}
	return false, nil
}

// readValidatorPub reads the public key of a CometBFT
// priv_validator_key.json.
func readValidatorPub(path string) (ed25519.PublicKey, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	return readValidatorKey(path)
}
