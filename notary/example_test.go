package notary_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/notary"
)

// examplePKI builds a throwaway root → organization CA → TSA hierarchy.
func examplePKI() (*certs.Authority, *certs.Leaf) {
	now := time.Now()
	root, err := certs.NewRoot("Example Root", now)
	if err != nil {
		panic(err)
	}
	org, err := root.NewOrgCA(certs.KindCourt, "Example Court", now)
	if err != nil {
		panic(err)
	}
	leaf, err := org.IssueTSA("Example Court TSA", now)
	if err != nil {
		panic(err)
	}
	return root, leaf
}

func ExampleTSA_Stamp() {
	_, leaf := examplePKI()
	tsa, err := notary.NewTSA(notary.TSAConfig{Cert: leaf.Cert, Chain: leaf.Chain, Signer: leaf.Signer})
	if err != nil {
		panic(err)
	}
	digest := sha256.Sum256([]byte("the evidence"))
	tok, err := tsa.Stamp(context.Background(), crypto.SHA256, digest[:])
	if err != nil {
		panic(err)
	}
	fmt.Println("issued by:", tok.TSA)
	fmt.Println("fresh:", time.Since(tok.Time) < time.Minute)
	fmt.Println("reply is DER:", tok.Reply[0] == 0x30)
	// Output:
	// issued by: Example Court TSA
	// fresh: true
	// reply is DER: true
}

func ExampleCheck() {
	root, leaf := examplePKI()
	tsa, err := notary.NewTSA(notary.TSAConfig{Cert: leaf.Cert, Chain: leaf.Chain, Signer: leaf.Signer})
	if err != nil {
		panic(err)
	}
	digest := sha256.Sum256([]byte("the evidence"))
	tok, err := tsa.Stamp(context.Background(), crypto.SHA256, digest[:])
	if err != nil {
		panic(err)
	}

	// Later, offline, with only the consortium root:
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	ts, err := notary.Check(tok.Reply, crypto.SHA256, digest[:], roots, nil)
	fmt.Println("valid:", err == nil, "same time:", ts.Time.Equal(tok.Time))

	forged := sha256.Sum256([]byte("other evidence"))
	_, err = notary.Check(tok.Reply, crypto.SHA256, forged[:], roots, nil)
	fmt.Println("other evidence is a mismatch:", errors.Is(err, notary.ErrMismatch))
	// Output:
	// valid: true same time: true
	// other evidence is a mismatch: true
}
