package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/internal/testenv"
)

const soakToken = "cst_soak-test-token-0123456789abcdef"

// background runs l.load until the returned stop is called; stop waits.
func background(l *soakLedger, workers int, url string, tokens []string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); l.load(ctx, workers, url, tokens) }()
	return func() { cancel(); <-done }
}

// submitterKeys creates n submitter keys in the operator's organization.
func submitterKeys(t *testing.T, p *proc, admin string, n int) []string {
	t.Helper()
	c := client.New(p.URL, admin)
	me, err := c.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := range n {
		k, err := c.CreateKey(context.Background(), me.Org.ID, wire.KeyInput{Role: "submitter", Name: fmt.Sprint("uploader ", i)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, k.Token)
	}
	return out
}

// TestSoakUploaders: 200 concurrent uploaders, far above the per-key upload
// rate, for the soak duration. No 5xx; every 429 or 503 carries Retry-After;
// every acknowledged item checks out.
func TestSoakUploaders(t *testing.T) {
	t.Parallel() // waits on its node more than it computes: see parallelNote
	d := soakDuration(t)
	n := startNode(t, t.TempDir(), soakLimits(10))
	l := newLedger()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	l.load(ctx, 200, n.URL, submitterKeys(t, n, n.Token, 4))
	t.Logf("SOAK uploaders: workers=200 duration=%v %s", d, l.summary())
	l.requireContract(t)
	if l.statuses[http.StatusTooManyRequests] == 0 {
		t.Errorf("no 429 seen: the load never went above saturation (%s)", l.summary())
	}
	l.check(t, n, n.Token, 2*time.Minute)
	requireClean(t, runAudit(t, n, n.Token))
}

// TestSoakKill: the node is killed with SIGKILL under load, again and again,
// and restarted. Nothing acknowledged is lost; the audit and fsck --deep
// find nothing half-written (no orphan blob, no broken record).
func TestSoakKill(t *testing.T) {
	// Not parallel: each life of the node is 1-3 s, and under the others'
	// load it may acknowledge nothing in that time.
	d := soakDuration(t)
	dir := t.TempDir()
	l := newLedger()
	kills := 0
	for start := time.Now(); kills < 3 || time.Since(start) < d; kills++ {
		n := startNode(t, dir, soakLimits(40), "CUSTOS_BOOTSTRAP_TOKEN="+soakToken)
		stop := background(l, 32, n.URL, []string{soakToken})
		time.Sleep(time.Second + rand.N(2*time.Second))
		n.Kill()
		stop()
	}
	n := startNode(t, dir, soakLimits(40), "CUSTOS_BOOTSTRAP_TOKEN="+soakToken)
	t.Logf("SOAK kill: kills=%d workers=32 %s", kills, l.summary())
	l.requireContract(t)
	l.check(t, n, soakToken, 2*time.Minute)
	requireClean(t, runAudit(t, n, soakToken))
	n.Stop()
	if out, err := runCustos(t, "fsck", "--deep", "--data", dir); err != nil {
		t.Errorf("custos fsck --deep after %d kills: %v\n%s", kills, err, out)
	}
}

// TestSoakMinIO: MinIO is stopped in the middle of a run. Uploads get 503
// with Retry-After and nothing is half-written; once MinIO is back, uploads
// resume, and every acknowledged item checks out. Then a byte of one stored
// object is flipped on MinIO's disk, and the on-demand audit finds it.
func TestSoakMinIO(t *testing.T) {
	t.Parallel() // waits on its node more than it computes: see parallelNote
	d := soakDuration(t)
	m := testenv.MinIO(t)
	cfg := fmt.Sprintf("[storage]\nbackend = \"s3\"\n[storage.s3]\nendpoint = %q\nbucket = \"evidence\"\naccess_key = %q\nretention_days = 1\ntimeout = \"3s\"\n", m.Endpoint, m.AccessKey) + soakLimits(20)
	env := []string{"CUSTOS_S3_SECRET_KEY=" + m.SecretKey, "CUSTOS_BOOTSTRAP_TOKEN=" + soakToken}
	dir := t.TempDir()
	n := startNode(t, dir, cfg, env...)
	l := newLedger()
	stop := background(l, 16, n.URL, []string{soakToken})
	time.Sleep(d / 3)
	probeKey := submitterKeys(t, n, soakToken, 1)[0] // its own upload rate: the load does not spend it
	m.Stop()
	probe := newLedger() // uploads started and ended while MinIO is down
	for range 5 {
		if status, _ := probe.upload(context.Background(), http.DefaultClient, n.URL, probeKey, 5000); status != http.StatusServiceUnavailable {
			t.Errorf("upload with MinIO stopped = %d, want 503", status)
		}
	}
	time.Sleep(d / 3)
	m.Start()
	resumed := false
	for deadline := time.Now().Add(time.Minute); !resumed && time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		status, _ := probe.upload(context.Background(), http.DefaultClient, n.URL, probeKey, 5000)
		resumed = status == http.StatusCreated
	}
	if !resumed {
		t.Fatal("uploads did not resume within a minute of MinIO's return")
	}
	time.Sleep(d / 3)
	stop()
	t.Logf("SOAK minio: workers=16 outage=%v load: %s; probes: %s", (d / 3).Round(time.Millisecond), l.summary(), probe.summary())
	l.requireContract(t)
	probe.requireContract(t)
	l.items = append(l.items, probe.acked()...)
	l.check(t, n, soakToken, 2*time.Minute)

	// Nothing half-written: after a restart (recovery), no staged object is
	// left and the audit is clean.
	n.Stop()
	n = startNode(t, dir, cfg, env...)
	admin, err := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.AccessKey, m.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	for obj := range admin.ListObjects(context.Background(), "evidence", minio.ListObjectsOptions{Prefix: "staging/", Recursive: true}) {
		t.Errorf("staged object left after recovery: %s %v", obj.Key, obj.Err)
	}
	requireClean(t, runAudit(t, n, soakToken))

	// Tampering at rest in the object store.
	victim := largest(l.acked())
	part := minioPart(t, m.Dir, "evidence", "sha256/"+victim.sha256)
	flipByte(t, part, -1)
	run := runAudit(t, n, soakToken)
	if found := append(run.Report.Corrupt, run.Report.Missing...); !slices.Contains(found, victim.id) {
		t.Errorf("a flipped byte in MinIO's copy of %s went unreported: %+v", victim.id, run.Report)
	}
}

