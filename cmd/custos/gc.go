package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
)

// The garbage collector's settings for `custos serve`, unless the operator
// sets GOGC or GOMEMLIMIT (docs/operations.md).
//
// A node's live heap is small (tens of MiB) and its allocation rate high:
// each small upload allocates about 65 KB (bbolt's dirty pages and nodes,
// the token, the record, the HTTP exchange) that is garbage once the upload
// is committed. With Go's default GOGC of 100 the collector then runs
// several times a second and took 10-15% of the CPU under small-ingest
// load. At 400 it runs a quarter as often (BenchmarkIngestHandler: about
// 17% less CPU per upload). The soft memory limit bounds what that costs
// in memory: as the Go heap nears it the collector runs more often again,
// so a node whose live heap grows large behaves as with a lower GOGC
// instead of growing to five times its live heap.
const (
	serveGCPercent   = 400
	serveMemoryLimit = 1 << 30 // bytes, soft (runtime/debug.SetMemoryLimit)
)

// tuneGC applies the serve defaults above where the environment sets none.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
}

// cpuProfile starts a CPU profile into the file CUSTOS_CPUPROFILE names, if
// any, for the performance work in docs/performance.md. The returned func
// stops it; it is a no-op when no profile was asked for.
func cpuProfile() (stop func(), err error) {
	path := os.Getenv("CUSTOS_CPUPROFILE")
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("CUSTOS_CPUPROFILE: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("CUSTOS_CPUPROFILE: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
