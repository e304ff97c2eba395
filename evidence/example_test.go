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

// Every custody event has exactly one encoding; anything else is refused.
func ExampleDecodeEvent() {
	b := []byte(`{"v":1,"evidence":"aaaaaaaaaaaaaaaaaaaaaaaaaa","seq":1,"type":"viewed","time":"2026-11-21T08:31:00.000000000Z","actor":"admin","prev":"cba69aac687a625d1ddc8172b070dc5c6f4ffc0a4cc953cb641b8bc7cad0a135"}`)
	e, err := evidence.DecodeEvent(b)
	fmt.Println(e.Type, e.Actor, err)

	_, err = evidence.DecodeEvent([]byte(strings.Replace(string(b), `"seq":1`, `"seq": 1`, 1)))
	fmt.Println(err)
	// Output:
	// viewed admin <nil>
	// evidence: malformed custody event: not in canonical form
}
