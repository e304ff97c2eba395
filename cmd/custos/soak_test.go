package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custos-project/custos/api/client"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/evidence/integrity"
	"github.com/custos-project/custos/receipt"
)

// The soak scenarios (TestSoak*) load real `custos serve` processes on
// 127.0.0.1 while faults happen, record every acknowledged upload on the
// client side (a soakLedger), and end with one checker: every acknowledged
// item is readable with the right SHA-256, is anchored, and its receipt
// verifies offline against the trust bundle. CUSTOS_SOAK_DURATION sets how
// long each scenario's load runs (default 10s, what `make test` runs;
// `make soak SOAK=10m` for a long run).

// soakDuration is the load time of each scenario.
func soakDuration(t *testing.T) time.Duration {
	t.Helper()
	s := os.Getenv("CUSTOS_SOAK_DURATION")
	if s == "" {
		return 10 * time.Second
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		t.Fatalf("CUSTOS_SOAK_DURATION=%q: want a positive Go duration such as 10m", s)
	}
	return d
}

// soakLimits is a [limits] table with a per-key upload rate: above it,
// uploads get 429. It also bounds how many items a run acknowledges, and
// so how long the checker takes.
func soakLimits(uploadRate int) string {
	return fmt.Sprintf("[limits]\nupload_rate = %d.0\nupload_burst = %d\n", uploadRate, 2*uploadRate)
}

// ackedItem is one acknowledged upload; its bytes are regenerated from seed.
type ackedItem struct {
	id, sha256 string
	seed       uint64
	size       int
}

func soakData(seed uint64, size int) []byte {
	var key [32]byte
	for i := range 8 {
		key[i] = byte(seed >> (8 * i))
	}
	b := make([]byte, size)
	rand.NewChaCha8(key).Read(b)
	return b
}

// soakLedger is the client side's record: every acknowledged upload, every
// status seen, and every violation of the overload contract.
type soakLedger struct {
	seed atomic.Uint64
	pace time.Duration // each uploader's pause between uploads; 0: none

	mu         sync.Mutex
	items      []ackedItem
	statuses   map[int]int
	netErrs    int      // no answer (the node was killed, or stopped answering)
	violations []string // a 5xx other than 503, or a 429/503 without Retry-After
}

func newLedger() *soakLedger { return &soakLedger{statuses: map[int]int{}} }

// upload files one item of size bytes and records the outcome; it returns
// the status (0: no answer) and the Retry-After it carried.
func (l *soakLedger) upload(ctx context.Context, hc *http.Client, url, token string, size int) (int, time.Duration) {
	seed := l.seed.Add(1)
	data := soakData(seed, size)
	req, err := http.NewRequestWithContext(ctx, "POST", url+"/api/v1/evidence", bytes.NewReader(data))
	if err != nil {
		return 0, 0
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			l.mu.Lock()
			l.netErrs++
			l.mu.Unlock()
		}
		return 0, 0
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	l.mu.Lock()
	defer l.mu.Unlock()
	l.statuses[resp.StatusCode]++
	switch code := resp.StatusCode; {
	case code == http.StatusCreated && rerr == nil:
		var v wire.EvidenceView
		if err := json.Unmarshal(body, &v); err != nil {
			l.violations = append(l.violations, "201 with an undecodable body: "+err.Error())
			break
		}
		l.items = append(l.items, ackedItem{id: v.ID, sha256: v.SHA256, seed: seed, size: size})
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		if retry <= 0 {
			l.violations = append(l.violations, fmt.Sprintf("%d without Retry-After: %s", code, tailString(string(body), 200)))
		}
	case code >= 500:
		l.violations = append(l.violations, fmt.Sprintf("%d: %s", code, tailString(string(body), 300)))
	}
	return resp.StatusCode, time.Duration(retry) * time.Second
}

