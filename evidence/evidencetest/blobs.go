package evidencetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/custos-project/custos/storage"
)

// Blobs is an in-memory evidence.Blobs, for a store whose blobs a test
// writes or damages directly (Set) instead of through uploads.
type Blobs struct {
	mu     sync.Mutex
	staged map[string]*staged
	blobs  map[string][]byte
}

type staged struct {
	m         *Blobs
	name      string
	buf       bytes.Buffer
	committed bool
}

// NewBlobs returns an empty in-memory blob store.
func NewBlobs() *Blobs {
	return &Blobs{staged: map[string]*staged{}, blobs: map[string][]byte{}}
}

// Set puts b under key, replacing what is there: a blob written without an
// upload, or damaged.
func (m *Blobs) Set(key string, b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blobs[key] = bytes.Clone(b)
}

// Delete drops the blob under key, as a lost blob would be.
func (m *Blobs) Delete(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.blobs, key)
}

// Keys calls fn with the key and size of every blob (not the staged
// ones): the integrity audit lists a store so (integrity.KeyLister) to
// find orphans.
func (m *Blobs) Keys(_ context.Context, fn func(key string, size int64) error) error {
	m.mu.Lock()
	sizes := make(map[string]int64, len(m.blobs))
	for k, b := range m.blobs {
		sizes[k] = int64(len(b))
	}
	m.mu.Unlock()
	for k, n := range sizes {
		if err := fn(k, n); err != nil {
			return err
		}
	}
	return nil
}

// Stage starts the staged blob name.
func (m *Blobs) Stage(_ context.Context, name string) (storage.Staged, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &staged{m: m, name: name}
	m.staged[name] = s
	return s, nil
}

func (s *staged) Write(p []byte) (int, error) { return s.buf.Write(p) }

func (s *staged) Commit() error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	s.committed = true
	return nil
}

func (s *staged) Abort() error { return s.m.Discard(context.Background(), s.name) }

// Promote moves the committed staged blob name to key, once: a key that
// holds bytes already keeps them.
func (m *Blobs) Promote(_ context.Context, name, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.staged[name]
	if !ok {
		if _, done := m.blobs[key]; done {
			return nil
		}
		return storage.ErrNotFound
	}
	if !s.committed {
		return fmt.Errorf("promote of uncommitted %s", name)
	}
	if _, ok := m.blobs[key]; !ok {
		m.blobs[key] = bytes.Clone(s.buf.Bytes())
	}
	delete(m.staged, name)
	return nil
}

// Discard drops the staged blob name.
func (m *Blobs) Discard(_ context.Context, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.staged, name)
	return nil
}

// ListStaged lists the staged blobs.
func (m *Blobs) ListStaged(context.Context) ([]storage.StagedInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []storage.StagedInfo
	for n := range m.staged {
		out = append(out, storage.StagedInfo{Name: n})
	}
	return out, nil
}

type blob struct{ *bytes.Reader }

func (blob) Close() error { return nil }

// Open opens the blob under key.
func (m *Blobs) Open(_ context.Context, key string) (storage.Blob, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.blobs[key]
	if !ok {
		return nil, storage.ErrNotFound
	}
	return blob{bytes.NewReader(b)}, nil
}
