package access

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"
)

// Two kinds of token authenticate a key (docs/threat-model.md, "API
// tokens", says why each is stored as it is):
//
//   - A generated token, made by NewToken: "cst_", the key's ID (26
//     lowercase base32 characters, public: it names the key in listings
//     and custody events), "_", then 43 base64url characters that carry
//     256 random bits, the only secret part. The store keeps SHA-256 of
//     the whole token, under the key's ID: finding the key is one bucket
//     read by its ID, and checking the token one hash.
//   - A chosen token, set by the operator (CUSTOS_BOOTSTRAP_TOKEN), which
//     may carry far less entropy than its length suggests. The store keeps
//     argon2id of its SHA-256, with a random salt per token and the
//     parameters beside it (chosenParams), and nothing else.

// TokenPrefix starts every Custos API token, so that leaked tokens are easy
// to recognize in logs and by secret scanners.
const TokenPrefix = "cst_"

const (
	idChars     = 26 // a key ID, lowercase base32 of 16 bytes
	secretBytes = 32 // the secret of a generated token
	secretChars = 43 // its unpadded base64url
	idEnd       = len(TokenPrefix) + idChars
	tokenChars  = idEnd + 1 + secretChars // a generated token's length

	// A chosen token has MinChosenLen to MaxTokenLen printable ASCII
	// characters, at least MinChosenDistinct of them different.
	MinChosenLen      = 32
	MinChosenDistinct = 16
	MaxTokenLen       = 256

	// minLegacyLen is the shortest token earlier versions accepted: a
	// chosen token stored by them keeps working.
	minLegacyLen = 16
)

