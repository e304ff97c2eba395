package main

import (
	"context"
	"crypto/cipher"
	"crypto/x509"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api"
	"github.com/custos-project/custos/api/peer"
	"github.com/custos-project/custos/certify"
	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/audittrail"
	"github.com/custos-project/custos/evidence/certificates"
	"github.com/custos-project/custos/evidence/copyright"
	"github.com/custos-project/custos/evidence/integrity"
	"github.com/custos-project/custos/evidence/proofs"
	"github.com/custos-project/custos/evidence/records"
	"github.com/custos-project/custos/evidence/sharing"
	"github.com/custos-project/custos/internal/atomicfile"
	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/notary/document"
	"github.com/custos-project/custos/notary/pdf"
	"github.com/custos-project/custos/receipt"
	"github.com/custos-project/custos/storage"
	"github.com/custos-project/custos/webhooks"
)

func serveCmd() *cobra.Command {
	var configPath, data, listen string
	var newSealKey bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a Custos node (embedded default: local folder, bbolt, built-in TSA, dev PKI)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configPath)
			if err != nil {
				return usageErrorOf(err)
			}
			if cmd.Flags().Changed("data") || cfg.Data == "" {
				cfg.Data = data
			}
			if cmd.Flags().Changed("listen") || cfg.Listen == "" {
				cfg.Listen = listen
			}
			cfg.NewWebhookSealKey = newSealKey
			tuneGC()
			stopProfile, err := cpuProfile()
			if err != nil {
				return err
			}
			defer stopProfile()
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, cfg, os.Stdout)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file (TOML)")
	cmd.Flags().StringVar(&data, "data", "./custos-data", "data folder")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().BoolVar(&newSealKey, "new-webhook-seal-key", false,
		"destroys webhook secrets: the webhook seal key is lost for good, make a new one (the key file, or the key in the PKCS#11 token that [pkcs11] webhook_seal_key names; refused while that key is there, or the token does not answer); the webhooks made before fail every delivery until re-created")
	return cmd
}

// node is a running node's parts, closed in reverse order.
type node struct {
	db      *bolt.DB
	ev      *evidence.Service
	ers     *records.Keeper // the evidence records of the items and of the certificates' PDFs
	certs   *certificates.Register
	crs     *copyright.Register
	hooks   *webhooks.Service
	orgs    *access.Store // organizations and API keys
	chain   *chain
	numbers chan struct{} // wakes numberCopyrights: a registration is queued
	audit   *integrity.Auditor
	stop    context.CancelFunc // ends the audit in progress
	// docsMissing is what this notary office's node lacks to issue
	// certificates (certify.MissingFont or MissingSeal), said at start.
	docsMissing string
	handler     http.Handler
	token       string // the bootstrap token if it was created now, else ""
	// peer is the peer API of a consortium member ([consortium]), with
	// the handler that serves other members; nil without one.
	peer        *peer.Node
	peerHandler http.Handler
	notices     *shareNotices
	// orgsRestored is set once a start has caught up and re-created the
	// organizations the directory homes here that the store lost
	// (registerOrgs): the share sync waits for it.
	orgsRestored atomic.Bool
}

func (n *node) close() {
	if n.audit != nil {
		n.stop()
		n.audit.Wait()
	}
	n.chain.close()
	n.db.Close()
}