func largest(items []ackedItem) ackedItem {
	return slices.MaxFunc(items, func(a, b ackedItem) int { return a.size - b.size })
}

// minioPart finds the file holding an object's data in a MinIO data folder.
func minioPart(t *testing.T, dataDir, bucket, key string) string {
	t.Helper()
	var part string
	filepath.WalkDir(filepath.Join(dataDir, bucket, key), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "part.1" {
			part = p
		}
		return nil
	})
	if part == "" {
		t.Fatalf("no part.1 for %s/%s under %s", bucket, key, dataDir)
	}
	return part
}

// flipByte flips one byte of a file, at offset at (negative: the middle).
func flipByte(t *testing.T, path string, at int64) {
	t.Helper()
	os.Chmod(path, 0o644)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if at < 0 {
		st, _ := f.Stat()
		at = st.Size() / 2
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x20
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

// TestSoakConsortium: four validators under a steady upload load on one of
// them, and copyright registrations at all four. One killed: anchoring
// continues. Two killed: the chain halts, uploads and registrations are
// still acknowledged, and after a restart every pending item is anchored.
// One paused (SIGSTOP) then resumed: anchoring continues. Afterwards every
// acknowledged registration has its own number, and every member names
// the same first registrant of a work registered at two of them.
func TestSoakConsortium(t *testing.T) {
	t.Parallel() // waits on the chain more than it computes: see parallelNote
	d := soakDuration(t)
	out := initConsortium(t)
	ms := consortiumMembers(out)
	for _, m := range ms {
		m.start(t)
	}
	entry := ms[0].p
	l := newLedger()
	l.pace = 200 * time.Millisecond
	// make test's short run (it runs beside another consortium test) keeps
	// the load, and so the items to check after it, at half a long run's.
	workers := 8
	if os.Getenv("CUSTOS_SOAK_DURATION") == "" {
		workers = 4
	}
	stop := background(l, workers, entry.URL, []string{consortiumToken})
	defer stop()
	// Copyright registrations at every member throughout, some of one work
	// at two members: each numbered once, and the same first everywhere.
	for _, m := range ms {
		m.p.Token = consortiumToken
	}
	reg := newRegistrar(t, []*proc{ms[0].p, ms[1].p, ms[2].p, ms[3].p})
	regCtx, regStop := context.WithCancel(context.Background())
	regDone := make(chan struct{})
	go func() { defer close(regDone); reg.run(regCtx, 300*time.Millisecond) }()
	defer func() { regStop(); <-regDone }()
	anchorsNew := func(what string) {
		t.Helper()
		v := entry.upload(consortiumToken, randomBytes(t, 3000))
		if status, b := receiptWithin(t, entry, consortiumToken, v.ID, time.Minute); status != 200 {
			t.Errorf("%s: a new upload was not anchored: %d %s", what, status, b)
		}
	}
	time.Sleep(d / 4)
	ms[3].p.Kill()
	anchorsNew("one validator killed")
	time.Sleep(d / 4)

	ms[2].p.Kill()
	halted := entry.upload(consortiumToken, randomBytes(t, 2000))
	time.Sleep(d / 4)
	if status, b := receiptOf(t, entry, halted.ID, time.Second); status != http.StatusAccepted {
		t.Errorf("with two of four validators down: receipt = %d %s, want 202 (halted)", status, b)
	}
	ms[2].start(t)
	ms[3].start(t)
	if status, b := receiptWithin(t, entry, consortiumToken, halted.ID, 2*time.Minute); status != 200 {
		t.Fatalf("after the restart: receipt = %d %s", status, b)
	}

	ms[1].p.cmd.Process.Signal(syscall.SIGSTOP)
	anchorsNew("one validator paused")
	time.Sleep(d / 4)
	ms[1].p.cmd.Process.Signal(syscall.SIGCONT)
	anchorsNew("the paused validator resumed")
	stop()
	regStop()
	<-regDone
	t.Logf("SOAK consortium: validators=4 workers=%d kills=2 pauses=1 %s %s", workers, l.summary(), reg.summary())
	l.requireContract(t)
	l.check(t, entry, consortiumToken, 3*time.Minute)
	reg.check(t, consortiumToken, 3*time.Minute)
	requireClean(t, runAudit(t, entry, consortiumToken))
}

// TestSoakTamper flips one byte at rest in each kind of stored thing: a
// blob, a bbolt record, a stored time-stamp token and a custody event, and
// checks that the scheduled audit (every 2s here) and the on-demand one
// each report every one, by item.
func TestSoakTamper(t *testing.T) {
	t.Parallel() // waits on its node more than it computes: see parallelNote
	dir := t.TempDir()
	cfg := "[audit]\ninterval = \"2s\"\ndeep = true\n"
	n := startNode(t, dir, cfg, "CUSTOS_BOOTSTRAP_TOKEN="+soakToken)
	var vs []wire.EvidenceView
	var datas [][]byte
	for range 5 {
		data := randomBytes(t, 200<<10) // above the inline limit: a blob file
		vs = append(vs, n.upload(soakToken, data))
		datas = append(datas, data)
	}
	for _, v := range vs {
		receiptWithin(t, n, soakToken, v.ID, time.Minute)
	}
	requireClean(t, waitScheduledAudit(t, n, soakToken, time.Now(), time.Minute))
	quietTreeSize(t, n) // every event anchored: a flipped event cannot be anchored as it is now
	n.Stop()

	blob, record, token, event := vs[0], vs[1], vs[2], vs[3]
	var path string
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == blob.SHA256 {
			path = p
		}
		return nil
	})
	if path == "" {
		t.Fatal("stored blob not found")
	}
	flipByte(t, path, 1000)
	tamperDB(t, dir, record.ID, token.ID, event.ID)

	n = startNode(t, dir, cfg, "CUSTOS_BOOTSTRAP_TOKEN="+soakToken)
	restarted := time.Now()
	want := func(run *wire.AuditRun, how string) {
		t.Helper()
		r := run.Report
		for _, c := range []struct {
			kind string
			list []string
			id   string
		}{
			{"corrupt_blobs", r.Corrupt, blob.ID}, {"bad_records", r.BadRecords, record.ID},
			{"bad_tokens", r.BadTokens, token.ID}, {"bad_proofs", r.BadProofs, event.ID},
		} {
			if !slices.Contains(c.list, c.id) {
				t.Errorf("%s audit: %s does not name %s: %+v", how, c.kind, c.id, r)
			}
		}
		if slices.Contains(append(append(r.Corrupt, r.BadRecords...), r.BadTokens...), vs[4].ID) {
			t.Errorf("%s audit reports the untouched item %s: %+v", how, vs[4].ID, r)
		}
	}
	scheduled := waitScheduledAudit(t, n, soakToken, restarted, time.Minute)
	want(scheduled, "scheduled")
	want(runAudit(t, n, soakToken), "on-demand")
	logs, _ := os.ReadFile(n.logPath)
	if !bytes.Contains(logs, []byte("integrity audit found damage")) {
		t.Errorf("the node did not log the damage")
	}
	if bytes.Contains(logs, []byte(soakToken)) {
		t.Errorf("the node logged its admin token")
	}
	t.Logf("SOAK tamper: 4 kinds flipped; scheduled audit findings=%d, on-demand too", scheduled.Findings)
}

