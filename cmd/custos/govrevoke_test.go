package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

// TestRevokeGovernanceCertLocal: consortium revoke-governance-cert
// refuses, before any request, an organization CA key that other users
// may read, a key that is not the CA's, and a certificate the CA did not
// issue (only its issuer revokes a certificate), in both suites.
func TestRevokeGovernanceCertLocal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes")
	}
	for _, suite := range []certs.Suite{certs.SuiteECDSA, certs.SuiteSM} {
		t.Run(string(suite), func(t *testing.T) {
			dir := t.TempDir()
			now := time.Now()
			root, err := certs.NewSuiteRoot(suite, "Root", now)
			if err != nil {
				t.Fatal(err)
			}
			org, err := root.NewOrgCA(certs.KindNotary, "Notary", now)
			if err != nil {
				t.Fatal(err)
			}
			other, err := root.NewOrgCA(certs.KindNotary, "Other Notary", now)
			if err != nil {
				t.Fatal(err)
			}
			gov, err := org.IssueGovernance("Notary governance", now)
			if err != nil {
				t.Fatal(err)
			}
			othersGov, err := other.IssueGovernance("Other governance", now)
			if err != nil {
				t.Fatal(err)
			}
			write := func(name string, b []byte, mode os.FileMode) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, b, mode); err != nil {
					t.Fatal(err)
				}
				return p
			}
			key, err := certs.EncodeKeyPEM(org.Signer)
			if err != nil {
				t.Fatal(err)
			}
			otherKey, err := certs.EncodeKeyPEM(other.Signer)
			if err != nil {
				t.Fatal(err)
			}
			caPath := write("org-ca.pem", certs.EncodePEM(org.Cert), 0o644)
			keyPath := write("org-ca.key", key, 0o600)
			govPath := write("governance.pem", certs.EncodePEM(gov.Cert, org.Cert), 0o644)
			for _, c := range []struct {
				name, cert, key, want string
			}{
				{"a readable CA key", govPath, write("readable.key", key, 0o644), "chmod 600"},
				{"another CA's key", govPath, write("other.key", otherKey, 0o600), "is not the key of"},
				{"another CA's certificate", write("others.pem", certs.EncodePEM(othersGov.Cert), 0o644), keyPath, "only the CA that issued a certificate revokes it"},
				{"not a certificate", write("garbage.pem", []byte("garbage"), 0o644), keyPath, "want a PEM file"},
			} {
				_, err := revokeGovernanceCert(context.Background(), nil, c.cert, caPath, c.key, "", 0)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: revokeGovernanceCert() = %v, want %q", c.name, err, c.want)
				}
			}
		})
	}
}
