package bench

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/storage"
)

// anchorClients is how many clients upload and wait for their receipts
// in the latency benchmarks: a light load, so that the figure is the
// chain's latency and not a queue.
const anchorClients = 4

// BenchmarkAnchorLatency measures how long an item takes from its 201 to
// its receipt (anchored: included in a block, and a later block carries
// the AppHash that proves it), on the embedded default (one validator,
// `custos serve`) and on a four-validator loopback consortium (`custos
// consortium init`, four `custos serve --config`, timeout_commit 100ms).
// anchorClients clients each upload 1 KiB and then GET
// .../receipt?wait=30s (the server polls every 50ms), in a loop, spread
// over the nodes.
func BenchmarkAnchorLatency(b *testing.B) {
	window := envDuration(b, "CUSTOS_BENCH_DURATION", 10*time.Second)
	b.ReportMetric(load1(), "load1")

	single := startCustos(b)
	lat1 := anchorLatency(b, []*server{single}, anchorClients, window)
	single.stop(b)
	b.Logf("embedded default (1 validator): %s", lat1)

	nodes := startConsortium(b)
	lat4 := anchorLatency(b, nodes, anchorClients, window)
	b.Logf("consortium (4 validators, timeout_commit %v): %s", consortiumTimeoutCommit, lat4)

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(lat1.quantile(0.50), "single-p50-ms")
	b.ReportMetric(lat1.quantile(0.99), "single-p99-ms")
	b.ReportMetric(float64(len(lat1.latency)), "single-n")
	b.ReportMetric(lat4.quantile(0.50), "p50-ms")
	b.ReportMetric(lat4.quantile(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat4.latency)), "n")
	b.ReportMetric(float64(consortiumTimeoutCommit.Milliseconds()), "timeout-commit-ms")
	b.ReportMetric(load1(), "load1-end")
}

// anchorLatency waits for the chain to anchor a first item, then runs the
// upload-then-wait loop for window. Only the wait counts: from the 201 to
// the receipt's 200.
func anchorLatency(b *testing.B, nodes []*server, clients int, window time.Duration) loadResult {
	b.Helper()
	hc := newClient(clients)
	defer hc.CloseIdleConnections()
	first := time.Now()
	if _, err := uploadAndWait(hc, nodes[0], rand.NewChaCha8([32]byte{'w'})); err != nil {
		b.Fatalf("first item: %v", err)
	}
	b.Logf("first item anchored %v after start", time.Since(first).Round(time.Millisecond))
	return clientLoop(b, hc, nodes, clients, window, "lat", uploadAndWait)
}

// clientLoop runs op in clients loops over nodes (client c on node c mod
// len(nodes), with a random stream of its own seeded by c and seed) for
// window, and returns the durations op measured, sorted.
func clientLoop(b *testing.B, hc *http.Client, nodes []*server, clients int, window time.Duration, seed string,
	op func(*http.Client, *server, *rand.ChaCha8) (time.Duration, error)) loadResult {
	b.Helper()
	stop := make(chan struct{})
	t := time.AfterFunc(window, func() { close(stop) })
	defer t.Stop()
	res := clientLoopUntil(b, hc, nodes, clients, stop, seed, op)
	res.window = window
	return res
}

