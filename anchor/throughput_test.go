package anchor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/storage"
)

// throughputLeaves is how many leaves the benchmark anchors in all, spread
// evenly over the validators' batchers; throughputWarmup more leaves per
// node are anchored first, untimed.
const (
	throughputLeaves = 200_000
	throughputWarmup = 5_000
)

// BenchmarkConsortiumThroughput measures how many leaves per second the
// chain itself anchors, without the evidence service in front of it: four
// anchor.Chains in this process (real CometBFT consensus over loopback p2p,
// timeout_commit 100ms as `custos consortium init` writes, each with its
// own home, state DB and local DB), each fed by a synthetic LeafSource
// that serves 50,000 distinct leaf hashes as fast as the batcher asks.
// The nodes first connect, pass block 1 and anchor a warm-up of 5,000
// leaves each, untimed, so that the figure is the steady state of a
// serving log rather than connection set-up. (The warm-up once also hid a
// quadratic Log.Append on young trees, since fixed: nodes are now put in
// key order.) The clock then runs from the
// moment the sources offer their 50,000 leaves until every one of them is
// final (OnFinal) on its node and every node's tree has all of them. The
// baseline, in the same run, is one validator anchoring the same 200,000
// leaves (after its own 5,000-leaf warm-up).
//
// It checks what it measures: each tree has exactly the leaves offered,
// each expected leaf once; all nodes agree on the root; every batch is
// reported final exactly once.
//
// Run: go test -run '^$' -bench ConsortiumThroughput -benchtime 1x ./anchor/
// (CUSTOS_TPUT_ONLY=state or =log: only that four-validator run, to profile
// one side; docs/performance.md, issue 15, session 12. CUSTOS_TPUT_LEAVES=N:
// N leaves instead of 200,000, to measure past the ramp.)
func BenchmarkConsortiumThroughput(b *testing.B) {
	if testing.Short() {
		b.Skip("starts five CometBFT nodes; skipped with -short")
	}
	leaves := throughputLeaves
	if v := os.Getenv("CUSTOS_TPUT_LEAVES"); v != "" {
		// A longer run, to see the steady state past the first and last
		// blocks (docs/performance.md, session 21).
		n, err := strconv.Atoi(v)
		if err != nil || n < 4 || n%4 != 0 {
			b.Fatalf("CUSTOS_TPUT_LEAVES=%q: want a multiple of 4", v)
		}
		leaves = n
	}
	if only := os.Getenv("CUSTOS_TPUT_ONLY"); only != "" {
		// Profiling aid: one run alone (state or log), so that a CPU
		// profile holds the samples of one side only.
		v := LatestState
		if only == "log" {
			v = StateV1
		}
		r := runThroughput(b, 4, leaves, v)
		b.Logf("4 validators, %s alone: %s", only, r)
		return
	}
	single := runThroughput(b, 1, leaves, LatestState)
	b.Logf("1 validator:  %s", single)
	b.Logf("1 validator blocks (header time from start, BFT time ≈ the previous block's commit): %v", single.timeline)
	four := runThroughput(b, 4, leaves, LatestState)
	b.Logf("4 validators: %s", four)
	// The log alone (state version 1: leaves, no heads, no deposits), on
	// four validators, as the baseline of what the replicated state costs:
	// at the latest version every synthetic leaf is an upload's created
	// event, so every one is also a deposit in the digest index.
	logOnly := runThroughput(b, 4, leaves, StateV1)
	b.Logf("4 validators, the log alone (state version 1): %s", logOnly)
	b.Logf("4 validators blocks (header time from start, BFT time ≈ the previous block's commit): %v", four.timeline)

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(four.rate(), "leaves/s")
	b.ReportMetric(float64(four.blocks), "blocks")
	b.ReportMetric(four.elapsed.Seconds(), "s")
	b.ReportMetric(four.cores, "cores")
	b.ReportMetric(single.rate(), "single-leaves/s")
	b.ReportMetric(float64(single.blocks), "single-blocks")
	b.ReportMetric(single.elapsed.Seconds(), "single-s")
	b.ReportMetric(four.rate()/single.rate(), "x-single")
	b.ReportMetric(logOnly.rate(), "log-leaves/s")
	b.ReportMetric(four.rate()/logOnly.rate(), "x-log")
	b.ReportMetric(throughputLoad1(), "load1")
	b.ReportMetric(float64(leaves), "leaves-offered")
}

