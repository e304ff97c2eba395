package main

import (
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/certs/hsm"
	"github.com/custos-project/custos/internal/atomicfile"
	"github.com/custos-project/custos/webhooks"
)

// pkiCmd is `custos pki`: certificates from an outside (accredited) CA for
// the notary's document signing and the TSA. Node and validator
// certificates stay under the consortium root.
func pkiCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pki",
		Short: "Use certificates from an outside CA for the TSA and the notary's document signing",
		Long: `Use certificates from an outside, accredited CA for the built-in TSA and the notary's
document signing, with keys in a file or a PKCS#11 token ([pkcs11] in custos.toml).

  1. custos pki request --for notary --cn NAME   makes the key and a PKCS#10 request (PEM)
  2. send the request to the CA; it returns the certificate and its chain
  3. custos pki install --for notary CHAIN.pem   checks and installs it; restart custos serve

Node and validator certificates stay under the consortium root.`,
	}
	cmd.AddCommand(pkiRequestCmd(), pkiInstallCmd(), pkiSealKeyCmd())
	return cmd
}

// pkiFlags are the flags both subcommands share.
type pkiFlags struct {
	configPath, data, purpose string
}

func (f *pkiFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.configPath, "config", "", "configuration file (TOML); its pki folder and [pkcs11] table are used")
	cmd.Flags().StringVar(&f.data, "data", "./custos-data", "data folder (when no --config); the PKI folder is DATA/pki")
	cmd.Flags().StringVar(&f.purpose, "for", "", "what the certificate is for: tsa or notary")
}

func (f *pkiFlags) config(cmd *cobra.Command) (Config, error) {
	if f.purpose != certs.PurposeTSA && f.purpose != certs.PurposeNotary {
		return Config{}, usageError("usage.pki-for", "for", f.purpose)
	}
	cfg, err := loadConfig(f.configPath)
	if err != nil {
		return cfg, usageErrorOf(err)
	}
	if cmd.Flags().Changed("data") || f.configPath == "" {
		cfg.Data = f.data
	}
	return cfg, nil
}

func pkiRequestCmd() *cobra.Command {
	var f pkiFlags
	var cn, org, ou, country, out string
	cmd := &cobra.Command{
		Use:   "request --for tsa|notary --cn NAME [--org O] [--country CN] [-o FILE]",
		Short: "Make a key and a certificate request (PKCS#10, PEM) for an outside CA",
		Long: `Make the key (in the PKCS#11 token when [pkcs11] names one for this purpose, else the
file PKI/issued/PURPOSE.key) and a certificate request signed by it. An existing key is
reused, so a renewal keeps the key; delete the key file (or the token's key) for a new one.
In a consortium of the sm suite (an SM2 PKI/root.pem) the key file is SM2 and the request is
signed SM2 with SM3 (the default user ID of GM/T 0009).

The request asks for key usage digitalSignature and, for the TSA, the single extended key
usage timeStamping marked critical (RFC 3161 §2.3); for the notary, contentCommitment and
emailProtection plus documentSigning. The CA decides; install checks what it granted.`,
		Example: `  custos pki request --config custos.toml --for notary --cn 张三 --org 杭州市互联网公证处 --country CN
  custos pki request --config custos.toml --for tsa --cn "杭州市互联网公证处 TSA" -o tsa.csr`,
		Args:    positional(0, "no arguments"),
		PreRunE: func(cmd *cobra.Command, _ []string) error { return requireFlags(cmd, "for", "cn") },
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.config(cmd)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(cfg.issuedDir(), 0o700); err != nil {
				return err
			}
			suite, err := pkiSuite(cfg)
			if err != nil {
				return err
			}
			keys := &keyStore{cfg: cfg, suite: suite}
			defer keys.close()
			signer, where, made, err := keys.signer(f.purpose, true)
			if err != nil {
				return err
			}
			subject := pkix.Name{CommonName: cn}
			for _, v := range []struct {
				to  *[]string
				val string
			}{{&subject.Organization, org}, {&subject.OrganizationalUnit, ou}, {&subject.Country, country}} {
				if v.val != "" {
					*v.to = []string{v.val}
				}
			}
			csr, err := certs.NewRequest(f.purpose, subject, signer)
			if err != nil {
				return err
			}
			if out == "" {
				out = cfg.issuedPath(f.purpose, ".csr")
			}
			if err := atomicfile.WriteFile(out, csr, 0o644); err != nil {
				return err
			}
			if ref, ok := cfg.PKCS11.keyRef(f.purpose); ok {
				where = tr("out.pki-key-token", "key", ref)
			} else {
				where = tr("out.gov-key-file", "path", where)
			}
			if made {
				notice("notice.pki-key-made", "where", where)
			} else {
				notice("notice.pki-key-reused", "where", where)
			}
			savedNotice("", out, int64(len(csr)))
			notice("notice.pki-send", "purpose", f.purpose)
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&cn, "cn", "", "common name: the notary's name, or the TSA's")
	cmd.Flags().StringVar(&org, "org", "", "organization (O)")
	cmd.Flags().StringVar(&ou, "ou", "", "organizational unit (OU)")
	cmd.Flags().StringVar(&country, "country", "", "country code (C), such as CN")
	cmd.Flags().StringVarP(&out, "output", "o", "", "where to write the request (default PKI/issued/PURPOSE.csr)")
	return cmd
}

