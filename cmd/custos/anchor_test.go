package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/proofs"
	"github.com/custos-project/custos/internal/testenv"
	"github.com/custos-project/custos/receipt"
)

// TestEmbeddedAnchoring: on the embedded default every record is anchored
// in the single-validator chain, its receipt verifies offline, and the log
// answers lookups and consistency proofs.
func TestEmbeddedAnchoring(t *testing.T) {
	// SHA-256 retired, so that the "evidence record renewed" step has a
	// hash-tree renewal to run; no scheduled run.
	n := startNode(t, t.TempDir(), "[evidence_records]\nretired_hashes = [\"SHA-256\"]\nrenew_interval = \"0s\"\n")
	dir := t.TempDir()
	_, _, tb := n.call("GET", "/api/v1/trust", "", nil)
	trust := writeFile(t, dir, "trust.json", tb)
	var tr receipt.Trust
	mustJSON(t, tb, &tr)
	if !strings.HasPrefix(tr.ChainID, "custos-dev-") || len(tr.Validators) != 1 {
		t.Fatalf("trust bundle of the embedded default: %+v", tr)
	}

	_, _, cpb := n.call("GET", "/api/v1/log/checkpoint", "", nil) // may be 503 before the first block
	data := []byte("anchored evidence\n")
	v := n.upload(n.Token, data)
	deadline := time.Now().Add(15 * time.Second)
	for status := v.Status; status != evidence.StatusAnchored; {
		if time.Now().After(deadline) {
			t.Fatalf("evidence still %q after 15s", status)
		}
		time.Sleep(50 * time.Millisecond)
		_, _, b := n.call("GET", "/api/v1/evidence/"+v.ID, n.Token, nil)
		var got wire.EvidenceView
		mustJSON(t, b, &got)
		status = got.Status
	}

	status, _, rcpt := n.call("GET", "/api/v1/evidence/"+v.ID+"/receipt?wait=10s", n.Token, nil)
	if status != 200 {
		t.Fatalf("receipt = %d %s", status, rcpt)
	}
	r, err := receipt.Parse(rcpt)
	if err != nil {
		t.Fatalf("receipt does not parse canonically: %v", err)
	}
	if len(r.Events) == 0 || r.Events[0].LeafIndex >= r.Checkpoint.TreeSize || !strings.Contains(r.Events[0].Event, `"type":"created"`) {
		t.Errorf("receipt events = %+v; want the created event first, inside the checkpoint", r.Events)
	}
	rp, fp := writeFile(t, dir, "r.json", rcpt), writeFile(t, dir, "f", data)
	if out, err := runCustos(t, "verify", "--receipt", rp, "--file", fp, "--trust", trust); err != nil || !strings.Contains(out, "VALID") {
		t.Fatalf("custos verify: %v\n%s", err, out)
	}
	// A tampered proof fails, naming the inclusion step.
	tampered := strings.Replace(string(rcpt), r.Events[0].Proof[0], strings.Repeat("0", 64), 1)
	if len(r.Events[0].Proof) == 0 || tampered == string(rcpt) {
		t.Fatalf("no proof to tamper with")
	}
	out, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "bad.json", []byte(tampered)), "--file", fp, "--trust", trust)
	if exitCode(err) != 1 || !strings.Contains(out+err.Error(), "inclusion") {
		t.Errorf("verify of a tampered proof: exit %d\n%s\n%v", exitCode(err), out, err)
	}
	if _, err := runCustos(t, "verify", "--receipt", rp); exitCode(err) != 2 {
		t.Errorf("verify without --trust: exit %d, want 2", exitCode(err))
	}

	t.Run("evidence record", func(t *testing.T) {
		checkEvidenceRecord(t, n, v.ID, dir, rp, fp, trust, data)
	})

	t.Run("evidence record renewed", func(t *testing.T) {
		checkRenewedRecord(t, n, v.ID, dir, rp, fp, trust)
	})

	t.Run("lookup", func(t *testing.T) {
		_, _, b := n.call("GET", "/api/v1/lookup?sha256="+v.SHA256, "", nil)
		var l proofs.Lookup
		mustJSON(t, b, &l)
		if !l.Anchored || l.Height < 1 || l.AnchoredAt.IsZero() || strings.Contains(string(b), v.ID) || strings.Contains(string(b), "admin") {
			t.Errorf("lookup of an anchored digest = %s", b)
		}
		_, _, b = n.call("GET", "/api/v1/lookup?sha256="+strings.Repeat("ab", 32), "", nil)
		mustJSON(t, b, &l)
		if l.Anchored {
			t.Errorf("lookup of an unknown digest = %s", b)
		}
		if status, _, _ := n.call("GET", "/api/v1/lookup?sha256=XYZ", "", nil); status != 400 {
			t.Errorf("lookup of a malformed digest = %d, want 400", status)
		}
	})

	t.Run("consistency", func(t *testing.T) {
		older := writeFile(t, dir, "old.json", rcpt)
		if len(cpb) > 0 && strings.Contains(string(cpb), "tree_size") {
			older = writeFile(t, dir, "old-cp.json", cpb) // a checkpoint from before the upload
		}
		w := n.upload(n.Token, []byte("later evidence"))
		_, _, later := n.call("GET", "/api/v1/evidence/"+w.ID+"/receipt?wait=10s", n.Token, nil)
		newer := writeFile(t, dir, "new.json", later)
		out, err := runCustos(t, "consistency", "--old", older, "--new", newer, "--trust", trust, "--server", n.URL)
		if err != nil || !strings.Contains(out, "CONSISTENT") {
			t.Fatalf("custos consistency: %v\n%s", err, out)
		}
		out, err = runCustosEnv(t, []string{"CUSTOS_SERVER=" + n.URL}, "consistency", "--old", older, "--new", newer, "--trust", trust)
		if err != nil || !strings.Contains(out, "CONSISTENT") {
			t.Errorf("custos consistency with the server from $CUSTOS_SERVER: %v\n%s", err, out)
		}
		out, err = runCustosEnv(t, []string{"CUSTOS_SERVER=" + n.URL, "LC_ALL=zh_CN.UTF-8"}, "consistency", "--old", older, "--new", newer, "--trust", trust)
		if err != nil || !strings.Contains(out, "一致性证明") || !strings.Contains(out, "CONSISTENT（一致）") {
			t.Errorf("custos consistency under zh_CN: %v\n%s", err, out)
		}
		var r1, r2 receipt.Receipt
		json.Unmarshal(rcpt, &r1)
		json.Unmarshal(later, &r2)
		forged := fmt.Sprintf(`{"first":%d,"second":%d,"proof":["%s"]}`, r1.Checkpoint.TreeSize, r2.Checkpoint.TreeSize, strings.Repeat("1", 64))
		_, err = runCustos(t, "consistency", "--old", writeFile(t, dir, "r1.json", rcpt), "--new", newer, "--trust", trust,
			"--proof", writeFile(t, dir, "forged.json", []byte(forged)))
		if exitCode(err) != 1 {
			t.Errorf("consistency with a forged proof: exit %d, want 1 (%v)", exitCode(err), err)
		}
	})
}

