package receipt

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/custos-project/custos/internal/strictjson"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/ers"
)

// MaxSize is the largest receipt or trust bundle Parse and ParseTrust read.
const MaxSize = 64 << 20

// maxTotalPower is CometBFT's cap on a validator set's total voting power
// (types.MaxTotalVotingPower, MaxInt64/8).
const maxTotalPower = math.MaxInt64 / 8

// hex64 matches 64 lowercase hex digits (`^[0-9a-f]{64}$`).
var hex64 hex64Matcher

type hex64Matcher struct{}

// MatchString reports whether s is 64 lowercase hex digits; it is
// regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString without the regexp.
func (hex64Matcher) MatchString(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Parse decodes a receipt strictly: b must be exactly the canonical
// encoding of a well-formed receipt of this Version (see [Receipt.Encode]),
// with no unknown field, duplicate member, other spelling or trailing byte.
// Errors wrap ErrMalformed. Parse checks form, not truth: Verify does that.
func Parse(b []byte) (*Receipt, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes is over the %d-byte limit", ErrMalformed, len(b), MaxSize)
	}
	if r, ok := parseFast(b); ok { // fastdecode.go: the same result without reflection
		return r, nil
	}
	return parseJSON(b)
}

// parseJSON is Parse through encoding/json (the fast path's reference).
func parseJSON(b []byte) (*Receipt, error) {
	var r Receipt
	if err := decodeStrict(b, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if r.Version < Version1 || r.Version > MaxVersion {
		return nil, fmt.Errorf("%w: version %d, this verifier reads versions %d to %d", ErrMalformed, r.Version, Version1, MaxVersion)
	}
	again, err := r.Encode()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(again, b) {
		return nil, fmt.Errorf("%w: not in canonical form (white space, member order, escaping or null lists)", ErrMalformed)
	}
	return &r, nil
}

// Encode returns the canonical bytes of r: encoding/json's encoding of the
// Receipt with its fields in declaration order, no white space, no
// trailing newline, HTML-safe escaping, and empty lists written as [] (never
// null). It fails, wrapping ErrMalformed, if r is not well formed.
func (r *Receipt) Encode() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	c := *r
	c.Events = make([]AnchoredEvent, len(r.Events))
	for i, e := range r.Events {
		if e.Proof == nil {
			e.Proof = []string{}
		}
		c.Events[i] = e
	}
	if r.Custody != nil && r.Custody.Proof == nil {
		cp := *r.Custody
		cp.Proof = []string{}
		c.Custody = &cp
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// anything after the value.
func decodeStrict(b []byte, v any) error {
	if err := strictjson.Decode(b, v); errors.Is(err, strictjson.ErrTrailing) {
		return fmt.Errorf("trailing data after the document")
	} else if err != nil {
		return err
	}
	return nil
}

// check verifies the form of every field: what Parse promises beyond JSON.
func (r *Receipt) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
	switch {
	case r.Version < Version1 || r.Version > MaxVersion:
		return bad("version %d, this verifier reads versions %d to %d", r.Version, Version1, MaxVersion)
	case r.Version == Version1 && (r.Custody != nil || r.Checkpoint.StateRoot != "" || r.Checkpoint.HeadsSince != nil):
		return bad("a version-1 receipt has no custody head and no state root")
	case r.Version >= Version2 && (r.Custody == nil || r.Checkpoint.StateRoot == ""):
		return bad("a version-%d receipt needs its custody head and the checkpoint's state root", r.Version)
	case (r.Version >= Version3) != (r.Checkpoint.HeadsSince != nil):
		return bad("heads_since is in the checkpoint of a version-3 or version-4 receipt, and only there")
	case r.Version == Version4 && len(r.Checkpoint.Transitions) == 0,
		r.Version != Version4 && r.Version != Version5 && len(r.Checkpoint.Transitions) > 0:
		return bad("transitions are in the checkpoint of a version-4 receipt (never empty), or of a version-5 one, and only there")
	case (r.Version == Version5) != (r.EvidenceRecord != ""):
		return bad("evidence_record is in a version-5 receipt, and only there (never empty)")
	case r.Version == Version2 && (r.Custody.Head == "" || r.Custody.Other != nil):
		return bad("a version-2 receipt proves a custody head, never its absence")
	case len(r.Timestamps) == 0:
		return bad("no time-stamp token")
	case len(r.Events) == 0:
		return bad("no custody event")
	}
	if err := r.Evidence.check(); err != nil {
		return err
	}
	if r.EvidenceRecord != "" {
		if err := checkBase64(r.EvidenceRecord); err != nil {
			return bad("evidence_record: %v", err)
		}
		if n := base64.StdEncoding.DecodedLen(len(r.EvidenceRecord)); n > ers.MaxSize+2 {
			return bad("evidence_record: %d bytes is over the %d-byte limit", n, ers.MaxSize)
		}
	}
	for i, t := range r.Timestamps {
		if err := checkBase64(t); err != nil {
			return bad("timestamps[%d]: %v", i, err)
		}
	}
	for i, e := range r.Events {
		if e.Event == "" {
			return bad("events[%d]: empty event", i)
		}
		for j, p := range e.Proof {
			if !hex64.MatchString(p) {
				return bad("events[%d].proof[%d] %q is not 64 lowercase hex digits", i, j, p)
			}
		}
		if r.Version == Version1 && e.ItemProof != nil {
			return bad("events[%d]: item_proof in a version-1 receipt", i)
		}
		for j, p := range e.ItemProof {
			if !hex64.MatchString(p) {
				return bad("events[%d].item_proof[%d] %q is not 64 lowercase hex digits", i, j, p)
			}
		}
	}
	if c := r.Custody; c != nil {
		if c.Head != "" && c.Other != nil {
			return bad("custody: other is for an absent head only")
		}
		if c.Other != nil && (len(c.Other) != 2 || !hex64.MatchString(c.Other[0]) || !hex64.MatchString(c.Other[1])) {
			return bad("custody.other: want a key and a value, each 64 lowercase hex digits")
		}
		for j, p := range c.Proof {
			if !hex64.MatchString(p) {
				return bad("custody.proof[%d] %q is not 64 lowercase hex digits", j, p)
			}
		}
	}
	return r.Checkpoint.check()
}

func (ev *Evidence) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: evidence: "+format, append([]any{ErrMalformed}, args...)...)
	}
	switch {
	case !custody.ValidEvidenceID(ev.ID):
		return bad("ID %q", ev.ID)
	case !hex64.MatchString(ev.SHA256):
		return bad("sha256 %q is not 64 lowercase hex digits", ev.SHA256)
	case ev.SM3 != "" && !hex64.MatchString(ev.SM3):
		return bad("sm3 %q is not 64 lowercase hex digits", ev.SM3)
	case ev.Size <= 0:
		return bad("size %d", ev.Size)
	case ev.MediaType == "" || len(ev.MediaType) > 255:
		return bad("media type %q", ev.MediaType)
	}
	return nil
}