func serve(ctx context.Context, cfg Config, out *os.File) error {
	log := newLogger(cfg.LogLevel)
	ln, err := net.Listen("tcp", cfg.Listen)
	if errors.Is(err, syscall.EADDRINUSE) {
		return failure(1, "fail.listen-in-use", "addr", cfg.Listen)
	}
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	sup := newSupervisor(ln.Addr(), log) // nil unless systemd started us (systemd.go)
	n, err := build(ctx, cfg, log)
	if errors.Is(err, bolt.ErrTimeout) { // storage.OpenDB: another node holds the folder
		ln.Close()
		return failure(1, "fail.data-locked", "dir", cfg.Data)
	}
	if err != nil {
		ln.Close()
		return err
	}
	defer n.close()
	srv := &http.Server{
		Handler:           n.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go n.ev.Run(runCtx, 10*time.Second)
	go n.ev.RunReadFolds(runCtx)
	go n.ers.RunBuilds(runCtx, time.Minute)                  // RFC 4998 records of final items; woken by finality
	go n.certs.RunPDFRecords(runCtx, time.Minute, log.Error) // and of certificates' signed PDFs; woken by issuance
	if d := cfg.EvidenceRecords.RenewInterval.Duration; d > 0 {
		go n.ers.RunRenewals(runCtx, d, "node:renewal") // their renewal before expiry and after an algorithm's retirement
	}
	go n.hooks.Run(runCtx)
	go n.audit.Run(runCtx)
	if n.peer != nil {
		psrv, err := listenPeer(cfg.Consortium.PeerListen, n.peer, n.peerHandler, log)
		if err != nil {
			return err
		}
		defer psrv.Close()
		go n.peer.Run(runCtx)
		go n.peer.Announce(runCtx) // its URL to the members it knows, theirs from them
		go n.peer.Sync(runCtx)     // the shares made with its organizations, with each member's node
	}

	addr, tokenFile := ln.Addr().String(), filepath.Join(cfg.Data, "bootstrap-token")
	fmt.Fprintln(out, tr("serve.serving", "url", "http://"+addr))
	fmt.Fprintln(out, tr("serve.data", "dir", cfg.Data))
	fmt.Fprintln(out, tr("serve.chain", "chain", n.chain.chainID, "n", len(n.chain.validators)))
	fmt.Fprintln(out, tr("serve.pages", "verify", "http://"+addr+"/verify", "console", "http://"+addr+"/console"))
	if n.peer != nil {
		fmt.Fprintln(out, tr("serve.peer", "url", "https://"+cfg.Consortium.PeerListen))
	}
	switch n.docsMissing {
	case certify.MissingFont:
		fmt.Fprintln(out, tr("serve.no-documents-font"))
	case certify.MissingSeal:
		fmt.Fprintln(out, tr("serve.no-documents-seal"))
	}
	if n.token != "" {
		fmt.Fprintln(out, tr("serve.token-new", "token", n.token, "file", tokenFile))
	} else {
		fmt.Fprintln(out, tr("serve.token-set", "file", tokenFile))
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	sup.ready("http://" + addr)
	watchCtx, stopWatch := context.WithCancel(runCtx)
	defer stopWatch()
	go sup.watch(watchCtx)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stopWatch() // not a check of a server shutting down
	sup.stopping()
	log.Info("shutting down")
	shutCtx, done := context.WithTimeout(context.Background(), 30*time.Second)
	defer done()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// build assembles a node from its configuration.
func build(ctx context.Context, cfg Config, log *slog.Logger) (*node, error) {
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	pki, err := loadPKI(cfg)
	if err != nil {
		return nil, err
	}
	tsa, err := notary.NewTSA(notary.TSAConfig{Cert: pki.TSA.Cert, Chain: pki.TSA.Chain, Signer: pki.TSA.Signer})
	if err != nil {
		return nil, fmt.Errorf("built-in TSA: %w", err)
	}
	blobs, err := openBlobs(ctx, cfg)
	if err != nil {
		return nil, err
	}
	external, err := externalTSAs(cfg)
	if err != nil {
		return nil, err
	}
	dbPath, sealKey := filepath.Join(cfg.Data, "custos.db"), filepath.Join(pki.dir, webhooks.SealKeyFile)
	inToken, err := tokenSealKey(pki.keys, cfg.NewWebhookSealKey, dbPath, sealKey, log)
	if err != nil {
		return nil, err
	}
	// With the key in the token, --new-webhook-seal-key was tokenSealKey's.
	db, seal, err := openDataDB(dbPath, sealKey, inToken, cfg.NewWebhookSealKey && inToken == nil, log)
	if err != nil {
		return nil, err
	}
	pki.webhookSeal = seal
	n, err := assemble(ctx, cfg, log, db, blobs, tsa, external, pki)
	if err != nil {
		db.Close()
		return nil, err
	}
	return n, nil
}

// openDataDB opens custos.db, upgrades the API credentials an earlier
// version stored (access.Upgrade), loads the seal key of webhook secrets
// at sealKey (made at the first start; refused if lost while secrets are
// sealed under it, webhooks.LoadSealKey) and seals the webhook secrets an
// earlier version kept in clear (webhooks.SealSecrets). After an upgrade
// or a sealing it compacts the file, so that the freed pages holding the
// old token material or secrets leave the disk file too (storage.Compact).
//
// With inToken (the AES key in the PKCS#11 token, pkcs11.webhook_seal_key)
// the secrets are sealed under it instead (webhooks.TokenSealer), and no
// file key is made; those still sealed under the file key at sealKey are
// re-sealed under the token's in one transaction (webhooks.ResealSecrets),
// then the file compacted as above. The file key may then be removed.
//
// With newSealKey (serve --new-webhook-seal-key) a file key lost for good
// is made anew over the secrets sealed under it (webhooks.NewSealKey),
// which then no longer open: the count of those webhooks is logged at
// error level. It is refused with the key file present, and with inToken:
// a key of the token lost for good is made anew by newTokenSealKey, before
// openDataDB opens the database with it.
func openDataDB(path, sealKey string, inToken cipher.AEAD, newSealKey bool, log *slog.Logger) (*bolt.DB, cipher.AEAD, error) {
	db, err := storage.OpenDB(path)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*bolt.DB, cipher.AEAD, error) {
		db.Close()
		return nil, nil, err
	}
	changed, err := access.Upgrade(db)
	if err != nil {
		return fail(fmt.Errorf("upgrading stored API tokens: %w", err))
	}
	var seal cipher.AEAD
	resealed := 0
	switch {
	case newSealKey && inToken != nil:
		return fail(errors.New("openDataDB: a new seal key in the PKCS#11 token is newTokenSealKey's, not a new file key"))
	case newSealKey:
		var lost int
		seal, lost, err = webhooks.NewSealKey(db, sealKey)
		if errors.Is(err, webhooks.ErrSealKeyPresent) {
			return fail(fmt.Errorf("--new-webhook-seal-key is refused: the seal key %s is present, and the flag only replaces a key lost for good "+
				"(it never replaces a key, which would leave every webhook's secret unreadable): start without the flag", sealKey))
		}
		if err != nil {
			return fail(err)
		}
		if lost > 0 {
			log.Error("made a new webhook seal key in place of the lost one (--new-webhook-seal-key): the secrets of the webhooks made before no longer open, "+
				"and each of their deliveries fails at once (secret unreadable); their organizations must delete and re-create them", "webhooks", lost, "file", sealKey)
		} else {
			log.Warn("--new-webhook-seal-key: no webhook secret was sealed under the lost key; made a new one", "file", sealKey)
		}
	case inToken == nil:
		var missing *webhooks.SealKeyMissingError
		if seal, err = webhooks.LoadSealKey(db, sealKey); errors.As(err, &missing) {
			return fail(fmt.Errorf("%w; if no backup holds the key, it is lost for good: start once with --new-webhook-seal-key, "+
				"which makes a new key and leaves every webhook made before failing its deliveries (secret unreadable) until its organization re-creates it", err))
		}
		if err != nil {
			return fail(err)
		}
	default:
		seal = webhooks.TokenSealer(inToken)
		file, err := webhooks.ReadSealKey(sealKey)
		if err != nil {
			return fail(err)
		}
		if file != nil {
			n, unopened, err := webhooks.ResealSecrets(db, file, seal)
			if errors.Is(err, webhooks.ErrSealKeyWrong) {
				return fail(fmt.Errorf("%w: %s is not the key the webhook secrets were sealed under, so they cannot be re-sealed under the token's key: restore it from the backup of the node's PKI folder taken with this custos.db", err, sealKey))
			}
			if err != nil {
				return fail(err)
			}
			if unopened > 0 {
				log.Warn("webhook secrets that did not open under the file seal key were left as they are; their deliveries fail until the webhooks are made again", "webhooks", unopened)
			}
			resealed = n
			log.Info("the webhook seal key is in the PKCS#11 token; the file key is no longer used and may be removed once no backup of custos.db needs it", "file", sealKey)
		}
	}
	sealed, err := webhooks.SealSecrets(db, seal)
	if errors.Is(err, webhooks.ErrTokenKeyWrong) {
		return fail(failure(1, "fail.seal-key-token-wrong"))
	}
	if errors.Is(err, webhooks.ErrSealKeyWrong) && inToken != nil {
		return fail(fmt.Errorf("%w: custos.db holds webhook secrets sealed under the file key %s, which is missing: restore it from the backup of the node's PKI folder, and the node re-seals them under the token's key at start", err, sealKey))
	}
	if errors.Is(err, webhooks.ErrSealKeyWrong) {
		return fail(fmt.Errorf("%w: restore %s from the backup of the node's PKI folder taken with this custos.db", err, sealKey))
	}
	if err != nil {
		return fail(err)
	}
	if !changed && sealed == 0 && resealed == 0 {
		return db, seal, nil
	}
	if changed {
		log.Info("upgraded stored API tokens; compacting custos.db to drop the old token material", "path", path)
	}
	if resealed > 0 {
		log.Info("re-sealed the webhook secrets under the seal key in the PKCS#11 token; compacting custos.db to drop their copies sealed under the file key", "webhooks", resealed, "path", path)
	}
	if sealed > 0 {
		log.Info("sealed the webhook secrets an earlier version kept in clear; compacting custos.db to drop them", "webhooks", sealed, "path", path)
	}
	if err := db.Close(); err != nil {
		return nil, nil, err
	}
	if err := storage.Compact(path); err != nil {
		return nil, nil, err
	}
	db, err = storage.OpenDB(path)
	return db, seal, err
}

func assemble(ctx context.Context, cfg Config, log *slog.Logger, db *bolt.DB, blobs evidence.Blobs,
	tsa *notary.TSA, external []evidence.Stamper, pki *nodePKI) (*node, error) {
	orgs, err := access.Open(db)
	if err != nil {
		return nil, err
	}
	// A webhook is paused while the key that registered it is revoked,
	// expired or gone (A6 in docs/security.md).
	hooks, err := webhooks.New(webhooks.Config{
		DB: db, Sealer: pki.webhookSeal, AllowPrivate: cfg.Webhooks.AllowPrivate, Backoff: cfg.Webhooks.Backoff.Duration,
		MaxAttempts: cfg.Webhooks.MaxAttempts, Timeout: cfg.Webhooks.Timeout.Duration,
		Retention: cfg.Webhooks.Retention.Duration, CreatorActive: orgs.ActorActive, Log: log,
	})
	if err != nil {
		return nil, err
	}
	// wake carries the service's "leaves queued" to the chain's batcher,
	// which starts after the service: neither holds the other.
	wake := make(chan struct{}, 1)
	notices := &shareNotices{}
	renewal, err := cfg.EvidenceRecords.renewal()
	if err != nil {
		return nil, err
	}
	ev, err := evidence.New(ctx, evidence.Config{
		DB: db, Blobs: blobs, TSA: tsa, External: external, StampTimeout: stampTimeout(cfg),
		SM3: cfg.SM3, MaxSize: cfg.MaxUploadBytes, Log: log, ReadFoldWindow: cfg.Custody.ReadFoldWindow.Duration,
		OnLeaves: func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		},
		OnAnchored: func(tx *bolt.Tx, r *evidence.Record) error {
			return hooks.PublishWithin(tx, evidence.OwnerOrg(r), webhooks.EventAnchored, api.ViewOf(r))
		},
		WantAnchored: func() bool { return hooks.Subscribed(webhooks.EventAnchored) },
		OnLeafFinal:  copyright.MarkAnchored,
		ItemOwner:    copyright.Owner,
		OnShare:      notices.onShare,
	})
	if err != nil {
		return nil, err
	}
	// The register learns the chain (for its numbers) once it runs.
	var running atomic.Pointer[anchor.Chain]
	numbers := make(chan struct{}, 1)
	crs, err := copyright.New(ev, copyright.Config{
		OnTransfer: func(tx *bolt.Tx, o *copyright.TransferOffer) error {
			for _, org := range []string{o.From, o.To} {
				if err := hooks.PublishWithin(tx, org, webhooks.EventCopyrightTransfer, o); err != nil {
					return err
				}
			}
			return nil
		},
		ChainNumbers: func() bool {
			c := running.Load()
			return c != nil && c.StateVersion() >= anchor.StateV5
		},
		OnNumbered: func(tx *bolt.Tx, c *copyright.Copyright) error {
			for _, org := range uniq(c.RegistrantOrg, c.OwnerOrg) {
				if err := hooks.PublishWithin(tx, org, webhooks.EventCopyrightNumbered, c); err != nil {
					return err
				}
			}
			return nil
		},
		Queued: func() {
			select {
			case numbers <- struct{}{}:
			default:
			}
		},
	})
	if err != nil {
		return nil, err
	}
	// The certificates' register, made after the evidence records, gives
	// the PDFs' bytes to the hash-tree renewal of their records.
	var certsReg atomic.Pointer[certificates.Register]
	ers, err := records.New(ev, records.Config{
		TSA:     tsa,
		Renewal: renewal,
		DocumentBytes: func(ctx context.Context, key string) ([]byte, error) {
			r := certsReg.Load()
			if r == nil {
				return nil, errors.New("the certificates' register is not open yet")
			}
			return r.DocumentBytes(ctx, key)
		},
	})
	if err != nil {
		return nil, err
	}
	certs, err := certificates.New(ev, ers)
	if err != nil {
		return nil, err
	}
	certsReg.Store(certs)
	if err := ev.Recover(ctx); err != nil {
		return nil, err
	}
	// Stores older than the chain (a restore from a backup): hold the
	// certificate numbers, which only this node knows (evidence/certificates,
	// numbering.go), until an operator has checked them.
	onBehind := func(records, logSeq uint64) {
		reason := fmt.Sprintf("this node's stores are older than the chain (its last anchoring batch is %d, the chain's %d): a restore from a backup?", records, logSeq)
		if err := certs.Hold(reason, time.Now()); err != nil {
			log.Error("holding certificate numbering", "err", err)
			return
		}
		log.Error("certificate numbering held: this node may have issued certificates after its backup, under numbers it would give again; check the office's register, then, with the node stopped, run: custos certificate numbering --year YEAR --next N",
			"records_last_batch", records, "log_last_batch", logSeq)
	}
	ch, err := startChain(ctx, cfg, log, pki, ev, wake, onBehind)
	if err != nil {
		return nil, fmt.Errorf("consortium chain: %w", err)
	}
	running.Store(ch.Chain)
	notices.dir = ch.Chain
	n := &node{db: db, ev: ev, ers: ers, certs: certs, crs: crs, hooks: hooks, orgs: orgs, chain: ch, numbers: numbers, notices: notices}
	if err := n.serveAPI(cfg, log, tsa, pki); err != nil {
		ch.close()
		return nil, err
	}
	return n, nil
}

func (n *node) serveAPI(cfg Config, log *slog.Logger, tsa *notary.TSA, pki *nodePKI) error {
	db, ev, orgs := n.db, n.ev, n.orgs
	trails := audittrail.New(ev)
	shares, err := sharing.New(ev)
	if err != nil {
		return err
	}
	token, err := bootstrap(orgs, trails, cfg)
	if err != nil {
		return err
	}
	if n.peer, err = n.startPeer(cfg, log, pki, orgs, shares); err != nil {
		return err
	}
	var peers api.Peers
	var refused api.RefusedNotices
	if n.peer != nil {
		n.notices.peer, peers, refused = n.peer, n.peer, n.peer
	}
	auditCtx, stop := context.WithCancel(context.Background())
	n.stop = stop
	go registerOrgs(auditCtx, n.chain.Chain, orgs, &conflictTeller{ev: ev, hooks: n.hooks, member: n.chain.Member(), name: n.memberName}, &n.orgsRestored, log)
	go watchRemoval(auditCtx, n.chain.Chain, log)
	go numberCopyrights(auditCtx, n.chain.Chain, n.crs, orgs, n.numbers, log)
	prover := proofs.New(ev, n.chain.Chain).WithMembers(n.chain.memberNames()).WithRecords(n.ers)
	opts := auditOptions(pki.Root, pki.Org.Cert, cfg.Audit.Deep)
	if err := trustIssuedTSA(cfg, &opts); err != nil {
		return err
	}
	opts.Anchor, opts.Deposits, opts.Holders = n.chain.Chain, n.chain.Chain, n.crs.Lists
	if n.chain.Chain != nil {
		opts.Heads = chainHeads{n.chain.Chain}
	}
	opts.Documents = []integrity.DocumentAudit{n.certs.Audit(), n.crs.Audit()}
	if n.audit, err = integrity.NewAuditor(auditCtx, ev, integrity.AuditorConfig{Interval: cfg.Audit.Interval.Duration, Options: opts, Log: log}); err != nil {
		return err
	}
	docs, missing := documentIssuer(cfg, log, tsa, pki)
	n.docsMissing = missing
	office, err := certify.New(certify.Config{Evidence: ev, Matters: shares, Certificates: n.certs, Receipts: prover, Orgs: orgs, Copyrights: n.crs, Documents: docs, Missing: missing})
	if err != nil {
		return err
	}
	tsaChain, tsaRoots := pki.tsaTrust()
	srv, err := api.New(api.Config{
		Records: ev, EvidenceRecords: n.ers, Custody: ev, Sharing: shares, Audit: trails, VerifyTokens: ev, Certificates: n.certs, Proofs: prover, Copyrights: n.crs, Transfers: n.crs,
		Access: orgs, TSA: tsa, Log: log, Chain: n.chain, ChainAdmin: n.chain, Holds: ev, Readiness: n, Governance: n.chain, Directory: n.chain, Leaving: n.chain, Consortium: n.chain.Chain, DB: db,
		Notifier: n.hooks, Webhooks: n.hooks, Issuer: office, Integrity: n.audit, Renewals: n.ers, Peers: peers, Refused: refused,
		IdempotencyTTL: cfg.Limits.IdempotencyTTL.Duration,
		Limits: api.Limits{
			Rate: cfg.Limits.Rate, Burst: cfg.Limits.Burst,
			UploadRate: cfg.Limits.UploadRate, UploadBurst: cfg.Limits.UploadBurst,
			PublicRate: cfg.Limits.PublicRate, PublicBurst: cfg.Limits.PublicBurst,
			SharedReadRate: cfg.Limits.SharedReadRate, SharedReadBurst: cfg.Limits.SharedReadBurst,
		},
		Trust: receipt.Trust{
			Version:     1,
			ChainID:     n.chain.chainID,
			RootPEM:     string(certs.EncodePEM(pki.Root)),
			Validators:  n.chain.validators,
			TSAChain:    string(certs.EncodePEM(tsaChain...)),
			TSARootsPEM: externalRoots(cfg) + string(certs.EncodePEM(tsaRoots...)),
			TSAName:     tsa.Name(),
		}.WithSuite(string(certs.KeySuite(pki.Root.PublicKey))),
	})
	if err != nil {
		return err
	}
	n.handler, n.token, n.peerHandler = srv.Handler(), token, srv.PeerHandler()
	return nil
}

// documentIssuer is what signs this node's certificates, or nil (the
// document endpoints then answer 409 no-document-signer): a node that is
// not a notary office has no document-signing certificate, and a machine
// without the CJK font cannot render the documents. missing says what a
// notary office's node lacks (certify.MissingFont or MissingSeal), so that
// the 409 says how to mend it.
func documentIssuer(cfg Config, log *slog.Logger, tsa *notary.TSA, pki *nodePKI) (_ *document.Issuer, missing string) {
	if pki.Notary == nil {
		return nil, ""
	}
	r, err := pdf.NewRenderer(pdf.Config{})
	if err != nil {
		log.Warn("certificates disabled: no CJK font to render them (install fonts-wqy-microhei)", "err", err)
		return nil, certify.MissingFont
	}
	if msg := publicURLWarning(cfg); msg != "" {
		log.Warn(msg, "public_url", cfg.publicURL(), "listen", cfg.Listen)
	}
	var seal image.Image
	if cfg.Notary.Seal != "" {
		if seal, err = loadSeal(cfg.Notary.Seal); err != nil { // checked with the config: changed since
			log.Warn("certificates disabled: the seal image is unreadable", "err", err)
			return nil, certify.MissingSeal
		}
	}
	return &document.Issuer{
		Office: cfg.notaryOffice(), Abbrev: cfg.Notary.Abbrev, Seal: seal, Renderer: r, PublicURL: cfg.publicURL(),
		Sign: pdf.SignOptions{
			Signer: pki.Notary.Signer, Certificate: pki.Notary.Cert, Chain: pki.Notary.Chain,
			TSA: tsa, Location: cfg.Notary.Location,
		},
	}, ""
}

// publicURLWarning is the warning serve logs on a node that signs
// documents while [notary] public_url is unset and it listens beyond
// loopback: the QR codes of its write-once PDFs would point at
// http://LISTEN, rarely an address the public reaches. A loopback node
// (the embedded default, a demo) is left alone. "" when all is well.
func publicURLWarning(cfg Config) string {
	if cfg.Notary.PublicURL != "" {
		return ""
	}
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err == nil && (host == "localhost" || net.ParseIP(host).IsLoopback()) {
		return ""
	}
	return "[notary] public_url is unset: the QR codes and links of the certificates this node signs (write-once PDFs) will point at http://" +
		cfg.Listen + "; set public_url to the address courts and parties reach before issuing any"
}

func openBlobs(ctx context.Context, cfg Config) (evidence.Blobs, error) {
	if cfg.Storage.Backend != "s3" {
		f, err := storage.NewFolder(filepath.Join(cfg.Data, "blobs"))
		if err != nil {
			return nil, fmt.Errorf("blob folder: %w", err)
		}
		return f, nil
	}
	s := cfg.Storage.S3
	days := s.RetentionDays
	if days == 0 {
		days = 3650
	}
	timeout := s.Timeout.Duration
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	store, err := storage.NewS3(ctx, storage.S3Config{
		Endpoint: s.Endpoint, Region: s.Region, Bucket: s.Bucket, AccessKey: s.AccessKey, SecretKey: s.SecretKey,
		Secure: s.Secure, Retention: time.Duration(days) * 24 * time.Hour, PartSize: s.PartSizeMiB << 20,
		Transport: s3Transport(timeout),
	})
	if err != nil {
		return nil, fmt.Errorf("S3 blob store %s/%s: %w", s.Endpoint, s.Bucket, err)
	}
	return store, nil
}

// s3Transport bounds how long the object store may take to connect and to
// start answering, so that an outage turns into a prompt 503. (Transfers
// themselves are not bounded: a large upload may take long.)
func s3Transport(timeout time.Duration) http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = timeout
	t.ResponseHeaderTimeout = timeout
	t.MaxIdleConnsPerHost = 64
	return t
}