// TestCustodyCompleteness: on a chain at state version 3 (the embedded
// default starts there), a receipt is version 3 and proves that its events
// are all of the item's (an item of one event by its head's absence); a
// receipt with its last events cut off fails step completeness; a page of
// the history lists some events and says what it leaves out.
func TestCustodyCompleteness(t *testing.T) {
	n := startNode(t, t.TempDir(), "")
	dir := t.TempDir()
	_, _, tb := n.call("GET", "/api/v1/trust", "", nil)
	trust := writeFile(t, dir, "trust.json", tb)
	data := []byte("complete custody\n")
	v := n.upload(n.Token, data)
	fp := writeFile(t, dir, "f", data)
	// Three reads of different things (reads of one thing fold into one
	// event), then a download: events 1..4.
	for _, path := range []string{"", "/custody", "/timestamp"} {
		n.call("GET", "/api/v1/evidence/"+v.ID+path, n.Token, nil)
	}
	n.call("GET", "/api/v1/evidence/"+v.ID+"/content", n.Token, nil)
	var r *receipt.Receipt
	var rb []byte
	deadline := time.Now().Add(20 * time.Second)
	for { // wait until the receipt covers the reads too
		status, _, b := n.call("GET", "/api/v1/evidence/"+v.ID+"/receipt?wait=10s", n.Token, nil)
		if status == 200 {
			var err error
			if r, err = receipt.Parse(b); err != nil {
				t.Fatalf("receipt does not parse: %v\n%s", err, b)
			}
			if len(r.Events) >= 5 {
				rb = b
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no receipt with 5 events after 20s: %d %s", status, b)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if (r.Version != receipt.Version && r.Version != receipt.Version5) || r.Custody == nil || r.Custody.Head == "" || r.Checkpoint.StateRoot == "" {
		t.Fatalf("receipt version %d, custody %v, state root %q; want version 3 with both", r.Version, r.Custody, r.Checkpoint.StateRoot)
	}
	out, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "r.json", rb), "--file", fp, "--trust", trust)
	if err != nil || !strings.Contains(out, "✓ completeness") || !strings.Contains(out, "VALID\n") {
		t.Fatalf("custos verify of a complete receipt: %v\n%s", err, out)
	}

	t.Run("one event, no head", func(t *testing.T) {
		data := []byte("an item of one event\n")
		one := n.upload(n.Token, data)
		status, _, b := n.call("GET", "/api/v1/evidence/"+one.ID+"/receipt?wait=10s", n.Token, nil)
		if status != 200 {
			t.Fatalf("receipt = %d %s", status, b)
		}
		p, err := receipt.Parse(b)
		if err != nil || (p.Version != receipt.Version && p.Version != receipt.Version5) || len(p.Events) != 1 || p.Custody == nil || p.Custody.Head != "" {
			t.Fatalf("receipt of a one-event item: %v %+v", err, p)
		}
		out, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "one.json", b), "--file", writeFile(t, dir, "one", data), "--trust", trust)
		if err != nil || !strings.Contains(out, "✓ completeness") || !strings.Contains(out, "VALID\n") {
			t.Fatalf("custos verify of a one-event receipt: %v\n%s", err, out)
		}
	})

	t.Run("last events cut off", func(t *testing.T) {
		cut := *r
		cut.Events = r.Events[:len(r.Events)-2]
		b, err := cut.Encode()
		if err != nil {
			t.Fatal(err)
		}
		out, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "cut.json", b), "--file", fp, "--trust", trust)
		if exitCode(err) != 1 || !strings.Contains(out, "✗ completeness") || !strings.Contains(out, "stop short") {
			t.Errorf("verify of a receipt with its last events cut off: exit %d\n%s", exitCode(err), out)
		}
	})

	t.Run("a page of the history", func(t *testing.T) {
		status, _, b := n.call("GET", "/api/v1/evidence/"+v.ID+"/receipt?from=2&limit=1", n.Token, nil)
		if status != 200 {
			t.Fatalf("paged receipt = %d %s", status, b)
		}
		p, err := receipt.Parse(b)
		if err != nil || len(p.Events) != 2 || p.Events[1].ItemProof == nil {
			t.Fatalf("paged receipt: %v, %d events %+v", err, len(p.Events), p.Events)
		}
		out, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "page.json", b), "--trust", trust)
		if err != nil || !strings.Contains(out, "omitted, and counted by the chain") {
			t.Errorf("verify of a page: %v\n%s", err, out)
		}
		if status, _, _ := n.call("GET", "/api/v1/evidence/"+v.ID+"/receipt?from=-1&limit=1", n.Token, nil); status != 400 {
			t.Errorf("receipt?from=-1 = %d, want 400", status)
		}
	})
}

