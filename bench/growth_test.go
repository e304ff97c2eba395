package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/storage"
)

// BenchmarkGrowth measures how the node's cost grows with the store: at
// each size in CUSTOS_BENCH_GROWTH_STEPS (default 10000,100000 records) it
// measures, through the real binary's HTTP API, small-evidence ingest (4 KiB
// x 64 clients, as BenchmarkSmallIngest), GET /api/v1/evidence/{id} and the
// public GET /api/v1/lookup?sha256= of records picked at random from the
// whole store (16 clients each).
//
// Reaching 10^6 records over HTTP would take most of an hour, so between
// steps the node is stopped and the store is filled in process by seed:
// real uploads through the evidence package (NewUpload, ReadFrom, Finish:
// the handler's own path, with real RFC 3161 tokens from the node's TSA key,
// inline bodies, custody events and indexes), owned by the admin key like
// the HTTP uploads. Only the HTTP layer is skipped. The node then restarts
// on the grown store, anchors the seeded events, and is measured.
//
// With CUSTOS_BENCH_GROWTH_CSV set, one CSV line per step is written there.
func BenchmarkGrowth(b *testing.B) {
	steps := growthSteps(b)
	window := envDuration(b, "CUSTOS_BENCH_DURATION", 5*time.Second)
	tmp := b.TempDir()

	// First start: bootstrap the node and learn the admin key's owner
	// string from one upload through the API.
	srv := startCustosIn(b, tmp, "")
	token := srv.Token
	owner := firstOwner(b, srv)

	st := &growthState{owner: owner, count: 1}
	var rows []growthRow
	for _, n := range steps {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			rows = append(rows, growthStep(b, st, tmp, token, n, window))
		})
	}
	writeGrowthCSV(b, rows)
}

// growthState is what the steps share: the store's size and a uniform
// sample of its records.
type growthState struct {
	owner  string
	count  int          // records in the store
	seen   int          // records offered to the sample
	sample []sampleItem // reservoir of up to sampleSize records
	last   sampleItem   // the record seeded last
}

const sampleSize = 4096

type sampleItem struct{ id, sha256 string }

// offer adds a record to the reservoir (Algorithm R), so that lookups pick
// from every part of the store, not just the newest records.
func (g *growthState) offer(it sampleItem) {
	g.seen++
	if len(g.sample) < sampleSize {
		g.sample = append(g.sample, it)
	} else if j := rand.IntN(g.seen); j < sampleSize {
		g.sample[j] = it
	}
}

type growthRow struct {
	records                      int
	seedRate                     float64
	ingest, ingestP50, ingestP99 float64
	idP50, idP99, idRate         float64
	shaP50, shaP99, shaRate      float64
	anchorWait                   float64
	load1                        float64
}

func growthStep(b *testing.B, st *growthState, tmp, token string, n int, window time.Duration) growthRow {
	row := growthRow{records: n, load1: load1()}
	if add := n - st.count; add > 0 {
		t0 := time.Now()
		seed(b, st, filepath.Join(tmp, "data"), add)
		row.seedRate = float64(add) / time.Since(t0).Seconds()
		b.Logf("seeded %d records in process: %.0f/s", add, row.seedRate)
	}
	row.records = st.count // n, or a little more after the previous step's ingest
	srv := startCustosIn(b, tmp, token)
	row.anchorWait = waitAnchored(b, srv, st.last.sha256).Seconds()

	hc := newClient(16)
	defer hc.CloseIdleConnections()
	ids := lookupLoad(b, hc, st.sample, window, func(it sampleItem) (*http.Request, int, func([]byte) error) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/evidence/"+it.id, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		return req, http.StatusOK, nil
	})
	// Every sampled record is anchored by now (they were seeded before the
	// last one, and records are marked in leaf order): the lookup must find
	// it by its digest, whether the sha256 index or its tail holds it.
	shas := lookupLoad(b, hc, st.sample, window, func(it sampleItem) (*http.Request, int, func([]byte) error) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/lookup?sha256="+it.sha256, nil)
		return req, http.StatusOK, func(body []byte) error {
			if !bytes.Contains(body, []byte(`"anchored":true`)) {
				return fmt.Errorf("lookup of %s: %s, want anchored", it.sha256, body)
			}
			return nil
		}
	})
	ing := smallLoad(b, srv.URL+"/api/v1/evidence", token, 64, 4<<10, window)
	srv.stop(b)
	// The ingest run added about this many records (its 1s warm-up
	// included); the next step's seed tops up to its size from here.
	st.count = n + int(ing.rate()*(window+time.Second).Seconds())
	b.Logf("%d records: ingest %v; GET by ID %v; lookup by SHA-256 %v", n, ing, ids, shas)

	row.ingest, row.ingestP50, row.ingestP99 = ing.rate(), ing.quantile(0.5), ing.quantile(0.99)
	row.idRate, row.idP50, row.idP99 = ids.rate(), ids.quantile(0.5), ids.quantile(0.99)
	row.shaRate, row.shaP50, row.shaP99 = shas.rate(), shas.quantile(0.5), shas.quantile(0.99)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(row.ingest, "evidence/s")
	b.ReportMetric(row.ingestP99, "ingest-p99-ms")
	b.ReportMetric(row.idP50, "id-p50-ms")
	b.ReportMetric(row.idP99, "id-p99-ms")
	b.ReportMetric(row.shaP50, "sha-p50-ms")
	b.ReportMetric(row.shaP99, "sha-p99-ms")
	b.ReportMetric(row.seedRate, "seed/s")
	b.ReportMetric(row.anchorWait, "anchor-wait-s")
	b.ReportMetric(row.load1, "load1")
	return row
}

