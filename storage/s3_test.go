package storage_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/custos-project/custos/internal/testenv"
	"github.com/custos-project/custos/storage"
	"github.com/custos-project/custos/storage/storagetest"
)

var bucketSeq atomic.Int64

func newBucketName() string { return fmt.Sprintf("custos-test-%d", bucketSeq.Add(1)) }

func s3Config(srv *testenv.MinIOServer, bucket string) storage.S3Config {
	return storage.S3Config{
		Endpoint:  srv.Endpoint,
		Bucket:    bucket,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
		Region:    "us-east-1",
		Retention: time.Hour,
		PartSize:  5 << 20, // the minimum, so that the tests cross part boundaries
	}
}

func newS3(t *testing.T, cfg storage.S3Config) *storage.S3 {
	t.Helper()
	s, err := storage.NewS3(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewS3(%s) = %v", cfg.Bucket, err)
	}
	storage.SetCopyPartSize(s, 5<<20)
	return s
}

// adminClient talks to the server directly, as an attacker with the root
// credentials would.
func adminClient(t *testing.T, srv *testenv.MinIOServer) *minio.Client {
	t.Helper()
	c, err := minio.New(srv.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""),
		Region: "us-east-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestS3Conformance(t *testing.T) {
	srv := testenv.MinIO(t)
	storagetest.Run(t, func(t *testing.T) storagetest.Store {
		return newS3(t, s3Config(srv, newBucketName()))
	})
}

func TestS3ParallelUpload(t *testing.T) {
	srv := testenv.MinIO(t)
	cfg := s3Config(srv, newBucketName())
	cfg.UploadThreads = 3
	s := newS3(t, cfg)
	for _, n := range []int{0, 1, 5 << 20, 17<<20 + 3} {
		data, _ := storagetest.Data(n, uint64(n))
		key := storagetest.PutPromote(t, s, fmt.Sprint("p", n), data)
		if got := storagetest.ReadAll(t, s, key); !bytes.Equal(got, data) {
			t.Errorf("size %d: read back %d bytes, not the same", n, len(got))
		}
	}
}

func versions(t *testing.T, c *minio.Client, bucket, prefix string) []minio.ObjectInfo {
	t.Helper()
	var out []minio.ObjectInfo
	for v := range c.ListObjectsIter(t.Context(), bucket, minio.ListObjectsOptions{Prefix: prefix, WithVersions: true, Recursive: true}) {
		if v.Err != nil {
			t.Fatalf("list versions: %v", v.Err)
		}
		out = append(out, v)
	}
	return out
}

