package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/custos-project/custos/evidence/records"
	"github.com/custos-project/custos/internal/text"
)

// Config is the node configuration (custos.toml). Every field has a
// default, so `custos serve` runs with no file at all.
type Config struct {
	Data   string `toml:"data"`   // data folder; default ./custos-data
	Listen string `toml:"listen"` // default 127.0.0.1:8080
	Org    string `toml:"org"`    // this node's organization, for the dev PKI
	// MaxUploadBytes bounds one upload (default 16 GiB).
	MaxUploadBytes int64  `toml:"max_upload_bytes"`
	SM3            bool   `toml:"sm3"`       // compute SM3 beside SHA-256
	LogLevel       string `toml:"log_level"` // debug, info, warn, error
	Storage        struct {
		Backend string   `toml:"backend"` // "folder" (default) or "s3"
		S3      S3Config `toml:"s3"`
	} `toml:"storage"`
	TSA struct {
		External []ExternalTSA `toml:"external"`
	} `toml:"tsa"`
	Chain    ChainConfig    `toml:"chain"`
	Limits   LimitsConfig   `toml:"limits"`
	Webhooks WebhooksConfig `toml:"webhooks"`
	Notary   NotaryConfig   `toml:"notary"`
	Audit    AuditConfig    `toml:"audit"`
	Custody  CustodyConfig  `toml:"custody"`
	// EvidenceRecords is the renewal of the items' RFC 4998 evidence
	// records (docs/evidence-records.md, "Renewal").
	EvidenceRecords EvidenceRecordsConfig `toml:"evidence_records"`
	// Consortium is the node's peer API, through which members share
	// evidence across nodes (written by `custos consortium init`).
	Consortium ConsortiumConfig `toml:"consortium"`
	// PKI is the folder of this node's certificates and keys (default
	// DATA/pki). A consortium member's holds root.pem and org-ca.pem (no CA
	// key), tsa.pem/.key, node.pem, and a notary member's notary.pem/.key.
	PKI string `toml:"pki"`
	// PKCS11 keeps the TSA's and the notary's keys in a PKCS#11 token.
	PKCS11 PKCS11Config `toml:"pkcs11"`
	// NewWebhookSealKey is serve --new-webhook-seal-key: a webhook seal
	// key lost for good is made anew (openDataDB); never in the file.
	NewWebhookSealKey bool `toml:"-"`
}

// PKCS11Config is the [pkcs11] table: the token that holds the TSA's and
// the notary's signing keys, and which keys those are (by label, ID or
// both). A key named here is used with the certificate installed by
// `custos pki install` (PKI/issued/tsa.pem, PKI/issued/notary.pem). Node and
// validator keys stay Ed25519 files: CometBFT signs with them itself.
type PKCS11Config struct {
	Module     string `toml:"module"`      // the vendor's PKCS#11 library
	TokenLabel string `toml:"token_label"` // the token, by label ...
	Slot       *int   `toml:"slot"`        // ... or by slot number
	// The user PIN comes from an environment variable or a file, never the
	// config itself, and is never logged.
	PINEnv      string `toml:"pin_env"`
	PINFile     string `toml:"pin_file"`
	TSAKey      string `toml:"tsa_key"`       // the TSA key's label (CKA_LABEL)
	TSAKeyID    string `toml:"tsa_key_id"`    // and/or its ID (CKA_ID), hex
	NotaryKey   string `toml:"notary_key"`    // the notary key's label
	NotaryKeyID string `toml:"notary_key_id"` // and/or its ID, hex
	// The AES-256 key that seals webhook secrets (webhooks.TokenSealer),
	// in place of pki/webhook-seal.key: its label and/or ID, hex.
	WebhookSealKey   string `toml:"webhook_seal_key"`
	WebhookSealKeyID string `toml:"webhook_seal_key_id"`
}

