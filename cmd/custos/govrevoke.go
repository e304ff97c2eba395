package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certs"
)

// revokeGovernanceCertCmd revokes one of the member's governance
// certificates (chain state version 10): the revocation is signed here,
// on the machine holding the organization CA key, and only the signed
// transaction is sent.
func revokeGovernanceCertCmd() *cobra.Command {
	var cn conn
	var caPath, caKey, member string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "revoke-governance-cert CERT --ca ORG-CA.pem --ca-key ORG-CA.key",
		Short: "Revoke one of this member's governance certificates, signed with its organization CA key",
		Long: `On the machine holding the member's organization CA key (consortium init's OUT/offline/SLUG-org-ca.key,
or consortium join's DIR/offline/org-ca.key). Revokes the governance certificate CERT (a PEM file whose
first certificate is the one revoked, such as a governance.pem), which this organization CA issued, without
retiring the CA: from the block that records it the chain refuses every proposal and vote signed with it,
and drops the votes the member cast with it on proposals still open, so that the member votes again with a
new key (custos consortium governance-cert). The revocation is signed here with the organization CA key
(read only from a file that other users may not read or change) and submitted through a member's node.
The chain knows the certificate by what its CA signed (its TBSCertificate), so the revocation covers
every encoding of it. A certificate the member revoked already is an error.
The chain takes it from state version 10. See docs/operations.md, "A stolen governance key".`,
		Example: `  custos consortium revoke-governance-cert admin/notary/governance.pem --ca notary/pki/org-ca.pem \
    --ca-key offline/notary-org-ca.key --server http://127.0.0.1:8082`,
		Args: positional(1, "the governance certificate to revoke (PEM)"),
		RunE: cn.publicRun(func(ctx context.Context, c *client.Client, args []string) (any, error) {
			if caPath == "" || caKey == "" {
				return nil, usageError("usage.revoke-gov-cert")
			}
			return revokeGovernanceCert(ctx, c, args[0], caPath, caKey, member, wait)
		}),
	}
	cn.serverFlag(cmd)
	cmd.Flags().StringVar(&caPath, "ca", "", "the member's organization CA certificate, which issued CERT (PEM; pki/org-ca.pem)")
	cmd.Flags().StringVar(&caKey, "ca-key", "", "its key (PEM; consortium init's OUT/offline/SLUG-org-ca.key, or join's DIR/offline/org-ca.key)")
	cmd.Flags().StringVar(&member, "member", "", "the member's ID (default: the member the organization CA belongs to, from the members list)")
	cmd.Flags().DurationVar(&wait, "wait", 20*time.Second, "how long to wait for the transaction to be in a block (0: do not wait)")
	return cmd
}

// revokeGovernanceCert signs the revocation of the certificate in
// certPath with the organization CA key in caKeyPath and submits it,
// unless the members list says the member revoked it already.
func revokeGovernanceCert(ctx context.Context, c *client.Client, certPath, caPath, caKeyPath, member string, wait time.Duration) (any, error) {
	b, err := os.ReadFile(certPath)
	if err != nil {
		return nil, err
	}
	chain, err := certs.ParsePEM(b)
	if err != nil || len(chain) == 0 {
		return nil, usageError("usage.revoke-gov-cert-file", "path", certPath)
	}
	cert := chain[0]
	ca, err := readOneCert(caPath)
	if err != nil {
		return nil, err
	}
	kb, err := readPrivateFile(caKeyPath)
	if err != nil {
		return nil, err
	}
	key, err := certs.ParseKeyPEM(kb)
	if err != nil {
		return nil, fmt.Errorf("--ca-key %s: %w", caKeyPath, err)
	}
	if !certs.SameKey(ca, key) {
		return nil, usageError("usage.gov-key-mismatch", "key", caKeyPath, "cert", caPath)
	}
	if err := certs.CheckGovernanceIssued(cert, ca); err != nil {
		return nil, usageError("usage.revoke-not-issued", "path", certPath, "ca", caPath)
	}
	ms, err := c.Members(ctx)
	if err != nil {
		return nil, err
	}
	if member == "" {
		if member, err = memberOfCA(ms, ca); err != nil {
			return nil, err
		}
	}
	trust, err := c.Trust(ctx)
	if err != nil {
		return nil, err
	}
	if h, sum := revokedAt(ms, member, cert); h != 0 {
		return nil, failure(1, "fail.gov-cert-revoked-already", "subject", cert.Subject.String(), "sha256", sum, "member", memberLabel(ms, member), "height", h)
	}
	sum := sha256.Sum256(cert.Raw)
	notice("notice.gov-revoking", "subject", cert.Subject.String(), "sha256", hex.EncodeToString(sum[:]), "member", memberLabel(ms, member))
	raw, err := anchor.NewRevokeGovTx(trust.ChainID, ca, key, member, cert)
	if err != nil {
		return nil, err
	}
	defer waitingOn(wait, tr("progress.wait-block", "wait", wait))()
	return c.RevokeGovernanceCert(ctx, raw, wait)
}

// revokedAt is the height at which member revoked cert, in any encoding
// (the chain compares the TBSCertificate's SHA-256), as the members list
// ms says, and the SHA-256 of the DER it revoked; or 0.
func revokedAt(ms *wire.Members, member string, cert *x509.Certificate) (int64, string) {
	tbs := anchor.TBSSHA256(cert)
	for _, m := range ms.Members {
		for _, rc := range m.RevokedGov {
			if m.ID == member && rc.TBS == tbs {
				return rc.Revoked, rc.SHA256
			}
		}
	}
	return 0, ""
}
