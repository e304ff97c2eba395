package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/minio/minio-go/v7"
)

// Keys calls fn for every promoted blob, with its size, for integrity
// audits (orphan detection). Staged blobs are not listed.
func (f *Folder) Keys(ctx context.Context, fn func(key string, size int64) error) error {
	for _, alg := range keyAlgorithms {
		root := filepath.Join(f.dir, alg[:len(alg)-1])
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			key := alg + d.Name()
			if checkKey(key) != nil {
				return nil // not a blob (a stray file is the auditor's business, not ours)
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			return fn(key, fi.Size())
		})
		if err != nil {
			return fmt.Errorf("storage: list blobs: %w", err)
		}
	}
	return nil
}

// Keys calls fn for every promoted object, with its size.
func (s *S3) Keys(ctx context.Context, fn func(key string, size int64) error) error {
	for _, alg := range keyAlgorithms {
		for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: alg, Recursive: true}) {
			if obj.Err != nil {
				return mapS3Err("list", obj.Err)
			}
			if checkKey(obj.Key) != nil {
				continue
			}
			if err := fn(obj.Key, obj.Size); err != nil {
				return err
			}
		}
	}
	return nil
}

// originalVersion returns the version ID of the first version written under
// key: the one Promote created, under COMPLIANCE retention. Later versions
// (an overwrite by someone holding write credentials) and delete markers
// cannot remove it, but they would change what a plain GET returns, so
// reads always name this version.
func (s *S3) originalVersion(ctx context.Context, key string) (string, error) {
	var first *minio.ObjectInfo
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
		if obj.Err != nil {
			return "", mapS3Err("open", obj.Err)
		}
		if obj.Key != key || obj.IsDeleteMarker {
			continue
		}
		if first == nil || obj.LastModified.Before(first.LastModified) {
			o := obj
			first = &o
		}
	}
	if first == nil {
		return "", fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return first.VersionID, nil
}