func TestS3ObjectLock(t *testing.T) {
	srv := testenv.MinIO(t)
	admin := adminClient(t, srv)
	cfg := s3Config(srv, newBucketName())
	s := newS3(t, cfg)
	ctx := t.Context()

	if enabled, _, _, _, err := admin.GetObjectLockConfig(ctx, cfg.Bucket); err != nil || enabled != "Enabled" {
		t.Fatalf("GetObjectLockConfig(%s) = %q, %v, want Enabled", cfg.Bucket, enabled, err)
	}

	data, _ := storagetest.Data(12<<20, 1) // three copy parts
	before := time.Now()
	key := storagetest.PutPromote(t, s, "locked", data)

	t.Run("retention", func(t *testing.T) {
		mode, until, err := admin.GetObjectRetention(ctx, cfg.Bucket, key, "")
		if err != nil {
			t.Fatalf("GetObjectRetention(%s) = %v", key, err)
		}
		if mode == nil || *mode != minio.Compliance {
			t.Errorf("retention mode = %v, want COMPLIANCE", mode)
		}
		lo, hi := before.Add(cfg.Retention-time.Second), time.Now().Add(cfg.Retention+time.Second)
		if until == nil || until.Before(lo) || until.After(hi) {
			t.Errorf("retain until = %v, want within [%v, %v]", until, lo, hi)
		}
	})

	info, err := admin.StatObject(ctx, cfg.Bucket, key, minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("delete version refused", func(t *testing.T) {
		if info.VersionID == "" {
			t.Fatalf("promoted object has no VersionID: the bucket is not versioned")
		}
		err := admin.RemoveObject(ctx, cfg.Bucket, key, minio.RemoveObjectOptions{VersionID: info.VersionID})
		if err == nil {
			t.Fatalf("RemoveObject(%s, version %s) = nil, want refused", key, info.VersionID)
		}
		t.Logf("RemoveObject with VersionID: %v", err)
		err = admin.RemoveObject(ctx, cfg.Bucket, key, minio.RemoveObjectOptions{VersionID: info.VersionID, GovernanceBypass: true})
		if err == nil {
			t.Fatalf("RemoveObject(GovernanceBypass) = nil, want refused (COMPLIANCE)")
		}
	})

	t.Run("conditional overwrite refused", func(t *testing.T) {
		opts := minio.PutObjectOptions{}
		opts.SetMatchETagExcept("*")
		_, err := admin.PutObject(ctx, cfg.Bucket, key, strings.NewReader("forged"), 6, opts)
		if code := minio.ToErrorResponse(err).Code; code != "PreconditionFailed" {
			t.Errorf("PutObject(If-None-Match: *) = %v (code %q), want PreconditionFailed", err, code)
		}
	})

	t.Run("overwrite keeps original version", func(t *testing.T) {
		forged := []byte("forged content")
		if _, err := admin.PutObject(ctx, cfg.Bucket, key, bytes.NewReader(forged), int64(len(forged)), minio.PutObjectOptions{}); err != nil {
			t.Logf("unconditional PutObject refused: %v", err)
		}
		obj, err := admin.GetObject(ctx, cfg.Bucket, key, minio.GetObjectOptions{VersionID: info.VersionID})
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		got, err := io.ReadAll(obj)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("original version %s: read %d bytes, %v; want the promoted bytes", info.VersionID, len(got), err)
		}
		// Reads name the original version: a forged latest version, or a
		// delete marker hiding the key, changes nothing a client sees.
		if got := storagetest.ReadAll(t, s, key); !bytes.Equal(got, data) {
			t.Errorf("Open(%s) after a forged overwrite returned %d bytes, want the original %d", key, len(got), len(data))
		}
		if err := admin.RemoveObject(ctx, cfg.Bucket, key, minio.RemoveObjectOptions{}); err != nil {
			t.Logf("adding a delete marker: %v", err)
		}
		if got := storagetest.ReadAll(t, s, key); !bytes.Equal(got, data) {
			t.Errorf("Open(%s) behind a delete marker returned %d bytes, want the original", key, len(got))
		}
		// Promote of the genuine content again succeeds against the
		// original version, whatever lies on top of it.
		storagetest.Put(t, s, "again", data, 1<<20)
		if err := s.Promote(ctx, "again", key); err != nil {
			t.Errorf("Promote(again) over a forged latest version = %v, want nil", err)
		}
		s.Discard(ctx, "again")
	})

	t.Run("no staging versions left", func(t *testing.T) {
		storagetest.Put(t, s, "to-abort", []byte("x"), 1)
		s.Discard(ctx, "to-abort")
		st, err := s.Stage(ctx, "aborted-mid")
		if err != nil {
			t.Fatal(err)
		}
		st.Write(make([]byte, 6<<20)) // one part uploaded
		st.Abort()
		storagetest.PutPromote(t, s, "promoted", []byte("promoted"))
		if v := versions(t, admin, cfg.Bucket, "staging/"); len(v) != 0 {
			for _, o := range v {
				t.Errorf("left behind: %s version %s (delete marker %v)", o.Key, o.VersionID, o.IsDeleteMarker)
			}
		}
		var incomplete []string
		for u := range admin.ListIncompleteUploads(ctx, cfg.Bucket, "staging/", true) {
			incomplete = append(incomplete, u.Key)
		}
		if len(incomplete) != 0 {
			t.Errorf("incomplete uploads left: %q", incomplete)
		}
	})
}

