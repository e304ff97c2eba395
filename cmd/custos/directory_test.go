package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/audittrail"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/webhooks"
)

// TestDirectoryConflictStep checks when an organization is told of a name
// conflict, and when what it was told is forgotten.
func TestDirectoryConflictStep(t *testing.T) {
	o := access.Org{ID: "org", Kind: access.KindLawFirm, Name: "ACME Law"}
	conflict := &wire.OrgDirectory{Status: wire.DirectoryConflict, Holder: "h1", HolderMember: "m2"}
	told := &access.NameConflict{Name: "ACME Law", Holder: "h1", HolderMember: "m2"}
	for _, c := range []struct {
		name       string
		told       *access.NameConflict
		st         *wire.OrgDirectory
		wantTell   *access.NameConflict
		wantForget bool
	}{
		{"new conflict", nil, conflict, told, false},
		{"already told", told, conflict, nil, false},
		{"another holder", &access.NameConflict{Name: "ACME Law", Holder: "h0", HolderMember: "m2"}, conflict, told, false},
		{"renamed into another conflict", &access.NameConflict{Name: "ACME", Holder: "h1", HolderMember: "m2"}, conflict, told, false},
		{"registered since", told, &wire.OrgDirectory{Status: wire.DirectoryRegistered, Height: 9}, nil, true},
		{"registered, never told", nil, &wire.OrgDirectory{Status: wire.DirectoryRegistered, Height: 9}, nil, false},
		{"pending after a rename", told, &wire.OrgDirectory{Status: wire.DirectoryPending}, nil, false},
		{"operator", told, nil, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			tell, forget := conflictStep(o, c.told, c.st)
			if !reflect.DeepEqual(tell, c.wantTell) || forget != c.wantForget {
				t.Errorf("conflictStep(%+v, %+v) = %+v, %v; want %+v, %v", c.told, c.st, tell, forget, c.wantTell, c.wantForget)
			}
		})
	}
}

// mapDirectory is a consortium directory in memory (api.Directory).
type mapDirectory map[string]anchor.DirEntry

func (d mapDirectory) Org(id string) (anchor.DirEntry, bool, error) {
	e, ok := d[id]
	return e, ok, nil
}

func (d mapDirectory) OrgByName(name string) (anchor.DirEntry, bool, error) {
	for _, e := range d {
		if anchor.NameKey(e.Name) == anchor.NameKey(name) {
			return e, true, nil
		}
	}
	return anchor.DirEntry{}, false, nil
}

func (d mapDirectory) Orgs() ([]anchor.DirEntry, error) { return nil, nil }

