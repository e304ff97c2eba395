package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certs"
	prob "github.com/custos-project/custos/internal/problem"
)

// revocationPKI is a root of suite, a notary's organization CA under it,
// a governance certificate it issued, and the CA's key in PEM.
func revocationPKI(t *testing.T, suite certs.Suite, now time.Time) (root, org *certs.Authority, gov *certs.Leaf, key []byte) {
	t.Helper()
	root, err := certs.NewSuiteRoot(suite, "Root", now)
	if err != nil {
		t.Fatal(err)
	}
	if org, err = root.NewOrgCA(certs.KindNotary, "Notary", now); err != nil {
		t.Fatal(err)
	}
	if gov, err = org.IssueGovernance("Notary governance", now); err != nil {
		t.Fatal(err)
	}
	if key, err = certs.EncodeKeyPEM(org.Signer); err != nil {
		t.Fatal(err)
	}
	return root, org, gov, key
}

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
			root, org, gov, key := revocationPKI(t, suite, now)
			other, err := root.NewOrgCA(certs.KindNotary, "Other Notary", now)
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

// revocationNode is a member's node as consortium revoke-governance-cert
// sees it: the members list, the chain ID, and the revocations route,
// which records each revocation in a block at once (or refuses one of a
// certificate in dup as a duplicate, as CheckTx does one revoked since
// the list was read).
type revocationNode struct {
	t      *testing.T
	mu     sync.Mutex
	member wire.Member
	ca     *x509.Certificate
	posted []string // the revoked certificates' SHA-256, in order
}

func (n *revocationNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	defer n.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/consortium/members":
		json.NewEncoder(w).Encode(wire.Members{StateVersion: 10, Members: []wire.Member{n.member}})
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/trust":
		w.Write([]byte(`{"version":1,"chain_id":"custos-test"}`))
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/consortium/revocations":
		raw, _ := io.ReadAll(r.Body)
		tx, err := anchor.DecodeTx(raw)
		if err != nil || tx.Kind != anchor.KindRevokeGov || !tx.OrgCA.Equal(n.ca) || hex.EncodeToString(tx.GovMember[:]) != n.member.ID {
			n.t.Errorf("posted revocation %+v, %v; want one by the member's organization CA", tx, err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		sum := tx.RevokedHash()
		cert := hex.EncodeToString(sum[:])
		n.posted = append(n.posted, cert)
		height := int64(10 + len(n.posted))
		n.member.RevokedGov = append(n.member.RevokedGov, wire.RevokedCert{SHA256: cert, TBS: anchor.TBSSHA256(tx.Revoked), Revoked: height})
		w.WriteHeader(http.StatusAccepted)
		json.NewEncoder(w).Encode(wire.RevocationAccepted{Member: n.member.ID, CertSHA256: cert, Height: height})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// TestRevokeGovernanceCertAgain: consortium revoke-governance-cert sends
// one revocation, of the certificate; a certificate the member revoked
// already, in this encoding or another (the members list names it by its
// TBSCertificate's SHA-256: docs/security.md, review of state version 10,
// R1-R3), is an error that says so and names the revocation, before
// anything is signed or sent. Before, a second run sent the revocation
// again.
func TestRevokeGovernanceCertAgain(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes")
	}
	defer func(l prob.Lang) { lang = l }(lang)
	lang = prob.English
	hexSum := func(b []byte) string {
		s := sha256.Sum256(b)
		return hex.EncodeToString(s[:])
	}
	for _, suite := range []certs.Suite{certs.SuiteECDSA, certs.SuiteSM} {
		_, org, gov, key := revocationPKI(t, suite, time.Now())
		dir := t.TempDir()
		caPath, keyPath, govPath := filepath.Join(dir, "org-ca.pem"), filepath.Join(dir, "org-ca.key"), filepath.Join(dir, "governance.pem")
		for p, b := range map[string][]byte{caPath: certs.EncodePEM(org.Cert), keyPath: key, govPath: certs.EncodePEM(gov.Cert, org.Cert)} {
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cert, tbs := hexSum(gov.Cert.Raw), anchor.TBSSHA256(gov.Cert)
		other := hexSum([]byte("another encoding of the certificate"))
		for _, c := range []struct {
			name    string
			revoked []wire.RevokedCert // before the run
			posted  []string
			err     string
		}{
			{"a first run", nil, []string{cert}, ""},
			{"another certificate revoked", []wire.RevokedCert{{SHA256: other, TBS: hexSum([]byte("another")), Revoked: 5}}, []string{cert}, ""},
			{"the certificate revoked already", []wire.RevokedCert{{SHA256: cert, TBS: tbs, Revoked: 5}}, nil, "revoked already, at height 5"},
			{"another encoding revoked already", []wire.RevokedCert{{SHA256: other, TBS: tbs, Revoked: 6}}, nil, "revoked already, at height 6"},
		} {
			t.Run(string(suite)+"/"+c.name, func(t *testing.T) {
				n := &revocationNode{t: t, ca: org.Cert, member: wire.Member{ID: strings.Repeat("ab", 32), Name: "Notary",
					OrgCAs: []wire.MemberCA{{SHA256: hexSum(org.Cert.Raw), Cert: org.Cert.Raw, Bound: 1}}, RevokedGov: c.revoked}}
				srv := httptest.NewServer(n)
				defer srv.Close()
				v, err := revokeGovernanceCert(context.Background(), client.New(srv.URL, ""), govPath, caPath, keyPath, "", 5*time.Second)
				if c.err != "" {
					if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), c.revoked[0].SHA256) {
						t.Errorf("revokeGovernanceCert() = %v, want %q naming %s", err, c.err, c.revoked[0].SHA256)
					}
				} else if ans, ok := v.(*wire.RevocationAccepted); err != nil || !ok || ans.CertSHA256 != cert || ans.Height == 0 {
					t.Errorf("revokeGovernanceCert() = %+v, %v; want the revocation of %s recorded", v, err, cert)
				}
				if !slices.Equal(n.posted, c.posted) {
					t.Errorf("revocations posted %v, want %v", n.posted, c.posted)
				}
			})
		}
	}
}
