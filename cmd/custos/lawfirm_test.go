package main

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/custos-project/custos/api"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
)

// TestLawFirmToCourt is the integration a law firm's developer builds from
// docs/api.md: file evidence into a matter, share the matter with the court
// hearing the case; the court's key then sees the evidence and its custody
// trail, and verifies its receipt offline.
func TestLawFirmToCourt(t *testing.T) {
	n := startNode(t, t.TempDir(), "")
	post := func(token, path string, in, out any) {
		t.Helper()
		b, _ := json.Marshal(in)
		status, _, body := n.call("POST", path, token, bytes.NewReader(b), "Content-Type", "application/json")
		if status != 201 {
			t.Fatalf("POST %s = %d %s", path, status, body)
		}
		mustJSON(t, body, out)
	}
	// The node's admin admits a law firm and a court, with a key each.
	var firm, court struct{ ID string }
	post(n.Token, "/api/v1/orgs", map[string]string{"kind": "lawfirm", "name": "Zhong Lun Law Firm"}, &firm)
	post(n.Token, "/api/v1/orgs", map[string]string{"kind": "court", "name": "Hangzhou Internet Court"}, &court)
	var firmKey, courtKey api.NewKeyView
	post(n.Token, "/api/v1/orgs/"+firm.ID+"/keys", map[string]string{"role": "submitter", "name": "filing system"}, &firmKey)
	post(n.Token, "/api/v1/orgs/"+court.ID+"/keys", map[string]string{"role": "examiner", "name": "judge's clerk"}, &courtKey)
	if firmKey.Token == "" || !strings.HasPrefix(firmKey.Token, firmKey.Key.Prefix) {
		t.Fatalf("key creation shows the token once, with its prefix: %+v", firmKey)
	}

	// The law firm opens a matter and files evidence into it (multipart).
	var matter struct{ ID string }
	post(firmKey.Token, "/api/v1/matters", map[string]any{"title": "Copyright infringement: photo series", "parties": []string{"Li Wei", "Example Media Ltd."}, "case_number": "(2026)浙0192民初1234号"}, &matter)
	photo := append([]byte("\x89PNG\r\n\x1a\n"), randomBytes(t, 4000)...)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("metadata", `{"title":"Screenshot of the infringing page","matter":"`+matter.ID+`"}`)
	fw, _ := mw.CreateFormFile("file", "screenshot.png")
	fw.Write(photo)
	mw.Close()
	ev := n.upload(firmKey.Token, buf.Bytes(), "Content-Type", mw.FormDataContentType())

	// The court sees nothing until the matter is shared with it.
	if status, _, _ := n.call("GET", "/api/v1/evidence/"+ev.ID, courtKey.Token, nil); status != 404 {
		t.Fatalf("the court sees unshared evidence: %d", status)
	}
	var share struct{ ID string }
	post(firmKey.Token, "/api/v1/shares", map[string]any{"matter": matter.ID, "org": court.ID}, &share)

	// The court finds it in its own list, reads it, downloads it.
	_, _, b := n.call("GET", "/api/v1/evidence", courtKey.Token, nil)
	var list wire.ListView[wire.EvidenceView]
	mustJSON(t, b, &list)
	if len(list.Items) != 1 || list.Items[0].ID != ev.ID {
		t.Fatalf("the court's list = %s", b)
	}
	if status, _, got := n.call("GET", "/api/v1/evidence/"+ev.ID+"/content", courtKey.Token, nil); status != 200 || !bytes.Equal(got, photo) {
		t.Fatalf("the court's download = %d", status)
	}
	// Its custody trail shows the filing, the share and the court's own acts.
	_, _, b = n.call("GET", "/api/v1/evidence/"+ev.ID+"/custody", courtKey.Token, nil)
	var trail wire.CustodyView
	mustJSON(t, b, &trail)
	var steps []string
	for _, e := range trail.Events {
		who := "firm"
		if strings.HasPrefix(e.Actor, court.ID+":") {
			who = "court"
		}
		steps = append(steps, who+" "+e.Type+" "+e.Subject)
	}
	want := "firm created ,firm shared org:" + court.ID + ",court listed ,court downloaded ,court viewed custody"
	if got := strings.Join(steps, ","); got != want {
		t.Errorf("custody trail = %s\nwant %s", got, want)
	}
	if i, err := custody.CheckChain(trail.Chain()); err != nil {
		t.Errorf("custody chain broken at %d: %v", i, err)
	}
	// The court verifies the receipt offline, with the consortium's trust bundle.
	status, _, rcpt := n.call("GET", "/api/v1/evidence/"+ev.ID+"/receipt?wait=20s", courtKey.Token, nil)
	if status != 200 {
		t.Fatalf("the court's receipt = %d %s", status, rcpt)
	}
	_, _, tb := n.call("GET", "/api/v1/trust", "", nil)
	dir := t.TempDir()
	if out, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "r.json", rcpt), "--file", writeFile(t, dir, "p.png", photo), "--trust", writeFile(t, dir, "t.json", tb)); err != nil {
		t.Fatalf("custos verify: %v\n%s", err, out)
	}

	// The law firm revokes the share: the court loses access at once, and
	// the revocation is in the trail.
	if status, _, _ := n.call("DELETE", "/api/v1/shares/"+share.ID, firmKey.Token, nil); status != 200 {
		t.Fatalf("revoke share = %d", status)
	}
	if status, _, _ := n.call("GET", "/api/v1/evidence/"+ev.ID, courtKey.Token, nil); status != 404 {
		t.Errorf("after revocation the court still sees the evidence: %d", status)
	}
	_, _, b = n.call("GET", "/api/v1/evidence/"+ev.ID+"/custody", firmKey.Token, nil)
	if !strings.Contains(string(b), `"type":"unshared"`) {
		t.Errorf("the revocation is not in the custody trail: %s", b)
	}
}
