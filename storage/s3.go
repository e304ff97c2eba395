package storage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config configures an S3 blob store.
type S3Config struct {
	// Endpoint is host[:port], without scheme.
	Endpoint string
	// Region of the bucket; empty lets the client discover it.
	Region string
	// Bucket holds staged blobs under "staging/" and promoted ones under
	// their keys. It is created with Object Lock if it does not exist.
	Bucket    string
	AccessKey string
	SecretKey string
	// Secure selects HTTPS.
	Secure bool

	// Retention is the COMPLIANCE-mode retention applied to every promoted
	// object: it can be neither deleted nor overwritten for that long, not
	// even by the root user. Must be > 0.
	Retention time.Duration

	// PartSize is the part size of the streaming staged upload, 16 MiB if
	// zero. Each Staged holds UploadThreads buffers of this size. (Without
	// it minio-go would allocate 512 MiB per upload of unknown size.)
	PartSize uint64
	// UploadThreads is the number of parts of one staged upload sent in
	// parallel (1 if zero). Above 1 the writer keeps filling a part while
	// the previous ones are sent, at the cost of one PartSize buffer each.
	UploadThreads uint

	// Transport is the HTTP transport (minio.DefaultTransport if nil). Tests
	// use it for short dial and response timeouts.
	Transport http.RoundTripper
	// MaxRetries is the number of attempts per request, 3 if zero; 1
	// disables retries. minio-go's default (10, with backoff) turns an
	// unreachable server into a 10-second stall.
	MaxRetries int
}

const (
	defaultPartSize   = 16 << 20
	defaultMaxRetries = 3
	stagingPrefix     = "staging/"
	// copyPartSize is the part size of the server-side copy in Promote; S3
	// allows up to 5 GiB per UploadPartCopy.
	defaultCopyPartSize = 1 << 30
)

// S3 is a blob store in an S3 bucket with Object Lock. A promoted object is
// written once, with a conditional (If-None-Match: *) multipart copy, and
// locked in COMPLIANCE mode for the configured retention. Staged objects
// carry no retention, and every version of them is deleted on Promote,
// Abort and Discard.
//
// An S3 is safe for concurrent use; a Staged is not.
type S3 struct {
	client       *minio.Client
	core         minio.Core
	bucket       string
	retention    time.Duration
	partSize     uint64
	threads      uint
	copyPartSize int64
	now          func() time.Time
}

// NewS3 validates cfg, connects, and makes sure the bucket exists with
// Object Lock: it creates a missing bucket with Object Lock enabled, and
// returns ErrNoObjectLock for an existing bucket without it. It also refuses
// a bucket with a default retention rule, since that would lock the staged
// objects too.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = defaultPartSize
	}
	if cfg.UploadThreads == 0 {
		cfg.UploadThreads = 1
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = defaultMaxRetries
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:     cfg.Secure,
		Region:     cfg.Region,
		Transport:  cfg.Transport,
		MaxRetries: cfg.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("storage: s3 config: %w", err)
	}
	s := &S3{
		client:       client,
		core:         minio.Core{Client: client},
		bucket:       cfg.Bucket,
		retention:    cfg.Retention,
		partSize:     cfg.PartSize,
		threads:      cfg.UploadThreads,
		copyPartSize: defaultCopyPartSize,
		now:          time.Now,
	}
	if err := s.ensureBucket(ctx, cfg.Region); err != nil {
		return nil, err
	}
	return s, nil
}

func (cfg S3Config) validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"Endpoint", cfg.Endpoint}, {"Bucket", cfg.Bucket},
		{"AccessKey", cfg.AccessKey}, {"SecretKey", cfg.SecretKey},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("storage: s3 config: missing %s", strings.Join(missing, ", "))
	}
	if cfg.Retention <= 0 {
		return fmt.Errorf("storage: s3 config: Retention must be > 0, got %v", cfg.Retention)
	}
	if cfg.PartSize != 0 && (cfg.PartSize < 5<<20 || cfg.PartSize > 5<<30) {
		return fmt.Errorf("storage: s3 config: PartSize %d outside [5 MiB, 5 GiB]", cfg.PartSize)
	}
	return nil
}

