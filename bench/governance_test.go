package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custos-project/custos/api/wire"
)

// BenchmarkGovernanceLatency measures anchoring latency (201 → receipt, as
// BenchmarkAnchorLatency) on a four-member consortium from `custos
// consortium init` while its validator set changes (issue 16: p99 ≤ 2 s),
// against the same consortium's latency without a change, measured first
// in the same run. The change is real and made with the real CLI: the
// first member proposes to halve a member's voting power (`custos
// consortium propose power`, signed by its governance key from OUT/admin),
// three members vote yes (`custos consortium vote`, each through its own
// node), the change is applied and CometBFT's validator set follows; then
// the same again to restore the power, and so on, one change after the
// other, at least two and until CUSTOS_BENCH_DURATION has passed; last, a
// membership change: the members remove that member (`propose remove
// --override`, since 3 validators remain). The clients use the other
// three nodes, for the baseline and during the changes. The changes are
// measured in two windows, reported apart and together: the power changes,
// from the first proposal until 2 s after the last was applied (the new
// set signs from two blocks after it), then the removal, likewise.
func BenchmarkGovernanceLatency(b *testing.B) {
	window := envDuration(b, "CUSTOS_BENCH_DURATION", 10*time.Second)
	b.ReportMetric(load1(), "load1")
	nodes := startConsortium(b)
	// The last node's member is the target; the clients use the other
	// three, whose members propose and vote.
	others, last := nodes[:3], nodes[3]
	base := anchorLatency(b, others, anchorClients, window)
	b.Logf("without a change: %s", base)

	target := memberOf(b, consortiumMembers(b, nodes[0]), last)
	// Two windows: the power changes, then the removal, each ending 2 s
	// after its last change was applied.
	powerDone, removing, removeDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	changes := make(chan error, 1)
	var made atomic.Int64
	go func() {
		defer close(removeDone)
		hc := &http.Client{}
		change := func(what string, propose ...string) error {
			id := fmt.Sprintf("bench-%d", made.Load()+1)
			at := time.Now()
			if err := govCLI(b, others[0], append(append([]string{"propose"}, propose...), "--id", id)...); err != nil {
				return err
			}
			for _, n := range others {
				if err := govCLI(b, n, "vote", id, "--yes"); err != nil {
					return err
				}
			}
			p, err := waitApplied(hc, others[1], id, 60*time.Second)
			if err != nil {
				return err
			}
			b.Logf("change %d (%s): passed at height %d, applied at %d, %v after the proposal",
				made.Load()+1, what, p.Passed, p.Effective, time.Since(at).Round(time.Millisecond))
			made.Add(1)
			return nil
		}
		begin := time.Now()
		for i := 0; i < 2 || time.Since(begin) < window; i++ {
			power := target.Power // odd changes restore it
			if i%2 == 0 {
				power = max(1, target.Power/2)
			}
			if err := change(fmt.Sprintf("power of %s → %d", target.Name, power), "power", target.ID, fmt.Sprint(power)); err != nil {
				close(powerDone)
				changes <- err
				return
			}
		}
		time.Sleep(2 * time.Second)
		close(powerDone)
		// A membership change last: the target leaves (3 validators, so
		// with the override).
		<-removing
		if err := change("remove "+target.Name, "remove", target.ID, "--override"); err != nil {
			changes <- err
			return
		}
		time.Sleep(2 * time.Second)
		changes <- nil
	}()
	hc := newClient(anchorClients)
	defer hc.CloseIdleConnections()
	power := clientLoopUntil(b, hc, others, anchorClients, powerDone, "gov", uploadAndWait)
	close(removing)
	var remove loadResult
	select {
	case err := <-changes: // the power changes failed
		b.Fatal(err)
	default:
		remove = clientLoopUntil(b, hc, others, anchorClients, removeDone, "rm", uploadAndWait)
	}
	if err := <-changes; err != nil {
		b.Fatal(err)
	}
	all := slices.Concat(power.latency, remove.latency)
	slices.Sort(all)
	during := loadResult{ops: len(all), window: power.window + remove.window, latency: all}
	b.Logf("during %d power changes (%v): %s", made.Load()-1, power.window.Round(time.Millisecond), power)
	b.Logf("during the removal (%v): %s", remove.window.Round(time.Millisecond), remove)

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(base.quantile(0.50), "base-p50-ms")
	b.ReportMetric(base.quantile(0.99), "base-p99-ms")
	b.ReportMetric(float64(len(base.latency)), "base-n")
	b.ReportMetric(during.quantile(0.50), "p50-ms")
	b.ReportMetric(during.quantile(0.99), "p99-ms")
	b.ReportMetric(during.quantile(1), "max-ms")
	b.ReportMetric(float64(len(during.latency)), "n")
	b.ReportMetric(during.window.Seconds(), "change-s")
	b.ReportMetric(float64(made.Load()), "changes")
	b.ReportMetric(during.quantile(0.99)/base.quantile(0.99), "x-base")
	b.ReportMetric(power.quantile(0.99), "power-p99-ms")
	b.ReportMetric(remove.quantile(0.99), "remove-p99-ms")
	b.ReportMetric(float64(len(remove.latency)), "remove-n")
	b.ReportMetric(load1(), "load1-end")
}

