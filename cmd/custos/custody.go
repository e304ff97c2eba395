package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/internal/verifycli"
)

// custodyCmd is `custos custody`: an item's custody chain, as a table on a
// terminal and as JSON otherwise.
func custodyCmd() *cobra.Command {
	var cn conn
	cmd := &cobra.Command{
		Use:   "custody ID",
		Short: "Show an item's custody chain: who did what to it, and when",
		Long: `Custody prints an item's custody chain (GET /api/v1/evidence/{id}/custody): every event, from its
creation on, with its time, type, actor and subject, and the reads counted but not yet folded into the
chain. On a terminal it prints a table; when standard output is a pipe or a file it prints the API's
JSON (so '| jq' works), and --json forces JSON on a terminal too. docs/custody-events.md describes the
events.

Exit status: 0 printed; 1 the server refused (for example 404: no such item, or not visible to your
token) or could not be reached; 2 usage error.

Example:
  custos custody nqihfudftxfyqo6okr4h7myh4i --server https://custos.firm.example
  custos custody nqihfudftxfyqo6okr4h7myh4i | jq -r '.events[].type'`,
		Args: positional(1, "one ID"),
		RunE: cn.run(func(ctx context.Context, c *client.Client, args []string) error {
			v, err := c.Custody(ctx, args[0])
			if err != nil {
				return err
			}
			if jsonOutput() {
				return printValue(v)
			}
			return custodyTableNamed(os.Stdout, v, loadCustodyNames(ctx, c, v))
		}),
	}
	cn.flags(cmd)
	return cmd
}

// custodyTable writes a custody chain as aligned columns, times in the
// local time zone.
func custodyTable(w io.Writer, v *wire.CustodyView) error {
	return custodyTableNamed(w, v, eventNames(v))
}

// custodyTableNamed is custodyTable with the names of organizations and
// members that names knows: a subject org:<id> and a relayed actor's
// member ID read as names.
func custodyTableNamed(w io.Writer, v *wire.CustodyView, names custodyNames) error {
	fmt.Fprintln(w, tr("custody.title", "id", cleanCell(v.Evidence), "n", len(v.Events)))
	t := &table{}
	t.add(header("SEQ"), header("TIME"), header("TYPE"), header("ACTOR"), header("SUBJECT"))
	for _, e := range v.Events {
		subject := names.subject(e.Subject)
		if e.Reads > 0 { // a folded read
			subject = tr("custody.folded", "subject", subject, "n", e.Reads, "since", eventTime(e.Since))
		}
		t.add(strconv.FormatUint(uint64(e.Seq), 10), eventTime(e.Time), cellValue(e.Type), names.actor(e.Actor, e.ActorOrgName), subject)
	}
	if err := t.write(w); err != nil {
		return err
	}
	if len(v.PendingReads) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\n"+tr("custody.reads"))
	t = &table{}
	t.add(header("SINCE"), header("LAST"), header("TYPE"), header("ACTOR"), header("SUBJECT"), header("READS"))
	for _, p := range v.PendingReads {
		t.add(localTime(p.Since), localTime(p.Last), cellValue(p.Type), names.actor(p.Actor, ""), names.subject(p.Subject), strconv.FormatUint(p.Reads, 10))
	}
	return t.write(w)
}

// custodyNames are the names of organizations and consortium members a
// custody table shows for their IDs.
type custodyNames struct {
	orgs    map[string]string // organization ID → name
	members map[string]string // member ID (hex) → name
}

// eventNames are the organizations' names the events give
// (actor_org_name), as the answering node knows them.
func eventNames(v *wire.CustodyView) custodyNames {
	n := custodyNames{orgs: map[string]string{}, members: map[string]string{}}
	for _, e := range v.Events {
		if org, _, ok := strings.Cut(e.Actor, ":"); ok && e.ActorOrgName != "" {
			n.orgs[org] = e.ActorOrgName
		}
	}
	return n
}

// loadCustodyNames is eventNames and, where the table still shows an ID
// (a subject org:<id>, an actor's organization, a relayed actor's member),
// what the consortium's directory says, asked once, then the members'
// list, asked once if a member is still unnamed. A failed request (a
// node outside a consortium has no directory) leaves the IDs.
func loadCustodyNames(ctx context.Context, c *client.Client, v *wire.CustodyView) custodyNames {
	n := eventNames(v)
	var orgs, members []string
	see := func(actor, subject string) {
		if id, ok := strings.CutPrefix(subject, "org:"); ok && n.orgs[id] == "" {
			orgs = append(orgs, id)
		}
		org, rest, ok := strings.Cut(actor, ":")
		if ok && n.orgs[org] == "" {
			orgs = append(orgs, org)
		}
		if _, member, relayed := strings.Cut(rest, "@"); relayed {
			members = append(members, member)
		}
	}
	for _, e := range v.Events {
		see(e.Actor, e.Subject)
	}
	for _, p := range v.PendingReads {
		see(p.Actor, p.Subject)
	}
	if len(orgs) == 0 && len(members) == 0 {
		return n
	}
	if dir, err := c.Directory(ctx, ""); err == nil {
		for _, d := range dir {
			if n.orgs[d.ID] == "" {
				n.orgs[d.ID] = d.Name
			}
			if d.MemberName != "" {
				n.members[d.Member] = d.MemberName
			}
		}
	}
	for _, m := range members {
		if n.members[m] != "" {
			continue
		}
		if ms, err := c.Members(ctx); err == nil {
			for _, x := range ms.Members {
				if x.Name != "" {
					n.members[x.ID] = x.Name
				}
			}
		}
		break // asked once
	}
	return n
}

// subject is an event's subject as a person reads it: org:<id> is the
// organization's name where it is known, and what a viewed event read
// (metadata, receipt...) is said in the CLI's language.
func (n custodyNames) subject(s string) string {
	if id, ok := strings.CutPrefix(s, "org:"); ok && n.orgs[id] != "" {
		return n.orgs[id]
	}
	return verifycli.Subject(s, inChinese()) // the words of custos verify
}

// actor is an event's actor as a person reads it (actorName), with the
// organization's name from the event (orgName) or else from n, and a
// relayed actor's member (<org>:<key>@<member>) by its name.
func (n custodyNames) actor(actor, orgName string) string {
	org, rest, _ := strings.Cut(actor, ":")
	if orgName == "" {
		orgName = n.orgs[org]
	}
	if key, member, relayed := strings.Cut(rest, "@"); relayed && orgName != "" && n.members[member] != "" {
		return tr("custody.relayed", "org", orgName, "key", key, "member", n.members[member])
	}
	return actorName(actor, orgName)
}

// actorName is an event's actor as a person reads it: the organization's
// name with the key ID after it ("杭州互联网法院 (euepqwbnf4bol5zs4yhwuctwfi)",
// in Chinese "杭州互联网法院（euepqwbnf4bol5zs4yhwuctwfi）"), or the raw
// "<org>:<key>" when the node does not know the organization's name.
func actorName(actor, orgName string) string {
	_, key, ok := strings.Cut(actor, ":")
	if orgName == "" || !ok {
		return actor
	}
	return tr("aside", "text", orgName, "note", key)
}

// eventTime is a custody event's RFC 3339 time in the local time zone, or
// the text as it is if it is not one.
func eventTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return localTime(t)
}
