package ers_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/ers"
	"github.com/custos-project/custos/notary"
)

// A batch of items gets one time-stamp from the built-in TSA; each item's
// evidence record verifies against the item's SHA-256 and the TSA's root.
func ExampleBuild() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	root, _ := certs.NewRoot("Example Root", now)
	org, _ := root.NewOrgCA(certs.KindNotary, "Example Notary", now)
	leaf, _ := org.IssueTSA("Example TSA", now)
	tsa, _ := notary.NewTSA(notary.TSAConfig{Cert: leaf.Cert, Chain: leaf.Chain, Signer: leaf.Signer, Now: func() time.Time { return now }})

	// The Stamper wires the TSA: the whole reply of each time-stamp.
	tokens := 0
	stamp := func(ctx context.Context, h crypto.Hash, digest []byte) ([]byte, error) {
		tokens++
		tok, err := tsa.Stamp(ctx, h, digest)
		if err != nil {
			return nil, err
		}
		return tok.Reply, nil
	}
	items := []string{"contract.pdf", "photo.jpg", "chat.txt"}
	hashes := make([][]byte, len(items))
	for i, it := range items {
		h := sha256.Sum256([]byte(it))
		hashes[i] = h[:]
	}
	batch, err := ers.Build(context.Background(), crypto.SHA256, hashes, stamp)
	if err != nil {
		fmt.Println(err)
		return
	}
	der := batch.AppendRecord(nil, 1) // the evidence record of photo.jpg, to store
	rec, err := ers.Decode(der)
	if err != nil {
		fmt.Println(err)
		return
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	res, err := ers.Verify(rec, ers.Hashes{crypto.SHA256: hashes[1]}, ers.VerifyOptions{Roots: roots})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d records, %d time-stamp\n", batch.Len(), tokens)
	fmt.Println("photo.jpg existed at", res.Time.Format(time.RFC3339), "by", res.Stamps[0].TSA)
	// Output:
	// 3 records, 1 time-stamp
	// photo.jpg existed at 2026-01-01T00:00:00Z by Example TSA
}