func (s *S3) ensureBucket(ctx context.Context, region string) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return mapS3Err("bucket exists", err)
	}
	if !ok {
		err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region, ObjectLocking: true})
		if err == nil {
			return nil
		}
		if code := minio.ToErrorResponse(err).Code; code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
			return mapS3Err("make bucket", err)
		}
		// Created concurrently: check it like an existing one.
	}
	enabled, mode, _, _, err := s.client.GetObjectLockConfig(ctx, s.bucket)
	if minio.ToErrorResponse(err).Code == "ObjectLockConfigurationNotFoundError" {
		return fmt.Errorf("%w: bucket %q", ErrNoObjectLock, s.bucket)
	}
	if err != nil {
		return mapS3Err("get object lock config", err)
	}
	if enabled != "Enabled" {
		return fmt.Errorf("%w: bucket %q (ObjectLockEnabled=%q)", ErrNoObjectLock, s.bucket, enabled)
	}
	if mode != nil {
		return fmt.Errorf("storage: bucket %q has a default %s retention rule, which would lock staged objects too; remove it (Custos sets retention on each promoted object)", s.bucket, *mode)
	}
	return nil
}

func stagingKey(name string) string { return stagingPrefix + name }

// Promote copies the committed staged object name to key, server side, and
// deletes every version of the staged object.
//
// The copy is a multipart upload of UploadPartCopy parts (so objects over
// 5 GiB work) created and completed with If-None-Match: *, with COMPLIANCE
// retention until now+Retention. The condition makes the write-once rule
// the server's: if the key exists, or appears during the copy, the copy is
// refused, the existing object is kept if its size matches (else
// ErrConflict, and the staged object is kept), and the staged object is
// deleted. If the staged object is gone and the key exists, Promote has
// already succeeded and returns nil.
func (s *S3) Promote(ctx context.Context, name, key string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := checkKey(key); err != nil {
		return err
	}
	src, err := s.client.StatObject(ctx, s.bucket, stagingKey(name), minio.StatObjectOptions{})
	if err != nil {
		if !isNotFound(err) {
			return mapS3Err("promote: stat staged", err)
		}
		if _, err := s.Stat(ctx, key); err != nil {
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("%w: staged blob %q", ErrNotFound, name)
			}
			return err
		}
		return nil // already promoted
	}
	err = s.copyOnce(ctx, src, key)
	if errors.Is(err, errExists) {
		size, err := s.Stat(ctx, key)
		if err != nil {
			return err
		}
		if size != src.Size {
			return fmt.Errorf("%w: %s has %d bytes, staged %q has %d", ErrConflict, key, size, name, src.Size)
		}
	} else if err != nil {
		return err
	}
	return s.removeAllVersions(ctx, stagingKey(name))
}

// errExists means that a conditional write found the key present.
var errExists = errors.New("storage: key exists")

// copyOnce copies src to key unless key exists (errExists).
func (s *S3) copyOnce(ctx context.Context, src minio.ObjectInfo, key string) error {
	opts := minio.PutObjectOptions{
		Mode:            minio.Compliance,
		RetainUntilDate: s.now().Add(s.retention).UTC(),
	}
	opts.SetMatchETagExcept("*")
	if src.Size == 0 {
		// UploadPartCopy cannot address an empty range: PUT nothing.
		_, err := s.client.PutObject(ctx, s.bucket, key, strings.NewReader(""), 0, opts)
		return mapCondErr("promote: put empty", err)
	}
	uploadID, err := s.core.NewMultipartUpload(ctx, s.bucket, key, opts)
	if err != nil {
		return mapCondErr("promote: new multipart copy", err)
	}
	parts, err := s.copyParts(ctx, src, key, uploadID)
	if err == nil {
		// Retention was set when the upload was created; Complete only
		// repeats the condition.
		var cond minio.PutObjectOptions
		cond.SetMatchETagExcept("*")
		_, err = s.core.CompleteMultipartUpload(ctx, s.bucket, key, uploadID, parts, cond)
		err = mapCondErr("promote: complete multipart copy", err)
	}
	if err != nil {
		// Best effort: an upload left behind holds no object and is
		// reclaimed by the server's stale-upload expiry.
		_ = s.core.AbortMultipartUpload(context.WithoutCancel(ctx), s.bucket, key, uploadID)
	}
	return err
}