// checkEvidenceRecord fetches the RFC 4998 evidence record of item id (an
// anchored item, whose receipt is rp and bytes data, in file fp) with
// `custos evidence-record`, once the node's loop has built it; `custos
// verify --evidence-record` says VALID, and INVALID for other bytes or a
// record changed; Bouncy Castle validates the served record against the
// bytes and refuses it against others.
func checkEvidenceRecord(t *testing.T, n *proc, id, dir, rp, fp, trust string, data []byte) {
	ers := filepath.Join(dir, id+".ers")
	var err error
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, err = runCustos(t, "evidence-record", id, "-o", ers, "--server", n.URL, "--token", n.Token); err == nil {
			break
		}
		if !strings.Contains(err.Error(), "evidence record") || time.Now().After(deadline) {
			t.Fatalf("custos evidence-record: %v", err)
		}
	}
	out, err := runCustos(t, "verify", "--receipt", rp, "--file", fp, "--trust", trust, "--evidence-record", ers)
	if err != nil || !strings.Contains(out, "✓ evidence record: RFC 4998, the file existed at") || !strings.HasSuffix(out, "VALID\n") {
		t.Fatalf("custos verify --evidence-record: %v\n%s", err, out)
	}
	out, err = runCustos(t, "verify", "--receipt", rp, "--file", fp, "--trust", trust, "--evidence-record", ers, "--json")
	var rep struct {
		Valid          bool `json:"valid"`
		EvidenceRecord struct {
			Valid bool   `json:"valid"`
			Of    string `json:"of"`
		} `json:"evidence_record"`
	}
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || !rep.Valid || !rep.EvidenceRecord.Valid || rep.EvidenceRecord.Of != "file" {
		t.Errorf("custos verify --evidence-record --json: %v\n%s", err, out)
	}
	// Without --file, the record is checked against the receipt's SHA-256.
	if out, err := runCustos(t, "verify", "--receipt", rp, "--trust", trust, "--evidence-record", ers); err != nil || !strings.Contains(out, "the receipt's SHA-256 existed at") {
		t.Errorf("custos verify --evidence-record without --file: %v\n%s", err, out)
	}
	other := writeFile(t, dir, "other", append(bytes.Clone(data), '!'))
	if out, err := runCustos(t, "verify", "--receipt", rp, "--file", other, "--trust", trust, "--evidence-record", ers); exitCode(err) != 1 || !strings.Contains(out, "INVALID") {
		t.Errorf("custos verify --evidence-record with other bytes: exit %d\n%s", exitCode(err), out)
	}
	// A record whose tree no longer holds the file's SHA-256: the receipt
	// is valid, the record is not.
	der, err := os.ReadFile(ers)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	i := bytes.Index(der, sum[:])
	if i < 0 {
		t.Fatalf("the record does not hold the file's SHA-256")
	}
	bad := bytes.Clone(der)
	bad[i] ^= 1
	out, err = runCustos(t, "verify", "--receipt", rp, "--file", fp, "--trust", trust, "--evidence-record", writeFile(t, dir, "bad.ers", bad))
	if exitCode(err) != 1 || !strings.Contains(out, "✗ evidence-record") || !strings.Contains(err.Error(), "evidence record is NOT valid") {
		t.Errorf("custos verify with a changed evidence record: exit %d, %v\n%s", exitCode(err), err, out)
	}
	checkEmbeddedRecord(t, n, id, dir, fp, trust, der, i)
	bc := testenv.BouncyCastle(t, filepath.Join("..", "..", "ers", "testdata", "ERSCheck.java"))
	at := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	lines := strings.Split(strings.TrimSpace(bc.Run(t, at, ers, fp, ers, other)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "VALID ") || !strings.HasPrefix(lines[1], "INVALID ") {
		t.Errorf("Bouncy Castle on the served record, with the file then other bytes: %q", lines)
	}
}

