package access

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

var (
	bOrgs   = []byte("orgs")      // org id → Org JSON
	bKeys   = []byte("keys")      // key id → Key JSON
	bTokens = []byte("apitokens") // SHA-256(token) → key id (not "tokens": evidence has one)
)

// Store keeps organizations and keys in bbolt.
type Store struct {
	db    *bolt.DB
	now   func() time.Time
	cache *authCache // shared by every Store over db
}

// authCache remembers, for a short time, the principals that Authenticate
// found valid, keyed by the token's hash, so that most requests need no
// bbolt transaction and no JSON decoding. Every write a Store makes to the
// organizations and keys empties the cache once committed, before the
// write returns, so a revocation takes effect on the very next request;
// gen makes sure a lookup that raced with such a write is not cached.
// Expiry is checked on every hit. Failures are never cached.
type authCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[[32]byte]authEntry
}

type authEntry struct {
	p  Principal
	at time.Time // when it was read from the database
}

const (
	authCacheTTL = 2 * time.Second
	authCacheMax = 4096
)

// authCaches holds one authCache per database, so that two Stores over one
// bbolt.DB see each other's writes.
var authCaches sync.Map // *bolt.DB → *authCache

func (c *authCache) get(h [32]byte, now time.Time) (Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[h]
	if !ok || now.Sub(e.at) >= authCacheTTL || now.Before(e.at) {
		return Principal{}, false
	}
	return e.p, true
}

func (c *authCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put caches p as read at time at, unless a write committed since gen.
func (c *authCache) put(h [32]byte, p Principal, gen uint64, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.m == nil || len(c.m) >= authCacheMax {
		c.m = make(map[[32]byte]authEntry)
	}
	c.m[h] = authEntry{p: p, at: at}
}

func (c *authCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m = nil
}

// update runs fn in a write transaction and then empties the principal
// cache: every write of the store goes through it.
func (s *Store) update(fn func(*bolt.Tx) error) error {
	defer s.cache.invalidate() // also after a failed commit: the cache may only lose entries
	return s.db.Update(fn)
}

// Open prepares the store's buckets in db.
func Open(db *bolt.DB) (*Store, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bOrgs, bKeys, bTokens} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c, _ := authCaches.LoadOrStore(db, &authCache{})
	return &Store{db: db, now: time.Now, cache: c.(*authCache)}, nil
}

func put(tx *bolt.Tx, bucket []byte, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put([]byte(key), b)
}

func get(tx *bolt.Tx, bucket []byte, key string, v any) error {
	b := tx.Bucket(bucket).Get([]byte(key))
	if b == nil {
		return ErrNotFound
	}
	return json.Unmarshal(b, v) // Unmarshal copies: safe after the tx
}

func checkName(name string) error {
	if name = strings.TrimSpace(name); name == "" || utf8.RuneCountInString(name) > 200 {
		return badInput("a name has 1 to 200 characters")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return badInput("a name has no control characters")
		}
	}
	return nil
}

// CreateOrg creates an organization.
func (s *Store) CreateOrg(kind, name string) (*Org, error) {
	if !slices.Contains(Kinds, kind) {
		return nil, badInput("kind %q: want one of %s", kind, strings.Join(Kinds, ", "))
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	o := &Org{ID: NewID(), Kind: kind, Name: strings.TrimSpace(name), CreatedAt: s.now().UTC()}
	err := s.update(func(tx *bolt.Tx) error {
		// The operator runs the node and holds the admin role over every
		// organization: there is one, made at the node's first start.
		if kind == KindOperator && hasOperator(tx) {
			return badInput("kind %q: a node has one operator organization, made at its first start; choose another kind", kind)
		}
		return put(tx, bOrgs, o.ID, o)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// hasOperator reports whether an operator organization exists.
func hasOperator(tx *bolt.Tx) bool {
	found := false
	_ = tx.Bucket(bOrgs).ForEach(func(_, v []byte) error {
		var o Org
		if json.Unmarshal(v, &o) == nil && o.Kind == KindOperator {
			found = true
			return errStop
		}
		return nil
	})
	return found
}

var errStop = errors.New("stop")

// Org returns an organization.
func (s *Store) Org(id string) (*Org, error) {
	var o Org
	err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bOrgs, id, &o) })
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// Orgs lists every organization.
func (s *Store) Orgs() ([]Org, error) {
	var out []Org
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bOrgs).ForEach(func(_, v []byte) error {
			var o Org
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			out = append(out, o)
			return nil
		})
	})
	slices.SortFunc(out, func(a, b Org) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, err
}