// TestDirectoryNameConflictToldOnce runs unregistered over a real evidence
// service, access store and webhooks service: an organization whose name
// another member's organization holds is left out and told once (audit
// event, webhook delivery), told again only after it was registered and
// fell into a conflict anew.
func TestDirectoryNameConflictToldOnce(t *testing.T) {
	ev := evidencetest.New(t, evidence.Config{})
	var db *bolt.DB // the service's: the access store and the webhooks share it, as on a node
	ev.View(func(tx *bolt.Tx) error { db = tx.DB(); return nil })
	orgs, err := access.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := webhooks.New(webhooks.Config{DB: db, Sealer: testSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	trails := audittrail.New(ev)
	ctx := context.Background()
	firm, _ := orgs.CreateOrg(access.KindLawFirm, "ACME Law")
	court, _ := orgs.CreateOrg(access.KindCourt, "Court")
	op, _ := orgs.CreateOrg(access.KindOperator, "Court") // not in the directory: never in conflict
	for _, o := range []*access.Org{firm, court, op} {
		if _, err := trails.AppendAudit(ctx, o.ID, o.ID+":key", custody.AuditOrgCreated, "kind:"+o.Kind); err != nil {
			t.Fatal(err)
		}
	}
	hook, _, err := hooks.Create(firm.ID, firm.ID+":key", webhooks.Input{URL: "https://h.example.com/", Events: []string{webhooks.EventNameConflict}})
	if err != nil {
		t.Fatal(err)
	}
	d := mapDirectory{"holder": {ID: "holder", Kind: access.KindLawFirm, Name: "acme LAW", Member: "m2", Height: 3}}
	tell := &conflictTeller{ev: ev, hooks: hooks, member: "m1", name: func(id string) string { return map[string]string{"m2": "Second member"}[id] }}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	round := func(want ...string) {
		t.Helper()
		todo, err := unregistered(d, orgs, tell, log)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range todo {
			got = append(got, e.Name)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("unregistered = %q, want %q", got, want)
		}
	}
	conflicts := func(want int, name string) {
		t.Helper()
		evs, err := trails.AuditTrail(ctx, firm.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []*custody.Event
		for _, e := range evs {
			if e.Type == custody.AuditOrgNameConflict {
				got = append(got, e)
			}
		}
		dels, err := hooks.Deliveries(firm.ID, hook.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want || len(dels) != want {
			t.Fatalf("%d org.name_conflict events and %d deliveries, want %d", len(got), len(dels), want)
		}
		if want > 0 {
			e := got[len(got)-1]
			if e.Actor != "node:m1" || e.Subject != "holder:holder:member:m2:name:"+name {
				t.Errorf("org.name_conflict event = %+v", e)
			}
			if dels[0].Event != webhooks.EventNameConflict {
				t.Errorf("delivery = %+v", dels[0])
			}
		}
	}
	round("Court")
	conflicts(1, "ACME Law")
	round("Court") // told once
	conflicts(1, "ACME Law")
	told, _ := orgs.ToldConflicts()
	if c := told[firm.ID]; c == nil || *c != (access.NameConflict{Name: "ACME Law", Holder: "holder", HolderMember: "m2"}) {
		t.Errorf("ToldConflicts()[firm] = %+v", c)
	}
	// Renamed to a free name: registered, and what it was told is forgotten.
	name := "ACME Law (Hangzhou)"
	if _, _, err := orgs.UpdateOrg(firm.ID, access.OrgPatch{Name: &name}); err != nil {
		t.Fatal(err)
	}
	round(name, "Court")
	d[firm.ID] = anchor.DirEntry{ID: firm.ID, Kind: firm.Kind, Name: name, Member: "m1", Height: 5}
	round("Court")
	if told, _ := orgs.ToldConflicts(); told[firm.ID] != nil {
		t.Errorf("the conflict is remembered after the registration: %+v", told[firm.ID])
	}
	conflicts(1, "ACME Law")
	// Renamed into the holder's name again: a new conflict, told again.
	name = "ACME LAW"
	if _, _, err := orgs.UpdateOrg(firm.ID, access.OrgPatch{Name: &name}); err != nil {
		t.Fatal(err)
	}
	round("Court")
	conflicts(2, "ACME LAW")
}

// TestOrgUnlistedByDefault sets an organization's default on a real node
// with `custos org update` and files with `custos submit`: without
// --unlisted the upload takes the default, --unlisted=false overrides it.
func TestOrgUnlistedByDefault(t *testing.T) {
	t.Parallel() // one node of its own, mostly waiting: see parallelNote
	n := startNode(t, t.TempDir(), "")
	out, err := runCustos(t, "org", "create", "--server", n.URL, "--token", n.Token, "--kind", "lawfirm", "--name", "Quiet Firm")
	var org wire.OrgView
	if err != nil || json.Unmarshal([]byte(out), &org) != nil || org.UnlistedByDefault {
		t.Fatalf("custos org create: %v\n%s", err, out)
	}
	out, err = runCustos(t, "key", "create", "--server", n.URL, "--token", n.Token, "--org", org.ID, "--role", "submitter", "--name", "filing")
	var key wire.NewKeyView
	if err != nil || json.Unmarshal([]byte(out), &key) != nil {
		t.Fatalf("custos key create: %v\n%s", err, out)
	}
	if _, err := runCustos(t, "org", "update", "--server", n.URL, "--token", n.Token, org.ID); exitCode(err) != 2 {
		t.Errorf("custos org update without a change: exit %d, want 2", exitCode(err))
	}
	out, err = runCustos(t, "org", "update", "--server", n.URL, "--token", n.Token, org.ID, "--unlisted-by-default")
	if err != nil || json.Unmarshal([]byte(out), &org) != nil || !org.UnlistedByDefault {
		t.Fatalf("custos org update --unlisted-by-default: %v\n%s", err, out)
	}
	dir := t.TempDir()
	for i, c := range []struct {
		flags []string
		want  bool
	}{{nil, true}, {[]string{"--unlisted=false"}, false}, {[]string{"--unlisted"}, true}} {
		f := writeFile(t, dir, fmt.Sprint("f", i), []byte(fmt.Sprint("filing ", i)))
		args := append([]string{"submit", "--server", n.URL, "--token", key.Token, "-q", f}, c.flags...)
		out, err := runCustos(t, args...)
		var v wire.EvidenceView
		if err != nil || json.Unmarshal([]byte(out), &v) != nil || v.Unlisted != c.want {
			t.Errorf("custos submit %v: %v\n%s; want unlisted %v", c.flags, err, out, c.want)
		}
	}
}