// checkEmbeddedRecord: a receipt of item id fetched once its evidence
// record der exists is version 5 and carries it (docs/receipt.md §9);
// `custos verify` checks it with the receipt, and a receipt whose
// embedded record has the byte at flip changed is INVALID at step
// evidence-record.
func checkEmbeddedRecord(t *testing.T, n *proc, id, dir, fp, trust string, der []byte, flip int) {
	t.Helper()
	status, _, b := n.call("GET", "/api/v1/evidence/"+id+"/receipt", n.Token, nil)
	if status != 200 {
		t.Fatalf("receipt after the evidence record = %d %s", status, b)
	}
	r, err := receipt.Parse(b)
	if err != nil || r.Version != receipt.Version5 || !bytes.Equal(r.RecordDER(), der) {
		t.Fatalf("receipt after the evidence record: %v, version %d, embeds the served record: %v", err, r.Version, bytes.Equal(r.RecordDER(), der))
	}
	out, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "r5.json", b), "--file", fp, "--trust", trust)
	if err != nil || !strings.Contains(out, "✓ evidence record (in the receipt): RFC 4998") || !strings.HasSuffix(out, "VALID\n") {
		t.Fatalf("custos verify of a version-5 receipt: %v\n%s", err, out)
	}
	bad := bytes.Clone(der)
	bad[flip] ^= 1
	tampered, err := r.WithRecord(bad)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := tampered.Encode()
	if err != nil {
		t.Fatal(err)
	}
	out, err = runCustos(t, "verify", "--receipt", writeFile(t, dir, "r5-bad.json", tb), "--file", fp, "--trust", trust)
	if exitCode(err) != 1 || !strings.Contains(out, "✗ evidence-record") || !strings.Contains(out, "INVALID") {
		t.Errorf("custos verify of a receipt with a changed evidence record: exit %d, %v\n%s", exitCode(err), err, out)
	}
}

