package storage

// Hooks for the external tests.

// KeyPath returns the file that holds key in f.
func KeyPath(f *Folder, key string) string { return f.keyPath(key) }

// StagedPath returns the file that holds the staged blob name in f.
func StagedPath(f *Folder, name string) string { return f.stagedPath(name) }

// SetCopyPartSize sets the part size of Promote's server-side copy, so that
// tests exercise multipart copies without 1 GiB objects.
func SetCopyPartSize(s *S3, n int64) { s.copyPartSize = n }