// CreateKey creates a key for an organization and returns its token, which
// is shown this once: only its hash is kept.
func (s *Store) CreateKey(orgID string, role Role, name string, expires *time.Time) (string, *Key, error) {
	token := NewToken()
	k, err := s.AddKey(token, orgID, role, name, expires)
	return token, k, err
}

// AddKey stores a key with a token chosen by the caller (the bootstrap
// token may be set by the operator).
func (s *Store) AddKey(token, orgID string, role Role, name string, expires *time.Time) (*Key, error) {
	switch {
	case len(token) < 16:
		return nil, badInput("a token has at least 16 characters")
	case !role.Valid():
		return nil, badInput("role %q: want admin, submitter, viewer, examiner or notary", role)
	case expires != nil && !expires.After(s.now()):
		return nil, badInput("expires_at is in the past")
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	k := &Key{ID: NewID(), OrgID: orgID, Role: role, Name: strings.TrimSpace(name), Prefix: token[:min(prefixLen, len(token))],
		CreatedAt: s.now().UTC(), ExpiresAt: expires}
	err := s.update(func(tx *bolt.Tx) error {
		var org Org
		if err := get(tx, bOrgs, orgID, &org); err != nil {
			return err
		}
		// The admin role manages every organization: only the operator's
		// own organization may hold it.
		if role == RoleAdmin && org.Kind != KindOperator {
			return badInput("the admin role belongs to the operator organization only")
		}
		if tx.Bucket(bTokens).Get(tokenHash(token)) != nil {
			return badInput("this token is already in use")
		}
		if err := put(tx, bKeys, k.ID, k); err != nil {
			return err
		}
		return tx.Bucket(bTokens).Put(tokenHash(token), []byte(k.ID))
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Keys lists an organization's keys (all keys if orgID is "").
func (s *Store) Keys(orgID string) ([]Key, error) {
	var out []Key
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bKeys).ForEach(func(_, v []byte) error {
			var k Key
			if err := json.Unmarshal(v, &k); err != nil {
				return err
			}
			if orgID == "" || k.OrgID == orgID {
				out = append(out, k)
			}
			return nil
		})
	})
	slices.SortFunc(out, func(a, b Key) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, err
}

// Key returns a key.
func (s *Store) Key(id string) (*Key, error) {
	var k Key
	if err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bKeys, id, &k) }); err != nil {
		return nil, err
	}
	return &k, nil
}

// RevokeKey revokes a key at once: the next request with it is refused.
func (s *Store) RevokeKey(id string) (*Key, error) {
	var k Key
	err := s.update(func(tx *bolt.Tx) error {
		if err := get(tx, bKeys, id, &k); err != nil {
			return err
		}
		if k.RevokedAt == nil {
			now := s.now().UTC()
			k.RevokedAt = &now
		}
		return put(tx, bKeys, k.ID, &k)
	})
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// Empty reports whether no organization exists yet (a first start).
func (s *Store) Empty() (bool, error) {
	empty := true
	err := s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bOrgs).Cursor().First()
		empty = k == nil
		return nil
	})
	return empty, err
}

// Authenticate returns the caller a token belongs to. The lookup is by the
// token's hash, so its timing reveals nothing useful about stored tokens.
func (s *Store) Authenticate(token string) (*Principal, error) {
	if token == "" {
		return nil, ErrBadToken
	}
	var h [32]byte
	copy(h[:], tokenHash(token))
	now := s.now()
	if p, ok := s.cache.get(h, now); ok {
		return checkPrincipal(p, now)
	}
	gen := s.cache.generation()
	var p Principal
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bTokens).Get(h[:])
		if id == nil {
			return ErrBadToken
		}
		if err := get(tx, bKeys, string(id), &p.Key); err != nil {
			return err
		}
		return get(tx, bOrgs, p.Key.OrgID, &p.Org)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, err
	}
	out, err := checkPrincipal(p, now)
	if err == nil {
		s.cache.put(h, p, gen, now)
	}
	return out, err
}

// checkPrincipal refuses a revoked or expired key; otherwise it returns a
// copy of p that the caller may keep.
func checkPrincipal(p Principal, now time.Time) (*Principal, error) {
	switch {
	case p.Key.RevokedAt != nil:
		return nil, ErrRevoked
	case p.Key.ExpiresAt != nil && !now.Before(*p.Key.ExpiresAt):
		return nil, ErrExpired
	}
	if p.Key.ExpiresAt != nil {
		exp := *p.Key.ExpiresAt
		p.Key.ExpiresAt = &exp
	}
	return &p, nil
}