// checkRenewedRecord: on a node whose configuration retires SHA-256, the
// status shows item id due for hash-tree renewal; `custos evidence-record
// renew --dry-run` says so and changes nothing; `renew` gives the item a
// SHA-512 chain over its stored bytes, logged in its custody, and a second
// run renews nothing; the served record then verifies with `custos verify
// --evidence-record` against the file, and in Bouncy Castle.
func checkRenewedRecord(t *testing.T, n *proc, id, dir, rp, fp, trust string) {
	admin := []string{"--server", n.URL, "--token", n.Token, "--json"}
	var st wire.RenewalStatus
	out, err := runCustos(t, append([]string{"evidence-record", "status"}, admin...)...)
	if err != nil || json.Unmarshal([]byte(out), &st) != nil || st.DueHashTree.Items < 1 || st.Hash != "SHA-512" {
		t.Fatalf("custos evidence-record status: %v\n%s", err, out)
	}
	before, err := runCustos(t, "evidence-record", id, "--server", n.URL, "--token", n.Token)
	if err != nil {
		t.Fatal(err)
	}
	var run wire.RenewalRun
	out, err = runCustos(t, append([]string{"evidence-record", "renew", "--dry-run"}, admin...)...)
	if err != nil || json.Unmarshal([]byte(out), &run) != nil || !run.DryRun || run.HashTree.Items != st.DueHashTree.Items || run.HashTree.Tokens != 1 {
		t.Fatalf("custos evidence-record renew --dry-run: %v\n%s", err, out)
	}
	if again, _ := runCustos(t, "evidence-record", id, "--server", n.URL, "--token", n.Token); again != before {
		t.Fatalf("a dry run changed the evidence record")
	}
	out, err = runCustos(t, append([]string{"evidence-record", "renew"}, admin...)...)
	if err != nil || json.Unmarshal([]byte(out), &run) != nil || run.HashTree.Items != st.DueHashTree.Items || run.HashTree.Tokens != 1 || len(run.Errors) != 0 {
		t.Fatalf("custos evidence-record renew: %v\n%s", err, out)
	}
	out, err = runCustos(t, append([]string{"evidence-record", "renew"}, admin...)...)
	if err != nil || json.Unmarshal([]byte(out), &run) != nil || run.HashTree.Items != 0 || run.TimeStamp.Items != 0 {
		t.Errorf("a second renewal run: %v\n%s", err, out)
	}
	_, _, cb := n.call("GET", "/api/v1/evidence/"+id+"/custody", n.Token, nil)
	if !strings.Contains(string(cb), `"type":"ers.hashtree_renewed"`) {
		t.Errorf("the item's custody has no ers.hashtree_renewed event:\n%s", cb)
	}
	ers := filepath.Join(dir, id+".renewed.ers")
	if _, err := runCustos(t, "evidence-record", id, "-o", ers, "--server", n.URL, "--token", n.Token); err != nil {
		t.Fatal(err)
	}
	out, err = runCustos(t, "verify", "--receipt", rp, "--file", fp, "--trust", trust, "--evidence-record", ers)
	if err != nil || !strings.Contains(out, "SHA-512") || !strings.HasSuffix(out, "VALID\n") {
		t.Fatalf("custos verify --evidence-record of the renewed record: %v\n%s", err, out)
	}
	bc := testenv.BouncyCastle(t, filepath.Join("..", "..", "ers", "testdata", "ERSCheck.java"))
	at := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	if line := strings.TrimSpace(bc.Run(t, at, ers, fp)); line != "VALID 2" {
		t.Errorf("Bouncy Castle on the renewed record: %q, want VALID 2", line)
	}
}
