package document

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/notary/pdf"
	"github.com/custos-project/custos/receipt"
)

// Item is one evidence item as a document states it. The API fills it from
// the evidence record and the item's receipt.
type Item struct {
	ID        string
	Title     string // may be empty
	FileName  string // may be empty
	MediaType string
	Size      int64
	SHA256    string
	SM3       string // empty unless the deployment computes SM3
	// Times are the item's RFC 3161 time-stamps: the trusted time of its
	// digest, each from one TSA.
	Times []TrustedTime
	// Receipt is the item's canonical receipt (receipt.Receipt.Encode),
	// attached to the document; its checkpoint is the item's anchor.
	Receipt *receipt.Receipt
}

// TrustedTime is the time an RFC 3161 token vouches for.
type TrustedTime struct {
	TSA    string // the TSA's name
	Time   time.Time
	Serial string // the token's serial number
}

// maxCustodyLines bounds the custody events listed per item; the rest are
// counted. The attached receipt holds them all.
const maxCustodyLines = 12

// section states the item: the n-th of the document (1-based), its
// custody naming organizations by names.
func (it *Item) section(n int, names map[string]string) (pdf.Section, error) {
	title := it.Title
	if title == "" {
		title = it.FileName
	}
	if title == "" {
		title = it.ID
	}
	s := pdf.Section{Heading: fmt.Sprintf("%d. %s", n, title)}
	add := func(label, value string) {
		if value != "" {
			s.Fields = append(s.Fields, pdf.Field{Label: label, Value: value})
		}
	}
	add("编号 ID", it.ID)
	add("标题 Title", it.Title)
	add("文件名 File name", it.FileName)
	add("大小 Size", strconv.FormatInt(it.Size, 10)+" bytes")
	add("类型 Media type", it.MediaType)
	for _, d := range []struct{ label, hex string }{{"SHA-256", it.SHA256}, {"SM3", it.SM3}} {
		if d.hex != "" {
			s.Fields = append(s.Fields, pdf.Field{Label: d.label, Value: d.hex, Digest: true})
		}
	}
	for _, t := range it.Times {
		add("可信时间 Trusted time", timeText(t.Time)+"\n"+t.TSA+", serial "+t.Serial)
	}
	if it.Receipt == nil {
		return s, fmt.Errorf("document: item %s has no receipt", it.ID)
	}
	if err := it.matchesReceipt(); err != nil {
		return s, err
	}
	cp := it.Receipt.Checkpoint
	add("上链 Anchor", fmt.Sprintf("联盟链 chain %s，区块 block %d，日志 log size %d", cp.ChainID, cp.Height, cp.TreeSize))
	if cp.Root != "" {
		s.Fields = append(s.Fields, pdf.Field{Label: "日志根 Log root", Value: cp.Root, Digest: true})
	}
	lines, err := custodyLines(it.Receipt, names)
	if err != nil {
		return s, err
	}
	add("保管记录 Custody", lines)
	add("回执 Receipt", receiptName(it.ID)+" (attached)")
	return s, nil
}

// matchesReceipt checks that the item states what its receipt, which the
// document attaches, proves: the same ID, SHA-256, size and, when the item
// states one, SM3. A document that printed one digest and attached the
// proof of another would be signed as a whole all the same.
func (it *Item) matchesReceipt() error {
	ev := it.Receipt.Evidence
	if ev.ID != it.ID || ev.SHA256 != it.SHA256 || ev.Size != it.Size || it.SM3 != "" && ev.SM3 != it.SM3 {
		return fmt.Errorf("%w: item %s (SHA-256 %s, SM3 %q, %d bytes) is not what its receipt proves (%s, SHA-256 %s, SM3 %q, %d bytes)",
			pdf.ErrDocument, it.ID, it.SHA256, it.SM3, it.Size, ev.ID, ev.SHA256, ev.SM3, ev.Size)
	}
	return nil
}

// eventNames are the custody event types in words.
var eventNames = map[string]string{
	custody.EventCreated: "存证 filed", custody.EventViewed: "查看 viewed", custody.EventDownloaded: "下载 downloaded",
	custody.EventShared: "共享 shared", custody.EventUnshared: "撤销共享 unshared", custody.EventListed: "列出 listed",
	custody.EventCertified: "出证 certified",
}