// WebhooksConfig is the [webhooks] table: how organizations' webhooks are
// delivered (see webhooks.Config).
type WebhooksConfig struct {
	// AllowPrivate lets webhook URLs reach loopback, private and link-local
	// addresses. Off by default: API clients choose the URLs, and could
	// otherwise make the node probe its own network.
	AllowPrivate bool     `toml:"allow_private"`
	Backoff      duration `toml:"backoff"`      // first retry delay, doubling; default 30s
	MaxAttempts  int      `toml:"max_attempts"` // default 8 (about an hour)
	Timeout      duration `toml:"timeout"`      // per attempt; default 10s
	Retention    duration `toml:"retention"`    // finished deliveries kept in the log; default 720h (30 days)
}

// NotaryConfig is the [notary] table: who issues this node's signed
// documents (notarial and copyright registration certificates), and where
// their verification links point.
type NotaryConfig struct {
	// Office is the issuing office printed on documents; default: org.
	Office string `toml:"office"`
	// Abbrev is the office's short name in certificate numbers, such as
	// "浙杭钱" in "（2026）浙杭钱证字第17号"; default: office.
	Abbrev string `toml:"abbrev"`
	// Seal is the office's seal image (PNG or JPEG), printed where the
	// notary signs; unset, a red circular seal with the office's name is
	// drawn.
	Seal string `toml:"seal"`
	// Name is the development notary's name, the common name of the
	// document-signing certificate the development PKI issues; default
	// "<org> Notary". A consortium member's certificate comes from
	// `custos consortium init` and names its notary itself.
	Name string `toml:"name"`
	// Location is the place of signing, put in the PDF signature.
	Location string `toml:"location"`
	// PublicURL is the base URL under which the public reach this node's
	// /verify page, for the QR codes; default http://LISTEN.
	PublicURL string `toml:"public_url"`
}

func (c Config) notaryName() string {
	if c.Notary.Name != "" {
		return c.Notary.Name
	}
	return c.Org + " Notary"
}

func (c Config) notaryOffice() string {
	if c.Notary.Office != "" {
		return c.Notary.Office
	}
	return c.Org
}

func (c Config) publicURL() string {
	if c.Notary.PublicURL != "" {
		return c.Notary.PublicURL
	}
	return "http://" + c.Listen
}

// AuditConfig is the [audit] table: the background integrity audit (see
// integrity.Auditor), which also runs on demand through the admin API.
type AuditConfig struct {
	// Interval is the time between audits, the first one Interval after
	// start; default 6h, "0s" schedules none.
	Interval duration `toml:"interval"`
	// Deep re-reads every blob and recomputes its SHA-256; default true.
	Deep bool `toml:"deep"`
}

// EvidenceRecordsConfig is the [evidence_records] table: when the items'
// RFC 4998 evidence records are renewed (see records.RenewalConfig).
type EvidenceRecordsConfig struct {
	// RenewInterval is the time between renewal runs, the first one
	// RenewInterval after start; default 24h, "0s" schedules none (runs
	// are then made on demand only, through the admin API).
	RenewInterval duration `toml:"renew_interval"`
	// RenewBefore: a chain is renewed once its last time-stamp's
	// certificate expires within RenewBefore; default 4320h (180 days).
	RenewBefore duration `toml:"renew_before"`
	// RetiredHashes are retired hash algorithms ("SHA-256"): their chains
	// get a hash-tree renewal to Hash.
	RetiredHashes []string `toml:"retired_hashes"`
	// RetiredSignatures are retired token signature algorithms (dotted
	// OIDs, or "SHA-1" for the signature's digest): their chains get a
	// time-stamp renewal.
	RetiredSignatures []string `toml:"retired_signatures"`
	// Hash is the hash of the chains a hash-tree renewal starts; default
	// SHA-512.
	Hash string `toml:"hash"`
}

