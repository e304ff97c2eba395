package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/evidence/integrity"
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/storage"
)

func fsckCmd() *cobra.Command {
	var configPath, data string
	var deep, repair bool
	var peers []string
	cmd := &cobra.Command{
		Use:   "fsck [--data DIR] [--config FILE] [--deep] [--repair] [--peer URL]...",
		Short: "Check a stopped node's store: blobs, custody chains, tokens, orphans, certificates (JSON report; exit 1 if anything is wrong)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configPath)
			if err != nil {
				return usageErrorOf(err)
			}
			if cmd.Flags().Changed("data") || configPath == "" {
				cfg.Data = data
			}
			rep, err := fsck(cmd.Context(), cfg, deep, repair)
			var np noPKIError
			if errors.As(err, &np) {
				return failure(1, "fail.fsck-no-pki", "dir", np.dir)
			}
			if err != nil {
				return err
			}
			if len(peers) > 0 {
				if rep.Peers, err = checkPeers(cmd.Context(), cfg, peers); err != nil {
					return err
				}
			}
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(rep); err != nil {
				return err
			}
			if !rep.OK() {
				return failure(1, "fail.fsck")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file (TOML)")
	cmd.Flags().StringVar(&data, "data", "./custos-data", "data folder")
	cmd.Flags().BoolVar(&deep, "deep", false, "re-read every blob and recompute its SHA-256")
	cmd.Flags().StringArrayVar(&peers, "peer", nil, "a consortium member's API URL: compare this member's chain state (chain/app.db) with that member's checkpoint (repeatable)")
	cmd.Flags().BoolVar(&repair, "repair", false, "discard the staged bytes of unfinished uploads (what serve discards at start); nothing else is changed")
	return cmd
}

// fsckReport is the audit's report and what fsck alone can see on a
// stopped node: the staged bytes of uploads that were never committed
// (evidence.Service.Unfinished), which no record names. They are no
// integrity fault, since the node discards them at its next start, and
// --repair discards them now (Discarded).
type fsckReport struct {
	*integrity.Report
	Unfinished []string `json:"unfinished_uploads,omitempty"`
	Discarded  []string `json:"discarded_uploads,omitempty"`
	// Peers compares the member's chain state with each --peer's.
	Peers []peerCheck `json:"peers,omitempty"`
}

// OK is the audit's verdict, failed too by a peer whose chain state
// differs from this member's (an unreachable or lagging peer is reported,
// not failed).
func (r *fsckReport) OK() bool {
	for _, p := range r.Peers {
		if p.Status == "DIFFERENT" {
			return false
		}
	}
	return r.Report.OK()
}

func fsck(ctx context.Context, cfg Config, deep, repair bool) (*fsckReport, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if _, err := os.Stat(filepath.Join(cfg.Data, "custos.db")); err != nil {
		return nil, failure(1, "fail.no-store", "dir", cfg.Data, "file", "custos.db", "why", fileWhy(err))
	}
	root, orgCA, err := fsckTrust(cfg)
	if err != nil {
		return nil, err
	}
	blobs, err := openBlobs(ctx, cfg)
	if err != nil {
		return nil, err
	}
	db, err := storage.OpenDB(filepath.Join(cfg.Data, "custos.db"))
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, failure(1, "fail.fsck-locked", "dir", cfg.Data)
	}
	if err != nil {
		return nil, fmt.Errorf("%w (is the node still running? fsck needs it stopped)", err)
	}
	defer db.Close()
	ev, err := evidence.New(ctx, evidence.Config{DB: db, Blobs: blobs, TSA: noStamper{},
		OnLeafFinal: copyright.MarkAnchored, ItemOwner: copyright.Owner})
	if err != nil {
		return nil, err
	}
	certs, err := certificates.New(ev, nil) // it only audits: no PDF records are built
	if err != nil {
		return nil, err
	}
	crs, err := copyright.New(ev, copyright.Config{})
	if err != nil {
		return nil, err
	}
	opts := auditOptions(root, orgCA, deep)
	if err := trustIssuedTSA(cfg, &opts); err != nil {
		return nil, err
	}
	opts.Documents = []integrity.DocumentAudit{certs.Audit(), crs.Audit()}
	opts.Holders = crs.Lists
	rep, err := integrity.Audit(ctx, ev, opts)
	if err != nil {
		return nil, err
	}
	out := &fsckReport{Report: rep}
	if out.Unfinished, err = ev.Unfinished(ctx); err != nil {
		return nil, err
	}
	if repair && len(out.Unfinished) > 0 {
		out.Discarded, err = ev.DiscardUnfinished(ctx)
		if err != nil {
			return nil, err
		}
		out.Unfinished = nil
	}
	return out, nil
}

// noPKIError is fsckTrust's error when the PKI folder has no root
// certificate: fsck was most likely given a member's --data without its
// --config, which names the PKI beside custos.toml.
type noPKIError struct {
	dir string
	err error
}

func (e noPKIError) Error() string { return fmt.Sprintf("no PKI in %s: %v", e.dir, e.err) }
func (e noPKIError) Unwrap() error { return e.err }

// fsckTrust loads the certificates the audit verifies tokens against, from
// the PKI folder serve uses (cfg.pkiDir()), the way serve loads it
// (loadPKI): a consortium member's (a trust bundle configured) holds
// certificates and its TSA key but no CA keys, and fsck reads only its
// certificates; a development node's holds
// the development PKI. fsck only reads: a missing PKI is an error, never a
// reason to make one (a new root would make every stored token look
// forged).
func fsckTrust(cfg Config) (root, orgCA *x509.Certificate, err error) {
	dir := cfg.pkiDir()
	if _, err := os.Stat(filepath.Join(dir, "root.pem")); err != nil {
		return nil, nil, noPKIError{dir, err}
	}
	if cfg.Chain.Trust != "" {
		// A member's PKI is only read, never made, and only its
		// certificates: fsck signs nothing, so it needs neither the TSA's
		// key nor a PKCS#11 token's PIN.
		if root, err = readCert(filepath.Join(dir, "root.pem")); err != nil {
			return nil, nil, err
		}
		orgCA, err = readCert(filepath.Join(dir, "org-ca.pem"))
		return root, orgCA, err
	}
	dev, err := certs.LoadOrCreateDev(dir, cfg.Org, time.Now())
	if err != nil {
		return nil, nil, err
	}
	return dev.Root.Cert, dev.Org.Cert, nil
}

// auditOptions makes the audit verify every built-in token up to the
// consortium root, through this node's organization CA.
func auditOptions(root, orgCA *x509.Certificate, deep bool) integrity.Options {
	roots := x509.NewCertPool()
	roots.AddCert(root)
	return integrity.Options{Deep: deep, Roots: roots, Intermediates: []*x509.Certificate{orgCA}}
}

// noStamper stands in for the TSA of a read-only Service (fsck never files).
type noStamper struct{}

func (noStamper) Stamp(context.Context, crypto.Hash, []byte) (*notary.Token, error) {
	return nil, errors.New("fsck does not time-stamp")
}
