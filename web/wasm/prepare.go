package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"sync"

	"github.com/custos-project/custos/receipt"
)

// A trust bundle is parsed and checked, and its Verifier made, once per
// text: the page passes the same bundle to every call, and checking it
// verifies a signature on each validator's certificates. The Verifier also
// keeps what receipt.Verifier caches (checkpoints and TSA chains that
// verified), which changes no result. The page prepares its bundle with
// custosPrepare as soon as the verifier has started, so that the court's
// first verification finds it ready (docs/performance.md, "The page's
// first verdict: less code on the first call's path").

// preparedTrust is a bundle's Verifier, or why there is none: trust is nil
// when the bundle does not parse (err is then ParseTrust's error), and v
// nil with trust set when receipt.NewVerifier refuses it.
type preparedTrust struct {
	v     *receipt.Verifier
	trust *receipt.Trust
	err   error
}

// maxPrepared bounds the cache: the page's bundle, the warm-up's, and a
// few the court may switch between.
const maxPrepared = 4

var (
	preparedMu    sync.Mutex // for native callers; the browser makes one call at a time
	preparedCache = map[string]*preparedTrust{}
)

// prepared is the preparedTrust of the bundle text, made on first use.
func prepared(text string) *preparedTrust {
	preparedMu.Lock()
	defer preparedMu.Unlock()
	if p, ok := preparedCache[text]; ok {
		return p
	}
	p := &preparedTrust{}
	p.v, p.trust, p.err = receipt.ParseVerifier([]byte(text))
	if p.err == nil {
		warmEd25519(p.trust)
	}
	if len(preparedCache) >= maxPrepared {
		clear(preparedCache)
	}
	preparedCache[text] = p
	return p
}

// warmEd25519 has Go's Ed25519 build the table it builds on its first
// verification (edwards25519's basepointNafTable), which checking the
// checkpoint's votes needs: a verification of an all-zero signature by a
// validator's key, which fails, does it.
func warmEd25519(t *receipt.Trust) {
	key, err := base64.StdEncoding.DecodeString(t.Validators[0].PubKey) // checked by ParseTrust
	if err == nil && len(key) == ed25519.PublicKeySize {
		ed25519.Verify(key, nil, make([]byte, ed25519.SignatureSize))
	}
}

// Prepare readies the bundle text for the calls that follow and returns
// "" when it is usable, else why not (the message a verification with it
// would report).
func Prepare(text string) string {
	if p := prepared(text); p.err != nil {
		return p.err.Error()
	}
	return ""
}