// clientLoopUntil is clientLoop until stop is closed; the result's window
// is the time it ran.
func clientLoopUntil(b *testing.B, hc *http.Client, nodes []*server, clients int, stop <-chan struct{}, seed string,
	op func(*http.Client, *server, *rand.ChaCha8) (time.Duration, error)) loadResult {
	b.Helper()
	rngs := make([]*rand.ChaCha8, clients)
	lats := make([][]time.Duration, clients)
	for c := range rngs {
		var s [32]byte
		s[0] = byte(c)
		copy(s[1:], seed)
		rngs[c] = rand.NewChaCha8(s)
	}
	begin := time.Now()
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	var wg sync.WaitGroup
	var failed atomic.Value
	for c := range clients {
		wg.Go(func() {
			for !stopped() && failed.Load() == nil {
				d, err := op(hc, nodes[c%len(nodes)], rngs[c])
				if err != nil {
					failed.Store(err)
					return
				}
				lats[c] = append(lats[c], d)
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	window := time.Since(begin)
	all := slices.Concat(lats...)
	slices.Sort(all)
	return loadResult{ops: len(all), window: window, latency: all}
}

// uploadAndWait uploads 1 KiB of random bytes to node and returns the time
// from the 201 to the receipt.
func uploadAndWait(hc *http.Client, node *server, rng *rand.ChaCha8) (time.Duration, error) {
	id, err := uploadSmall(hc, node, rng, 1<<10)
	if err != nil {
		return 0, err
	}
	created := time.Now()
	req, err := http.NewRequest(http.MethodGet, node.URL+"/api/v1/evidence/"+id+"/receipt?wait=30s", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+node.Token)
	if err := do(hc, req, http.StatusOK, nil); err != nil {
		return 0, err
	}
	return time.Since(created), nil
}

// uploadSmall POSTs size random bytes and returns the new item's ID.
func uploadSmall(hc *http.Client, node *server, rng *rand.ChaCha8, size int) (string, error) {
	body := make([]byte, size)
	_, _ = rng.Read(body)
	req, err := http.NewRequest(http.MethodPost, node.URL+"/api/v1/evidence", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Authorization", "Bearer "+node.Token)
	var view struct {
		ID string `json:"id"`
	}
	err = do(hc, req, http.StatusCreated, func(b []byte) error { return json.Unmarshal(b, &view) })
	return view.ID, err
}

// BenchmarkAnchorThroughput loads the four-validator consortium with
// small uploads and custody reads (each GET /api/v1/evidence/{id} records
// a "viewed" event: one more leaf) on every node, and counts the leaves
// the log anchors per second from the growth of the checkpoint's
// tree_size over the window. After the load stops it waits for the log to
// catch up: a short drain means the chain kept up and ingest was the
// limit. BenchmarkAnchorApp gives the log's own ceiling.
func BenchmarkAnchorThroughput(b *testing.B) {
	const uploaders, readers = 4, 8 // per node
	window := envDuration(b, "CUSTOS_BENCH_DURATION", 10*time.Second)
	b.ReportMetric(load1(), "load1")
	nodes := startConsortium(b)
	hc := newClient(len(nodes) * (uploaders + readers))
	defer hc.CloseIdleConnections()
	if _, err := uploadAndWait(hc, nodes[0], rand.NewChaCha8([32]byte{'w'})); err != nil {
		b.Fatalf("first item: %v", err)
	}
	// Items to read, on each node.
	ids := make([][]string, len(nodes))
	for i, n := range nodes {
		rng := rand.NewChaCha8([32]byte{byte(i), 'i', 'd'})
		for range 16 {
			id, err := uploadSmall(hc, n, rng, 1<<10)
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = append(ids[i], id)
		}
	}
	clients := len(nodes) * (uploaders + readers)
	rngs := make([]*rand.ChaCha8, clients)
	for c := range rngs {
		rngs[c] = rand.NewChaCha8([32]byte{byte(c), 't', 'p'})
	}
	var uploads, reads atomic.Int64
	begin := time.Now().Add(time.Second)
	end := begin.Add(window)
	size0, samples := sampleTreeSize(b, nodes[0], begin, end)
	cpu0 := nodesCPU(nodes)
	res, err := runLoad(clients, time.Second, window, func(c int) error {
		node, kind := c%len(nodes), c/len(nodes)
		if kind < uploaders {
			_, err := uploadSmall(hc, nodes[node], rngs[c], 1<<10)
			uploads.Add(1)
			return err
		}
		id := ids[node][rngs[c].Uint64()%uint64(len(ids[node]))]
		req, err := http.NewRequest(http.MethodGet, nodes[node].URL+"/api/v1/evidence/"+id, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+nodes[node].Token)
		reads.Add(1)
		return do(hc, req, http.StatusOK, nil)
	})
	if err != nil {
		b.Fatal(err)
	}
	stopped := time.Now()
	serverCores := (nodesCPU(nodes) - cpu0).Seconds() / stopped.Sub(begin.Add(-time.Second)).Seconds()
	s := <-samples
	anchored := slope(s, begin, end)
	// Drain: wait until the tree stops growing for 2s (at most 60s).
	final, last := size0, time.Now()
	for time.Since(last) < 2*time.Second && time.Since(stopped) < 60*time.Second {
		time.Sleep(200 * time.Millisecond)
		n, err := treeSize(hc, nodes[0])
		if err != nil {
			b.Fatal(err)
		}
		if n > final {
			final, last = n, time.Now()
		}
	}
	drain := last.Sub(stopped)
	offered := float64(final-size0) / stopped.Sub(begin.Add(-time.Second)).Seconds()
	b.Logf("clients: %d uploaders + %d readers per node × %d nodes; %v", uploaders, readers, len(nodes), res)
	b.Logf("client ops (whole run): %d uploads, %d reads; leaves offered %.0f/s, anchored in the window %.0f/s; drained %v after the load stopped (tree size %d)",
		uploads.Load(), reads.Load(), offered, anchored, drain.Round(time.Millisecond), final)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(anchored, "leaves/s")
	b.ReportMetric(offered, "offered-leaves/s")
	b.ReportMetric(res.rate(), "client-ops/s")
	b.ReportMetric(drain.Seconds(), "drain-s")
	b.ReportMetric(serverCores, "server-cores")
	b.ReportMetric(serverCores/offered*1e3, "server-cpu-ms/leaf")
	b.ReportMetric(load1(), "load1-end")
}

// nodesCPU is the CPU time the nodes' processes have used.
func nodesCPU(nodes []*server) time.Duration {
	var t time.Duration
	for _, n := range nodes {
		t += cpuTime(n.PID())
	}
	return t
}

type sizeSample struct {
	at   time.Time
	size uint64
}

// sampleTreeSize returns node's tree size now, and then reads it every
// 100ms from from to to and sends the samples when done.
func sampleTreeSize(b *testing.B, node *server, from, to time.Time) (uint64, chan []sizeSample) {
	b.Helper()
	hc := &http.Client{}
	size, err := treeSize(hc, node)
	if err != nil {
		b.Fatal(err)
	}
	out := make(chan []sizeSample, 1)
	go func() {
		var s []sizeSample
		time.Sleep(time.Until(from))
		for now := time.Now(); now.Before(to.Add(100 * time.Millisecond)); now = time.Now() {
			if n, err := treeSize(hc, node); err == nil {
				s = append(s, sizeSample{now, n})
			}
			time.Sleep(100 * time.Millisecond)
		}
		out <- s
	}()
	return size, out
}

// slope is the growth per second between the first sample at or after
// from and the last at or before to.
func slope(s []sizeSample, from, to time.Time) float64 {
	i := slices.IndexFunc(s, func(x sizeSample) bool { return !x.at.Before(from) })
	j := len(s) - 1
	for j >= 0 && s[j].at.After(to) {
		j--
	}
	if i < 0 || j <= i {
		return 0
	}
	return float64(s[j].size-s[i].size) / s[j].at.Sub(s[i].at).Seconds()
}

// BenchmarkAnchorApp is the log's own ceiling: the ABCI application of one
// validator, in process, on the same bbolt options as the node, appending
// blocks of four 10,000-leaf transactions (one per member). "block" is
// what a validator does per block: CheckTx (mempool), ProcessProposal,
// FinalizeBlock and Commit, each verifying every transaction's Ed25519
// signature over its 320 KB; "finalize" is FinalizeBlock and Commit only.
// Consensus (network rounds, timeout_commit) is not included.
func BenchmarkAnchorApp(b *testing.B) {
	v1Finalize, v1Block := runAnchorApp(b, anchor.StateV1)
	v2Finalize, v2Block := runAnchorApp(b, anchor.StateV2)
	v3Finalize, v3Block := runAnchorApp(b, anchor.StateV3)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(v1Finalize, "finalize-leaves/s")
	b.ReportMetric(v1Block, "block-leaves/s")
	b.ReportMetric(v2Finalize, "v2-finalize-leaves/s")
	b.ReportMetric(v2Block, "v2-block-leaves/s")
	b.ReportMetric(v2Block/v1Block, "x-v2")
	b.ReportMetric(v3Finalize, "v3-finalize-leaves/s")
	b.ReportMetric(v3Block, "v3-block-leaves/s")
	b.ReportMetric(v3Block/v1Block, "x-v3")
	b.ReportMetric(load1(), "load1")
}

// runAnchorApp runs BenchmarkAnchorApp's blocks on a chain at state
// version: at version 2 every leaf also moves a custody head of its own
// (as uploads do: each created event starts a chain); at version 3 such
// chains of one event have no head, so the batches are leaves alone.
func runAnchorApp(b *testing.B, version int) (finalize, block float64) {
	const txsPerBlock, warmup, blocks = 4, 4, 10
	ctx := context.Background()
	now := time.Now()
	root, err := certs.NewRoot("Bench Root", now)
	if err != nil {
		b.Fatal(err)
	}
	var makers []func(seq uint64, leaves [][]byte) []byte
	var validators []abci.ValidatorUpdate // the members' nodes are the validators
	for i := range txsPerBlock {
		org, err := root.NewOrgCA(certs.KindCourt, fmt.Sprintf("Court %d", i), now)
		if err != nil {
			b.Fatal(err)
		}
		pub, key, _ := ed25519.GenerateKey(nil)
		cert, err := org.IssueNode(fmt.Sprintf("node%d", i), pub, now)
		if err != nil {
			b.Fatal(err)
		}
		validators = append(validators, abci.Ed25519ValidatorUpdate(pub, 10))
		makers = append(makers, func(seq uint64, leaves [][]byte) []byte {
			if version == anchor.StateV1 {
				tx, err := anchor.NewTx("custos-bench", cert, org.Cert, key, seq, leaves)
				if err != nil {
					b.Fatal(err)
				}
				return tx
			}
			if version == anchor.StateV3 {
				tx, err := anchor.NewBatchTx3("custos-bench", cert, org.Cert, key, seq, leaves, nil)
				if err != nil {
					b.Fatal(err)
				}
				return tx
			}
			heads := make([]anchor.HeadUpdate, len(leaves))
			for i, l := range leaves {
				heads[i] = anchor.HeadUpdate{Key: sha256.Sum256(append([]byte("head "), l...)), Events: 1, Value: sha256.Sum256(l)}
			}
			tx, err := anchor.NewBatchTx("custos-bench", cert, org.Cert, key, seq, leaves, heads)
			if err != nil {
				b.Fatal(err)
			}
			return tx
		})
	}
	// Every transaction of the run, built before timing.
	var leafNo, seq uint64
	newBlock := func() [][]byte {
		seq++
		var txs [][]byte
		for _, mk := range makers {
			leaves := make([][]byte, anchor.MaxLeaves)
			for i := range leaves {
				h := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("\x00leaf "), leafNo))
				leaves[i], leafNo = h[:], leafNo+1
			}
			txs = append(txs, mk(seq, leaves))
		}
		return txs
	}
	all := make([][][]byte, warmup+2*blocks)
	for i := range all {
		all[i] = newBlock()
	}
	db, err := storage.OpenDB(filepath.Join(b.TempDir(), "app.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	app, err := anchor.NewApp(anchor.AppConfig{DB: db, ChainID: "custos-bench", Root: root.Cert})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := app.InitChain(ctx, &abci.RequestInitChain{Validators: validators, AppStateBytes: anchor.GenesisState(root.Cert, version)}); err != nil {
		b.Fatal(err)
	}
	height := int64(0)
	run := func(block [][]byte, full bool) {
		height++
		at := time.Now()
		if full {
			for _, tx := range block {
				if r, err := app.CheckTx(ctx, &abci.RequestCheckTx{Tx: tx}); err != nil || r.Code != anchor.CodeOK {
					b.Fatalf("CheckTx = %v, %v", r, err)
				}
			}
			if r, err := app.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: block, Height: height, Time: at}); err != nil || r.Status != abci.ResponseProcessProposal_ACCEPT {
				b.Fatalf("ProcessProposal = %v, %v", r, err)
			}
		}
		r, err := app.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Txs: block, Height: height, Time: at})
		if err != nil {
			b.Fatal(err)
		}
		for _, tr := range r.TxResults {
			if tr.Code != anchor.CodeOK {
				b.Fatalf("FinalizeBlock: code %d: %s", tr.Code, tr.Log)
			}
		}
		if _, err := app.Commit(ctx, &abci.RequestCommit{}); err != nil {
			b.Fatal(err)
		}
	}
	for _, blk := range all[:warmup] { // the bbolt file grows, the verifier caches the node certificates
		run(blk, true)
	}
	// Alternate the two kinds, so that both see the same log sizes.
	var spent [2]time.Duration
	for i, blk := range all[warmup:] {
		start := time.Now()
		run(blk, i%2 == 1)
		spent[i%2] += time.Since(start)
	}
	leaves := float64(blocks * txsPerBlock * anchor.MaxLeaves)
	finalize, block = leaves/spent[0].Seconds(), leaves/spent[1].Seconds()
	b.Logf("state version %d, %d blocks of %d × %d leaves: FinalizeBlock+Commit %.0f leaves/s; CheckTx+ProcessProposal+FinalizeBlock+Commit %.0f leaves/s",
		version, blocks, txsPerBlock, anchor.MaxLeaves, finalize, block)
	return finalize, block
}
