package storage

import "io"

// Staged is a blob being written. Write streams bytes; Commit makes them
// durable (fsync, or a completed upload) and must be called before Promote;
// Abort discards everything and is idempotent, also after Commit. Every
// Staged must end with Commit or Abort (a Folder's runs its write-behind
// until then). A Staged is not safe for concurrent use.
type Staged interface {
	io.Writer
	Commit() error
	Abort() error
}

// Blob is an open, committed blob. Range requests are served through Seek and
// Read (http.ServeContent).
type Blob interface {
	io.ReadSeekCloser
	Size() int64
}