type throughputResult struct {
	nodes, leaves int
	elapsed       time.Duration
	blocks        int64 // blocks committed while measuring
	maxTxs        int   // most transactions in one of them
	maxLeaves     int   // most leaves in one of them
	timeline      []string
	cores         float64
}

func (r throughputResult) rate() float64 { return float64(r.leaves) / r.elapsed.Seconds() }

func (r throughputResult) String() string {
	return fmt.Sprintf("%d leaves final on every node in %v: %.0f leaves/s; %d blocks (%.0f leaves/block on average, at most %d txs / %d leaves); process CPU %.2f cores",
		r.leaves, r.elapsed.Round(time.Millisecond), r.rate(), r.blocks, float64(r.leaves)/float64(max(r.blocks, 1)), r.maxTxs, r.maxLeaves, r.cores)
}

// synthSource serves distinct leaf hashes for one node, as many as limit
// says.
type synthSource struct {
	node  int
	limit *atomic.Uint64
}

func synthLeaf(node int, i uint64) []byte {
	h := sha256.Sum256(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32([]byte("\x00bench leaf "), uint32(node)), i))
	return h[:]
}

// Heads gives every leaf a chain of its own, as uploads do (each created
// event starts a chain), so a batch moves as many heads as it has leaves;
// like evidence.Service.Heads, it leaves out chains of fewer than
// minEvents events, so from state version 3 (minEvents 2: a chain of one
// event has no head) it gives none. (Until session 10 it gave them all,
// and the batcher spent about a tenth of the benchmark's CPU dropping
// them again in locateFirsts, which a real node never does.)
func (s synthSource) Heads(from uint64, count int, minEvents uint64) ([]HeadUpdate, error) {
	if minEvents > 1 {
		return nil, nil
	}
	out := make([]HeadUpdate, count)
	for i := range out {
		leaf := synthLeaf(s.node, from+uint64(i))
		out[i] = HeadUpdate{Key: sha256.Sum256(append([]byte("head "), leaf...)), Events: 1, Value: sha256.Sum256(leaf)}
	}
	return out, nil
}

// Deposits makes every leaf an upload's created event, with an SHA-256 of
// its own (state version 4).
func (s synthSource) Deposits(from uint64, count int) ([]Deposit, error) {
	out := make([]Deposit, count)
	for i := range out {
		out[i] = Deposit{FirstLocal: from + uint64(i), SHA256: sha256.Sum256(append([]byte("file "), synthLeaf(s.node, from+uint64(i))...))}
	}
	return out, nil
}

func (s synthSource) LeafHashes(from uint64, max int) ([][]byte, error) {
	n := s.limit.Load()
	if from >= n {
		return nil, nil
	}
	k := min(uint64(max), n-from)
	out := make([][]byte, k)
	for i := range out {
		out[i] = synthLeaf(s.node, from+uint64(i))
	}
	return out, nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// finalTally counts one node's batches reported final.
type finalTally struct {
	mu     sync.Mutex
	seqs   map[uint64]bool
	leaves int
	dups   int
}

func (f *finalTally) add(bs []Batch) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, bt := range bs {
		if f.seqs[bt.Seq] {
			f.dups++
			continue
		}
		f.seqs[bt.Seq] = true
		f.leaves += bt.Count
	}
	return nil
}

func (f *finalTally) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.leaves
}

