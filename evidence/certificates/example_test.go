package certificates_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/evidence/records"
	"github.com/custos-project/custos/storage"
)

// The certificate records are opened over an evidence service. A
// certificate's number is reserved first, since it is printed on the PDF;
// the certificate is then stored with its signed PDF and the receipts the
// PDF embeds, one per item. (certify.Office.Notarial does all of this,
// with real receipts and a signed PDF.)
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "custos-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := bolt.Open(filepath.Join(dir, "custos.db"), 0o600, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	blobs, err := storage.NewFolder(filepath.Join(dir, "blobs"))
	if err != nil {
		log.Fatal(err)
	}
	ev, err := evidence.New(ctx, evidence.Config{DB: db, Blobs: blobs, TSA: evidencetest.TSA{}})
	if err != nil {
		log.Fatal(err)
	}
	recs, err := records.New(ev, records.Config{TSA: evidencetest.TSA{}}) // the PDFs' evidence records
	if err != nil {
		log.Fatal(err)
	}
	certs, err := certificates.New(ev, recs)
	if err != nil {
		log.Fatal(err)
	}

	const office = "notaryaaaaaaaaaaaaaaaaaaaa"
	u, err := ev.NewUpload(ctx, office+":key")
	if err != nil {
		log.Fatal(err)
	}
	defer u.Abort()
	if _, err := u.ReadFrom(strings.NewReader("a contract")); err != nil {
		log.Fatal(err)
	}
	item, err := u.Finish(ctx, evidence.Meta{Title: "Contract"})
	if err != nil {
		log.Fatal(err)
	}
	c, err := certs.ReserveCertificate(ctx, 2026, "浙杭")
	if err != nil {
		log.Fatal(err)
	}
	c.Org, c.Actor, c.Office, c.Notary = office, office+":key", "杭州市互联网公证处", "张三"
	c.Applicant = &certificates.Applicant{Kind: certificates.ApplicantOrg, Org: office, Name: "杭州市互联网公证处"}
	c.Evidence, c.IssuedAt = []string{item.ID}, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	if err := certs.IssueCertificate(ctx, c, []byte("%PDF-1.7 ..."), [][]byte{[]byte(`{"receipt":"..."}`)}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Number, c.Status, c.Readers[0] == office)
	// Output: （2026）浙杭证字第1号 valid true
}
