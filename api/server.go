// Package api is Custos's HTTP interface (echo v4): authentication, request
// validation, RFC 9457 problem+json errors, the OpenAPI document and the
// endpoints of the evidence service and the built-in TSA.
package api

import (
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/custos-project/custos/api/wire"

	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/receipt"
)

// Notifier publishes integration events (webhooks) to an organization.
type Notifier interface {
	Publish(org, event string, data any)
}

// TxNotifier is a Notifier that can also queue an event inside the
// transaction of the act it reports (webhooks.Service), so that the act and
// its deliveries are committed together. The upload handler uses it for
// evidence.timestamped, the share handler for evidence.shared.
type TxNotifier interface {
	Notifier
	PublishWithin(tx *bolt.Tx, org, event string, data any) error
}

// Config configures a Server.
type Config struct {
	// The evidence service (evidence.Service) in the roles the endpoints
	// use it in (roles.go), its audit trails (audittrail.Trails), its
	// prover (proofs.Prover) and its items' evidence records
	// (records.Keeper); all seven are required.
	Records         Records
	EvidenceRecords EvidenceRecords
	Custody         Custody
	Sharing         Sharing
	Audit           AuditTrails
	VerifyTokens    VerifyTokens
	Proofs          Proofs
	// Certificates is the notarial certificate records
	// (certificates.Register); required.
	Certificates Certificates
	Access       *access.Store // organizations and keys; required
	Notifier     Notifier      // webhooks; may be nil
	Webhooks     Webhooks      // webhook registrations and delivery logs; nil: the webhook routes answer 404
	TSA          http.Handler  // the built-in TSA's RFC 3161 HTTP handler; required
	Trust        receipt.Trust
	Chain        Chain // nil on a node without a chain
	// ChainAdmin, if set, serves the chain's state-upgrade votes to the
	// operator (/api/v1/admin/chain).
	ChainAdmin ChainAdmin
	// Holds counts the deposits the node holds off the chain (the
	// evidence service), shown with the chain's status; nil: not shown.
	Holds HeldDeposits
	// Readiness, if set, is asked before a state-upgrade vote whether every
	// member's node runs software that knows the version (409
	// upgrade-not-ready otherwise, unless the request says force); nil:
	// not asked.
	Readiness UpgradeReadiness
	// Governance is the consortium's members and proposals (the chain),
	// served at /api/v1/consortium; nil: those routes answer 404.
	Governance Governance
	Log        *slog.Logger
	// DB is the node's database; Idempotency-Key answers are kept in a
	// bucket of their own in it. Nil turns Idempotency-Key off (ignored).
	DB             *bolt.DB
	IdempotencyTTL time.Duration // how long an answer is kept; 0: 24h
	Limits         Limits        // per-client request rates; zero: defaults
	// Issuer issues notarial and copyright certificates (certify.Office);
	// nil, or an office without a signer, on a node that is not a notary
	// office: the certificate endpoints answer 409.
	Issuer Issuer
	// Copyrights is the copyright register and Transfers its transfer
	// offers; nil: their routes answer 404.
	Copyrights Register
	Transfers  Transfers
	Integrity  Integrity // the integrity auditor; nil: its routes answer 404
	// Renewals renews the node's evidence records (records.Keeper);
	// nil: its routes answer 404.
	Renewals Renewals
	// Consortium is the consortium's copyright register (the chain); nil:
	// priority searches cover this node's registrations alone.
	Consortium ConsortiumRegister
	// Directory is the consortium's directory (the chain); nil: its routes
	// answer 404, and organization names are checked on this node only.
	Directory Directory
	// Leaving tells which members were removed from the consortium (the
	// chain): the directory, the lookup and the relays mark them, and a
	// node whose member was removed refuses uploads. Nil: nobody left.
	Leaving Leaving
	// Peers is the consortium's peer API (api/peer.Node): shares with
	// organizations homed on other members, and reads of what other
	// members shared with this node's organizations, relayed to the
	// item's home node. Nil: shares stay on this node.
	Peers Peers
	// Refused is the share notices the grantees' home members refused for
	// good (api/peer.Node), served to the operator at
	// /api/v1/admin/peer/refused; nil: those routes answer 404.
	Refused RefusedNotices
}

