package certs_test

import (
	"fmt"
	"time"

	"github.com/custos-project/custos/certs"
)

// An sm suite PKI: the root's suite passes to the CAs and TSAs below it.
func ExampleNewSuiteRoot() {
	now := time.Now()
	root, err := certs.NewSuiteRoot(certs.SuiteSM, "Example Root", now)
	if err != nil {
		panic(err)
	}
	org, err := root.NewOrgCA(certs.KindNotary, "Example Notary Office", now)
	if err != nil {
		panic(err)
	}
	tsa, err := org.IssueTSA("Example TSA", now)
	if err != nil {
		panic(err)
	}
	fmt.Println(certs.KeySuite(tsa.Cert.PublicKey))
	fmt.Println(certs.CheckSignatureFrom(tsa.Cert, org.Cert), certs.CheckTSA(tsa.Cert))
	// Output:
	// sm
	// <nil> <nil>
}
