package anchor

import (
	"crypto/x509"
	"path/filepath"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

// courtHome makes what a one-node test chain starts from: a consortium
// root, a court's organization CA, and the court node's CometBFT home in
// dir/node with a genesis of chainID at the latest state version, the
// court's validator (power 10) first, then others. It returns the root,
// the organization CA, the home and the node's certificate.
func courtHome(t *testing.T, dir, chainID string, others ...GenesisValidator) (root, org *certs.Authority, home string, cert *x509.Certificate) {
	t.Helper()
	root, err := certs.NewRoot("Test Consortium Root CA", txNow)
	if err != nil {
		t.Fatal(err)
	}
	if org, err = root.NewOrgCA(certs.KindCourt, "Court", txNow); err != nil {
		t.Fatal(err)
	}
	home = filepath.Join(dir, "node")
	pub, _, err := InitHome(home)
	if err != nil {
		t.Fatal(err)
	}
	vals := append([]GenesisValidator{{Name: "court", PubKey: pub, Power: 10}}, others...)
	if err := WriteGenesis(GenesisPath(home), chainID, vals, root.Cert, time.Now(), LatestState); err != nil {
		t.Fatal(err)
	}
	if cert, err = org.IssueNode("court", pub, txNow); err != nil {
		t.Fatal(err)
	}
	return root, org, home, cert
}
