package access

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/internal/problem"
	"github.com/custos-project/custos/internal/text"
)

var (
	bOrgs    = []byte("orgs")       // org id → Org JSON
	bKeys    = []byte("keys")       // key id → Key JSON
	bSecrets = []byte("apisecrets") // key id → verifier JSON of a generated token
	bChosen  = []byte("apichosen")  // key id → verifier JSON of a chosen token
	// bLegacy indexes the generated tokens that earlier versions made
	// (without the key's ID in them): SHA-256(token) → key id. Nothing new
	// is added to it.
	bLegacy = []byte("apilegacy")
	// bTokens is where earlier versions indexed every token, chosen ones
	// too, by SHA-256(token): Upgrade empties and deletes it.
	bTokens = []byte("apitokens")
)

// Store keeps organizations and keys in bbolt.
type Store struct {
	db    *bolt.DB
	now   func() time.Time
	cache *authCache // shared by every Store over db
}

// authCache remembers, for a short time, the principals that Authenticate
// found valid, keyed by cacheKey(token), so that most requests need no
// bbolt transaction and no JSON decoding. Every write a Store makes to the
// organizations and keys empties the cache once committed, before the
// write returns, so a revocation takes effect on the very next request;
// gen makes sure a lookup that raced with such a write is not cached.
// Expiry is checked on every hit. Failures are never cached there.
//
// It also remembers, for as long as the process runs, which key each
// chosen token checked by argon2id belongs to (chosen), so that the
// derivation is paid once per token per process, and which presented
// tokens matched no chosen token (wrong), until the next write; flight
// lets concurrent requests with one unchecked token share one check.
type authCache struct {
	mu     sync.Mutex
	gen    uint64
	m      map[[32]byte]authEntry
	chosen map[[32]byte]string
	wrong  map[[32]byte]bool
	flight map[[32]byte]*flight
}

// flight is one argon2id check under way; done is closed when id and err
// are set.
type flight struct {
	done chan struct{}
	id   string
	err  error
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
	c.wrong = nil
}

// known reports what an earlier check of a chosen token found: its key's
// ID, or wrong if it matched none (and no write came since).
func (c *authCache) known(k [32]byte) (id string, wrong bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.chosen[k], c.wrong[k]
}

// join returns the check under way for k, or starts one (first true): the
// caller that starts it must end it with land.
func (c *authCache) join(k [32]byte) (f *flight, first bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.flight[k]; f != nil {
		return f, false
	}
	if c.flight == nil {
		c.flight = make(map[[32]byte]*flight)
	}
	f = &flight{done: make(chan struct{})}
	c.flight[k] = f
	return f, true
}

// land ends a check and remembers its outcome: a match for the process, a
// refusal until the next write (unless one came since gen).
func (c *authCache) land(k [32]byte, f *flight, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.flight, k)
	close(f.done)
	switch {
	case f.id != "":
		if c.chosen == nil || len(c.chosen) >= authCacheMax {
			c.chosen = make(map[[32]byte]string)
		}
		c.chosen[k] = f.id
	case errors.Is(f.err, ErrBadToken) && c.gen == gen:
		if c.wrong == nil || len(c.wrong) >= authCacheMax {
			c.wrong = make(map[[32]byte]bool)
		}
		c.wrong[k] = true
	}
}

// update runs fn in a write transaction and then empties the principal
// cache: every write of the store goes through it.
func (s *Store) update(fn func(*bolt.Tx) error) error {
	defer s.cache.invalidate() // also after a failed commit: the cache may only lose entries
	return s.db.Update(fn)
}

