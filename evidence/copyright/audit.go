package copyright

import (
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/integrity"
)

// Audit is the integrity audit of the register's registrations
// (integrity.Options.Documents): each registration is checked against
// what it states, and so is its certificate, once issued. Its items must
// exist, be indexed under it and carry the custody events it implies, the
// anchored part: "copyright.registered", "copyright.revoked" and one
// "copyright.transferred" (subject org:<to>) per transfer. The
// certificate's PDF, in each language issued, must hash to the SHA-256
// recorded when it was issued, and each receipt stored with it describe
// the registration's item. A registration waiting for the consortium's
// register must be in the order of what waits (crtodoat), and one that
// does not wait must not, nor hold its files' deposits off the chain
// (holdDeposits: the register holds it, so they are released).
func (s *Register) Audit() integrity.DocumentAudit {
	return integrity.DocumentAudit{
		Name: "copyright", Bucket: bCopyrights, Kind: docKind,
		Count: func(rep *integrity.Report) *int { return &rep.Copyrights },
		Check: check,
	}
}

// Lists reports, in tx, whether registration id lists item: what a held
// deposit's holder must do (integrity.Options.Holders). The item index
// (crItems) names each item's one registration.
func (s *Register) Lists(tx *bolt.Tx, id, item string) bool {
	b := tx.Bucket(bCrItems)
	return b != nil && string(b.Get([]byte(item))) == id
}

// check checks a stored registration and, if issued, its certificate.
func check(d integrity.DocAudit, id string, val []byte) {
	var c Copyright
	if err := json.Unmarshal(val, &c); err != nil || c.ID != id {
		d.FailDocument("the registration does not decode, or names another ID")
		return
	}
	want := map[string]int{EventCopyrightRegistered + " copyright:" + id: 1}
	if c.Status == CopyrightRevoked {
		want[EventCopyrightRevoked+" copyright:"+id] = 1
	}
	for _, t := range c.Transfers {
		want[EventCopyrightTransferred+" org:"+t.To]++
	}
	recs := make([]*evidence.Record, len(c.Items))
	for i, item := range c.Items {
		if recs[i] = d.Item(item); recs[i] == nil {
			continue
		}
		if got := d.Tx().Bucket(bCrItems).Get([]byte(item)); string(got) != id {
			d.FailItems("item %s is indexed under registration %q", item, got)
		}
		d.WantEvents(recs[i], want)
	}
	checkWaiting(d, &c)
	for _, lang := range []string{LangZH, LangEN} {
		key, _ := documentKey(id, lang)
		checkDocument(d, key, recs)
	}
}

// checkWaiting checks that c is in crtodoat if and only if it waits in
// crtodo, and that its files' deposits are not held unless it waits.
func checkWaiting(d integrity.DocAudit, c *Copyright) {
	tx := d.Tx()
	if tx.Bucket(bCrTodo) == nil || tx.Bucket(bCrTodoAt) == nil {
		return // a store the register has not opened
	}
	waits := tx.Bucket(bCrTodo).Get([]byte(c.ID)) != nil
	switch indexed := todoIndexHas(tx, c); {
	case waits && !indexed:
		d.FailDocument("the registration waits for the consortium's register but is not in the order of what waits (crtodoat)")
	case !waits && indexed:
		d.FailDocument("the registration is in the order of what waits (crtodoat) but does not wait for the consortium's register")
	}
	if waits {
		return
	}
	for _, item := range c.Items {
		seq, ok := evidence.ItemSeq(tx, item)
		if !ok {
			continue // a missing item: check reports it
		}
		if held, err := evidence.DepositHeld(tx, seq); err == nil && held {
			d.FailDocument("the register holds the registration, but its file %s's deposit is still held off the chain (depohold)", item)
		}
	}
}

// checkDocument checks a registration's certificate kept under key
// (documentKey), if it has one; recs are the registration's items (nil
// where missing).
func checkDocument(d integrity.DocAudit, key string, recs []*evidence.Record) {
	v, pdf := d.Tx().Bucket(bCrDocs).Get([]byte(key)), d.Tx().Bucket(bCrPDF).Get([]byte(key))
	if v == nil && pdf == nil {
		return // not issued yet
	}
	var doc CopyrightDocument
	if err := json.Unmarshal(v, &doc); err != nil {
		d.FailDocument("the certificate %s's description does not decode", key)
		return
	}
	d.PDF(bCrPDF, key, doc.PDFSHA256, -1)
	if len(doc.Items) != len(recs) {
		d.FailReceipts("the certificate states %d items, the registration %d", len(doc.Items), len(recs))
		return
	}
	for i, it := range doc.Items {
		r := recs[i]
		if r != nil && (it.ID != r.ID || it.SHA256 != r.SHA256) {
			d.FailReceipts("the certificate's item %d is %s %s, the registration's %s %s", i, it.ID, it.SHA256, r.ID, r.SHA256)
			r = nil
		}
		d.Receipt(i, it.Receipt, it.ID, it.SHA256, r)
	}
}