// memberOf finds the member whose node is node, by the organization its
// custos.toml names (org = "NAME").
func memberOf(b *testing.B, ms wire.Members, node *server) wire.Member {
	b.Helper()
	cfg, err := os.ReadFile(filepath.Join(node.Dir, "custos.toml"))
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(cfg)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "org = "); ok {
			name := strings.Trim(v, `"`)
			for _, m := range ms.Members {
				if m.Name == name {
					return m
				}
			}
			b.Fatalf("no member named %q in %+v", name, ms)
		}
	}
	b.Fatalf("%s names no org", node.Dir)
	return wire.Member{}
}

// consortiumMembers reads the member list from node (a public read).
func consortiumMembers(b *testing.B, node *server) wire.Members {
	b.Helper()
	var ms wire.Members
	req, err := http.NewRequest(http.MethodGet, node.URL+"/api/v1/consortium/members", nil)
	if err == nil {
		err = do(&http.Client{}, req, http.StatusOK, func(body []byte) error { return json.Unmarshal(body, &ms) })
	}
	if err != nil || len(ms.Members) == 0 {
		b.Fatalf("members of the consortium: %v (%+v)", err, ms)
	}
	return ms
}

// govCLI runs `custos consortium ARGS` as the member whose node is node,
// signed with that member's governance key (OUT/admin/SLUG, where SLUG is
// the node folder's name) and sent to its node.
func govCLI(b *testing.B, node *server, args ...string) error {
	admin := filepath.Join(filepath.Dir(node.Dir), "admin", filepath.Base(node.Dir))
	args = append(append([]string{"consortium"}, args...),
		"--key", filepath.Join(admin, "governance.key"), "--cert", filepath.Join(admin, "governance.pem"),
		"--server", node.URL, "--json")
	out, err := exec.Command(custosBin(b), args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("custos %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// waitApplied polls the proposal id on node until it is applied.
func waitApplied(hc *http.Client, node *server, id string, limit time.Duration) (wire.Proposal, error) {
	var p wire.Proposal
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		req, err := http.NewRequest(http.MethodGet, node.URL+"/api/v1/consortium/proposals/"+id, nil)
		if err != nil {
			return p, err
		}
		if err := do(hc, req, http.StatusOK, func(body []byte) error { return json.Unmarshal(body, &p) }); err != nil {
			return p, err
		}
		switch p.Status {
		case "applied":
			return p, nil
		case "failed", "rejected", "expired":
			return p, fmt.Errorf("proposal %s: %s (%+v)", id, p.Status, p)
		}
	}
	return p, fmt.Errorf("proposal %s not applied after %v: %+v", id, limit, p)
}

// errDone ends a load run that has done all it had to.
var errDone = errors.New("done")

// waitSize waits until node's checkpoint covers want leaves.
func waitSize(b *testing.B, node *server, want uint64, limit time.Duration) {
	b.Helper()
	hc := &http.Client{}
	for end := time.Now().Add(limit); ; time.Sleep(100 * time.Millisecond) {
		s, err := treeSize(hc, node)
		if err != nil {
			b.Fatal(err)
		}
		if s >= want {
			return
		}
		if time.Now().After(end) {
			b.Fatalf("%s: tree size %d after %v, want %d", node.URL, s, limit, want)
		}
	}
}

// BenchmarkCatchUp stops one member of a four-member consortium, has the
// other three anchor CUSTOS_BENCH_CATCHUP_LEAVES leaves (default 10⁶;
// 256-byte uploads from 16 clients per node, as fast as the API takes
// them), then restarts it: CometBFT block sync fetches the blocks it
// missed and the application applies them (the log, the deposits, the
// state map), and the member has caught up when its checkpoint's tree
// size reaches the consortium's at the restart. It reports the member's
// catch-up in leaves/s against the rate at which the consortium made
// them, and the anchoring latency on the other three members while it
// catches up against theirs just before (the member stopped in both), and
// with all four members up (measured first).
func BenchmarkCatchUp(b *testing.B) {
	const loaders = 16 // per running node
	n := 1000000
	if s := os.Getenv("CUSTOS_BENCH_CATCHUP_LEAVES"); s != "" {
		var err error
		if n, err = parseCount(s); err != nil {
			b.Fatalf("CUSTOS_BENCH_CATCHUP_LEAVES=%q: want a count such as 100k or 1M", s)
		}
	}
	window := envDuration(b, "CUSTOS_BENCH_DURATION", 10*time.Second)
	b.ReportMetric(load1(), "load1")
	nodes := startConsortium(b)
	others, late := nodes[:3], nodes[3]
	hc := newClient(len(others) * loaders)
	defer hc.CloseIdleConnections()
	if _, err := uploadAndWait(hc, nodes[0], rand.NewChaCha8([32]byte{'w'})); err != nil {
		b.Fatalf("first item: %v", err)
	}
	size := func(node *server) uint64 {
		s, err := treeSize(hc, node)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	all := clientLoop(b, hc, others, anchorClients, window, "all", uploadAndWait)
	b.Logf("the others, all four members up: %s", all)
	waitSize(b, late, size(nodes[0]), time.Minute)
	cfg := filepath.Join(late.Dir, "custos.toml")
	late.stop(b)
	missedFrom := size(nodes[0])

	// The others anchor n leaves while it is down.
	made := time.Now()
	var left atomic.Int64
	left.Store(int64(n))
	rngs := make([]*rand.ChaCha8, len(others)*loaders)
	for c := range rngs {
		rngs[c] = rand.NewChaCha8([32]byte{byte(c), 'c', 'u'})
	}
	if _, err := runLoad(len(rngs), 0, 24*time.Hour, func(c int) error {
		if left.Add(-1) < 0 {
			return errDone
		}
		_, err := uploadSmall(hc, others[c%len(others)], rngs[c], 256)
		return err
	}); err != nil && err != errDone {
		b.Fatal(err)
	}
	uploaded := time.Since(made)
	waitSize(b, nodes[0], missedFrom+uint64(n), 10*time.Minute)
	madeIn := time.Since(made)
	madeRate := float64(size(nodes[0])-missedFrom) / madeIn.Seconds()
	b.Logf("the other three anchored %d leaves in %v (uploads took %v): %.0f leaves/s",
		n, madeIn.Round(time.Millisecond), uploaded.Round(time.Millisecond), madeRate)

	before := clientLoop(b, hc, others, anchorClients, window, "before", uploadAndWait)
	b.Logf("the others, member stopped: %s", before)

	// Restart: the latency loop on the others runs until it has caught up.
	target := size(nodes[0])
	missed := target - missedFrom
	restart := time.Now()
	stop := make(chan struct{})
	caught := make(chan time.Duration, 1)
	go func() {
		defer close(stop)
		late = startMember(b, cfg, late.Token)
		b.Logf("restarted member serving after %v", time.Since(restart).Round(time.Millisecond))
		hc := &http.Client{}
		next := time.Now()
		for {
			s, err := treeSize(hc, late)
			if err == nil && s >= target {
				caught <- time.Since(restart)
				return
			}
			if time.Now().After(next) {
				b.Logf("  %v: tree size %d of %d", time.Since(restart).Round(time.Second), s, target)
				next = next.Add(10 * time.Second)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	during := clientLoopUntil(b, hc, others, anchorClients, stop, "during", uploadAndWait)
	var took time.Duration
	select {
	case took = <-caught:
	default:
		b.Fatal("the stopped member did not start again") // start has said why
	}
	rate := float64(missed) / took.Seconds()
	b.Logf("caught up %d leaves in %v: %.0f leaves/s (%.2f× the rate they were made at)", missed, took.Round(time.Millisecond), rate, rate/madeRate)
	b.Logf("the others, during the catch-up: %s", during)

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(missed), "leaves")
	b.ReportMetric(took.Seconds(), "catchup-s")
	b.ReportMetric(rate, "leaves/s")
	b.ReportMetric(madeRate, "made-leaves/s")
	b.ReportMetric(rate/madeRate, "x-made")
	b.ReportMetric(all.quantile(0.50), "all-up-p50-ms")
	b.ReportMetric(all.quantile(0.99), "all-up-p99-ms")
	b.ReportMetric(before.quantile(0.50), "before-p50-ms")
	b.ReportMetric(before.quantile(0.99), "before-p99-ms")
	b.ReportMetric(float64(len(before.latency)), "before-n")
	b.ReportMetric(during.quantile(0.50), "p50-ms")
	b.ReportMetric(during.quantile(0.99), "p99-ms")
	b.ReportMetric(float64(len(during.latency)), "n")
	b.ReportMetric(during.quantile(0.99)/before.quantile(0.99), "x-before")
	b.ReportMetric(load1(), "load1-end")
}