// NewToken returns a fresh generated token for a new key: the key's ID
// (fresh) and 256 random bits. AddKey stores a key under the ID the token
// carries.
func NewToken() string {
	var b [secretBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("access: crypto/rand failed: " + err.Error())
	}
	return TokenPrefix + NewID() + "_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// generatedID returns the key ID a generated token carries, or false if
// token is not exactly in the form NewToken makes.
func generatedID(token string) (string, bool) {
	if len(token) != tokenChars || !strings.HasPrefix(token, TokenPrefix) || token[idEnd] != '_' {
		return "", false
	}
	id := token[len(TokenPrefix):idEnd]
	if b, err := idEncoding.DecodeString(id); err != nil || len(b) != 16 || idEncoding.EncodeToString(b) != id {
		return "", false
	}
	secret := token[idEnd+1:]
	if b, err := base64.RawURLEncoding.Strict().DecodeString(secret); err != nil || len(b) != secretBytes {
		return "", false
	}
	return id, true
}

// CheckChosenToken reports, as an ErrBadInput that states the rule,
// whether token may be chosen as an API token (CUSTOS_BOOTSTRAP_TOKEN).
// A token in the generated form is refused: the store takes such a token
// for one NewToken made, with 256 random bits, and keeps only its SHA-256,
// which is no protection for a token a person chose.
func CheckChosenToken(token string) error {
	if _, ok := generatedID(token); ok {
		return badInput("access.token-generated-form")
	}
	return checkToken(token)
}

// checkToken checks the characters, the length and the distinct
// characters of a token a key is stored for: the whole of a chosen one,
// the secret part of one in the generated form.
func checkToken(token string) error {
	for i := 0; i < len(token); i++ {
		if token[i] <= ' ' || token[i] > '~' {
			return badInput("access.token-chars")
		}
	}
	if len(token) < MinChosenLen || len(token) > MaxTokenLen {
		return badInput("access.token-length", "n", len(token))
	}
	s := token
	if _, ok := generatedID(token); ok {
		s = token[idEnd+1:]
	}
	if n := distinct(s); n < MinChosenDistinct {
		return badInput("access.token-distinct", "n", n)
	}
	return nil
}

func distinct(s string) int {
	var seen [256]bool
	n := 0
	for i := 0; i < len(s); i++ {
		if !seen[s[i]] {
			seen[s[i]] = true
			n++
		}
	}
	return n
}

// Verifier algorithms.
const (
	algSHA256   = "sha256"          // SHA-256(token): generated tokens
	algArgon2id = "argon2id-sha256" // argon2id(SHA-256(token), salt): chosen tokens
)

// verifier is what the store keeps to check a key's token.
type verifier struct {
	Alg     string `json:"alg"`
	Salt    []byte `json:"salt,omitempty"`
	Time    uint32 `json:"t,omitempty"`
	Memory  uint32 `json:"m,omitempty"` // KiB
	Threads uint8  `json:"p,omitempty"`
	Hash    []byte `json:"hash"`
}

// kdfParams are argon2id's cost parameters.
type kdfParams struct {
	Time    uint32
	Memory  uint32 // KiB
	Threads uint8
}

// chosenParams are the argon2id parameters for new chosen tokens: the
// first configuration OWASP's Password Storage Cheat Sheet recommends
// (19 MiB, 2 passes, 1 lane), about 0.1 s of one core. Each verifier
// records its own, so raising these later leaves stored ones valid.
var chosenParams = kdfParams{Time: 2, Memory: 19 * 1024, Threads: 1}

const (
	saltBytes = 16
	hashBytes = 32
)

func sha256Of(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func generatedVerifier(token string) verifier {
	return verifier{Alg: algSHA256, Hash: sha256Of(token)}
}

// chosenVerifier derives a verifier from the SHA-256 of a chosen token (an
// earlier version stored only that digest: migrating it needs no token).
func chosenVerifier(digest []byte) verifier {
	salt := make([]byte, saltBytes)
	if _, err := rand.Read(salt); err != nil {
		panic("access: crypto/rand failed: " + err.Error())
	}
	p := chosenParams
	return verifier{Alg: algArgon2id, Salt: salt, Time: p.Time, Memory: p.Memory, Threads: p.Threads,
		Hash: deriveKey(digest, salt, p.Time, p.Memory, p.Threads, hashBytes)}
}

// deriveKey is argon2id (RFC 9106); tests count its calls.
var deriveKey = argon2.IDKey

// matches reports, in constant time over the hash, whether token is the
// one v was made from. For argon2id it costs one key derivation.
func (v *verifier) matches(token string) bool {
	var got []byte
	switch v.Alg {
	case algSHA256:
		got = sha256Of(token)
	case algArgon2id:
		if v.Time == 0 || v.Memory == 0 || v.Threads == 0 || len(v.Hash) == 0 {
			return false
		}
		got = deriveKey(sha256Of(token), v.Salt, v.Time, v.Memory, v.Threads, uint32(len(v.Hash)))
	default:
		return false
	}
	return subtle.ConstantTimeCompare(got, v.Hash) == 1
}

// cacheKey names a token in the in-memory caches: HMAC-SHA256 under a key
// made at process start, so that not even memory holds a fast unkeyed hash
// of a chosen token.
func cacheKey(token string) [32]byte {
	m := cacheMACs.Get().(hash.Hash)
	m.Reset() // back to the keyed state, which a used HMAC keeps: no block of the key hashed again
	io.WriteString(m, token)
	var k [32]byte
	m.Sum(k[:0])
	cacheMACs.Put(m)
	return k
}

// cacheMACs are HMACs under processKey for cacheKey: every request
// authenticates, and hmac.New hashed the key's two blocks and allocated
// the HMAC's state each time.
var cacheMACs = sync.Pool{New: func() any { return hmac.New(sha256.New, processKey[:]) }}

var processKey = func() (k [32]byte) {
	if _, err := rand.Read(k[:]); err != nil {
		panic("access: crypto/rand failed: " + err.Error())
	}
	return k
}()

// kdfGate bounds the argon2id checks of tokens not yet known to this
// process, so that a flood of wrong tokens costs a bounded share of one
// core: one check at a time, at most kdfBurst in a row, then kdfRate a
// second. A check it refuses is answered ErrBusy.
type kdfGate struct {
	run chan struct{} // one at a time
	now func() time.Time

	mu     sync.Mutex
	tokens float64
	at     time.Time
}

const (
	kdfRate  = 2 // checks per second, on average
	kdfBurst = 4
)

var gate = &kdfGate{run: make(chan struct{}, 1), now: time.Now, tokens: kdfBurst}

// allow spends one check, or reports false if none is left.
func (g *kdfGate) allow() bool {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.at.IsZero() && now.After(g.at) {
		g.tokens = min(kdfBurst, g.tokens+now.Sub(g.at).Seconds()*kdfRate)
	}
	g.at = now
	if g.tokens < 1 {
		return false
	}
	g.tokens--
	return true
}

// check runs fn alone, if a check is left.
func (g *kdfGate) check(fn func()) error {
	if !g.allow() {
		return fmt.Errorf("%w: too many checks of unknown tokens; retry in a second", ErrBusy)
	}
	g.run <- struct{}{}
	defer func() { <-g.run }()
	fn()
	return nil
}
