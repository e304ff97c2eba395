package main

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/certs/hsm"
	"github.com/custos-project/custos/internal/atomicfile"
)

// A member's governance key lives off the node, with its administrators
// (docs/governance.md): a PEM file, or a key pair in a PKCS#11 token named
// by an RFC 7512 URI (pkcs11:token=…;object=…?module-path=…). The token's
// PIN comes from an environment variable or a 0600 file, as the [pkcs11]
// table's pin_env and pin_file, never from the command line.

// govKeyRef is a governance key named on the command line.
type govKeyRef struct{ key, pinEnv, pinFile string }

func (r *govKeyRef) addPINFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.pinEnv, "pin-env", "", "for a key in a PKCS#11 token: the environment variable holding the token's user PIN")
	cmd.Flags().StringVar(&r.pinFile, "pin-file", "", "for a key in a PKCS#11 token: a file (mode 0600) holding the token's user PIN")
}

// openedKey is a governance key ready to sign; close releases the token.
type openedKey struct {
	crypto.Signer
	where string // the file, or the token and key, for messages
	made  bool   // open made it (create)
	token *hsm.Token
}

func (k *openedKey) close() {
	if k != nil && k.token != nil {
		k.token.Close()
	}
}

// open finds the key; with create, a missing one is made: in the token
// (ECDSA P-256, sensitive, never extractable), or as a new 0600 file.
func (r *govKeyRef) open(create bool) (*openedKey, error) {
	if !hsm.IsURI(r.key) {
		if r.pinEnv != "" || r.pinFile != "" {
			return nil, usageError("usage.gov-pin-file-key")
		}
		return openKeyFile(r.key, create)
	}
	cfg, ref, err := hsm.ParseURI(r.key)
	if err != nil {
		return nil, usageErrorOf(err)
	}
	if (r.pinEnv == "") == (r.pinFile == "") {
		return nil, usageError("usage.gov-pin")
	}
	if cfg.PIN, err = hsm.ReadPIN(r.pinEnv, r.pinFile); err != nil {
		return nil, err
	}
	tok, err := hsm.Open(cfg)
	if err != nil {
		return nil, err
	}
	k := &openedKey{token: tok, where: tr("out.gov-key-token", "token", tokenName(cfg), "key", ref)}
	k.Signer, err = tok.Signer(ref)
	if errors.Is(err, hsm.ErrNoKey) && create {
		k.Signer, err = tok.Generate(ref)
		k.made = err == nil
	}
	if err != nil {
		tok.Close()
		return nil, err
	}
	return k, nil
}

func tokenName(cfg hsm.Config) string {
	if cfg.Slot != nil {
		return fmt.Sprintf("slot %d", *cfg.Slot)
	}
	return fmt.Sprintf("%q", cfg.TokenLabel)
}

// openKeyFile reads a PEM key; with create, a missing file is a new key.
func openKeyFile(path string, create bool) (*openedKey, error) {
	b, err := readPrivateFile(path)
	if errors.Is(err, fs.ErrNotExist) && create {
		key, err := certs.NewKey()
		if err != nil {
			return nil, err
		}
		pemKey, err := certs.EncodeKeyPEM(key)
		if err == nil {
			err = atomicfile.WriteFile(path, pemKey, 0o600)
		}
		return &openedKey{Signer: key, where: tr("out.gov-key-file", "path", path), made: true}, err
	}
	if err != nil {
		return nil, err
	}
	key, err := certs.ParseKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("--key %s: %w", path, err)
	}
	return &openedKey{Signer: key, where: tr("out.gov-key-file", "path", path)}, nil
}