// Server is the HTTP API.
type Server struct {
	records    Records
	ers        EvidenceRecords
	custody    Custody
	proofs     Proofs
	sharing    Sharing
	trails     AuditTrails
	tokens     VerifyTokens
	certs      Certificates
	orgs       *access.Store
	hooks      Notifier
	webhooks   Webhooks
	idem       *idempotency
	limits     *limits
	trust      receipt.Trust
	chain      Chain
	directory  Directory
	leaving    Leaving
	removed    atomic.Int64 // the height this node's member was removed at, once seen (leaving.go)
	consortium ConsortiumRegister
	peers      Peers
	refused    RefusedNotices
	passes     matterPasses      // learning the homes of shared matters' items (matteritems.go)
	members    map[string]string // member ID → trust-bundle name (anchor.MemberNames)
	governance Governance        // names the members the trust bundle does not (memberName)
	issuer     Issuer
	copyrights Register
	transfers  Transfers
	decodes    *decodeGate
	log        *slog.Logger
	e          *echo.Echo
	heads      map[string]bool // paths of the routes registered for HEAD (head.go)
}

// observeAnswers, when set, is put in front of every server's routing
// (echo's Pre). Only the package's tests set it (statuses_test.go), to
// record each operation's answers against api/openapi.json.
var observeAnswers echo.MiddlewareFunc

