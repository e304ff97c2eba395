package sharing_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/evidence/sharing"
	"github.com/custos-project/custos/storage"
)

// A law firm opens a matter, files an exhibit into it and shares the
// matter with a court: the court sees the exhibit until the share is
// revoked, and the exhibit's custody chain records both acts.
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
	reg, err := sharing.New(ev)
	if err != nil {
		log.Fatal(err)
	}

	const firm, court = "firmaaaaaaaaaaaaaaaaaaaaaa", "courtaaaaaaaaaaaaaaaaaaaaa"
	m, err := reg.CreateMatter(ctx, firm, firm+":key", sharing.MatterInput{Title: "Contract dispute"})
	if err != nil {
		log.Fatal(err)
	}
	u, err := ev.NewUpload(ctx, firm+":key")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := u.ReadFrom(strings.NewReader("signed contract")); err != nil {
		log.Fatal(err)
	}
	exhibit, err := u.Finish(ctx, evidence.Meta{Title: "Contract", Matter: m.ID})
	if err != nil {
		log.Fatal(err)
	}
	sees := func() bool {
		ok, err := ev.Visible(ctx, exhibit, court)
		if err != nil {
			log.Fatal(err)
		}
		return ok
	}
	fmt.Println("before sharing, the court sees it:", sees())
	sh, _, err := reg.ShareTarget(ctx, firm, firm+":key", evidence.ShareMatter, m.ID, court, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("shared, the court sees it:", sees())
	if _, err := reg.RevokeShare(ctx, firm, firm+":key", sh.ID); err != nil {
		log.Fatal(err)
	}
	fmt.Println("revoked, the court sees it:", sees())
	evs, err := ev.Custody(ctx, exhibit.ID)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range evs {
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%d %s %s", e.Seq, e.Type, e.Subject)))
	}
	// Output:
	// before sharing, the court sees it: false
	// shared, the court sees it: true
	// revoked, the court sees it: false
	// 0 created
	// 1 shared org:courtaaaaaaaaaaaaaaaaaaaaa
	// 2 unshared org:courtaaaaaaaaaaaaaaaaaaaaa
}