// governanceCertCmd issues a governance certificate for a key the member's
// administrators keep: in a token (made there if it is not yet), or a file.
func governanceCertCmd() *cobra.Command {
	var r govKeyRef
	var caPath, caKey, out, name string
	cmd := &cobra.Command{
		Use:   "governance-cert --ca ORG-CA.pem --ca-key ORG-CA.key --key KEY -o governance.pem",
		Short: "Issue a governance certificate under the member's organization CA for a key in a PKCS#11 token or a file",
		Long: `On the machine holding the member's organization CA key (consortium init's OUT/offline/SLUG-org-ca.key,
or consortium join's DIR/offline/org-ca.key). Certifies the member's governance key, which signs its
proposals and votes: KEY is a PKCS#11 URI (pkcs11:token=LABEL;object=KEY-LABEL?module-path=MODULE),
whose key pair is made in the token (ECDSA P-256, never extractable) unless it is there already, or a
PEM file, made unless it exists. Writes the certificate, then the organization CA, to -o. The chain
needs no transaction: it checks a governance certificate's path to the member's organization CA.
The PIN comes from --pin-env or --pin-file, never the command line. See docs/operations.md,
"Certificates from an outside CA, keys in a token".`,
		Example: `  custos consortium governance-cert --ca court/pki/org-ca.pem --ca-key offline/court-org-ca.key \
    --key 'pkcs11:token=court-admin;object=governance?module-path=/usr/lib/softhsm/libsofthsm2.so' \
    --pin-env CUSTOS_PKCS11_PIN -o governance.pem`,
		Args: positional(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if caPath == "" || caKey == "" || r.key == "" || out == "" {
				return usageError("usage.gov-cert-flags")
			}
			return issueGovernanceCert(cmd.ErrOrStderr(), &r, caPath, caKey, name, out, time.Now())
		},
	}
	cmd.Flags().StringVar(&caPath, "ca", "", "the member's organization CA certificate (PEM; pki/org-ca.pem)")
	cmd.Flags().StringVar(&caKey, "ca-key", "", "its key (PEM; consortium init's OUT/offline/SLUG-org-ca.key, or join's DIR/offline/org-ca.key)")
	cmd.Flags().StringVar(&r.key, "key", "", "the governance key: a PKCS#11 URI (made in the token if missing) or a PEM file (made if missing)")
	r.addPINFlags(cmd)
	cmd.Flags().StringVarP(&out, "out", "o", "", "the certificate file to write, then the organization CA (must not exist)")
	cmd.Flags().StringVar(&name, "name", "", `the certificate's common name (default: "ORGANIZATION governance")`)
	return cmd
}

// issueGovernanceCert writes the governance certificate and its
// organization CA to out, and says on stderr what it saved (savedNotice's
// line), whether it made the key, and how to use the certificate;
// standard output stays empty, as for every -o FILE.
func issueGovernanceCert(stderr io.Writer, r *govKeyRef, caPath, caKeyPath, name, out string, now time.Time) error {
	if _, err := os.Stat(out); err == nil {
		return usageError("usage.gov-cert-exists", "path", out)
	}
	ca, err := readOneCert(caPath)
	if err != nil {
		return err
	}
	kb, err := readPrivateFile(caKeyPath)
	if err != nil {
		return err
	}
	caKey, err := certs.ParseKeyPEM(kb)
	if err != nil {
		return fmt.Errorf("--ca-key %s: %w", caKeyPath, err)
	}
	if !certs.SameKey(ca, caKey) {
		return usageError("usage.gov-key-mismatch", "key", caKeyPath, "cert", caPath)
	}
	if name == "" && len(ca.Subject.Organization) > 0 {
		name = ca.Subject.Organization[0] + " governance"
	}
	k, err := r.open(true)
	if err != nil {
		return err
	}
	defer k.close()
	org := &certs.Authority{Cert: ca, Signer: caKey}
	cert, err := org.IssueGovernanceFor(name, k.Public(), now)
	if err != nil {
		return err
	}
	b := certs.EncodePEM(cert, ca)
	if err := atomicfile.WriteFile(out, b, 0o600); err != nil {
		return err
	}
	if k.made {
		noticeTo(stderr, "notice.gov-key-made", "where", k.where)
	}
	savedNoticeTo(stderr, "", out, int64(len(b)))
	noticeTo(stderr, "notice.gov-cert-use", "path", out, "where", k.where, "until", cert.NotAfter.UTC().Format(time.DateOnly))
	return nil
}

// readPrivateFile reads a private key's file, refusing one that other
// users may read or write (mode bits beyond 0600), as ssh refuses an
// unprotected private key: whoever reads a governance key votes in the
// member's name, and an organization CA key issues its node certificates.
func readPrivateFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, failure(1, "fail.key-mode", "path", path, "mode", fmt.Sprintf("%04o", perm))
	}
	return io.ReadAll(f)
}