// load runs workers uploaders against url until ctx ends. Each honours
// Retry-After (capped at 2s, with jitter) and otherwise uploads at once;
// sizes are mostly small, one in ten spans several pipeline buffers.
func (l *soakLedger) load(ctx context.Context, workers int, url string, tokens []string) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}, Timeout: 2 * time.Minute}
	defer hc.CloseIdleConnections()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				size := 1000 + rand.IntN(30000)
				if i%10 == 9 {
					size = 1<<20 + rand.IntN(1<<20)
				}
				status, retry := l.upload(ctx, hc, url, tokens[w%len(tokens)], size)
				pause := l.pace
				switch {
				case status == 0:
					pause = 200 * time.Millisecond // the node is down: do not spin
				case retry > 0:
					pause = min(retry, 2*time.Second)/2 + rand.N(min(retry, 2*time.Second)/2+1)
				}
				select {
				case <-ctx.Done():
				case <-time.After(pause):
				}
			}
		}()
	}
	wg.Wait()
}

// acked returns a copy of the acknowledged items.
func (l *soakLedger) acked() []ackedItem {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ackedItem(nil), l.items...)
}

// summary is the ledger's counts, for the test log and docs/reliability.md.
func (l *soakLedger) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	codes := make([]int, 0, len(l.statuses))
	for c := range l.statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var b strings.Builder
	fmt.Fprintf(&b, "acknowledged=%d statuses={", len(l.items))
	for i, c := range codes {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%d:%d", c, l.statuses[c])
	}
	fmt.Fprintf(&b, "} no-answer=%d violations=%d", l.netErrs, len(l.violations))
	return b.String()
}

// requireContract fails the test on any 5xx other than 503, and on any
// 429 or 503 without Retry-After.
func (l *soakLedger) requireContract(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, v := range l.violations {
		if i == 10 {
			t.Errorf("... and %d more", len(l.violations)-10)
			break
		}
		t.Errorf("overload contract broken: %s", v)
	}
}

// check confirms every acknowledged item through node p: readable, with
// the right SHA-256, anchored (a receipt within anchorWait), and its receipt
// verifying offline against the node's trust bundle (in process for every
// item; with the `custos verify` binary for a few).
func (l *soakLedger) check(t *testing.T, p *proc, token string, anchorWait time.Duration) {
	t.Helper()
	items := l.acked()
	if len(items) == 0 {
		t.Fatal("no upload was acknowledged")
	}
	_, _, tb := p.call("GET", "/api/v1/trust", "", nil)
	var trust receipt.Trust
	mustJSON(t, tb, &trust)
	verifier, err := receipt.NewVerifier(&trust)
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(p.URL, token)
	var (
		mu       sync.Mutex
		failures []string
		wg       sync.WaitGroup
		next     atomic.Int64
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		failures = append(failures, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	deadline := time.Now().Add(anchorWait)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(items)); i = next.Add(1) - 1 {
				if err := checkItem(c, verifier, items[i], deadline); err != nil {
					fail("%s: %v", items[i].id, err)
				}
			}
		}()
	}
	wg.Wait()
	for i, f := range failures {
		if i == 10 {
			t.Errorf("... and %d more", len(failures)-10)
			break
		}
		t.Errorf("acknowledged item lost or damaged: %s", f)
	}
	// The command-line verifier too, on the first, a middle and the last item.
	trustPath := writeFile(t, t.TempDir(), "trust.json", tb)
	for _, it := range []ackedItem{items[0], items[len(items)/2], items[len(items)-1]} {
		_, rcpt := receiptWithin(t, p, token, it.id, anchorWait)
		dir := t.TempDir()
		out, err := runCustos(t, "verify", "--receipt", writeFile(t, dir, "r.json", rcpt), "--file", writeFile(t, dir, "f", soakData(it.seed, it.size)), "--trust", trustPath)
		if err != nil {
			t.Errorf("custos verify %s: %v\n%s", it.id, err, out)
		}
	}
	t.Logf("checked %d acknowledged items: readable, digest right, anchored, receipts verify offline", len(items))
}

