package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/api/wire"
)

// testLeaving is the last part of TestConsortiumGovernance: the
// arbitration commission (member D, the last) is removed by vote, with
// --override since 3 validators remain. An item filed at D and shared with
// a court on A (the first member) was read through A before; afterwards
// A's directory and lookup mark D's organizations and deposits as a
// former member's, A's court gets 410 evidence-held-by-former-member for
// the item, uploads on A still anchor, a receipt of D's item made before
// the removal still verifies with the genesis trust bundle, and D's node
// reports its removal and refuses uploads while it serves what it holds.
func testLeaving(t *testing.T, out string, ms []*member, gov func(*member) []string, anchored func(string)) {
	a, d := ms[0].p, ms[3].p
	trust := filepath.Join(out, "trust.json")
	firm, firmToken := orgWithKey(t, d, "lawfirm", "Gongshu Law Firm", "submitter")
	court, courtToken := orgWithKey(t, a, "court", "Gongshu District People's Court", "examiner")
	waitDirectory(t, d, court.ID)
	waitDirectory(t, a, firm.ID)
	data := randomBytes(t, 2000)
	item := d.upload(firmToken, data)
	code, _, rcpt := d.call("GET", "/api/v1/evidence/"+item.ID+"/receipt?wait=20s", firmToken, nil)
	if code != 200 {
		t.Fatalf("receipt of D's item = %d %s", code, rcpt)
	}
	if code, _, body := d.call("POST", "/api/v1/shares", firmToken, strings.NewReader(`{"evidence":"`+item.ID+`","org":"`+court.ID+`"}`), "Content-Type", "application/json"); code != 201 {
		t.Fatalf("share D's item with A's court = %d %s", code, body)
	}
	for end := time.Now().Add(20 * time.Second); ; {
		code, _, body := a.call("GET", "/api/v1/evidence/"+item.ID, courtToken, nil)
		if code == 200 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("A's court reads D's shared item = %d %s, want 200", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}

	var members wire.Members
	cliJSON(t, &members, "consortium", "members", "--server", a.URL)
	var dID string
	for _, m := range members.Members {
		if m.Name == "杭州仲裁委员会" {
			dID = m.ID
		}
	}
	if o, err := runCustos(t, append([]string{"consortium", "propose", "remove", dID, "--id", "remove-d"}, gov(ms[0])...)...); err == nil || !strings.Contains(o+err.Error(), "Change refused") {
		t.Errorf("removing D without --override: %v\n%s; want Change refused", err, o)
	}
	cliJSON(t, &wire.GovernanceAccepted{}, append([]string{"consortium", "propose", "remove", dID, "--id", "remove-d", "--override"}, gov(ms[0])...)...)
	for _, m := range ms[:3] {
		cliJSON(t, &wire.GovernanceAccepted{}, append([]string{"consortium", "vote", "remove-d", "--yes"}, gov(m)...)...)
	}
	var p wire.Proposal
	for end := time.Now().Add(30 * time.Second); ; {
		cliJSON(t, &p, "consortium", "proposal", "remove-d", "--server", a.URL)
		if p.Status == "applied" {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("proposal remove-d = %+v, want applied", p)
		}
		anchored("while D is removed")
	}
	anchored("after D left")
	// The chain refuses D's governance key from then on (as it refuses
	// its node's transactions: the batcher's refusals are in D's log);
	// the CLI would stop first, as D is no current member, unless told
	// which member signs.
	if o, err := runCustos(t, append([]string{"consortium", "propose", "power", dID, "10", "--id", "d-comes-back", "--member", dID}, gov(ms[3])...)...); err == nil || !strings.Contains(err.Error(), "403 Not signed by a member") {
		t.Errorf("a proposal by D after its removal: %v\n%s; want 403 Not signed by a member", err, o)
	}

	// A's directory and lookup: D's organizations and deposits are a
	// former member's; the names stay taken.
	var dir wire.ListView[wire.DirectoryEntry]
	custosJSON(t, a, consortiumToken, &dir, "directory", "list")
	for _, e := range dir.Items {
		if former := e.Member == dID; e.FormerMember != former || (former && e.HomeRemovedAt != p.Effective) {
			t.Errorf("A's directory entry %+v: want former_member %v (removed at %d)", e, former, p.Effective)
		}
	}
	var one wire.DirectoryEntry
	custosJSON(t, a, consortiumToken, &one, "directory", "get", firm.ID)
	if !one.FormerMember || one.HomeRemovedAt != p.Effective || one.Name != firm.Name {
		t.Errorf("custos directory get %s = %+v, want the firm marked former", firm.ID, one)
	}
	var l wire.Lookup
	lo, _ := runCustos(t, "lookup", "--sha256", item.SHA256, "--server", a.URL, "--json")
	if err := json.Unmarshal([]byte(lo), &l); err != nil || !l.Anchored || l.Member != dID || !l.FormerMember || l.MemberRemovedAt != p.Effective {
		t.Errorf("custos lookup of D's item on A = %s, want anchored by D, former member removed at %d", lo, p.Effective)
	}
	if code, _, body := a.call("POST", "/api/v1/orgs", consortiumToken, strings.NewReader(`{"kind":"lawfirm","name":"GONGSHU law firm"}`), "Content-Type", "application/json"); code != 409 {
		t.Errorf("A takes the former member's firm's name = %d %s, want 409", code, body)
	}

	// A's court: the share is listed as held by a former member, and
	// every read of the item says so, in English and in Chinese.
	code, _, body := a.call("GET", "/api/v1/shares?direction=received", courtToken, nil)
	var recv wire.ListView[wire.Share]
	if code != 200 || json.Unmarshal(body, &recv) != nil || len(recv.Items) != 1 || recv.Items[0].HomeRemovedAt != p.Effective {
		t.Errorf("A's court's received shares = %d %s, want one, home removed at %d", code, body, p.Effective)
	}
	for _, path := range []string{"/api/v1/evidence/" + item.ID, "/api/v1/evidence/" + item.ID + "/content"} {
		code, _, body := a.call("GET", path, courtToken, nil)
		if code != 410 || !strings.Contains(string(body), "evidence-held-by-former-member") || !strings.Contains(string(body), "杭州仲裁委员会") {
			t.Errorf("A's court GET %s = %d %s, want 410 evidence-held-by-former-member naming D", path, code, body)
		}
	}
	if code, _, body := a.call("GET", "/api/v1/evidence/"+item.ID+"/content", courtToken, nil, "Accept-Language", "zh-CN"); code != 410 || !strings.Contains(string(body), "被移出联盟") {
		t.Errorf("in Chinese = %d %s", code, body)
	}

	// The receipt made before the removal verifies with the genesis trust
	// bundle; so does one made after it, across the transitions.
	verifyReceipt(t, trust, rcpt, data)
	after := randomBytes(t, 1500)
	v := a.upload(consortiumToken, after)
	if code, r := receiptOf(t, a, v.ID, 20*time.Second); code != 200 {
		t.Errorf("receipt on A after the removal = %d %s", code, r)
	} else {
		verifyReceipt(t, trust, r, after)
	}

	// D's node knows: /healthz and its log, uploads refused, its own
	// reads go on.
	for end := time.Now().Add(20 * time.Second); ; {
		code, h, body := d.call("GET", "/healthz", "", nil)
		logs, _ := os.ReadFile(d.logPath)
		if code == 200 && h.Get("Custos-Member-Removed") == fmt.Sprint(p.Effective) && string(body) == fmt.Sprintf("ok\nremoved_at=%d\n", p.Effective) &&
			strings.Contains(string(logs), "this node's member was removed from the consortium") {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("D's /healthz = %d %v %q, want removed at %d, and the removal in its log", code, h, body, p.Effective)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _, body := d.call("POST", "/api/v1/evidence", firmToken, strings.NewReader("after the removal")); code != 403 || !strings.Contains(string(body), "member-removed") {
		t.Errorf("upload on D after its removal = %d %s, want 403 member-removed", code, body)
	}
	if code, _, body := d.call("GET", "/api/v1/evidence/"+item.ID+"/content", firmToken, nil); code != 200 || string(body) != string(data) {
		t.Errorf("D's firm downloads its item = %d, want 200 and its bytes", code)
	}
}