// renewal is the table as records.RenewalConfig.
func (c EvidenceRecordsConfig) renewal() (records.RenewalConfig, error) {
	r := records.RenewalConfig{Before: c.RenewBefore.Duration, RetiredHashes: c.RetiredHashes, RetiredSignatures: c.RetiredSignatures}
	if c.Hash != "" {
		h, ok := records.ParseHash(c.Hash)
		if !ok {
			return r, fmt.Errorf("config: evidence_records.hash %q: want SHA-256, SHA-384 or SHA-512", c.Hash)
		}
		r.Hash = h
	}
	return r, nil
}

// CustodyConfig is the [custody] table: how reads are recorded in custody
// chains (see evidence.Config.ReadFoldWindow).
type CustodyConfig struct {
	// ReadFoldWindow is how long an actor's repeated reads of an item (same
	// type and subject) fold into one custody event after the read that
	// opened the window; default 10m, a negative duration ("-1s") records
	// every read as an event of its own.
	ReadFoldWindow duration `toml:"read_fold_window"`
}

// LimitsConfig is the [limits] table: per-client request rates (see
// api.Limits) and how long Idempotency-Key answers are kept. Zero takes
// the default; a negative rate turns that limit off.
type LimitsConfig struct {
	Rate        float64 `toml:"rate"`         // per API key, requests/s
	Burst       int     `toml:"burst"`        // default 2×rate
	UploadRate  float64 `toml:"upload_rate"`  // per API key, uploads/s
	UploadBurst int     `toml:"upload_burst"` // default 2×upload_rate
	PublicRate  float64 `toml:"public_rate"`  // per client IP on /tsa, lookup, log
	PublicBurst int     `toml:"public_burst"` // default 2×public_rate
	// SharedReadRate bounds each organization's reads of evidence shared
	// with it, reads/s, across all its keys (default 10, 600 a minute).
	SharedReadRate  float64  `toml:"shared_read_rate"`
	SharedReadBurst int      `toml:"shared_read_burst"` // default 120×shared_read_rate (1200)
	IdempotencyTTL  duration `toml:"idempotency_ttl"`   // default 24h
}

// ChainConfig places the node in the consortium chain. Empty, the node runs
// a single-validator development chain of its own.
type ChainConfig struct {
	Home          string   `toml:"home"`           // CometBFT home; default DATA/chain
	P2PListen     string   `toml:"p2p_listen"`     // e.g. "tcp://127.0.0.1:26656"
	Peers         []string `toml:"peers"`          // "nodeID@host:port" of the other members
	TimeoutCommit duration `toml:"timeout_commit"` // default 100ms
	// TimeoutPropose is how long validators wait for a proposal before the
	// next round; default 3s (docs/operations.md, "Anchoring latency").
	TimeoutPropose duration `toml:"timeout_propose"`
	// Trust is the consortium's trust bundle (written by `custos consortium
	// init`); it names the chain's validators.
	Trust string `toml:"trust"`
}

// ConsortiumConfig is the [consortium] table: the peer API, the second,
// mutual-TLS listener through which member nodes send each other share
// notices and relay reads of shared evidence (api/peer).
type ConsortiumConfig struct {
	// PeerListen is the peer listener's address, e.g. "0.0.0.0:8181";
	// empty: no peer API (shares stay within this node).
	PeerListen string `toml:"peer_listen"`
	// Peers is each other member's peer API URL (https://host:port), by
	// member ID (the hex SHA-256 of its node key, as the directory names
	// members).
	Peers map[string]string `toml:"peers"`
	// PeerURL is the URL the other members' nodes reach this node's peer
	// API at, which the node announces to them (api/peer, announce.go).
	// Default: https:// and peer_listen, when that names a host others
	// can dial (not 0.0.0.0); otherwise nothing is announced.
	PeerURL string `toml:"peer_url"`
	// NoticeRate bounds the share notices each other member's node may
	// send this one, a second (default 2; negative: no limit), and
	// NoticeBurst how many it may save up (default 120×notice_rate): over
	// them a notice is 429 with Retry-After, which the sender's outbox
	// waits out (api/peer, noticerate.go).
	NoticeRate  float64 `toml:"notice_rate"`
	NoticeBurst int     `toml:"notice_burst"`
}

