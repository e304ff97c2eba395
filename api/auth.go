package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"
)

// Roles.
const (
	RoleAdmin = "admin"
)

// TokenPrefix starts every Custos API token, so that leaked tokens are easy
// to recognize in logs and by secret scanners.
const TokenPrefix = "cst_"

var bKeys = []byte("apikeys") // SHA-256(token) → Principal JSON

// ErrBadToken means the bearer token is unknown, revoked or malformed.
var ErrBadToken = errors.New("api: invalid token")

// Principal is an authenticated caller.
type Principal struct {
	ID        string    `json:"id"` // stable key ID; the actor in custody events
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// Keys stores API tokens, hashed: the database never holds a token itself.
type Keys struct{ db *bolt.DB }

// NewKeys opens the key store in db.
func NewKeys(db *bolt.DB) (*Keys, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bKeys)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("api: init key store: %w", err)
	}
	return &Keys{db: db}, nil
}

// NewToken returns a fresh random API token (256 bits).
func NewToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("api: crypto/rand failed: " + err.Error())
	}
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Empty reports whether no key exists yet (a first start).
func (k *Keys) Empty() (bool, error) {
	empty := true
	err := k.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bKeys).Cursor()
		key, _ := c.First()
		empty = key == nil
		return nil
	})
	return empty, err
}

// Add stores token (hashed) for a principal.
func (k *Keys) Add(token string, p Principal) error {
	if len(token) < 16 {
		return fmt.Errorf("api: a token must have at least 16 characters")
	}
	v, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return k.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bKeys).Put(tokenHash(token), v)
	})
}

// Authenticate returns the principal a token belongs to. The lookup is by
// hash, so its timing reveals nothing useful about stored tokens.
func (k *Keys) Authenticate(token string) (*Principal, error) {
	if token == "" {
		return nil, ErrBadToken
	}
	var p Principal
	err := k.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bKeys).Get(tokenHash(token))
		if v == nil {
			return ErrBadToken
		}
		return json.Unmarshal(v, &p)
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

const principalKey = "custos.principal"

// requireAuth authenticates the bearer token of every request it guards.
func (s *Server) requireAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get("Authorization")
		scheme, token, ok := strings.Cut(h, " ")
		if h == "" {
			return errUnauthorized("Send your API token as \"Authorization: Bearer <token>\".")
		}
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return errUnauthorized("Only the Bearer scheme is accepted.")
		}
		p, err := s.keys.Authenticate(strings.TrimSpace(token))
		if errors.Is(err, ErrBadToken) {
			return errUnauthorized("The token is not valid.")
		}
		if err != nil {
			return err
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

func principal(c echo.Context) *Principal {
	p, _ := c.Get(principalKey).(*Principal)
	return p
}