// stampTimeout is the longest configured external TSA timeout (default 10s).
func stampTimeout(cfg Config) time.Duration {
	d := 10 * time.Second
	for _, t := range cfg.TSA.External {
		d = max(d, t.Timeout.Duration)
	}
	return d
}

func externalTSAs(cfg Config) ([]evidence.Stamper, error) {
	var out []evidence.Stamper
	for _, t := range cfg.TSA.External {
		c := &notary.Client{Name: t.Name, URL: t.URL, HTTP: &http.Client{Timeout: 10 * time.Second}}
		if t.Timeout.Duration > 0 {
			c.HTTP.Timeout = t.Timeout.Duration
		}
		if c.Name == "" {
			c.Name = t.URL
		}
		if t.CAFile != "" {
			pem, err := os.ReadFile(t.CAFile)
			if err != nil {
				return nil, fmt.Errorf("external TSA %s: %w", c.Name, err)
			}
			c.Roots = x509.NewCertPool()
			if !c.Roots.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("external TSA %s: no certificate in %s", c.Name, t.CAFile)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// bootstrap creates, on first start, the organization that runs the node
// and its admin key (see the serve contract in docs/operations.md). It
// returns the token when one was generated now.
func bootstrap(orgs *access.Store, trails *audittrail.Trails, cfg Config) (string, error) {
	empty, err := orgs.Empty()
	if err != nil || !empty {
		return "", err
	}
	token, generated := os.Getenv("CUSTOS_BOOTSTRAP_TOKEN"), false
	if token == "" {
		token, generated = access.NewToken(), true
	} else if err := access.CheckChosenToken(token); err != nil {
		return "", fmt.Errorf("CUSTOS_BOOTSTRAP_TOKEN refused: %s; or leave it unset and custos generates one",
			strings.TrimPrefix(err.Error(), access.ErrBadInput.Error()+": "))
	}
	if generated {
		if err := writeSecret(filepath.Join(cfg.Data, "bootstrap-token"), token+"\n"); err != nil {
			return "", err
		}
	}
	// The organization, its admin key and their audit events are one
	// transaction: a first start that fails leaves the store empty, to be
	// bootstrapped again at the next start, never an operator without its
	// admin key or its audit chain.
	_, _, err = orgs.Bootstrap(cfg.Org, token, func(tx *bolt.Tx, org *access.Org, key *access.Key) error {
		actor := org.ID + ":" + key.ID
		if _, err := trails.AppendAuditTx(tx, org.ID, actor, custody.AuditOrgCreated, "kind:"+org.Kind); err != nil {
			return err
		}
		_, err := trails.AppendAuditTx(tx, org.ID, actor, custody.AuditKeyCreated, "key:"+key.ID+":"+string(key.Role))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("bootstrap organization and token: %w", err)
	}
	if !generated {
		return "", nil // the operator knows it; never echo a secret they chose
	}
	return token, nil
}

// writeSecret writes s to path, mode 0600, whole and durable (folder
// fsynced) before the organization it opens is committed.
func writeSecret(path, s string) error {
	return atomicfile.WriteFile(path, []byte(s), 0o600)
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// externalRoots concatenates the configured external TSAs' CA files, for
// the trust bundle: receipts then verify their tokens too.
func externalRoots(cfg Config) string {
	var b strings.Builder
	for _, t := range cfg.TSA.External {
		if t.CAFile == "" {
			continue
		}
		if pem, err := os.ReadFile(t.CAFile); err == nil { // read and checked at start (externalTSAs)
			b.Write(pem)
		}
	}
	return b.String()
}

// uniq is its arguments without repeats, in order.
func uniq(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// chainHeads reads the items' custody heads in the chain's state for the
// integrity audit (integrity.HeadState): a state version no longer kept
// is a head not found, as the prover takes it.
type chainHeads struct{ c *anchor.Chain }

func (h chainHeads) HeadValue(key [32]byte, height int64) ([32]byte, bool, error) {
	sp, err := h.c.ProveState(key, height)
	if errors.Is(err, anchor.ErrStateGone) {
		return [32]byte{}, false, nil
	}
	if err != nil {
		return [32]byte{}, false, err
	}
	return sp.Value, sp.Found, nil
}
