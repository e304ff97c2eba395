package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custos-project/custos/api"
	"github.com/custos-project/custos/api/wire"
)

type acked struct {
	id, sha string
	data    []byte
}

// TestKillDuringUploadBurst kills the node with SIGKILL in the middle of a
// burst of concurrent uploads and checks, after a restart, that every
// acknowledged upload is readable with the right bytes, digest and token,
// that no staged blob is left behind, and that every stored blob belongs to
// a record.
func TestKillDuringUploadBurst(t *testing.T) {
	t.Parallel() // waits on its node more than it computes: see parallelNote
	dir := t.TempDir()
	n := startNode(t, dir, "")
	token := n.Token

	var (
		mu   sync.Mutex
		acks []acked
		wg   sync.WaitGroup
		// lastErr keeps the last refused upload, to explain a failure.
		lastErr atomic.Value
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				// Mostly small files, some spanning several pipeline buffers.
				size := 2000 + (w*7919+i*104729)%30000
				if i%5 == 0 {
					size = 3<<20 + w*1000
				}
				data := randomBytes(t, size)
				req, _ := http.NewRequestWithContext(ctx, "POST", n.URL+"/api/v1/evidence", bytes.NewReader(data))
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := client.Do(req)
				if err != nil {
					lastErr.CompareAndSwap(nil, err.Error())
					continue // the node died under us: not acknowledged
				}
				body, rerr := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated || rerr != nil {
					lastErr.CompareAndSwap(nil, resp.Status+" "+string(body))
					continue
				}
				var v wire.EvidenceView
				if json.Unmarshal(body, &v) != nil {
					continue
				}
				mu.Lock()
				acks = append(acks, acked{v.ID, v.SHA256, data})
				mu.Unlock()
			}
		}()
	}
	// Let a good number of uploads be acknowledged, then crash mid-burst.
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		k := len(acks)
		mu.Unlock()
		if k >= 150 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	n.Kill()
	cancel()
	wg.Wait()
	if len(acks) < 20 {
		t.Fatalf("only %d uploads acknowledged before the kill; last failure: %v", len(acks), lastErr.Load())
	}
	t.Logf("%d uploads acknowledged before SIGKILL", len(acks))

	again := startNode(t, dir, "")
	root, chain := trustFiles(t, again, t.TempDir())
	for i, a := range acks {
		if a.sha != sha256Hex(a.data) {
			t.Fatalf("ack %s: server digest %s differs from the sent bytes' %s", a.id, a.sha, sha256Hex(a.data))
		}
		status, _, body := again.call("GET", "/api/v1/evidence/"+a.id+"/content", token, nil)
		if status != 200 || !bytes.Equal(body, a.data) {
			t.Fatalf("acknowledged %s lost after crash: GET content = %d, %d bytes", a.id, status, len(body))
		}
		if i%10 == 0 { // the token check runs openssl; sample it
			status, _, reply := again.call("GET", "/api/v1/evidence/"+a.id+"/timestamp", token, nil)
			tmp := t.TempDir()
			out, err := openssl(t, "ts", "-verify", "-in", writeFile(t, tmp, "t.tsr", reply), "-data", writeFile(t, tmp, "d", a.data), "-CAfile", root, "-untrusted", chain)
			if status != 200 || err != nil || !strings.Contains(out, "Verification: OK") {
				t.Fatalf("token of %s after crash: %d %v %s", a.id, status, err, out)
			}
		}
	}
	// Every custody event, including those queued before the crash, is
	// anchored exactly once: once the log is quiet, its size equals the
	// number of events in the store (checked by fsck below).
	treeSize := quietTreeSize(t, again)
	auditEvents := auditCount(t, again, token)
	again.Stop()

	// Nothing half-written: recovery left no staged blob, and (fsck) every
	// stored blob is referenced by a record.
	staged, _ := os.ReadDir(filepath.Join(dir, "blobs", "staging"))
	if len(staged) != 0 {
		t.Errorf("%d staged blobs left after recovery", len(staged))
	}
	out, err := runCustos(t, "fsck", "--data", dir)
	if err != nil {
		t.Fatalf("custos fsck after crash recovery: %v\n%s", err, out)
	}
	var rep struct {
		Records int      `json:"records"`
		Events  int      `json:"events"`
		Audit   int      `json:"audit_events"`
		Blobs   int      `json:"blobs"`
		Orphans []string `json:"orphan_blobs"`
	}
	mustJSON(t, []byte(out), &rep)
	if rep.Audit != auditEvents {
		t.Errorf("fsck counts %d audit events, the API shows %d", rep.Audit, auditEvents)
	}
	if want := uint64(rep.Events + auditEvents); treeSize < want {
		// The log was quiet for quietTreeSize's 2 s but not done: a loaded
		// machine can hold a block back that long. What is queued is
		// queued durably, so the node started again must anchor exactly the
		// rest; count the store again after it (a start may record events).
		t.Logf("the log paused at %d of %d leaves; starting the node again to let it finish", treeSize, want)
		third := startNode(t, dir, "")
		treeSize = treeSizeReaching(t, third, want)
		third.Stop()
		out, err := runCustos(t, "fsck", "--data", dir)
		if err != nil {
			t.Fatalf("custos fsck: %v\n%s", err, out)
		}
		mustJSON(t, []byte(out), &rep)
		auditEvents = rep.Audit
	}
	if uint64(rep.Events+auditEvents) != treeSize {
		t.Errorf("the log holds %d leaves for %d custody and %d audit events: each must be anchored exactly once", treeSize, rep.Events, auditEvents)
	}
	if rep.Records < len(acks) || len(rep.Orphans) != 0 || rep.Blobs == 0 {
		t.Errorf("fsck = %+v; want ≥ %d records, blobs, and no orphans", rep, len(acks))
	}
}