func (c *Checkpoint) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: checkpoint: "+format, append([]any{ErrMalformed}, args...)...)
	}
	switch {
	case c.ChainID == "":
		return bad("empty chain ID")
	case c.Height < 2:
		// The AppHash of block H is in header H+1, and H ≥ 1.
		return bad("height %d (a checkpoint is at height 2 or more)", c.Height)
	case c.TreeSize == 0:
		return bad("tree size 0")
	case !hex64.MatchString(c.Root):
		return bad("root %q is not 64 lowercase hex digits", c.Root)
	case c.StateRoot != "" && !hex64.MatchString(c.StateRoot):
		return bad("state_root %q is not 64 lowercase hex digits", c.StateRoot)
	}
	if err := checkBase64(c.SignedHeader); err != nil {
		return bad("signed_header: %v", err)
	}
	if err := checkBase64(c.ValidatorSet); err != nil {
		return bad("validator_set: %v", err)
	}
	return checkTransitions(c.Transitions)
}

// decodeBase64 decodes standard, padded base64 with its one canonical
// spelling: no line breaks, zero padding bits. Empty input is refused.
func decodeBase64(s string) ([]byte, error) {
	if err := checkBase64(s); err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil { // checkBase64 ruled this out
		return nil, fmt.Errorf("not canonical standard base64")
	}
	return b, nil
}

// checkBase64 is decodeBase64 without the decoding: s is the canonical
// standard base64 of some bytes when its length is a multiple of 4, it is
// all of the alphabet but for one or two "=" at the end, and the bits the
// padding leaves over are zero (canonical_test.go checks this against
// decoding and re-encoding).
func checkBase64(s string) error {
	if s == "" {
		return fmt.Errorf("empty base64")
	}
	n := len(s)
	if n%4 != 0 {
		return fmt.Errorf("not canonical standard base64")
	}
	body := n
	if s[n-1] == '=' {
		body--
		if s[n-2] == '=' {
			body--
		}
	}
	for i := 0; i < body; i++ {
		if b64Value[s[i]] < 0 {
			return fmt.Errorf("not canonical standard base64")
		}
	}
	switch n - body {
	case 1: // 2 bytes in the last quantum: the third character's low 2 bits are padding
		if b64Value[s[n-2]]&0x03 != 0 {
			return fmt.Errorf("not canonical standard base64")
		}
	case 2: // 1 byte: the second character's low 4 bits are padding
		if b64Value[s[n-3]]&0x0f != 0 {
			return fmt.Errorf("not canonical standard base64")
		}
	}
	return nil
}

// b64Value is the value of each standard base64 character, -1 for others.
var b64Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	return t
}()

// ParseTrust decodes a trust bundle strictly: no unknown field or trailing
// data, version 1, 2 or 3 (see Trust.Suites), a chain ID, a root certificate that parses, and at least
// one validator, each with a distinct 32-byte Ed25519 key (standard base64)
// and a positive power, the total within CometBFT's limit. Errors wrap
// ErrBadTrust. White space and member order are free: the bundle is not
// hashed or signed, it is what the verifier chooses to trust.
func ParseTrust(b []byte) (*Trust, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes is over the %d-byte limit", ErrBadTrust, len(b), MaxSize)
	}
	if t, ok := parseTrustFast(b); ok { // fastdecode.go: the same result without reflection
		return t, nil
	}
	return parseTrustJSON(b)
}