// party names an actor ("org:key") or a subject ("org:ID") by its
// organization's name when known.
func party(s string, names map[string]string) string {
	id := s
	if rest, ok := strings.CutPrefix(s, "org:"); ok {
		id = rest
	} else if i := strings.IndexByte(s, ':'); i > 0 {
		id = s[:i]
	}
	if n := names[id]; n != "" {
		return n
	}
	return s
}

// CustodyOrgs are the organizations that act in the custody records of
// items' receipts (actors "org:key", share subjects "org:ID"), each once:
// the IDs whose names Notarial.Names gives.
func CustodyOrgs(items []Item) []string {
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, it := range items {
		if it.Receipt == nil {
			continue
		}
		for _, ae := range it.Receipt.Events {
			e, err := custody.Decode([]byte(ae.Event))
			if err != nil {
				continue // the document reports it
			}
			id, _, _ := strings.Cut(e.Actor, ":")
			add(id)
			if sub, ok := strings.CutPrefix(e.Subject, "org:"); ok {
				add(sub)
			}
		}
	}
	return ids
}

// custodyLines summarizes the anchored custody events of a receipt, naming
// organizations by names.
func custodyLines(r *receipt.Receipt, names map[string]string) (string, error) {
	var b strings.Builder
	for i, ae := range r.Events {
		if i == maxCustodyLines {
			fmt.Fprintf(&b, "… %d more (see the receipt)\n", len(r.Events)-i)
			break
		}
		e, err := custody.Decode([]byte(ae.Event))
		if err != nil {
			return "", fmt.Errorf("document: receipt of %s: %w", r.Evidence.ID, err)
		}
		typ := eventNames[e.Type]
		if typ == "" {
			typ = e.Type
		}
		fmt.Fprintf(&b, "#%d %s %s：%s", e.Seq, strings.Replace(e.Time[:19], "T", " ", 1)+" UTC", party(e.Actor, names), typ)
		if e.Subject != "" {
			b.WriteString("（" + party(e.Subject, names) + "）")
		}
		if e.Reads > 0 { // a folded read (version 2): how many, since when
			fmt.Fprintf(&b, " ×%d reads since %s", e.Reads, strings.Replace(e.Since[:19], "T", " ", 1)+" UTC")
		}
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func receiptName(id string) string { return "receipt-" + id + ".json" }

// recordName is the name of the item's attached evidence record.
func recordName(id string) string { return "evidence-record-" + id + ".ers" }

// attachments are the item's receipt as an attached file and, when the
// receipt carries the item's evidence record (version 5), that record as
// a file of its own (DER RFC 4998, for tools that read .ers files), which
// custos verify --pdf checks to be the receipt's.
func (it *Item) attachments() ([]pdf.Attachment, error) {
	b, err := it.Receipt.Encode()
	if err != nil {
		return nil, fmt.Errorf("document: receipt of %s: %w", it.ID, err)
	}
	out := []pdf.Attachment{{
		Name: receiptName(it.ID), MIME: "application/json", Data: b, Relationship: "Data",
		Description: "Custos receipt of evidence item " + it.ID + ": verify offline with `custos verify`",
	}}
	if der := it.Receipt.RecordDER(); der != nil {
		out = append(out, pdf.Attachment{
			Name: recordName(it.ID), Data: der, Relationship: "Supplement",
			Description: "RFC 4998 evidence record of evidence item " + it.ID + " (also in its receipt): verify with `custos verify --evidence-record`",
		})
	}
	return out, nil
}

// itemParts returns the sections and attachments of items.
func itemParts(items []Item, names map[string]string) ([]pdf.Section, []pdf.Attachment, error) {
	var secs []pdf.Section
	var atts []pdf.Attachment
	for i := range items {
		s, err := items[i].section(i+1, names)
		if err != nil {
			return nil, nil, err
		}
		a, err := items[i].attachments()
		if err != nil {
			return nil, nil, err
		}
		secs, atts = append(secs, s), append(atts, a...)
	}
	return secs, atts, nil
}
