package copyright_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/storage"
)

// A register is made after its evidence service, whose hooks name the
// register's functions; a work is then registered with an item filed
// before.
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
	ev, err := evidence.New(ctx, evidence.Config{DB: db, Blobs: blobs, TSA: evidencetest.TSA{},
		OnLeafFinal: copyright.MarkAnchored, ItemOwner: copyright.Owner})
	if err != nil {
		log.Fatal(err)
	}
	reg, err := copyright.New(ev, copyright.Config{})
	if err != nil {
		log.Fatal(err)
	}

	const org = "orgaaaaaaaaaaaaaaaaaaaaaaa"
	u, err := ev.NewUpload(ctx, org+":key")
	if err != nil {
		log.Fatal(err)
	}
	defer u.Abort()
	if _, err := u.ReadFrom(strings.NewReader("a poem")); err != nil {
		log.Fatal(err)
	}
	item, err := u.Finish(ctx, evidence.Meta{Title: "Spring"})
	if err != nil {
		log.Fatal(err)
	}
	w := copyright.Work{Title: "Spring", Type: "text", Authors: []string{"Li Ming"}, Owner: "Li Ming", Created: "2025-06-01"}
	c, err := reg.RegisterCopyright(ctx, org, org+":key", w, []copyright.RegisterItem{{ID: item.ID}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Status, strings.HasSuffix(c.Number, "-000001"), c.OwnerOrg == org)
	// Output: registered true true
}