// runThroughput starts a chain of n validators at state version version,
// anchors total leaves (total/n from each node) and stops it.
func runThroughput(b *testing.B, n, total, version int) throughputResult {
	b.Helper()
	const chainID = "custos-throughput"
	now := time.Now()
	root, err := certs.NewRoot("Throughput Root", now)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	type member struct {
		home   string
		port   int
		id     string
		org    *certs.Authority
		tally  *finalTally
		source synthSource
	}
	limit := new(atomic.Uint64)
	members := make([]*member, n)
	var vals []GenesisValidator
	for i := range members {
		m := &member{home: filepath.Join(dir, fmt.Sprintf("node%d", i)), port: freePort(b), tally: &finalTally{seqs: map[uint64]bool{}},
			source: synthSource{node: i, limit: limit}}
		pub, id, err := InitHome(m.home)
		if err != nil {
			b.Fatal(err)
		}
		m.id = id
		if m.org, err = root.NewOrgCA(certs.KindCourt, fmt.Sprintf("Court %d", i), now); err != nil {
			b.Fatal(err)
		}
		vals = append(vals, GenesisValidator{Name: fmt.Sprintf("node%d", i), PubKey: pub, Power: 10})
		members[i] = m
	}
	genesis := filepath.Join(dir, "genesis.json")
	if err := WriteGenesis(genesis, chainID, vals, root.Cert, now, version); err != nil {
		b.Fatal(err)
	}
	g, err := os.ReadFile(genesis)
	if err != nil {
		b.Fatal(err)
	}
	chains := make([]*Chain, n)
	stopAll := func() {
		for _, c := range chains {
			if c != nil {
				if err := c.Stop(); err != nil {
					b.Errorf("stopping a node: %v", err)
				}
			}
		}
	}
	defer stopAll()
	for i, m := range members {
		if err := os.WriteFile(GenesisPath(m.home), g, 0o600); err != nil {
			b.Fatal(err)
		}
		cert, err := m.org.IssueNode(fmt.Sprintf("node%d", i), vals[i].PubKey, now)
		if err != nil {
			b.Fatal(err)
		}
		var peers []string
		for j, p := range members {
			if j != i {
				peers = append(peers, fmt.Sprintf("%s@127.0.0.1:%d", p.id, p.port))
			}
		}
		state, err := storage.OpenDB(filepath.Join(m.home, "app.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { state.Close() })
		local, err := storage.OpenDB(filepath.Join(m.home, "anchor.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { local.Close() })
		listen := ""
		if n > 1 {
			listen = fmt.Sprintf("tcp://127.0.0.1:%d", m.port)
		}
		chains[i], err = Start(context.Background(), ChainConfig{
			Home: m.home, StateDB: state, LocalDB: local, ChainID: chainID, Root: root.Cert,
			NodeCert: cert, OrgCA: m.org.Cert, Source: m.source, OnFinal: m.tally.add,
			Moniker: fmt.Sprintf("node%d", i), P2PListen: listen, Peers: peers,
			TimeoutCommit: 100 * time.Millisecond,
		})
		if err != nil {
			b.Fatalf("starting node %d: %v", i, err)
		}
	}

	// Wait until the nodes are connected and past the first block.
	deadline := time.Now().Add(60 * time.Second)
	for {
		ready := true
		for _, c := range chains {
			if c.Node.Height() < 1 || c.Node.node.Switch().Peers().Size() < n-1 {
				ready = false
			}
		}
		if ready {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d nodes: not connected and past block 1 after 60s", n)
		}
		time.Sleep(10 * time.Millisecond)
	}

	perNode := total / n
	sizes := make([]uint64, n)
	// anchor offers the leaves up to upTo on every node and waits until they
	// are final and in every tree.
	anchor := func(upTo uint64, what string) {
		limit.Store(upTo)
		for _, c := range chains {
			c.Notify()
		}
		deadline := time.Now().Add(5 * time.Minute)
		for {
			done := true
			for i, c := range chains {
				if uint64(members[i].tally.count()) < upTo {
					done = false
				}
				if err := c.App.View(func(l *Log, tx *bolt.Tx) error {
					var err error
					sizes[i], err = l.Size(tx)
					return err
				}); err != nil {
					b.Fatal(err)
				}
				if sizes[i] < upTo*uint64(n) {
					done = false
				}
			}
			if done {
				return
			}
			if time.Now().After(deadline) {
				final := make([]int, n)
				for i, m := range members {
					final[i] = m.tally.count()
				}
				b.Fatalf("%d nodes, %s: not done after 5 minutes: tree sizes %v, final leaves per node %v (want %d, %d)", n, what, sizes, final, upTo*uint64(n), upTo)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	anchor(throughputWarmup, "warm-up")
	perNode += throughputWarmup
	total = perNode * n

	h0 := chains[0].Node.Height()
	var ru0 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	anchor(uint64(perNode), "measured")
	elapsed := time.Since(start)
	hEnd := chains[0].Node.Height()
	var ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond

	// Nothing lost, nothing twice: wait a moment for stray blocks, then check
	// the trees and the roots.
	time.Sleep(300 * time.Millisecond)
	var roots [][]byte
	for i, c := range chains {
		if err := c.App.View(func(l *Log, tx *bolt.Tx) error {
			size, root, err := l.Root(tx)
			sizes[i] = size
			roots = append(roots, root)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		if sizes[i] != uint64(total) {
			b.Errorf("%d nodes: node %d has %d leaves, want exactly %d", n, i, sizes[i], total)
		}
		if !bytes.Equal(roots[i], roots[0]) {
			b.Errorf("%d nodes: node %d root %x, node 0 root %x", n, i, roots[i], roots[0])
		}
		if got, dups := members[i].tally.count(), members[i].tally.dups; got != perNode || dups != 0 {
			b.Errorf("%d nodes: node %d: %d leaves final (want %d), %d batches reported twice", n, i, got, perNode, dups)
		}
	}
	want := make(map[[HashSize]byte]bool, total)
	for i := range n {
		for j := range uint64(perNode) {
			want[[HashSize]byte(synthLeaf(i, j))] = false
		}
	}
	if err := chains[0].App.View(func(l *Log, tx *bolt.Tx) error {
		for idx := range sizes[0] {
			h, err := l.LeafHash(tx, idx)
			if err != nil {
				return err
			}
			seen, ok := want[[HashSize]byte(h)]
			if !ok || seen {
				return fmt.Errorf("leaf %d (%x): expected %v, seen before %v", idx, h, ok, seen)
			}
			want[[HashSize]byte(h)] = true
		}
		return nil
	}); err != nil {
		b.Errorf("%d nodes: the log's leaves: %v", n, err)
	}

	res := throughputResult{nodes: n, leaves: total - throughputWarmup*n, elapsed: elapsed, cores: cpu.Seconds() / elapsed.Seconds()}
	bs := chains[0].Node.node.BlockStore()
	for h := h0 + 1; h <= hEnd; h++ {
		blk := bs.LoadBlock(h)
		if blk == nil {
			continue
		}
		res.blocks++
		leaves := 0
		for _, raw := range blk.Txs {
			if t, err := DecodeTx(raw); err == nil {
				leaves += len(t.Leaves)
			}
		}
		res.maxTxs, res.maxLeaves = max(res.maxTxs, len(blk.Txs)), max(res.maxLeaves, leaves)
		res.timeline = append(res.timeline, fmt.Sprintf("h%d@%v: %d txs/%d leaves", h, blk.Header.Time.Sub(start).Round(time.Millisecond), len(blk.Txs), leaves))
	}
	return res
}

// throughputLoad1 is the one-minute load average (0 if unknown).
func throughputLoad1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	fmt.Sscan(string(b), &l)
	return l
}
