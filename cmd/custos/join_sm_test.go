package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certs"
)

// joinSM: a fifth member joins the running sm consortium out (members ms):
// `consortium join --crypto sm` makes an SM2 organization CA key and an
// SM2 request, admit signs an SM2 organization CA under the SM2 root, the
// members propose and vote the admission (before --finish --from: an sm
// member checks the new node certificate against the organization CAs it
// knows, the proposal's included), join --finish issues SM2 TSA and node
// certificates under it, and the new node starts, syncs and sees the
// admission applied; its receipts verify with the genesis trust bundle.
func joinSM(t *testing.T, out string, ms []*member) {
	a := ms[0]
	dir := filepath.Join(t.TempDir(), "shanghai")
	if o, err := runCustos(t, "consortium", "join", "--out", dir, "--org", "court:Shanghai Internet Court", "--crypto", "sm",
		"--api-port", fmt.Sprint(freePortRun(t, 1)), "--p2p-port", fmt.Sprint(freePortRun(t, 1)), "--peer-port", fmt.Sprint(freePortRun(t, 1))); err != nil {
		t.Fatalf("consortium join --crypto sm: %v\n%s", err, o)
	}
	var req joinRequest
	if err := readJSONFile(filepath.Join(dir, "join-request.json"), &req); err != nil {
		t.Fatal(err)
	}
	if got := requestSuite(req.OrgCARequest); got != certs.SuiteSM {
		t.Fatalf("the join request's organization CA key is of the %q suite, want sm", got)
	}
	peerRE := regexp.MustCompile(`"([0-9a-f]{40}@[^"]+)"`)
	admission := filepath.Join(t.TempDir(), "admission")
	args := []string{"consortium", "admit", "--root-dir", filepath.Join(out, "offline"), "--request", filepath.Join(dir, "join-request.json"), "-o", admission}
	for _, p := range peerRE.FindAllStringSubmatch(string(mustRead(t, ms[1].cfg)), -1) {
		args = append(args, "--peer", p[1])
	}
	o, err := runCustos(t, args...)
	if err != nil {
		t.Fatalf("consortium admit (sm): %v\n%s", err, o)
	}
	orgCA, err := certs.ParsePEM(mustRead(t, filepath.Join(admission, "org-ca.pem")))
	if err != nil || len(orgCA) != 1 || certs.KeySuite(orgCA[0].PublicKey) != certs.SuiteSM || !sigAlgOID(t, orgCA[0]).Equal(oidSM2WithSM3) {
		t.Fatalf("admission/org-ca.pem: %v; want one SM2 certificate signed SM2-with-SM3", err)
	}
	propose := proposeCommand(t, o)
	lc := &lifecycle{t: t, out: out, ms: ms}
	var acc wire.GovernanceAccepted
	cliJSON(t, &acc, append(append(propose, "--id", "admit-shanghai-sm"), lc.gov(a, a)...)...)
	if acc.State == nil || acc.State.Status != "open" {
		t.Fatalf("propose admit (sm) = %+v, want open", acc)
	}
	for _, m := range ms[:3] {
		cliJSON(t, &acc, append([]string{"consortium", "vote", "admit-shanghai-sm", "--yes"}, lc.gov(m, m)...)...)
	}
	if o, err := runCustos(t, "consortium", "join", "--finish", admission, "--out", dir, "--from", peerURL(t, a)); err != nil {
		t.Fatalf("consortium join --finish (sm): %v\n%s", err, o)
	}
	for _, name := range []string{"tsa", "node"} {
		cs, err := certs.ParsePEM(mustRead(t, filepath.Join(dir, "pki", name+".pem")))
		if err != nil || len(cs) != 1 || !sigAlgOID(t, cs[0]).Equal(oidSM2WithSM3) {
			t.Fatalf("%s.pem: %v; want one certificate signed SM2-with-SM3 by the new organization CA", name, err)
		}
		if name == "tsa" && certs.KeySuite(cs[0].PublicKey) != certs.SuiteSM {
			t.Errorf("tsa.pem: a key of the %s suite, want SM2", certs.KeySuite(cs[0].PublicKey))
		}
	}
	n := &member{slug: "shanghai", cfg: filepath.Join(dir, "custos.toml")}
	n.start(t)
	var p wire.Proposal
	for end := time.Now().Add(60 * time.Second); ; {
		a.p.upload(consortiumToken, randomBytes(t, 100))
		if o, err := runCustos(t, "consortium", "proposal", "admit-shanghai-sm", "--json", "--server", n.p.URL); err == nil {
			if err := json.Unmarshal([]byte(o), &p); err == nil && p.Status == "applied" {
				break
			}
		}
		if time.Now().After(end) {
			t.Fatalf("the sm admission on the new node = %+v, want applied", p)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// The new member time-stamps (SM2, under its own organization CA) and
	// anchors an upload, and the receipt verifies with the genesis bundle.
	data := randomBytes(t, 500)
	v := n.p.upload(consortiumToken, data)
	status, rcpt := receiptOf(t, n.p, v.ID, 30*time.Second)
	if status != 200 {
		t.Fatalf("receipt on the new sm member = %d %s", status, rcpt)
	}
	tmp := t.TempDir()
	if o, err := runCustos(t, "verify", "--receipt", writeFile(t, tmp, "r.json", rcpt), "--file", writeFile(t, tmp, "f", data),
		"--trust", filepath.Join(out, "trust.json")); err != nil || !strings.Contains(o, "VALID") {
		t.Fatalf("custos verify of the new sm member's receipt: %v\n%s", err, o)
	}
}