// S3Config selects an S3-compatible object store with Object Lock.
type S3Config struct {
	Endpoint  string `toml:"endpoint"` // host:port
	Region    string `toml:"region"`
	Bucket    string `toml:"bucket"`
	AccessKey string `toml:"access_key"`
	// SecretKey may be left empty and given as $CUSTOS_S3_SECRET_KEY instead.
	SecretKey     string   `toml:"secret_key"`
	Secure        bool     `toml:"secure"`         // use HTTPS
	RetentionDays int      `toml:"retention_days"` // COMPLIANCE retention; default 3650
	PartSizeMiB   uint64   `toml:"part_size_mib"`  // default 16
	Timeout       duration `toml:"timeout"`        // per request; default 30s
}

// ExternalTSA is an RFC 3161 TSA asked for a token beside the built-in one.
type ExternalTSA struct {
	Name    string   `toml:"name"`
	URL     string   `toml:"url"`
	CAFile  string   `toml:"ca_file"` // optional PEM roots the TSA's chain must verify to
	Timeout duration `toml:"timeout"` // default 10s
}

type duration struct{ time.Duration }

// durationWant begins the error of a value that is not a duration
// (timeout = "30"): loadConfig puts the key before it.
const durationWant = `takes a duration such as "30s" or "10m"`

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%s (a number with its unit: ms, s, m, h), not %q", durationWant, b)
	}
	d.Duration = v
	return nil
}

func defaultConfig() Config {
	var c Config
	c.Data = "./custos-data"
	c.Listen = "127.0.0.1:8080"
	c.Org = "Custos Development Node"
	c.LogLevel = "info"
	c.Storage.Backend = "folder"
	c.Audit.Interval.Duration, c.Audit.Deep = 6*time.Hour, true
	c.EvidenceRecords.RenewInterval.Duration = 24 * time.Hour
	return c
}

// loadConfig reads path (if any) over the defaults. Unknown keys are an
// error, so a typo does not silently fall back to a default.
func loadConfig(path string) (Config, error) {
	c := defaultConfig()
	if path == "" {
		return c, nil
	}
	md, err := toml.DecodeFile(path, &c)
	var bad toml.ParseError
	if errors.As(err, &bad) && strings.HasPrefix(bad.Message, durationWant) && bad.LastKey != "" {
		return c, fmt.Errorf("config %s: line %d: %s %s", path, bad.Position.Line, bad.LastKey, bad.Message)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) { // no such file, a folder, not readable
		return c, usageError("usage.config-unread", "path", path, "why", fileWhy(pe.Err))
	}
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	if undec := md.Undecoded(); len(undec) > 0 {
		keys := make([]string, len(undec))
		for i, k := range undec {
			keys[i] = k.String()
		}
		return c, fmt.Errorf("config %s: unknown keys: %s", path, strings.Join(keys, ", "))
	}
	// Paths in the file are relative to the file's folder, so a member's
	// folder can be moved as a whole.
	base := filepath.Dir(path)
	for _, f := range []*string{&c.Data, &c.PKI, &c.Chain.Home, &c.Chain.Trust, &c.Notary.Seal} {
		if *f != "" && !filepath.IsAbs(*f) && (f != &c.Data || md.IsDefined("data")) {
			*f = filepath.Join(base, *f)
		}
	}
	if f := &c.PKCS11.PINFile; *f != "" && !filepath.IsAbs(*f) {
		*f = filepath.Join(base, *f)
	}
	for i := range c.TSA.External {
		if f := &c.TSA.External[i].CAFile; *f != "" && !filepath.IsAbs(*f) {
			*f = filepath.Join(base, *f)
		}
	}
	return c, c.validate()
}

