package storage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/custos-project/custos/internal/testenv"
	"github.com/custos-project/custos/storage/storagetest"
)

// loseAnswers is a transport that sends a request the server then carries
// out, but loses its answer (a timeout after MinIO accepted the bytes), for
// the first n requests that lose selects.
type loseAnswers struct {
	next http.RoundTripper
	lose func(*http.Request) bool

	mu   sync.Mutex
	n    int
	lost []string
}

var errLostAnswer = errors.New("the answer was lost (test)")

func (l *loseAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil || l.n == 0 || !l.lose(r) {
		return resp, err
	}
	l.n--
	l.lost = append(l.lost, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	resp.Body.Close()
	return nil, errLostAnswer
}

// TestS3LostAnswers: when the answer to a request that created the
// promoted object is lost after MinIO carried it out (minio-go then
// retries, or Promote fails and is retried later, as the evidence
// service's pending promotions are), the key ends with exactly one
// version, under COMPLIANCE retention, holding the staged bytes, and the
// staged object is gone: no duplicate and no object without retention.
func TestS3LostAnswers(t *testing.T) {
	srv := testenv.MinIO(t)
	admin := adminClient(t, srv)
	for _, tc := range []struct {
		name string
		size int
		lose func(*http.Request) bool
	}{
		// CompleteMultipartUpload of the promoting copy: POST key?uploadId=.
		{"complete of the copy", 6 << 20, func(r *http.Request) bool {
			return r.Method == http.MethodPost && r.URL.Query().Has("uploadId") && strings.Contains(r.URL.Path, "/sha256/")
		}},
		// A part of the copy: PUT key?partNumber=&uploadId=.
		{"copy part", 6 << 20, func(r *http.Request) bool {
			return r.Method == http.MethodPut && r.URL.Query().Has("partNumber") && strings.Contains(r.URL.Path, "/sha256/")
		}},
		// The PUT of an empty blob's key.
		{"empty put", 0, func(r *http.Request) bool {
			return r.Method == http.MethodPut && !r.URL.Query().Has("partNumber") && strings.Contains(r.URL.Path, "/sha256/")
		}},
		// The removal of the staged object's version after the copy.
		{"staged removal", 6 << 20, func(r *http.Request) bool {
			return r.Method == http.MethodDelete && strings.Contains(r.URL.Path, "/staging/")
		}},
	} {
		for _, retries := range []int{3, 1} { // minio-go retries, or Promote fails and is called again
			t.Run(fmt.Sprintf("%s, %d attempts", tc.name, retries), func(t *testing.T) {
				tr, err := minio.DefaultTransport(false)
				if err != nil {
					t.Fatal(err)
				}
				lose := &loseAnswers{next: tr, lose: tc.lose}
				cfg := s3Config(srv, newBucketName())
				cfg.Transport, cfg.MaxRetries = lose, retries
				s := newS3(t, cfg)
				ctx := t.Context()
				data, _ := storagetest.Data(tc.size, 7)
				key := storagetest.Key(data)
				storagetest.Put(t, s, "lost", data, 1<<20)
				lose.mu.Lock()
				lose.n = 1 // from the promotion on
				lose.mu.Unlock()
				err = s.Promote(ctx, "lost", key)
				if err != nil { // the evidence service retries a failed promotion
					t.Logf("Promote with a lost answer = %v; retrying", err)
					err = s.Promote(ctx, "lost", key)
				}
				if err != nil {
					t.Fatalf("Promote after a lost answer = %v", err)
				}
				if len(lose.lost) != 1 {
					t.Fatalf("lost %q, want one answer lost", lose.lost)
				}
				vs := versions(t, admin, cfg.Bucket, key)
				if len(vs) != 1 {
					t.Fatalf("%s has %d versions, want 1: %+v", key, len(vs), vs)
				}
				mode, _, err := admin.GetObjectRetention(ctx, cfg.Bucket, key, vs[0].VersionID)
				if err != nil || mode == nil || *mode != minio.Compliance {
					t.Errorf("retention of %s = %v, %v, want COMPLIANCE", key, mode, err)
				}
				if got := storagetest.ReadAll(t, s, key); !bytes.Equal(got, data) {
					t.Errorf("read %d bytes, want the %d staged", len(got), len(data))
				}
				staged, err := s.ListStaged(context.WithoutCancel(ctx))
				if err != nil || len(staged) != 0 {
					t.Errorf("ListStaged = %v, %v, want none", staged, err)
				}
			})
		}
	}
}
