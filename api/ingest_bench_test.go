package api

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/storage"
)

// BenchmarkIngestHandler drives the real POST /api/v1/evidence route (the
// whole middleware chain, a real evidence service on a folder store, bbolt
// and the built-in TSA) in process with 4 KiB random bodies from many
// goroutines, without the network. It reports the process CPU time per
// upload beside the wall time, for profiling the server's share of
// bench's BenchmarkSmallIngest (go test -cpuprofile).
func BenchmarkIngestHandler(b *testing.B) {
	s, db, token := benchServer(b)
	var seed atomic.Uint64
	b.SetParallelism(32) // 64 clients on 2 CPUs, as in bench
	cpu0, tx0 := cpuTime(), db.Stats().TxStats
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.NewChaCha8([32]byte{byte(seed.Add(1)), 'i', 'n'})
		body := make([]byte, 4<<10)
		for pb.Next() {
			_, _ = rng.Read(body)
			req := httptest.NewRequest(http.MethodPost, "/api/v1/evidence", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/octet-stream")
			rec := httptest.NewRecorder()
			s.e.ServeHTTP(rec, req)
			if rec.Code != http.StatusCreated {
				b.Errorf("POST /api/v1/evidence = %d: %s", rec.Code, rec.Body)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	// bbolt's side of it: the bytes of dirty pages the group commits
	// allocated and the pwrite(2) calls that wrote them, per upload.
	tx1 := db.Stats().TxStats
	b.ReportMetric(float64(tx1.GetPageAlloc()-tx0.GetPageAlloc())/1024/float64(b.N), "page-KiB/op")
	b.ReportMetric(float64(tx1.GetWrite()-tx0.GetWrite())/float64(b.N), "pwrites/op")
	// The B+tree walks, per upload: every Get, Put, Seek and first lookup
	// of a bucket in a transaction opens a cursor (db.Stats counts those of
	// every transaction once it ends, read-only ones included).
	b.ReportMetric(float64(tx1.GetCursorCount()-tx0.GetCursorCount())/float64(b.N), "cursors/op")
}

// benchServer is a Server over a real evidence service on a folder store,
// bbolt and the built-in TSA, with rate limits off; token is a
// submitter's key.
func benchServer(b *testing.B) (s *Server, db *bolt.DB, token string) {
	b.Helper()
	dir, ctx := b.TempDir(), context.Background()
	pki, err := certs.LoadOrCreateDev(filepath.Join(dir, "pki"), "Bench Notary", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	tsa, err := notary.NewTSA(notary.TSAConfig{Cert: pki.TSA.Cert, Chain: pki.TSA.Chain, Signer: pki.TSA.Signer})
	if err != nil {
		b.Fatal(err)
	}
	blobs, err := storage.NewFolder(filepath.Join(dir, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	db, err = storage.OpenDB(filepath.Join(dir, "custos.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ev, err := evidence.New(ctx, evidence.Config{DB: db, Blobs: blobs, TSA: tsa})
	if err != nil {
		b.Fatal(err)
	}
	orgs, err := access.Open(db)
	if err != nil {
		b.Fatal(err)
	}
	s, err = New(withEvidence(withProver(b, ev), Config{Access: orgs, TSA: tsa, DB: db, Limits: Limits{Rate: -1, UploadRate: -1, PublicRate: -1}}))
	if err != nil {
		b.Fatal(err)
	}
	o, err := orgs.CreateOrg(access.KindLawFirm, "Bench")
	if err != nil {
		b.Fatal(err)
	}
	token, _, err = orgs.CreateKey(o.ID, access.RoleSubmitter, "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	return s, db, token
}

// BenchmarkUploadIdempotencyKey uploads 4 MiB bodies one at a time,
// without and with an Idempotency-Key (a new key each time, so nothing is
// replayed), and reports the process CPU time per upload, all of it and
// in user mode (where hashing is; the disk's share is mostly system
// time): what the key costs on top of the upload itself
// (docs/performance.md).
func BenchmarkUploadIdempotencyKey(b *testing.B) {
	s, _, token := benchServer(b)
	body := make([]byte, 4<<20)
	rng := rand.NewChaCha8([32]byte{'i', 'd', 'e', 'm'})
	_, _ = rng.Read(body)
	for _, withKey := range []bool{false, true} {
		name := map[bool]string{false: "no-key", true: "key"}[withKey]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			cpu0, user0 := cpuTime(), userTime()
			for i := 0; b.Loop(); i++ {
				_, _ = rng.Read(body[:32])
				req := httptest.NewRequest(http.MethodPost, "/api/v1/evidence", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/octet-stream")
				if withKey {
					req.Header.Set(wire.IdempotencyKeyHeader, fmt.Sprintf("bench-%s-%d", b.Name(), i))
				}
				rec := httptest.NewRecorder()
				s.e.ServeHTTP(rec, req)
				if rec.Code != http.StatusCreated {
					b.Fatalf("POST /api/v1/evidence = %d: %s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			b.ReportMetric(float64((userTime()-user0).Microseconds())/float64(b.N), "user-µs/op")
		})
	}
}

func userTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano())
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