// checkItem checks one acknowledged item (see check).
func checkItem(c *client.Client, v *receipt.Verifier, it ackedItem, deadline time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Until(deadline)+time.Minute)
	defer cancel()
	data := soakData(it.seed, it.size)
	if it.sha256 != sha256Hex(data) {
		return fmt.Errorf("acknowledged with digest %s, sent bytes have %s", it.sha256, sha256Hex(data))
	}
	// An item stored while the object store was down is acknowledged from
	// the staging area and promoted to write-once storage when the store is
	// back (a retry every 10 s); until then its content is 503 with
	// Retry-After, which a client is told to honour. So is a 429: eight
	// checkers of tens of thousands of items (make soak's ten minutes) go
	// past the key's 1,000 requests a second.
	rc, err := c.Content(ctx, it.id)
	for ae := (*client.Error)(nil); errors.As(err, &ae) && (ae.Status == http.StatusServiceUnavailable || ae.Status == http.StatusTooManyRequests) &&
		ae.RetryAfter > 0 && time.Now().Before(deadline); {
		time.Sleep(ae.RetryAfter)
		rc, err = c.Content(ctx, it.id)
	}
	if err != nil {
		return fmt.Errorf("content: %w", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || sha256Hex(got) != it.sha256 {
		return fmt.Errorf("content: %d bytes, digest %s, %v", len(got), sha256Hex(got), err)
	}
	for {
		b, err := c.Receipt(ctx, it.id, 20*time.Second)
		if err == nil {
			r, err := receipt.Parse(b)
			if err != nil {
				return fmt.Errorf("receipt: %w", err)
			}
			if _, err := v.Verify(r, bytes.NewReader(data), receipt.Options{}); err != nil {
				return fmt.Errorf("receipt does not verify: %w", err)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not anchored in time: %w", err)
		}
		if !errors.Is(err, client.ErrPending) {
			time.Sleep(time.Second) // the node may be busy: ask again
		}
	}
}

// receiptWithin fetches a receipt, waiting up to wait for it.
func receiptWithin(t *testing.T, p *proc, token, id string, wait time.Duration) (int, []byte) {
	t.Helper()
	for deadline := time.Now().Add(wait); ; {
		status, _, b := p.call("GET", "/api/v1/evidence/"+id+"/receipt?wait=20s", token, nil)
		if status == 200 || time.Now().After(deadline) {
			if status != 200 {
				t.Errorf("receipt of %s = %d %s", id, status, b)
			}
			return status, b
		}
	}
}

// runAudit runs the integrity audit on demand through the admin API and
// returns the finished run.
func runAudit(t *testing.T, p *proc, token string) *wire.AuditRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run, err := client.New(p.URL, token).RunIntegrity(ctx, 200*time.Millisecond)
	if err != nil || run.Report == nil {
		t.Fatalf("on-demand integrity audit: %+v, %v", run, err)
	}
	return run
}

// waitScheduledAudit waits for a scheduled audit started after since to
// finish, and returns it.
func waitScheduledAudit(t *testing.T, p *proc, token string, since time.Time, wait time.Duration) *wire.AuditRun {
	t.Helper()
	c := client.New(p.URL, token)
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		st, err := c.Integrity(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if l := st.Latest; l != nil && l.Trigger == integrity.TriggerScheduled && l.StartedAt.After(since) {
			return l
		}
	}
	t.Fatalf("no scheduled integrity audit finished within %v", wait)
	return nil
}

// integrityReport is an audit report as the API sent it, decoded as the
// integrity package's own type (for its Findings).
func integrityReport(t *testing.T, r *wire.AuditReport) *integrity.Report {
	t.Helper()
	b, err := json.Marshal(r)
	var rep integrity.Report
	if err != nil || json.Unmarshal(b, &rep) != nil {
		t.Fatalf("audit report %+v does not round-trip: %v", r, err)
	}
	return &rep
}

// requireClean fails unless an audit found nothing wrong.
func requireClean(t *testing.T, run *wire.AuditRun) {
	t.Helper()
	if !run.OK || integrityReport(t, run.Report).Findings() != 0 {
		b, _ := json.Marshal(run)
		t.Errorf("integrity audit found damage: %s", b)
	}
}