// Open prepares the store's buckets in db, and upgrades the credentials
// an earlier version stored (see Upgrade).
func Open(db *bolt.DB) (*Store, error) {
	if _, err := Upgrade(db); err != nil {
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

// checkName accepts 1 to 200 characters, none of them invisible,
// direction-changing or a control (internal/text). The error for such a
// character wraps both ErrBadInput and the *text.Error naming it.
func checkName(name string) error {
	if name = strings.TrimSpace(name); name == "" || utf8.RuneCountInString(name) > 200 {
		return badInput("access.name-length")
	}
	if err := text.CheckVisible("name", name); err != nil {
		return fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	return nil
}

// CreateOrg creates an organization with the default settings.
func (s *Store) CreateOrg(kind, name string) (*Org, error) {
	return s.CreateOrgWith(kind, name, Settings{})
}

// CreateOrgWith creates an organization with settings set.
func (s *Store) CreateOrgWith(kind, name string, set Settings) (*Org, error) {
	return s.CreateOrgWithin(kind, name, set, nil)
}

// CreateOrgWithin creates an organization as CreateOrgWith does and, if
// within is not nil, calls it in the same transaction once the
// organization is stored: an error from within undoes the creation. The
// API appends the org.created audit event there, so that no organization
// exists without the start of its audit chain.
func (s *Store) CreateOrgWithin(kind, name string, set Settings, within func(tx *bolt.Tx, o *Org) error) (*Org, error) {
	if !slices.Contains(Kinds, kind) {
		return nil, badInput("access.kind", "kind", kind, "kinds", problem.List(Kinds))
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	o := &Org{ID: NewID(), Kind: kind, Name: strings.TrimSpace(name), CreatedAt: s.now().UTC(), Settings: set}
	return s.putNewOrg(o, func(tx *bolt.Tx) error {
		// The operator runs the node and holds the admin role over every
		// organization: there is one, made at the node's first start.
		if kind == KindOperator && hasOperator(tx) {
			return badInput("access.second-operator", "kind", kind)
		}
		return nil
	}, within)
}

// putNewOrg stores o, once check allows it, and runs within (if not nil)
// in the same transaction.
func (s *Store) putNewOrg(o *Org, check func(tx *bolt.Tx) error, within func(tx *bolt.Tx, o *Org) error) (*Org, error) {
	err := s.update(func(tx *bolt.Tx) error {
		if err := check(tx); err != nil {
			return err
		}
		if err := put(tx, bOrgs, o.ID, o); err != nil || within == nil {
			return err
		}
		return within(tx, o)
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// RestoreOrgWithin re-creates, under its own ID, an organization this
// node lost (a restore from an older backup) and the consortium's
// directory still homes here: with its kind and name there, the default
// settings, and no keys (the operator creates new ones). It refuses an
// operator organization (never in the directory), an ID that is not one
// NewID makes, and an organization that exists. within, if not nil, runs
// in the same transaction (its audit chain's first event).
func (s *Store) RestoreOrgWithin(id, kind, name string, within func(tx *bolt.Tx, o *Org) error) (*Org, error) {
	if kind == KindOperator || !slices.Contains(Kinds, kind) {
		return nil, badInput("access.kind", "kind", kind, "kinds", problem.List(Kinds))
	}
	if b, err := idEncoding.DecodeString(id); err != nil || len(b) != 16 || idEncoding.EncodeToString(b) != id {
		return nil, fmt.Errorf("%w: %q is not an organization ID", ErrBadInput, id)
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	o := &Org{ID: id, Kind: kind, Name: strings.TrimSpace(name), CreatedAt: s.now().UTC()}
	return s.putNewOrg(o, func(tx *bolt.Tx) error {
		if tx.Bucket(bOrgs).Get([]byte(id)) != nil {
			return fmt.Errorf("%w: organization %s exists", ErrBadInput, id)
		}
		return nil
	}, within)
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

// UpdateOrg applies p to an organization and returns it as it was and as
// it is now. A name follows CreateOrg's rule; a patch that changes
// nothing is allowed and writes nothing.
func (s *Store) UpdateOrg(id string, p OrgPatch) (before, after *Org, err error) {
	return s.UpdateOrgWithin(id, p, nil)
}

// UpdateOrgWithin applies p as UpdateOrg does and, if within is not nil
// and p changes something, calls it in the same transaction with the
// organization as it was and as it is now: an error from within undoes
// the change. The API appends org.renamed and org.updated there.
func (s *Store) UpdateOrgWithin(id string, p OrgPatch, within func(tx *bolt.Tx, before, after *Org) error) (before, after *Org, err error) {
	if p.Name != nil {
		if err := checkName(*p.Name); err != nil {
			return nil, nil, err
		}
	}
	var old, cur Org
	err = s.update(func(tx *bolt.Tx) error {
		if err := get(tx, bOrgs, id, &old); err != nil {
			return err
		}
		cur = old
		if p.Name != nil {
			cur.Name = strings.TrimSpace(*p.Name)
		}
		if p.UnlistedByDefault != nil {
			cur.UnlistedByDefault = *p.UnlistedByDefault
		}
		if cur == old {
			return nil
		}
		if err := put(tx, bOrgs, id, &cur); err != nil || within == nil {
			return err
		}
		return within(tx, &old, &cur)
	})
	if err != nil {
		return nil, nil, err
	}
	return &old, &cur, nil
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
// is shown this once: only a verifier is kept.
func (s *Store) CreateKey(orgID string, role Role, name string, expires *time.Time) (string, *Key, error) {
	return s.CreateKeyWithin(orgID, role, name, expires, nil)
}

// CreateKeyWithin creates a key as CreateKey does and, if within is not
// nil, calls it in the same transaction once the key is stored: an error
// from within undoes the creation. The API appends the key.created audit
// event there, so that no key exists unaudited.
func (s *Store) CreateKeyWithin(orgID string, role Role, name string, expires *time.Time, within func(tx *bolt.Tx, k *Key) error) (string, *Key, error) {
	token := NewToken()
	k, err := s.AddKeyWithin(token, orgID, role, name, expires, within)
	return token, k, err
}

// AddKey stores a key for a token the caller has: one NewToken made (the
// key takes the ID the token carries), or one the operator chose
// (CUSTOS_BOOTSTRAP_TOKEN), which must pass CheckChosenToken and is stored
// under argon2id. A store keeps at most one unrevoked key with a chosen
// token: the bootstrap admin's.
func (s *Store) AddKey(token, orgID string, role Role, name string, expires *time.Time) (*Key, error) {
	return s.AddKeyWithin(token, orgID, role, name, expires, nil)
}

// AddKeyWithin stores a key as AddKey does and, if within is not nil,
// calls it in the same transaction once the key is stored: an error from
// within undoes it.
func (s *Store) AddKeyWithin(token, orgID string, role Role, name string, expires *time.Time, within func(tx *bolt.Tx, k *Key) error) (*Key, error) {
	nk, err := s.newKey(token, orgID, role, name, expires)
	if err != nil {
		return nil, err
	}
	err = s.update(func(tx *bolt.Tx) error {
		if err := nk.add(tx); err != nil || within == nil {
			return err
		}
		return within(tx, nk.k)
	})
	if err != nil {
		return nil, err
	}
	return nk.k, nil
}

// Bootstrap creates, in one transaction, the operator organization named
// name and its admin key (named BootstrapKeyName) for token, as AddKey
// takes one: a node's first start. If within is not nil it is called in
// that transaction once both are stored, and an error from it undoes
// both; the node appends their audit events there. Bootstrap refuses if
// any organization exists, so that a first start is all or nothing and
// never leaves an operator organization without its admin key.
func (s *Store) Bootstrap(name, token string, within func(tx *bolt.Tx, o *Org, k *Key) error) (*Org, *Key, error) {
	if err := checkName(name); err != nil {
		return nil, nil, err
	}
	o := &Org{ID: NewID(), Kind: KindOperator, Name: strings.TrimSpace(name), CreatedAt: s.now().UTC()}
	nk, err := s.newKey(token, o.ID, RoleAdmin, BootstrapKeyName, nil)
	if err != nil {
		return nil, nil, err
	}
	err = s.update(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bOrgs).Cursor().First(); k != nil {
			return badInput("access.second-operator", "kind", KindOperator)
		}
		if err := put(tx, bOrgs, o.ID, o); err != nil {
			return err
		}
		if err := nk.add(tx); err != nil || within == nil {
			return err
		}
		return within(tx, o, nk.k)
	})
	if err != nil {
		return nil, nil, err
	}
	return o, nk.k, nil
}

// newKeyOf is a key checked and ready to be stored (Store.newKey).
type newKeyOf struct {
	k         *Key
	token     string
	v         verifier
	bucket    []byte
	generated bool
}

// newKey checks a key's token and fields and prepares it.
func (s *Store) newKey(token, orgID string, role Role, name string, expires *time.Time) (*newKeyOf, error) {
	if err := checkToken(token); err != nil {
		return nil, err
	}
	switch {
	case !role.Valid():
		return nil, badInput("access.role", "role", role)
	case expires != nil && !expires.After(s.now()):
		return nil, badInput("access.expired")
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	nk := &newKeyOf{k: &Key{OrgID: orgID, Role: role, Name: strings.TrimSpace(name), CreatedAt: s.now().UTC(), ExpiresAt: expires}, token: token, bucket: bSecrets}
	id, generated := generatedID(token)
	nk.generated = generated
	if generated {
		nk.k.ID, nk.k.Prefix, nk.v = id, token[:idEnd], generatedVerifier(token)
	} else {
		nk.k.ID, nk.v, nk.bucket = NewID(), chosenVerifier(sha256Of(token)), bChosen
	}
	return nk, nil
}

// add stores the key in tx, refusing what AddKey refuses.
func (nk *newKeyOf) add(tx *bolt.Tx) error {
	k := nk.k
	var org Org
	if err := get(tx, bOrgs, k.OrgID, &org); err != nil {
		return err
	}
	// The admin role manages every organization: only the operator's
	// own organization may hold it.
	if !k.Role.HeldBy(org.Kind) {
		return badInput("access.admin-operator")
	}
	if tx.Bucket(bKeys).Get([]byte(k.ID)) != nil || tx.Bucket(bLegacy).Get(sha256Of(nk.token)) != nil {
		return badInput("access.token-in-use")
	}
	if !nk.generated {
		if live, err := liveChosen(tx); err != nil || len(live) > 0 {
			return errors.Join(err, badInput("access.one-chosen"))
		}
	}
	if err := put(tx, bKeys, k.ID, k); err != nil {
		return err
	}
	return put(tx, nk.bucket, k.ID, &nk.v)
}

// chosenKey is a key with a chosen token, a candidate for a token that
// names no key.
type chosenKey struct {
	id string
	v  verifier
}

// liveChosen returns the unrevoked keys with a chosen token.
func liveChosen(tx *bolt.Tx) ([]chosenKey, error) {
	var out []chosenKey
	err := tx.Bucket(bChosen).ForEach(func(id, raw []byte) error {
		var k Key
		if err := get(tx, bKeys, string(id), &k); err != nil || k.RevokedAt != nil {
			return err
		}
		c := chosenKey{id: string(id)}
		if err := json.Unmarshal(raw, &c.v); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
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

// ActorActive reports whether actor, as Principal.Actor names a caller
// ("<org id>:<key id>"), is a key of that organization that may
// authenticate at now: it exists, and is neither revoked nor expired. A
// key that cannot be read counts as not active. The webhooks service
// pauses a webhook while its creator is not active (webhooks.Config,
// A6 in docs/security.md).
func (s *Store) ActorActive(actor string, now time.Time) bool {
	org, id, ok := strings.Cut(actor, ":")
	if !ok || org == "" || id == "" {
		return false
	}
	k, err := s.Key(id)
	return err == nil && k.OrgID == org && live(*k, now)
}

// RevokeKey revokes a key at once: the next request with it is refused.
func (s *Store) RevokeKey(id string) (*Key, error) {
	return s.RevokeKeyWithin(id, nil)
}

// RevokeKeyWithin revokes a key as RevokeKey does and, if within is not
// nil and this call revokes it (it was not revoked yet), calls it in the
// same transaction: an error from within undoes the revocation. The API
// appends the key.revoked audit event there, once per key. It refuses
// (ErrLastAdmin) to revoke the last live admin key.
func (s *Store) RevokeKeyWithin(id string, within func(tx *bolt.Tx, k *Key) error) (*Key, error) {
	var k Key
	err := s.update(func(tx *bolt.Tx) error {
		if err := get(tx, bKeys, id, &k); err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return nil // revoked already: nothing changes
		}
		now := s.now().UTC()
		if live(k, now) && k.Role == RoleAdmin {
			others, err := liveAdmins(tx, now, k.ID)
			if err != nil {
				return err
			}
			if others == 0 {
				return ErrLastAdmin
			}
		}
		k.RevokedAt = &now
		if err := put(tx, bKeys, k.ID, &k); err != nil || within == nil {
			return err
		}
		return within(tx, &k)
	})
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// live reports whether k may authenticate at now: neither revoked nor
// expired.
func live(k Key, now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}

// liveAdmins counts the live admin keys other than the key except.
func liveAdmins(tx *bolt.Tx, now time.Time, except string) (int, error) {
	n := 0
	err := tx.Bucket(bKeys).ForEach(func(id, v []byte) error {
		var k Key
		if err := json.Unmarshal(v, &k); err != nil {
			return err
		}
		if k.ID != except && k.Role == RoleAdmin && live(k, now) {
			n++
		}
		return nil
	})
	return n, err
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

// maxPresented bounds the tokens Authenticate considers at all.
const maxPresented = 4096

// Authenticate returns the caller a token belongs to. A generated token
// names its key, and is checked with one SHA-256; a token that an earlier
// version generated is found by its SHA-256. Any other token can only be
// the chosen one: it is checked against the (at most one) unrevoked key
// with a chosen token, with one argon2id derivation paid once per process
// (authCache.chosen), and such checks of unknown tokens are rate-limited
// (ErrBusy).
func (s *Store) Authenticate(token string) (*Principal, error) {
	if token == "" || len(token) > maxPresented {
		return nil, ErrBadToken
	}
	ck := cacheKey(token)
	now := s.now()
	if p, ok := s.cache.get(ck, now); ok {
		return checkPrincipal(p, now)
	}
	gen := s.cache.generation()
	id, err := s.resolve(token, ck, gen)
	if err != nil {
		return nil, err
	}
	var p Principal
	err = s.db.View(func(tx *bolt.Tx) error {
		if err := get(tx, bKeys, id, &p.Key); err != nil {
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
		s.cache.put(ck, p, gen, now)
	}
	return out, err
}

// resolve returns the ID of the key whose token this is.
func (s *Store) resolve(token string, ck [32]byte, gen uint64) (string, error) {
	if id, ok := generatedID(token); ok {
		var v verifier
		err := s.db.View(func(tx *bolt.Tx) error { return get(tx, bSecrets, id, &v) })
		switch {
		case errors.Is(err, ErrNotFound) || err == nil && !v.matches(token):
			return "", ErrBadToken
		case err != nil:
			return "", err
		}
		return id, nil
	}
	if id, wrong := s.cache.known(ck); id != "" || wrong {
		if wrong {
			return "", ErrBadToken
		}
		return id, nil
	}
	var id string
	var cands []chosenKey
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bLegacy).Get(sha256Of(token)); v != nil {
			id = string(v)
			return nil
		}
		var err error
		cands, err = liveChosen(tx)
		return err
	})
	switch {
	case err != nil:
		return "", err
	case id != "":
		return id, nil
	case len(cands) == 0 || len(token) < minLegacyLen:
		return "", ErrBadToken
	}
	return s.checkChosen(token, ck, gen, cands)
}

// checkChosen checks token against the keys with a chosen token: one
// argon2id derivation each (there is at most one), under the gate, shared
// by the concurrent callers with the same token.
func (s *Store) checkChosen(token string, ck [32]byte, gen uint64, cands []chosenKey) (string, error) {
	f, first := s.cache.join(ck)
	if !first {
		<-f.done
		return f.id, f.err
	}
	defer s.cache.land(ck, f, gen)
	f.err = gate.check(func() {
		for _, c := range cands {
			if c.v.matches(token) {
				f.id = c.id
				return
			}
		}
	})
	if f.err == nil && f.id == "" {
		f.err = ErrBadToken
	}
	return f.id, f.err
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