// tamperDB flips one byte, with the node stopped, in the stored record of
// item rec, in the built-in token of item tok, and in the last custody
// event of item ev.
func tamperDB(t *testing.T, dir, rec, tok, ev string) {
	t.Helper()
	editDB(t, dir, func(tx *bolt.Tx, flip flipFunc) error {
		seqOf := func(id string) []byte { return bytes.Clone(tx.Bucket([]byte("ids")).Get([]byte(id))) }
		middle := func(v []byte) int { return len(v) / 2 }
		if err := flip("records", seqOf(rec), middle); err != nil {
			return err
		}
		if err := flip("tokens", append(seqOf(tok), 0, 0), middle); err != nil {
			return err
		}
		c := tx.Bucket([]byte("events")).Cursor()
		prefix := seqOf(ev)
		var last []byte
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			last = bytes.Clone(k)
		}
		return flip("events", last, func(v []byte) int { return bytes.Index(v, []byte(`"time":"`)) + 10 })
	})
}

// flipFunc changes one byte, at(value), of the value under key in bucket.
type flipFunc func(bucket string, key []byte, at func([]byte) int) error

// editDB runs edit in one update of a stopped node's custos.db in dir.
func editDB(t *testing.T, dir string, edit func(tx *bolt.Tx, flip flipFunc) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "custos.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		return edit(tx, func(bucket string, key []byte, at func([]byte) int) error {
			b := tx.Bucket([]byte(bucket))
			v := bytes.Clone(b.Get(key))
			if v == nil {
				return fmt.Errorf("%s: no key %x", bucket, key)
			}
			v[at(v)] ^= 0x01
			return b.Put(key, v)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
