package storage

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
)

// Stage starts a streaming multipart upload to "staging/<name>", with no
// retention. Bytes written to the Staged are sent part by part (PartSize
// each) while the caller writes; Commit completes the upload. Stage returns
// once the server has accepted the upload, so an unreachable store fails
// here (ErrUnavailable), before the caller reads a byte of the body.
//
// The caller must end every Staged with Commit or Abort (or cancel ctx):
// until then a goroutine waits for more bytes.
func (s *S3) Stage(ctx context.Context, name string) (Staged, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	st := &s3Staged{s: s, ctx: ctx, key: stagingKey(name), pw: pw, done: make(chan struct{})}
	started := make(chan struct{})
	body := &signalReader{r: pr, first: started}
	opts := minio.PutObjectOptions{PartSize: s.partSize}
	if s.threads > 1 {
		opts.NumThreads, opts.ConcurrentStreamParts = s.threads, true
	}
	stop := context.AfterFunc(ctx, func() { pw.CloseWithError(ctx.Err()) })
	go func() {
		defer close(st.done)
		defer stop()
		_, err := s.client.PutObject(ctx, s.bucket, st.key, body, -1, opts)
		st.err = mapS3Err("stage "+name, err)
		if st.err == nil {
			st.err = errUploadEnded // for a Write after Commit
		}
		pr.CloseWithError(st.err)
		if errors.Is(st.err, errUploadEnded) {
			st.err = nil
		}
	}()
	select {
	case <-started:
		return st, nil
	case <-st.done:
		if st.err == nil { // cannot happen: the upload needs our EOF
			st.err = errUploadEnded
		}
		return nil, st.err
	}
}

var (
	errUploadEnded = errors.New("storage: staged upload already ended")
	errAborted     = errors.New("storage: staged upload aborted")
)

// s3Staged feeds a PutObject running in its own goroutine through a pipe.
type s3Staged struct {
	s    *S3
	ctx  context.Context
	key  string
	pw   *io.PipeWriter
	done chan struct{} // closed when PutObject has returned
	err  error         // PutObject's (mapped) error, valid after done
}

func (st *s3Staged) Write(p []byte) (int, error) { return st.pw.Write(p) }

// Commit ends the stream and waits for the upload to complete.
func (st *s3Staged) Commit() error {
	st.pw.Close()
	<-st.done
	return st.err
}

// Abort stops the upload if it is still running (minio-go then aborts the
// multipart upload) and deletes every version of the staged object.
func (st *s3Staged) Abort() error {
	st.pw.CloseWithError(errAborted)
	<-st.done
	ctx, cancel := context.WithTimeout(context.WithoutCancel(st.ctx), time.Minute)
	defer cancel()
	return st.s.removeAllVersions(ctx, st.key)
}

// signalReader closes first on the first Read: PutObject reads its body
// only after the multipart upload has been created.
type signalReader struct {
	r     io.Reader
	first chan struct{}
	once  sync.Once
}

func (r *signalReader) Read(p []byte) (int, error) {
	r.once.Do(func() { close(r.first) })
	return r.r.Read(p)
}