// A process that dies during Write leaves an incomplete multipart upload
// under staging/<name>. Discard(name) aborts it. (MinIO lists multipart
// uploads only for an exact object name, so ListStaged cannot find those by
// prefix there; MinIO expires them itself after 24 hours by default.)
func TestS3DiscardIncompleteUpload(t *testing.T) {
	srv := testenv.MinIO(t)
	cfg := s3Config(srv, newBucketName())
	s := newS3(t, cfg)
	c := adminClient(t, srv)
	uploads := func(object string) []string {
		var out []string
		for u := range c.ListIncompleteUploads(t.Context(), cfg.Bucket, object, true) {
			if u.Err != nil {
				t.Fatal(u.Err)
			}
			out = append(out, u.Key)
		}
		return out
	}
	if _, err := (minio.Core{Client: c}).NewMultipartUpload(t.Context(), cfg.Bucket, "staging/crashed", minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := uploads("staging/crashed"); len(got) != 1 {
		t.Fatalf("incomplete uploads before Discard = %q, want one", got)
	}
	t.Logf("uploads listed by prefix staging/: %q", uploads("staging/"))
	if _, err := s.ListStaged(t.Context()); err != nil {
		t.Errorf("ListStaged() = %v", err)
	}
	if err := s.Discard(t.Context(), "crashed"); err != nil {
		t.Fatalf("Discard(crashed) = %v", err)
	}
	if got := uploads("staging/crashed"); len(got) != 0 {
		t.Errorf("incomplete uploads after Discard = %q, want none", got)
	}
}

func TestS3NoObjectLock(t *testing.T) {
	srv := testenv.MinIO(t)
	admin := adminClient(t, srv)
	bucket := newBucketName()
	if err := admin.MakeBucket(t.Context(), bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := storage.NewS3(t.Context(), s3Config(srv, bucket)); !errors.Is(err, storage.ErrNoObjectLock) {
		t.Errorf("NewS3(bucket without object lock) = %v, want ErrNoObjectLock", err)
	}

	// A default retention rule would lock the staged objects too.
	locked := newBucketName()
	if err := admin.MakeBucket(t.Context(), locked, minio.MakeBucketOptions{ObjectLocking: true}); err != nil {
		t.Fatal(err)
	}
	mode, validity, unit := minio.Governance, uint(1), minio.Days
	if err := admin.SetObjectLockConfig(t.Context(), locked, &mode, &validity, &unit); err != nil {
		t.Fatal(err)
	}
	if _, err := storage.NewS3(t.Context(), s3Config(srv, locked)); err == nil || !strings.Contains(err.Error(), "default") {
		t.Errorf("NewS3(bucket with default retention) = %v, want an error about the default retention", err)
	}
}

func TestS3ConfigValidate(t *testing.T) {
	good := storage.S3Config{Endpoint: "127.0.0.1:1", Bucket: "b", AccessKey: "a", SecretKey: "s", Retention: time.Hour}
	for _, tt := range []struct {
		name string
		edit func(*storage.S3Config)
	}{
		{"no retention", func(c *storage.S3Config) { c.Retention = 0 }},
		{"negative retention", func(c *storage.S3Config) { c.Retention = -time.Hour }},
		{"no endpoint", func(c *storage.S3Config) { c.Endpoint = "" }},
		{"no bucket", func(c *storage.S3Config) { c.Bucket = "" }},
		{"no secret", func(c *storage.S3Config) { c.SecretKey = "" }},
		{"tiny part", func(c *storage.S3Config) { c.PartSize = 1 << 20 }},
	} {
		cfg := good
		tt.edit(&cfg)
		if _, err := storage.NewS3(t.Context(), cfg); err == nil || errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("%s: NewS3() = %v, want a validation error", tt.name, err)
		}
	}
}

// With the object store down, every call fails fast with ErrUnavailable, and
// works again once it is back.
func TestS3Unavailable(t *testing.T) {
	srv := testenv.MinIO(t)
	tr, err := minio.DefaultTransport(false)
	if err != nil {
		t.Fatal(err)
	}
	tr.DialContext = (&net.Dialer{Timeout: time.Second}).DialContext
	tr.ResponseHeaderTimeout = 5 * time.Second
	cfg := s3Config(srv, newBucketName())
	cfg.Transport, cfg.MaxRetries = tr, 2
	s := newS3(t, cfg)
	ctx := t.Context()

	data := []byte("staged before the outage")
	key := storagetest.Key(data)
	storagetest.Put(t, s, "before", data, 100)
	promoted := storagetest.PutPromote(t, s, "p", []byte("promoted before"))

	srv.Stop()
	for _, tt := range []struct {
		name string
		call func() error
	}{
		{"Stage", func() error { _, err := s.Stage(ctx, "during"); return err }},
		{"Open", func() error { _, err := s.Open(ctx, promoted); return err }},
		{"Stat", func() error { _, err := s.Stat(ctx, promoted); return err }},
		{"Promote", func() error { return s.Promote(ctx, "before", key) }},
		{"Discard", func() error { return s.Discard(ctx, "x") }},
		{"ListStaged", func() error { _, err := s.ListStaged(ctx); return err }},
		{"Check", func() error { return s.Check(ctx) }},
	} {
		start := time.Now()
		err := tt.call()
		if !errors.Is(err, storage.ErrUnavailable) {
			t.Errorf("%s() with MinIO down = %v, want ErrUnavailable", tt.name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s() took %v with MinIO down, want < 5s", tt.name, d)
		}
	}

	srv.Start()
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check() after restart = %v", err)
	}
	if err := s.Promote(ctx, "before", key); err != nil {
		t.Fatalf("Promote() after restart = %v", err)
	}
	if got := storagetest.ReadAll(t, s, key); !bytes.Equal(got, data) {
		t.Errorf("after restart read %q, want %q", got, data)
	}
}