// growthSteps reads CUSTOS_BENCH_GROWTH_STEPS: increasing record counts,
// comma-separated, with k and M suffixes allowed (10k,100k,1M).
func growthSteps(b *testing.B) []int {
	s := os.Getenv("CUSTOS_BENCH_GROWTH_STEPS")
	if s == "" {
		s = "10k,100k"
	}
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := parseCount(f)
		if err != nil || (len(out) > 0 && n <= out[len(out)-1]) {
			b.Fatalf("CUSTOS_BENCH_GROWTH_STEPS=%q: want increasing counts such as 10k,100k,1M", s)
		}
		out = append(out, n)
	}
	return out
}

// parseCount reads a positive count such as 1000, 10k or 1M.
func parseCount(f string) (int, error) {
	f = strings.TrimSpace(f)
	mult := 1
	if t, ok := strings.CutSuffix(f, "k"); ok {
		f, mult = t, 1000
	} else if t, ok := strings.CutSuffix(f, "M"); ok {
		f, mult = t, 1000000
	}
	n, err := strconv.Atoi(f)
	if err == nil && n <= 0 {
		err = fmt.Errorf("%q is not a positive count", f)
	}
	return n * mult, err
}

// firstOwner uploads one item through the API and returns the owner the
// server recorded for the admin key.
func firstOwner(b *testing.B, srv *server) string {
	b.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/evidence", strings.NewReader("growth"))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+srv.Token)
	req.Header.Set("Content-Type", "application/octet-stream")
	var id string
	err = do(http.DefaultClient, req, http.StatusCreated, func(body []byte) error {
		var v struct {
			ID string `json:"id"`
		}
		err := json.Unmarshal(body, &v)
		id = v.ID
		return err
	})
	if err != nil || id == "" {
		b.Fatalf("first upload: id %q, %v", id, err)
	}
	srv.stop(b)
	ev, done := openEvidence(b, srv.Dir)
	defer done()
	r, err := ev.Get(context.Background(), id)
	if err != nil {
		b.Fatal(err)
	}
	return r.Owner
}

