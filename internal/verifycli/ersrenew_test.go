package verifycli

import (
	"context"
	"crypto"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/ers"
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/receipt"
)

// A record renewed to SHA-512 (RFC 4998 §5.3) after its first TSA's
// certificate expired verifies against the file, whose SHA-512 the
// command computes beside its SHA-256; from the receipt's SHA-256 alone it
// cannot, and says which hash is missing.
func TestCheckERSRenewed(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	root, err := certs.NewRoot("Verify Test Root", t0)
	if err != nil {
		t.Fatal(err)
	}
	org, err := root.NewOrgCA(certs.KindNotary, "Verify Test Notary", t0)
	if err != nil {
		t.Fatal(err)
	}
	stamper := func(issued, at time.Time) ers.Stamper {
		leaf, err := org.IssueTSA("TSA "+issued.Format("2006"), issued)
		if err != nil {
			t.Fatal(err)
		}
		tsa, err := notary.NewTSA(notary.TSAConfig{Cert: leaf.Cert, Chain: leaf.Chain, Signer: leaf.Signer, Now: func() time.Time { return at }})
		if err != nil {
			t.Fatal(err)
		}
		return func(ctx context.Context, h crypto.Hash, d []byte) ([]byte, error) {
			tok, err := tsa.Stamp(ctx, h, d)
			if err != nil {
				return nil, err
			}
			return tok.Reply, nil
		}
	}
	data := []byte("a contract of 2026")
	files := fileHashes{crypto.SHA256: sha256.New(), crypto.SHA512: crypto.SHA512.New()}
	files.writer().Write(data)
	sums := files.sums()
	b, err := ers.Build(context.Background(), crypto.SHA256, [][]byte{sums[crypto.SHA256]}, stamper(t0, t0.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Add(4 * 365 * 24 * time.Hour) // before the first certificate's expiry, and then beyond
	rec, err := ers.RenewTimeStamps(context.Background(), []*ers.Record{b.Record(0)}, stamper(at, at))
	if err != nil {
		t.Fatal(err)
	}
	later := t0.Add(6 * 365 * 24 * time.Hour)
	rec, err = ers.RenewHashTree(context.Background(), crypto.SHA512, rec, [][]byte{sums[crypto.SHA512]}, stamper(at, later))
	if err != nil {
		t.Fatal(err)
	}
	trust := &receipt.Trust{RootPEM: string(certs.EncodePEM(root.Cert)), TSAChain: string(certs.EncodePEM(org.Cert))}
	rep, err := checkERS(rec[0].Encode(), sums, "file", trust)
	if err != nil || !rep.Valid || len(rep.Stamps) != 3 || rep.Stamps[2].Hash != "SHA-512" {
		t.Fatalf("checkERS(renewed record, the file's hashes) = %+v, %v; want valid, 3 stamps, the last SHA-512", rep, err)
	}
	rep, err = checkERS(rec[0].Encode(), ers.Hashes{crypto.SHA256: sums[crypto.SHA256]}, "receipt", trust)
	if err != nil || rep.Valid || rep.Step != "checkStructure" || !strings.Contains(rep.Error, "SHA-512") {
		t.Errorf("checkERS(renewed record, SHA-256 only) = %+v, %v; want not valid at checkStructure, naming SHA-512", rep, err)
	}
}
