package main

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
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
A certificate has other encodings, the same certificate with its CA's signature written another valid
way (5 for an ECDSA-signed one, 2 for an SM2-signed one), which the chain tells apart: the command
revokes them first, then CERT. An encoding revoked already (by a run that was interrupted) is skipped;
CERT revoked already is an error, unless some of its other encodings are not revoked (by an earlier
version of this command): then the command revokes those alone.
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
// certPath, and of its other encodings, with the organization CA key in
// caKeyPath and submits them (revoker.revokeAll).
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
	tr, err := c.Trust(ctx)
	if err != nil {
		return nil, err
	}
	r := revoker{c: c, chainID: tr.ChainID, ca: ca, key: key, member: member, wait: wait}
	return r.revokeAll(ctx, ms, cert)
}

// revoker signs revocations with an organization CA's key, here, and
// submits them through a member's node.
type revoker struct {
	c       *client.Client
	chainID string
	ca      *x509.Certificate
	key     crypto.Signer
	member  string
	wait    time.Duration
}

// revokeAll revokes cert and, first, its other encodings
// (anchor.CertEncodings: its ECDSA twin, and its signature written with
// unused bits): the chain at state version 10 knows a revoked certificate
// by the SHA-256 of its DER, so a thief could otherwise still vote with
// one of them in a block a validator proposes, and a vote the thief cast
// with one before would stand (docs/security.md, review of state version
// 10, R1 and R2). An encoding the member revoked already (a rerun after an
// interruption) is skipped. A certificate the member revoked already is
// an error, unless some of its other encodings are not revoked (a
// revocation made before the command revoked them): then it revokes
// those alone.
func (r *revoker) revokeAll(ctx context.Context, ms *wire.Members, cert *x509.Certificate) (*wire.RevocationAccepted, error) {
	others := anchor.CertEncodings(cert)
	var pending []*x509.Certificate
	for _, o := range others {
		if revokedAt(ms, r.member, o) == 0 {
			pending = append(pending, o)
		}
	}
	if h := revokedAt(ms, r.member, cert); h != 0 {
		return r.revokeLeft(ctx, ms, cert, h, pending)
	}
	notice("notice.gov-revoking", "subject", cert.Subject.String(), "sha256", certSHA256(cert), "member", memberLabel(ms, r.member))
	if n := len(others) - len(pending); n > 0 {
		notice("notice.gov-encodings-revoked-already", "n", n)
	}
	for _, o := range pending {
		if _, err := r.revokeOther(ctx, o); err != nil {
			return nil, err
		}
	}
	return r.revoke(ctx, cert)
}

// revokeLeft revokes pending, the other encodings of cert left when the
// member revoked cert at height h, and returns the last revocation; with
// none left, cert's revocation is complete, and that is an error.
func (r *revoker) revokeLeft(ctx context.Context, ms *wire.Members, cert *x509.Certificate, h int64, pending []*x509.Certificate) (*wire.RevocationAccepted, error) {
	done := failure(1, "fail.gov-cert-revoked-already", "subject", cert.Subject.String(), "sha256", certSHA256(cert), "member", memberLabel(ms, r.member), "height", h)
	if len(pending) == 0 {
		return nil, done
	}
	notice("notice.gov-revoking-encodings-only", "subject", cert.Subject.String(), "sha256", certSHA256(cert), "height", h, "n", len(pending))
	var last *wire.RevocationAccepted
	for _, o := range pending {
		ans, err := r.revokeOther(ctx, o)
		if err != nil {
			return nil, err
		}
		if ans != nil {
			last = ans
		}
	}
	if last == nil { // each revoked since the members list was read
		return nil, done
	}
	return last, nil
}

// revoke signs and submits the revocation of cert, waiting up to r.wait
// for it to be in a block.
func (r *revoker) revoke(ctx context.Context, cert *x509.Certificate) (*wire.RevocationAccepted, error) {
	raw, err := anchor.NewRevokeGovTx(r.chainID, r.ca, r.key, r.member, cert)
	if err != nil {
		return nil, err
	}
	return r.c.RevokeGovernanceCert(ctx, raw, r.wait)
}

// revokeOther revokes other, another encoding of the certificate that
// revokeAll revokes. One the chain refuses as a duplicate (revoked since
// the members list was read) is skipped: nil and no error.
func (r *revoker) revokeOther(ctx context.Context, other *x509.Certificate) (*wire.RevocationAccepted, error) {
	notice("notice.gov-revoking-encoding", "sha256", certSHA256(other))
	ans, err := r.revoke(ctx, other)
	if ce := (*client.Error)(nil); errors.As(err, &ce) && ce.Status == http.StatusConflict && ce.Problem.Type == wire.ProblemBase+"governance-duplicate" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if ans.Height == 0 {
		notice("notice.gov-encoding-pending")
	}
	return ans, nil
}

// revokedAt is the height at which member revoked cert, as the members
// list ms says, or 0.
func revokedAt(ms *wire.Members, member string, cert *x509.Certificate) int64 {
	sum := certSHA256(cert)
	for _, m := range ms.Members {
		for _, rc := range m.RevokedGov {
			if m.ID == member && rc.SHA256 == sum {
				return rc.Revoked
			}
		}
	}
	return 0
}

// certSHA256 is the hex SHA-256 of cert's DER, by which the chain knows a
// revoked governance certificate.
func certSHA256(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}
