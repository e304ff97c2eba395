package bench

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// loadResult is what one closed-loop load run measured.
type loadResult struct {
	ops     int             // operations completed inside the measured window
	all     int             // operations completed, warm-up and window
	window  time.Duration   // the measured window
	latency []time.Duration // of those operations, sorted
}

func (r loadResult) rate() float64 { return float64(r.ops) / r.window.Seconds() }

// quantile returns the q-quantile latency in milliseconds.
func (r loadResult) quantile(q float64) float64 {
	if len(r.latency) == 0 {
		return 0
	}
	i := min(int(q*float64(len(r.latency))), len(r.latency)-1)
	return float64(r.latency[i]) / float64(time.Millisecond)
}

func (r loadResult) String() string {
	return fmt.Sprintf("%.0f/s (%d in %v), p50 %.2f ms, p99 %.2f ms", r.rate(), r.ops, r.window, r.quantile(0.5), r.quantile(0.99))
}

// runLoad runs op in a closed loop from clients goroutines: warmup, then
// the measured window. Only operations that start and end inside the
// window count. The first error stops the run and is returned.
func runLoad(clients int, warmup, window time.Duration, op func(client int) error) (loadResult, error) {
	begin := time.Now().Add(warmup)
	end := begin.Add(window)
	var (
		wg       sync.WaitGroup
		stop     atomic.Bool
		errOnce  sync.Once
		firstErr error
		all      atomic.Int64
		lats     = make([][]time.Duration, clients)
	)
	for c := range clients {
		wg.Go(func() {
			for !stop.Load() {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				if err := op(c); err != nil {
					errOnce.Do(func() { firstErr = err })
					stop.Store(true)
					return
				}
				all.Add(1)
				if t1 := time.Now(); !t0.Before(begin) && !t1.After(end) {
					lats[c] = append(lats[c], t1.Sub(t0))
				}
			}
		})
	}
	wg.Wait()
	lat := slices.Concat(lats...)
	slices.Sort(lat)
	return loadResult{ops: len(lat), all: int(all.Load()), window: window, latency: lat}, firstErr
}

// newClient returns an HTTP client that keeps one connection per load
// client alive.
func newClient(clients int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        clients,
		MaxIdleConnsPerHost: clients,
		DisableCompression:  true,
	}}
}