func (c *Config) validate() error {
	switch c.Storage.Backend {
	case "folder":
	case "s3":
		s := &c.Storage.S3
		if s.SecretKey == "" {
			s.SecretKey = os.Getenv("CUSTOS_S3_SECRET_KEY")
		}
		if s.Endpoint == "" || s.Bucket == "" || s.AccessKey == "" || s.SecretKey == "" {
			return fmt.Errorf("config: storage.s3 needs endpoint, bucket, access_key and secret_key (or $CUSTOS_S3_SECRET_KEY)")
		}
		if s.RetentionDays < 0 {
			return fmt.Errorf("config: storage.s3.retention_days must be positive")
		}
	default:
		return fmt.Errorf("config: storage.backend %q: want \"folder\" or \"s3\"", c.Storage.Backend)
	}
	if err := c.PKCS11.validate(); err != nil {
		return err
	}
	for i, t := range c.TSA.External {
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("config: tsa.external[%d].url %q must be an http(s) URL", i, t.URL)
		}
		if u.User != nil {
			// The URL is kept with every record and shown to clients.
			return fmt.Errorf("config: tsa.external[%d].url must not carry credentials", i)
		}
	}
	if w := c.Webhooks; w.MaxAttempts < 0 || w.Backoff.Duration < 0 || w.Timeout.Duration < 0 || w.Retention.Duration < 0 {
		return fmt.Errorf("config: webhooks.max_attempts, backoff, timeout and retention must not be negative")
	}
	if c.Consortium.PeerListen != "" && c.Chain.Trust == "" {
		return fmt.Errorf("config: consortium.peer_listen needs a consortium chain ([chain] trust)")
	}
	if u := c.Consortium.PeerURL; u != "" {
		if pu, err := url.Parse(u); err != nil || pu.Scheme != "https" || pu.Host == "" || pu.User != nil || c.Consortium.PeerListen == "" {
			return fmt.Errorf("config: consortium.peer_url %q: want the https://host:port URL others reach this node's peer_listen at", u)
		}
	}
	if r := c.Consortium.NoticeRate; math.IsNaN(r) || math.IsInf(r, 0) || c.Consortium.NoticeBurst < 0 {
		return fmt.Errorf("config: consortium.notice_rate must be a number and consortium.notice_burst must not be negative")
	}
	for member, u := range c.Consortium.Peers {
		if pu, err := url.Parse(u); err != nil || pu.Scheme != "https" || pu.Host == "" || len(member) != 64 {
			return fmt.Errorf("config: consortium.peers: %q = %q: want a member ID (64 hex digits) = an https://host:port URL", member, u)
		}
	}
	if c.Chain.TimeoutCommit.Duration < 0 || c.Chain.TimeoutPropose.Duration < 0 {
		return fmt.Errorf("config: chain.timeout_commit and chain.timeout_propose must not be negative")
	}
	if c.Audit.Interval.Duration < 0 {
		return fmt.Errorf("config: audit.interval must not be negative")
	}
	if e := c.EvidenceRecords; e.RenewInterval.Duration < 0 || e.RenewBefore.Duration < 0 {
		return fmt.Errorf("config: evidence_records.renew_interval and renew_before must not be negative")
	}
	if err := c.checkRenewal(); err != nil {
		return err
	}
	if c.MaxUploadBytes < 0 {
		return fmt.Errorf("config: max_upload_bytes must be positive")
	}
	if c.Notary.Seal != "" {
		if _, err := loadSeal(c.Notary.Seal); err != nil {
			return fmt.Errorf("config: notary.seal: %w", err)
		}
	}
	// These names are printed on certificates and pages.
	for _, f := range []struct{ name, v string }{{"org", c.Org}, {"notary.name", c.Notary.Name}, {"notary.office", c.Notary.Office}, {"notary.abbrev", c.Notary.Abbrev}} {
		if err := text.CheckVisible(f.name, f.v); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	return nil
}

// checkRenewal checks [evidence_records] as evidence.New will.
func (c *Config) checkRenewal() error {
	r, err := c.EvidenceRecords.renewal()
	if err != nil {
		return err
	}
	if err := r.Check(); err != nil {
		return fmt.Errorf("config: evidence_records: %w", err)
	}
	return nil
}