func (s *S3) copyParts(ctx context.Context, src minio.ObjectInfo, key, uploadID string) ([]minio.CompletePart, error) {
	// Copy exactly the version that was staged, and only while it is
	// still the same object.
	hdr := map[string]string{
		"x-amz-copy-source":          fmt.Sprintf("%s/%s?versionId=%s", s.bucket, src.Key, src.VersionID),
		"x-amz-copy-source-if-match": src.ETag,
	}
	if src.VersionID == "" {
		hdr["x-amz-copy-source"] = s.bucket + "/" + src.Key
	}
	var parts []minio.CompletePart
	for off := int64(0); off < src.Size; off += s.copyPartSize {
		n := min(s.copyPartSize, src.Size-off)
		p, err := s.core.CopyObjectPart(ctx, s.bucket, src.Key, s.bucket, key, uploadID, len(parts)+1, off, n, hdr)
		if err != nil {
			return nil, mapS3Err("promote: copy part", err)
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// mapCondErr maps a refused If-None-Match: * to errExists.
func mapCondErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if r := minio.ToErrorResponse(err); r.Code == "PreconditionFailed" || r.StatusCode == http.StatusPreconditionFailed {
		return errExists
	}
	return mapS3Err(op, err)
}

// removeAllVersions deletes every version and delete marker of object, and
// aborts its incomplete multipart uploads. The bucket is versioned (Object
// Lock requires it), so a plain delete would only add a delete marker.
func (s *S3) removeAllVersions(ctx context.Context, object string) error {
	for v := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: object, WithVersions: true}) {
		if v.Err != nil {
			return mapS3Err("list versions", v.Err)
		}
		if v.Key != object {
			continue // same prefix, other name
		}
		err := s.client.RemoveObject(ctx, s.bucket, object, minio.RemoveObjectOptions{VersionID: v.VersionID})
		if err != nil && !isNotFound(err) {
			return mapS3Err("remove version", err)
		}
	}
	err := s.client.RemoveIncompleteUpload(ctx, s.bucket, object)
	if err != nil && !isNotFound(err) {
		return mapS3Err("abort incomplete upload", err)
	}
	return nil
}

// Discard deletes every version of the staged object name and aborts its
// incomplete uploads. A missing object is not an error.
func (s *S3) Discard(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	return s.removeAllVersions(ctx, stagingKey(name))
}

// ListStaged lists the staged objects: every name under "staging/" with any
// version left (even behind a delete marker) or an incomplete upload (a
// crash during Write). ModTime is the latest of those.
func (s *S3) ListStaged(ctx context.Context) ([]StagedInfo, error) {
	seen := map[string]int{}
	var out []StagedInfo
	add := func(key string, t time.Time) {
		name := strings.TrimPrefix(key, stagingPrefix)
		if checkName(name) != nil {
			return
		}
		if i, ok := seen[name]; ok {
			if t.After(out[i].ModTime) {
				out[i].ModTime = t
			}
			return
		}
		seen[name] = len(out)
		out = append(out, StagedInfo{Name: name, ModTime: t})
	}
	opts := minio.ListObjectsOptions{Prefix: stagingPrefix, WithVersions: true, Recursive: true}
	for v := range s.client.ListObjectsIter(ctx, s.bucket, opts) {
		if v.Err != nil {
			return nil, mapS3Err("list staged", v.Err)
		}
		add(v.Key, v.LastModified)
	}
	for u := range s.client.ListIncompleteUploads(ctx, s.bucket, stagingPrefix, true) {
		if u.Err != nil {
			return nil, mapS3Err("list incomplete uploads", u.Err)
		}
		add(u.Key, u.Initiated)
	}
	return out, nil
}

// Open opens the original version of the object under key (see
// originalVersion). It sends the first GET, so a missing key is ErrNotFound
// here, not at the first Read.
func (s *S3) Open(ctx context.Context, key string) (Blob, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	version, err := s.originalVersion(ctx, key)
	if err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{VersionID: version})
	if err != nil {
		return nil, mapS3Err("open", err)
	}
	info, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, mapS3Err("open", err)
	}
	return &s3Blob{obj: obj, size: info.Size}, nil
}

// Stat returns the size of the original version of the object under key.
func (s *S3) Stat(ctx context.Context, key string) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	version, err := s.originalVersion(ctx, key)
	if err != nil {
		return 0, err
	}
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{VersionID: version})
	if err != nil {
		return 0, mapS3Err("stat", err)
	}
	return info.Size, nil
}

// Check sends one HEAD on the bucket.
func (s *S3) Check(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return mapS3Err("check", err)
	}
	if !ok {
		return fmt.Errorf("%w: bucket %q is gone", ErrUnavailable, s.bucket)
	}
	return nil
}

// s3Blob maps the errors of a minio.Object.
type s3Blob struct {
	obj  *minio.Object
	size int64
}

func (b *s3Blob) Read(p []byte) (int, error) {
	n, err := b.obj.Read(p)
	return n, mapReadErr(err)
}

func (b *s3Blob) ReadAt(p []byte, off int64) (int, error) {
	n, err := b.obj.ReadAt(p, off)
	return n, mapReadErr(err)
}

func (b *s3Blob) Seek(off int64, whence int) (int64, error) {
	n, err := b.obj.Seek(off, whence)
	return n, mapReadErr(err)
}

func (b *s3Blob) Close() error { return b.obj.Close() }
func (b *s3Blob) Size() int64  { return b.size }
