// Package bench holds Custos's end-to-end benchmarks. Each one starts the
// real custos binary (CUSTOS_BIN, default ../bin/custos) on a fresh data
// folder and measures it against a baseline measured in the same run, on
// the same machine, under the same load generator, so that every figure is
// a ratio and not an absolute that depends on the machine:
//
//   - BenchmarkLargeIngest: one large upload through the HTTP API against
//     `openssl dgst -sha256` of the same page-cached file and `dd ...
//     conv=fsync` of it into the data's file system, the slower of the two;
//   - BenchmarkSmallIngest: 4 KiB uploads from 64 clients against a trivial
//     net/http handler that reads the body and answers 201;
//   - BenchmarkTSA: RFC 3161 tokens from 16 clients against sigstore's
//     timestamp-server (when installed) and a plain net/http server around
//     github.com/digitorus/timestamp on the same key;
//   - BenchmarkGrowth: ingest and lookup latency at growing store sizes,
//     the store filled between steps through the evidence package.
//
// The baselines that are servers run as a separate process too (the test
// binary re-executed, see TestMain), so both sides pay the same process
// and scheduling costs. scripts/bench.sh runs the benchmarks and prints the
// table; docs/performance.md explains the figures.
package bench