// New builds the server and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Records == nil || cfg.EvidenceRecords == nil || cfg.Custody == nil || cfg.Sharing == nil || cfg.Audit == nil || cfg.VerifyTokens == nil ||
		cfg.Certificates == nil || cfg.Proofs == nil || cfg.Access == nil || cfg.TSA == nil {
		return nil, errors.New("api: Config.Records, EvidenceRecords, Custody, Sharing, Audit, VerifyTokens, Certificates, Proofs, Access and TSA are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	lim, err := newLimits(cfg.Limits)
	if err != nil {
		return nil, err
	}
	idem, err := newIdempotency(cfg.DB, cfg.IdempotencyTTL, cfg.Log)
	if err != nil {
		return nil, err
	}
	s := &Server{records: cfg.Records, ers: cfg.EvidenceRecords, custody: cfg.Custody, proofs: cfg.Proofs, sharing: cfg.Sharing, trails: cfg.Audit, tokens: cfg.VerifyTokens, certs: cfg.Certificates, orgs: cfg.Access, hooks: cfg.Notifier, webhooks: cfg.Webhooks, trust: cfg.Trust, chain: cfg.Chain, directory: cfg.Directory, leaving: cfg.Leaving, consortium: cfg.Consortium, peers: cfg.Peers, refused: cfg.Refused, members: anchor.MemberNames(cfg.Trust.Validators), governance: cfg.Governance, issuer: cfg.Issuer, copyrights: cfg.Copyrights, transfers: cfg.Transfers, log: cfg.Log, e: echo.New(),
		idem: idem, limits: lim, decodes: newDecodeGate(maxDecodes, decodeWait)}
	s.e.HideBanner, s.e.HidePort = true, true
	s.e.HTTPErrorHandler = s.handleError
	if observeAnswers != nil {
		s.e.Pre(observeAnswers)
	}
	s.e.Use(securityHeaders, allowHEAD)
	s.routes(cfg.TSA)
	s.integrityRoutes(s.e, cfg.Integrity)
	s.renewalRoutes(s.e, cfg.Renewals)
	s.chainAdminRoutes(s.e, cfg.ChainAdmin, cfg.Holds, cfg.Readiness)
	s.governanceRoutes(s.e, cfg.Governance)
	s.refusedRoutes(s.e)
	s.heads = headRoutes(s.e)
	return s, nil
}

// Handler returns the server's http.Handler. It serves HEAD wherever GET
// is served (head.go).
func (s *Server) Handler() http.Handler { return s }

func (s *Server) routes(tsa http.Handler) {
	e := s.e
	e.GET("/healthz", s.healthz)
	e.Any("/tsa", echo.WrapHandler(tsa), s.limits.perIP)
	e.GET("/api/v1/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/json", openapiJSON)
	})
	e.GET("/api/v1/trust", s.getTrust)
	e.GET("/api/v1/trust/root.pem", s.pem(func() string { return s.trust.RootPEM }))
	e.GET("/api/v1/trust/tsa-chain.pem", s.pem(func() string { return s.trust.TSAChain }))

	// Authentication and permissions are per route rather than group
	// middleware, so that a known path asked with the wrong method answers
	// 405, not 404.
	// auth also spends a token of the key's rate limit; s.idem.wrap
	// honours Idempotency-Key (not on key creation, whose answer holds a
	// secret shown once).
	auth, read, file, share := then(s.requireAuth, s.limits.perKey), need(access.PermRead), need(access.PermFile), need(access.PermShare)
	admin := need(access.PermAdmin)
	e.POST("/api/v1/evidence", s.idem.wrap(s.createEvidence), auth, file, s.limits.perKeyUpload)
	// remote relays what another member shared with the caller's
	// organization to that member's node (peerapi.go).
	remote := s.remote
	e.GET("/api/v1/evidence", s.listEvidence, auth, read, remote)
	e.GET("/api/v1/evidence/:id", s.getEvidence, auth, read, remote)
	e.GET("/api/v1/evidence/:id/content", s.getContent, auth, read, remote)
	e.HEAD("/api/v1/evidence/:id/content", s.getContent, auth, read, remote)
	e.GET("/api/v1/evidence/:id/custody", s.getCustody, auth, read, remote)
	e.GET("/api/v1/evidence/:id/timestamp", s.getTimestamp, auth, read, remote)
	e.GET("/api/v1/evidence/:id/receipt", s.getReceipt, auth, read, remote)
	e.GET("/api/v1/evidence/:id/evidence-record", s.getEvidenceRecord, auth, read, remote)
	e.POST("/api/v1/matters", s.idem.wrap(s.createMatter), auth, file)
	e.GET("/api/v1/matters", s.listMatters, auth, read)
	e.GET("/api/v1/matters/:id", s.getMatter, auth, read, remote)
	e.POST("/api/v1/shares", s.idem.wrap(s.createShare), auth, share)
	e.GET("/api/v1/shares", s.listShares, auth, read)
	e.DELETE("/api/v1/shares/:id", s.revokeShare, auth, share)
	// GET /api/v1/certificates/:id also serves {id}.pdf (see getCertificate).
	e.POST("/api/v1/certificates", s.idem.wrap(s.createCertificate), auth, need(access.PermCertify), certifier)
	e.GET("/api/v1/certificates", s.listCertificates, auth, read)
	e.GET("/api/v1/certificates/:id", s.getCertificate, auth, read)
	e.GET("/api/v1/certificates/:id/evidence-records", s.getCertificateRecords, auth, read)
	e.GET("/api/v1/verify/:token", s.documentCheck, s.limits.perIP)
	e.GET("/api/v1/me", s.me, auth)
	e.POST("/api/v1/orgs", s.idem.wrap(s.createOrg), auth, admin)
	e.GET("/api/v1/orgs", s.listOrgs, auth, admin)
	e.GET("/api/v1/orgs/:id", s.getOrg, auth)
	e.PATCH("/api/v1/orgs/:id", s.updateOrg, auth, admin)
	s.directoryRoutes(e, []echo.MiddlewareFunc{auth})
	e.GET("/api/v1/orgs/:id/audit", s.getAudit, auth)
	e.POST("/api/v1/orgs/:id/keys", s.createKey, auth, admin)
	e.GET("/api/v1/orgs/:id/keys", s.listKeys, auth, admin)
	e.DELETE("/api/v1/keys/:id", s.revokeKey, auth, admin)
	e.GET("/api/v1/lookup", s.lookup, s.limits.perIP)
	e.GET("/api/v1/log/checkpoint", s.getCheckpoint, s.limits.perIP)
	e.GET("/api/v1/log/consistency", s.getConsistency, s.limits.perIP)
	s.webhookRoutes(e, s.webhooks)
	s.copyrightRoutes(e, auth, read, file)
	e.GET("/", redirectRoot)
	e.GET("/verify", serveVerifyPage)
	e.GET("/console", serveConsolePage)
	e.GET("/static/:name", serveStatic)
}

func (s *Server) pem(get func() string) echo.HandlerFunc {
	return func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/x-pem-file", []byte(get()))
	}
}

//go:embed openapi.json
var openapiJSON []byte

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		return next(c)
	}
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// ViewOf is the JSON form of a record, as the API and webhooks show it.
func ViewOf(r *evidence.Record) wire.EvidenceView {
	v := wire.EvidenceView{
		ID: r.ID, Status: r.Status, SHA256: r.SHA256, SM3: r.SM3, Size: r.Size, MediaType: r.MediaType,
		FileName: r.FileName, Title: r.Title, Description: r.Description, CaseRef: r.CaseRef, Matter: r.Matter, Unlisted: r.IsUnlisted(), AnchoredHeight: r.AnchoredHeight,
		CapturedAt: r.CapturedAt, CreatedAt: r.CreatedAt, Owner: r.Owner, Timestamps: mapSlice(r.Tokens, tokenInfo),
	}
	if len(r.Tokens) > 0 {
		v.Timestamp = tokenInfo(r.Tokens[0])
	}
	return v
}
