package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/minio/minio-go/v7"
)

// mapS3Err turns a minio-go error into one of the package's sentinels where
// one applies, keeping the original in the chain:
//
//   - NoSuchKey, NoSuchVersion, 404 on an object → ErrNotFound;
//   - 5xx, SlowDown, RequestTimeout, a server still starting, and network
//     failures (refused, reset, timeouts, truncated answers) → ErrUnavailable;
//   - everything else (auth, bad requests, NoSuchBucket) is returned as is:
//     retrying would not help.
func mapS3Err(op string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case isNotFound(err):
		return fmt.Errorf("%w: s3 %s: %w", ErrNotFound, op, err)
	case isUnavailable(err):
		return fmt.Errorf("%w: s3 %s: %w", ErrUnavailable, op, err)
	}
	return fmt.Errorf("storage: s3 %s: %w", op, err)
}

func isNotFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.Code == "NoSuchKey" || r.Code == "NoSuchVersion" ||
		r.Code == "NoSuchUpload" || (r.StatusCode == http.StatusNotFound && r.Code != "NoSuchBucket")
}

var unavailableCodes = map[string]bool{
	"SlowDown": true, "ServiceUnavailable": true, "RequestTimeout": true,
	"InternalError": true, "XMinioServerNotInitialized": true,
	"XMinioStorageFull": false, // a full disk is not transient
}

func isUnavailable(err error) bool {
	var r minio.ErrorResponse
	if errors.As(err, &r) && r.Code != "" {
		return r.StatusCode >= 500 || unavailableCodes[r.Code]
	}
	if errors.Is(err, context.Canceled) {
		return false // the caller gave up; not the store's fault
	}
	var ne net.Error
	return errors.As(err, &ne) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF)
}

// mapReadErr maps errors of a blob being read, keeping io.EOF as is.
func mapReadErr(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return mapS3Err("read", err)
}