// openEvidence opens a stopped node's store as `custos serve` does (folder
// blobs, bbolt, the built-in TSA on its development PKI).
func openEvidence(b *testing.B, data string) (*evidence.Service, func()) {
	b.Helper()
	ctx := context.Background()
	dev, err := certs.LoadOrCreateDev(filepath.Join(data, "pki"), "Custos Bench", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	tsa, err := notary.NewTSA(notary.TSAConfig{Cert: dev.TSA.Cert, Chain: dev.TSA.Chain, Signer: dev.TSA.Signer})
	if err != nil {
		b.Fatal(err)
	}
	blobs, err := storage.NewFolder(filepath.Join(data, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	db, err := storage.OpenDB(filepath.Join(data, "custos.db"))
	if err != nil {
		b.Fatal(err)
	}
	ev, err := evidence.New(ctx, evidence.Config{DB: db, Blobs: blobs, TSA: tsa})
	if err == nil {
		err = ev.Recover(ctx)
	}
	if err != nil {
		db.Close()
		b.Fatal(err)
	}
	return ev, func() {
		if err := db.Close(); err != nil {
			b.Error(err)
		}
	}
}

// seed files add 4 KiB random uploads into the stopped node's store, from
// 64 goroutines so that the group commit batches them as under load.
func seed(b *testing.B, st *growthState, data string, add int) {
	b.Helper()
	const workers = 64
	ev, done := openEvidence(b, data)
	defer done()
	ctx := context.Background()
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
		errs = make([]error, workers)
	)
	for w := range workers {
		wg.Go(func() {
			rng := rand.NewChaCha8([32]byte{byte(w), byte(st.count), byte(st.count >> 8), byte(st.count >> 16), 'g'})
			body := make([]byte, 4<<10)
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= add {
					return
				}
				_, _ = rng.Read(body)
				r, err := seedOne(ctx, ev, st.owner, body)
				if err != nil {
					errs[w] = err
					return
				}
				mu.Lock()
				st.offer(sampleItem{r.ID, r.SHA256})
				st.last = sampleItem{r.ID, r.SHA256}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	st.count += add
}

func seedOne(ctx context.Context, ev *evidence.Service, owner string, body []byte) (*evidence.Record, error) {
	up, err := ev.NewUpload(ctx, owner)
	if err != nil {
		return nil, err
	}
	defer up.Abort()
	if _, err := up.ReadFrom(bytes.NewReader(body)); err != nil {
		return nil, err
	}
	return up.Finish(ctx, evidence.Meta{})
}

// waitAnchored waits until the log's tree size has stopped growing for a
// second (the seeded events are anchored), at most 5 minutes, and returns
// how long that took.
func waitAnchored(b *testing.B, srv *server, lastSHA256 string) time.Duration {
	b.Helper()
	hc := &http.Client{}
	t0 := time.Now()
	var last uint64
	stable := 0
	for time.Since(t0) < 5*time.Minute {
		n, err := treeSize(hc, srv)
		if err != nil {
			b.Fatal(err)
		}
		if n == last && n > 0 {
			stable++
		} else {
			stable = 0
		}
		// The records are marked anchored after their leaves are final,
		// in leaf order: the last seeded one is marked last.
		if stable >= 4 && (lastSHA256 == "" || anchoredRecord(b, hc, srv, lastSHA256)) {
			return time.Since(t0)
		}
		last = n
		time.Sleep(250 * time.Millisecond)
	}
	b.Logf("tree size still growing, or records not yet marked, after 5 minutes (%d)", last)
	return time.Since(t0)
}

// anchoredRecord reports whether the public lookup says the record with
// this digest is anchored.
func anchoredRecord(b *testing.B, hc *http.Client, srv *server, sha string) bool {
	resp, err := hc.Get(srv.URL + "/api/v1/lookup?sha256=" + sha)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Anchored bool `json:"anchored"`
	}
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&v) == nil && v.Anchored
}

// lookupLoad reads sampled records from 16 keep-alive clients for the
// window (1s warm-up).
func lookupLoad(b *testing.B, hc *http.Client, sample []sampleItem, window time.Duration,
	mk func(sampleItem) (*http.Request, int, func([]byte) error)) loadResult {
	b.Helper()
	const clients = 16
	rngs := make([]*rand.Rand, clients)
	for c := range rngs {
		rngs[c] = rand.New(rand.NewPCG(uint64(c), 7))
	}
	res, err := runLoad(clients, time.Second, window, func(c int) error {
		req, want, check := mk(sample[rngs[c].IntN(len(sample))])
		return do(hc, req, want, check)
	})
	if err != nil {
		b.Fatal(err)
	}
	return res
}

func writeGrowthCSV(b *testing.B, rows []growthRow) {
	path := os.Getenv("CUSTOS_BENCH_GROWTH_CSV")
	if path == "" {
		return
	}
	var buf bytes.Buffer
	buf.WriteString("records,ingest_per_s,ingest_p50_ms,ingest_p99_ms,id_per_s,id_p50_ms,id_p99_ms,sha_per_s,sha_p50_ms,sha_p99_ms,seed_per_s,anchor_wait_s,load1\n")
	for _, r := range rows {
		fmt.Fprintf(&buf, "%d,%.0f,%.2f,%.2f,%.0f,%.2f,%.2f,%.0f,%.2f,%.2f,%.0f,%.1f,%.2f\n", r.records,
			r.ingest, r.ingestP50, r.ingestP99, r.idRate, r.idP50, r.idP99, r.shaRate, r.shaP50, r.shaP99,
			r.seedRate, r.anchorWait, r.load1)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		b.Error(err)
	}
}
