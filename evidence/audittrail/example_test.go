package audittrail_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/audittrail"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/storage"
)

// The audit trails are kept by an evidence service. An organization's
// first act (org.created) starts its chain; each later act links to the
// one before it, and every act is queued for anchoring.
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
	trails := audittrail.New(ev)

	const org, admin = "orgaaaaaaaaaaaaaaaaaaaaaaa", "orgaaaaaaaaaaaaaaaaaaaaaaa:key1"
	for _, act := range [][2]string{
		{custody.AuditOrgCreated, "kind:law_firm"},
		{custody.AuditKeyCreated, "key:key2:submitter"},
		{custody.AuditKeyRevoked, "key:key2"},
	} {
		if _, err := trails.AppendAudit(ctx, org, admin, act[0], act[1]); err != nil {
			log.Fatal(err)
		}
	}
	evs, err := trails.AuditTrail(ctx, org)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := custody.CheckChain(evs); err != nil {
		log.Fatal(err)
	}
	for _, e := range evs {
		fmt.Println(e.Seq, e.Type, e.Subject)
	}
	// Output:
	// 0 org.created kind:law_firm
	// 1 key.created key:key2:submitter
	// 2 key.revoked key:key2
}
