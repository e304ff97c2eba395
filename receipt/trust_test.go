package receipt

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

func TestParseTrustChecksNodeCertificates(t *testing.T) {
	now := time.Now()
	root, _ := certs.NewRoot("Root", now)
	org, _ := root.NewOrgCA(certs.KindCourt, "Court", now)
	otherRoot, _ := certs.NewRoot("Other Root", now)
	otherOrg, _ := otherRoot.NewOrgCA(certs.KindCourt, "Court", now)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	pub2, _, _ := ed25519.GenerateKey(rand.Reader)
	node, _ := org.IssueNode("node", pub, now)
	nodeOther, _ := org.IssueNode("node", pub2, now)
	foreign, _ := otherOrg.IssueNode("node", pub, now)
	tests := []struct {
		name    string
		certPEM string
		ok      bool
	}{
		{"none", "", true},
		{"node and org CA", string(certs.EncodePEM(node, org.Cert)), true},
		{"node only", string(certs.EncodePEM(node)), false},
		{"certifies another key", string(certs.EncodePEM(nodeOther, org.Cert)), false},
		{"another consortium", string(certs.EncodePEM(foreign, otherOrg.Cert)), false},
		{"wrong organization CA", string(certs.EncodePEM(node, otherOrg.Cert)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := Trust{Version: 1, ChainID: "c", RootPEM: string(certs.EncodePEM(root.Cert)),
				Validators: []Validator{{Name: "Court", Kind: "court", PubKey: base64.StdEncoding.EncodeToString(pub), Power: 1, CertPEM: tt.certPEM}}}
			b, _ := json.Marshal(tr)
			_, err := ParseTrust(b)
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrBadTrust)) {
				t.Errorf("ParseTrust(%s) = %v, want ok %v", tt.name, err, tt.ok)
			}
		})
	}
}
