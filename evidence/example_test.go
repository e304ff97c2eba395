package evidence_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/storage"
)

// Filing one piece of evidence with a local folder, bbolt and the built-in
// TSA: the same parts `custos serve` wires on its embedded default.
func Example() {
	dir, _ := os.MkdirTemp("", "custos-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	pki, err := certs.LoadOrCreateDev(filepath.Join(dir, "pki"), "Example Notary Office", time.Now())
	if err != nil {
		log.Fatal(err)
	}
	tsa, err := notary.NewTSA(notary.TSAConfig{Cert: pki.TSA.Cert, Chain: pki.TSA.Chain, Signer: pki.TSA.Signer})
	if err != nil {
		log.Fatal(err)
	}
	blobs, err := storage.NewFolder(filepath.Join(dir, "blobs"))
	if err != nil {
		log.Fatal(err)
	}
	db, err := storage.OpenDB(filepath.Join(dir, "custos.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	svc, err := evidence.New(ctx, evidence.Config{DB: db, Blobs: blobs, TSA: tsa})
	if err != nil {
		log.Fatal(err)
	}

	up, err := svc.NewUpload(ctx, "admin")
	if err != nil {
		log.Fatal(err)
	}
	defer up.Abort()
	if _, err := up.ReadFrom(strings.NewReader("hello, court\n")); err != nil {
		log.Fatal(err)
	}
	rec, err := up.Finish(ctx, evidence.Meta{Title: "Greeting", FileName: "hello.txt"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.Status, rec.Size, rec.SHA256)
	fmt.Println(rec.Tokens[0].TSA)

	events, _ := svc.Custody(ctx, rec.ID)
	fmt.Println(events[0].Type, events[0].SHA256 == rec.SHA256)
	// Output:
	// timestamped 13 c840887c51780246ef2969e3b0156c227e44821651e9432569c0963ab231c38b
	// Example Notary Office TSA
	// created true
}
