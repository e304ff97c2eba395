package certs

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"strings"
	"testing"
	"time"
)

// TestCheckNodeChain: a node certificate's chain checks in both suites
// through its organization CA among others, and is refused for an
// unknown CA, another root, a time outside its validity and a usage its
// certificate does not allow.
func TestCheckNodeChain(t *testing.T) {
	now := time.Now()
	for _, suite := range []Suite{SuiteECDSA, SuiteSM} {
		t.Run(string(suite), func(t *testing.T) {
			root, err := NewSuiteRoot(suite, "Root", now)
			if err != nil {
				t.Fatal(err)
			}
			other, _ := NewSuiteRoot(suite, "Root", now) // same name, another key
			org, _ := root.NewOrgCA(KindCourt, "A", now)
			orgB, _ := root.NewOrgCA(KindCourt, "B", now)
			stranger, _ := other.NewOrgCA(KindCourt, "A", now)
			pub, _, _ := ed25519.GenerateKey(rand.Reader)
			node, err := org.IssueNode("A node", pub, now)
			if err != nil {
				t.Fatal(err)
			}
			if node, err = ParseCertificate(node.Raw); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				name  string
				cas   []*x509.Certificate
				root  *x509.Certificate
				at    time.Time
				usage x509.ExtKeyUsage
				want  string // "" for success, else part of the error
			}{
				{"its CA among others", []*x509.Certificate{orgB.Cert, org.Cert}, root.Cert, now, x509.ExtKeyUsageClientAuth, ""},
				{"server usage", []*x509.Certificate{org.Cert}, root.Cert, now, x509.ExtKeyUsageServerAuth, ""},
				{"unknown CA", []*x509.Certificate{orgB.Cert}, root.Cert, now, x509.ExtKeyUsageClientAuth, "not a known organization CA"},
				{"a CA of the same name under another root", []*x509.Certificate{stranger.Cert}, root.Cert, now, x509.ExtKeyUsageClientAuth, "is not signed by"},
				{"another root", []*x509.Certificate{org.Cert}, other.Cert, now, x509.ExtKeyUsageClientAuth, "is not signed by"},
				{"expired", []*x509.Certificate{org.Cert}, root.Cert, now.Add(NodeValidity + time.Hour), x509.ExtKeyUsageClientAuth, "is valid from"},
				{"usage not allowed", []*x509.Certificate{org.Cert}, root.Cert, now, x509.ExtKeyUsageCodeSigning, "extended key usage"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got, err := CheckNodeChain(node, tt.cas, tt.root, tt.at, tt.usage)
					switch {
					case tt.want == "" && (err != nil || !got.Equal(org.Cert)):
						t.Errorf("CheckNodeChain() = %v, %v; want A's CA", got, err)
					case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
						t.Errorf("CheckNodeChain() = %v; want an error with %q", err, tt.want)
					}
				})
			}
		})
	}
}