// runCustos runs the custos binary and returns its stdout; a failure's
// error carries its stderr.
func runCustos(t testing.TB, args ...string) (string, error) {
	t.Helper()
	return runCustosEnv(t, nil, args...)
}

func runCustosEnv(t testing.TB, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(custosBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		err = fmt.Errorf("%w: %s", err, stderr.String())
	}
	return string(out), err
}

// quietTreeSize waits until the node's log stops growing and has anchored
// everything queued, and returns its size.
func quietTreeSize(t *testing.T, n *proc) uint64 {
	t.Helper()
	var last uint64
	stable := 0
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		_, _, b := n.call("GET", "/api/v1/log/checkpoint", "", nil)
		var cp struct {
			TreeSize uint64 `json:"tree_size"`
		}
		json.Unmarshal(b, &cp)
		if cp.TreeSize == last && last > 0 {
			if stable++; stable >= 8 { // 2 s without growth
				return last
			}
		} else {
			last, stable = cp.TreeSize, 0
		}
	}
	t.Fatalf("the log did not settle (last size %d)", last)
	return 0
}

// treeSizeReaching is quietTreeSize once the log holds at least want
// leaves (or 60 s have passed: the caller's check then fails).
func treeSizeReaching(t *testing.T, n *proc, want uint64) uint64 {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		_, _, b := n.call("GET", "/api/v1/log/checkpoint", "", nil)
		var cp struct {
			TreeSize uint64 `json:"tree_size"`
		}
		if json.Unmarshal(b, &cp) == nil && cp.TreeSize >= want {
			break
		}
	}
	return quietTreeSize(t, n)
}

// auditCount is the number of events in the caller's organization's audit chain.
func auditCount(t *testing.T, n *proc, token string) int {
	t.Helper()
	_, _, b := n.call("GET", "/api/v1/me", token, nil)
	var me api.MeView
	mustJSON(t, b, &me)
	_, _, b = n.call("GET", "/api/v1/orgs/"+me.Org.ID+"/audit", token, nil)
	var trail wire.CustodyView
	mustJSON(t, b, &trail)
	if len(trail.Events) == 0 {
		t.Fatalf("the operator's audit chain is empty: %s", b)
	}
	return len(trail.Events)
}