// parseTrustJSON is ParseTrust through encoding/json (the fast path's
// reference).
func parseTrustJSON(b []byte) (*Trust, error) {
	var t Trust
	if err := decodeStrict(b, &t); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTrust, err)
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	if len(t.Transitions) == 0 {
		t.Transitions = nil // "transitions": [] is the same as none, and is written so
	}
	return &t, nil
}

func (t *Trust) check() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadTrust}, args...)...)
	}
	switch {
	case t.Version != 1 && t.Version != TrustVersion2 && t.Version != TrustVersion3:
		return bad("version %d, this verifier reads versions 1, 2 and 3", t.Version)
	case t.Version == 1 && (t.Transitions != nil || t.ValidatorsCurrent != nil || t.TransitionsThrough != 0):
		return bad("transitions, validators_current and transitions_through are members of version 2")
	case t.Version == TrustVersion2 && len(t.ValidatorsCurrent) == 0:
		return bad("a version-2 bundle needs validators_current")
	case t.Version != TrustVersion3 && t.Suites != nil:
		return bad("suites is a member of version 3")
	case t.Version == TrustVersion3 && t.Suites == nil:
		return bad("a version-3 bundle needs suites")
	case t.Version == TrustVersion3 && len(t.ValidatorsCurrent) == 0 && (t.Transitions != nil || t.TransitionsThrough != 0):
		return bad("transitions need validators_current")
	case t.ChainID == "":
		return bad("empty chain ID")
	case len(t.Validators) == 0:
		return bad("no validators")
	}
	if t.Suites != nil {
		if err := t.Suites.check(); err != nil {
			return err
		}
	}
	roots, err := certs.ParsePEM([]byte(t.RootPEM))
	if err != nil || len(roots) != 1 {
		return bad("root certificate: want exactly one (%v)", err)
	}
	if t.TSARootsPEM != "" {
		if _, err := certs.ParsePEM([]byte(t.TSARootsPEM)); err != nil {
			return bad("TSA roots: %v", err)
		}
	}
	if t.TSAChain != "" {
		if _, err := certs.ParsePEM([]byte(t.TSAChain)); err != nil {
			return bad("TSA chain: %v", err)
		}
	}
	seen := make(map[string]bool, len(t.Validators))
	var total int64
	for i, v := range t.Validators {
		key, err := base64.StdEncoding.DecodeString(v.PubKey)
		switch {
		case err != nil || len(key) != ed25519.PublicKeySize:
			return bad("validator %d (%s): public key is not 32 bytes of standard base64", i, v.Name)
		case seen[string(key)]:
			return bad("validator %d (%s): key listed twice", i, v.Name)
		case v.Power <= 0:
			return bad("validator %d (%s): power %d is not positive", i, v.Name, v.Power)
		case v.Power > maxTotalPower-total:
			return bad("total voting power over %d", int64(maxTotalPower))
		}
		if err := checkNodeCert(v, key, roots[0]); err != nil {
			return bad("validator %d (%s): %v", i, v.Name, err)
		}
		seen[string(key)] = true
		total += v.Power
	}
	if err := checkTransitions(t.Transitions); err != nil {
		return bad("%v", err)
	}
	if n := len(t.Transitions); n > 0 && t.Transitions[n-1].Height != t.TransitionsThrough || n == 0 && t.TransitionsThrough != 0 {
		return bad("transitions_through %d is not the height of the last transition", t.TransitionsThrough)
	}
	for i, v := range t.ValidatorsCurrent {
		if key, err := base64.StdEncoding.DecodeString(v.PubKey); err != nil || len(key) != ed25519.PublicKeySize || v.Power <= 0 {
			return bad("validators_current %d (%s): want a 32-byte standard base64 key and a positive power", i, v.Name)
		}
	}
	return nil
}

// checkNodeCert checks a validator's cert_pem, when present: the node
// certificate, then its organization CA; the node certificate must certify
// exactly the validator's key and chain to the consortium root. (Validity
// dates are not checked: a bundle outlives certificates, as receipts do.)
func checkNodeCert(v Validator, key []byte, root *x509.Certificate) error {
	if v.CertPEM == "" {
		return nil
	}
	cs, err := certs.ParsePEM([]byte(v.CertPEM))
	if err != nil || len(cs) != 2 {
		return fmt.Errorf("cert_pem must hold the node certificate and its organization CA (%v)", err)
	}
	if pub, ok := cs[0].PublicKey.(ed25519.PublicKey); !ok || !bytes.Equal(pub, key) {
		return errors.New("cert_pem does not certify pub_key")
	}
	if err := certs.CheckSignatureFrom(cs[0], cs[1]); err != nil {
		return fmt.Errorf("node certificate not issued by the organization CA in cert_pem: %v", err)
	}
	if err := certs.CheckSignatureFrom(cs[1], root); err != nil {
		return fmt.Errorf("organization CA not issued by the consortium root: %v", err)
	}
	return nil
}