// pkiSealKeyCmd is `custos pki seal-key`: the AES-256 key that seals
// webhook secrets, made in the token that [pkcs11] names.
func pkiSealKeyCmd() *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "seal-key --config FILE",
		Short: "Make the key that seals webhook secrets in the PKCS#11 token",
		Long: `Make the AES-256 key named by pkcs11.webhook_seal_key (and/or webhook_seal_key_id) in the
token of custos.toml's [pkcs11] table, sensitive and not extractable; an existing key is kept.
At its next start custos serve seals the webhook secrets under it instead of the file key
PKI/webhook-seal.key, re-sealing those sealed under the file key; the file key may then be
removed, and the node does not start without the token.`,
		Example: `  custos pki seal-key --config custos.toml`,
		Args:    positional(0, "no arguments"),
		PreRunE: func(cmd *cobra.Command, _ []string) error { return requireFlags(cmd, "config") },
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configPath)
			if err != nil {
				return usageErrorOf(err)
			}
			ref, ok := cfg.PKCS11.sealKeyRef()
			if !ok {
				return usageError("usage.pki-seal-key-unset", "config", configPath)
			}
			tok, err := cfg.PKCS11.openToken()
			if err != nil {
				return err
			}
			defer tok.Close()
			where := tr("out.pki-key-token", "key", ref)
			_, err = tok.Sealer(ref)
			if err == nil {
				notice("notice.pki-key-reused", "where", where)
				return nil
			}
			if !errors.Is(err, hsm.ErrNoKey) {
				return err
			}
			if err := tok.GenerateAES(ref); err != nil {
				return err
			}
			notice("notice.pki-key-made", "where", where)
			notice("notice.seal-key-restart", "file", filepath.Join(cfg.pkiDir(), webhooks.SealKeyFile))
			return nil
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file (TOML) whose [pkcs11] table names the token and webhook_seal_key")
	return cmd
}

func pkiInstallCmd() *cobra.Command {
	var f pkiFlags
	cmd := &cobra.Command{
		Use:   "install --for tsa|notary CHAIN.pem",
		Short: "Check and install the certificate chain an outside CA issued for a request",
		Long: `Check the chain (the certificate first, then each issuer, ending with the CA's root) and
install it as PKI/issued/PURPOSE.pem: the certificate must be for the key of the request,
fit for its purpose (TSA: only extended key usage timeStamping, critical; notary: a signing
key usage and emailProtection when extended key usages are listed), valid now, and each
certificate issued by the next. Restart custos serve to use it.`,
		Example: `  custos pki install --config custos.toml --for notary notary-chain.pem`,
		Args:    positional(1, "one PEM file: the certificate, then its issuers up to the root"),
		PreRunE: func(cmd *cobra.Command, _ []string) error { return requireFlags(cmd, "for") },
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.config(cmd)
			if err != nil {
				return err
			}
			b, err := os.ReadFile(args[0])
			if err != nil {
				return usageErrorOf(err)
			}
			chain, err := certs.ParsePEM(b)
			if err != nil {
				return usageError("usage.file-err", "path", args[0], "err", err)
			}
			keys := &keyStore{cfg: cfg}
			defer keys.close()
			signer, where, _, err := keys.signer(f.purpose, false)
			if err != nil {
				return fmt.Errorf("finding the key of the request (made by custos pki request): %w", err)
			}
			if err := certs.CheckIssued(f.purpose, chain, signer.Public(), time.Now()); err != nil {
				return failure(1, "fail.not-installed", "err", err)
			}
			path := cfg.issuedPath(f.purpose, ".pem")
			if err := atomicfile.WriteFile(path, certs.EncodePEM(chain...), 0o644); err != nil {
				return err
			}
			leaf := chain[0]
			if ref, ok := cfg.PKCS11.keyRef(f.purpose); ok {
				where = tr("out.pki-key-token", "key", ref)
			}
			fmt.Fprintln(cmd.OutOrStdout(), tr("out.pki-installed", "path", path, "subject", leaf.Subject, "issuer", leaf.Issuer,
				"until", leaf.NotAfter.UTC().Format(time.RFC3339), "key", where))
			return nil
		},
	}
	f.add(cmd)
	return cmd
}
