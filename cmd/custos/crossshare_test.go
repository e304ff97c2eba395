package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
)

// orgWithKey creates an organization on p (as its operator) and a key of
// role for it, and returns the organization and the key's token.
func orgWithKey(t *testing.T, p *proc, kind, name, role string) (wire.Org, string) {
	t.Helper()
	code, _, body := p.call("POST", "/api/v1/orgs", consortiumToken, strings.NewReader(`{"kind":"`+kind+`","name":"`+name+`"}`), "Content-Type", "application/json")
	var org wire.Org
	if code != 201 || json.Unmarshal(body, &org) != nil {
		t.Fatalf("create org %s = %d %s", name, code, body)
	}
	code, _, body = p.call("POST", "/api/v1/orgs/"+org.ID+"/keys", consortiumToken, strings.NewReader(`{"role":"`+role+`","name":"k"}`), "Content-Type", "application/json")
	var key wire.NewKeyView
	if code != 201 || json.Unmarshal(body, &key) != nil {
		t.Fatalf("create key for %s = %d %s", name, code, body)
	}
	return org, key.Token
}

// waitDirectory waits until p's directory lists org, and returns its entry.
func waitDirectory(t *testing.T, p *proc, org string) wire.DirectoryEntry {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); ; {
		code, _, body := p.call("GET", "/api/v1/directory/"+org, consortiumToken, nil)
		var e wire.DirectoryEntry
		if code == 200 && json.Unmarshal(body, &e) == nil {
			return e
		}
		if time.Now().After(end) {
			t.Fatalf("%s's directory does not list %s: %d %s", p.URL, org, code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// crossShare is what the cross-member sharing subtest leaves for the
// last one, which stops the home node.
type crossShare struct {
	courtToken string
	item       string // shared, and still shared, from the firm's node
	sha256     string // its digest
}

// testCrossMemberShare: a firm on the first member shares with a court
// homed on the third; the court lists, reads and downloads through its own
// node; the firm's node records each access naming the court's key and the
// court's node; a revocation is final at once.
func testCrossMemberShare(t *testing.T, ms []*member, trust, memberName string) *crossShare {
	home, courtNode := ms[0].p, ms[2].p
	firm, firmToken := orgWithKey(t, home, "lawfirm", "Hangzhou Xihu Law Firm", "submitter")
	court, courtToken := orgWithKey(t, courtNode, "court", "Xihu District People's Court", "examiner")
	courtEntry := waitDirectory(t, home, court.ID)
	waitDirectory(t, courtNode, firm.ID)

	data := randomBytes(t, 300<<10)
	v := home.upload(firmToken, data)
	other := home.upload(firmToken, randomBytes(t, 1000))
	share := func(item, org string) (int, []byte) {
		code, _, body := home.call("POST", "/api/v1/shares", firmToken, strings.NewReader(`{"evidence":"`+item+`","org":"`+org+`"}`), "Content-Type", "application/json")
		return code, body
	}
	if code, body := share(v.ID, "aaaaaaaaaaaaaaaaaaaaaaaaaa"); code != 422 {
		t.Errorf("share with an organization nobody knows = %d %s, want 422", code, body)
	}
	var sh wire.Share
	code, body := share(v.ID, court.ID)
	if code != 201 || json.Unmarshal(body, &sh) != nil {
		t.Fatalf("share with the court on another member = %d %s", code, body)
	}
	// The second by the court's name, in other letter case, through the
	// CLI: the firm's node resolves it in the consortium's directory.
	var byName wire.Share
	custosJSON(t, home, firmToken, &byName, "share", "--evidence", other.ID, "--org", "XIHU DISTRICT people's court")
	if byName.Grantee != court.ID || byName.GranteeName != court.Name || byName.Size != other.Size {
		t.Fatalf("share by the court's name = %+v, want grantee %s (%s) and the item's size", byName, court.ID, court.Name)
	}

	// The court lists it at its own node, with the member it lives on.
	for end := time.Now().Add(20 * time.Second); ; {
		code, _, body := courtNode.call("GET", "/api/v1/shares?direction=received", courtToken, nil)
		var got wire.ListView[wire.Share]
		if code == 200 && json.Unmarshal(body, &got) == nil && len(got.Items) == 2 {
			if s := got.Items[0]; s.ID != sh.ID || s.HomeMemberName != memberName || s.OwnerName != "Hangzhou Xihu Law Firm" || s.Target != v.ID {
				t.Errorf("received share at the court's node = %+v", s)
			}
			break
		}
		if time.Now().After(end) {
			t.Fatalf("the court's node does not list the share: %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// Metadata, custody and the bytes, through the court's node.
	code, h, body := courtNode.call("GET", "/api/v1/evidence/"+v.ID, courtToken, nil)
	var meta wire.EvidenceView
	if code != 200 || json.Unmarshal(body, &meta) != nil || meta.SHA256 != v.SHA256 || h.Get("Custos-Home-Member") == "" {
		t.Fatalf("metadata through the court's node = %d %v %s", code, h, body)
	}
	if code, _, body := courtNode.call("GET", "/api/v1/evidence/"+v.ID+"/custody", courtToken, nil); code != 200 || !strings.Contains(string(body), `"type":"shared"`) {
		t.Errorf("custody through the court's node = %d %s", code, body)
	}
	code, _, got := courtNode.call("GET", "/api/v1/evidence/"+v.ID+"/content", courtToken, nil)
	if sum := sha256.Sum256(got); code != 200 || !bytes.Equal(got, data) || hex.EncodeToString(sum[:]) != v.SHA256 {
		t.Fatalf("download through the court's node = %d, %d bytes (want %d, sha256 %s)", code, len(got), len(data), v.SHA256)
	}
	// The receipt, through the court's node, verifies offline.
	for end := time.Now().Add(20 * time.Second); ; {
		code, _, rcpt := courtNode.call("GET", "/api/v1/evidence/"+v.ID+"/receipt", courtToken, nil)
		if code == 200 {
			verifyReceipt(t, trust, rcpt, data)
			break
		}
		if code != 202 || time.Now().After(end) {
			t.Fatalf("receipt through the court's node = %d %s", code, rcpt)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The item's home node recorded each access, naming the court's key and
	// the node it came through, in the item's custody chain.
	code, _, body = home.call("GET", "/api/v1/evidence/"+v.ID+"/custody", firmToken, nil)
	var cv wire.CustodyView
	if code != 200 || json.Unmarshal(body, &cv) != nil {
		t.Fatalf("custody at home = %d %s", code, body)
	}
	suffix := "@" + courtEntry.Member
	seen := map[string]bool{}
	for _, e := range cv.Events {
		if strings.HasPrefix(e.Actor, court.ID+":") && strings.HasSuffix(e.Actor, suffix) {
			seen[e.Type+"/"+e.Subject] = true
		}
	}
	for _, want := range []string{custody.EventViewed + "/metadata", custody.EventViewed + "/custody", custody.EventDownloaded + "/"} {
		if !seen[want] {
			t.Errorf("custody at home has no %s by the court through its node (%s); events: %s", want, suffix, body)
		}
	}

	// A matter shared across members: the court reads it, lists its items
	// and reads an item it knows only from that listing, through its node.
	code, _, body = home.call("POST", "/api/v1/matters", firmToken, strings.NewReader(`{"title":"Xihu v. Example Media"}`), "Content-Type", "application/json")
	var m wire.Matter
	if code != 201 || json.Unmarshal(body, &m) != nil {
		t.Fatalf("create matter = %d %s", code, body)
	}
	filed := home.upload(firmToken, randomBytes(t, 2000), "Custos-Metadata", `{"matter":"`+m.ID+`"}`)
	// By its title and the court's name.
	if code, _, body := home.call("POST", "/api/v1/shares", firmToken, strings.NewReader(`{"matter":"Xihu v. Example Media","org":"Xihu District People's Court"}`), "Content-Type", "application/json"); code != 201 || !strings.Contains(string(body), `"target":"`+m.ID+`"`) {
		t.Fatalf("share the matter by title = %d %s", code, body)
	}
	for end := time.Now().Add(20 * time.Second); ; {
		code, _, body := courtNode.call("GET", "/api/v1/matters/"+m.ID, courtToken, nil)
		if code == 200 && strings.Contains(string(body), m.Title) {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("matter through the court's node = %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _, body := courtNode.call("GET", "/api/v1/evidence?matter="+m.ID, courtToken, nil); code != 200 || !strings.Contains(string(body), filed.ID) {
		t.Errorf("the matter's items through the court's node = %d %s", code, body)
	}
	if code, _, body := courtNode.call("GET", "/api/v1/evidence/"+filed.ID, courtToken, nil); code != 200 || !strings.Contains(string(body), filed.SHA256) {
		t.Errorf("an item of the matter through the court's node = %d %s", code, body)
	}

	// Bytes altered in the home node's store never reach the court whole:
	// the transfer is cut short (the home node's own check, and the relay's).
	alterBlob(t, filepath.Join(filepath.Dir(ms[0].cfg), "data", "blobs"), v.SHA256, 100<<10)
	req, _ := http.NewRequest("GET", courtNode.URL+"/api/v1/evidence/"+v.ID+"/content", nil)
	req.Header.Set("Authorization", "Bearer "+courtToken)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		got, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if rerr == nil && int64(len(got)) == v.Size {
			t.Errorf("altered bytes were relayed completely (status %d)", resp.StatusCode)
		}
	}

	// A revocation takes effect at the home node at once.
	if code, _, body := home.call("DELETE", "/api/v1/shares/"+sh.ID, firmToken, nil); code != 200 {
		t.Fatalf("revoke = %d %s", code, body)
	}
	if code, _, body := courtNode.call("GET", "/api/v1/evidence/"+v.ID+"/content", courtToken, nil); code != 404 {
		t.Errorf("download after the revocation = %d %s, want 404", code, body)
	}
	// Every notice was delivered: the operator's view of refused notices,
	// served by the node's peer API, lists none.
	var refused wire.RefusedNotices
	custosJSON(t, home, consortiumToken, &refused, "peer", "refused")
	if refused.Total != 0 || refused.Notices == nil {
		t.Errorf("custos peer refused on the home node = %+v, want none", refused)
	}
	return &crossShare{courtToken: courtToken, item: other.ID, sha256: other.SHA256}
}

// alterBlob flips one byte, at off, of the stored blob named sum under dir.
func alterBlob(t *testing.T, dir, sum string, off int64) {
	t.Helper()
	var blob string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == sum {
			blob = p
		}
		return nil
	})
	if blob == "" {
		t.Fatal("stored blob not found")
	}
	os.Chmod(blob, 0o644)
	f, err := os.OpenFile(blob, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	f.ReadAt(b, off)
	b[0] ^= 0xff
	f.WriteAt(b, off)
}

// testHomeDown: with the item's home node stopped, the court's node
// answers 503 with Retry-After for it, and the directory still answers.
func testHomeDown(t *testing.T, ms []*member, cs *crossShare) {
	ms[0].p.Kill()
	court := ms[2].p // restarted since: the member's current process
	code, h, body := court.call("GET", "/api/v1/evidence/"+cs.item, cs.courtToken, nil)
	if code != http.StatusServiceUnavailable || h.Get("Retry-After") == "" || !strings.Contains(string(body), "home-unreachable") {
		t.Errorf("read with the home node down = %d (Retry-After %q) %s, want 503 home-unreachable", code, h.Get("Retry-After"), body)
	}
	if code, _, body := court.call("GET", "/api/v1/directory", consortiumToken, nil); code != 200 {
		t.Errorf("directory with a member down = %d %s", code, body)
	}
	if code, _, body := court.call("GET", "/api/v1/lookup?sha256="+cs.sha256, "", nil); code != 200 || !strings.Contains(string(body), cs.sha256) {
		t.Errorf("lookup of the item with its home node down = %d %s", code, body)
	}
}
