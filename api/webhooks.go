package api

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	prob "github.com/custos-project/custos/internal/problem"
	"github.com/custos-project/custos/internal/text"
	"github.com/custos-project/custos/webhooks"
)

// Webhooks is what the API needs from the webhook service
// (webhooks.Service). Every method is scoped to an organization: another
// organization's webhook is webhooks.ErrNotFound.
type Webhooks interface {
	// CreateWithin and DeleteWithin call within in the transaction that
	// stores or removes the webhook; its error undoes the change.
	CreateWithin(org, actor string, in webhooks.Input, within func(tx *bolt.Tx, w *webhooks.Webhook) error) (*webhooks.Webhook, string, error)
	List(org string) ([]webhooks.Webhook, error)
	DeleteWithin(org, id string, within func(tx *bolt.Tx, w *webhooks.Webhook) error) (*webhooks.Webhook, error)
	// AdoptWithin makes actor the webhook's creator, with a new secret
	// (returned), and calls within in the same transaction.
	AdoptWithin(org, id, actor string, within func(tx *bolt.Tx, w *webhooks.Webhook) error) (*webhooks.Webhook, string, error)
	Deliveries(org, id string, limit int) ([]webhooks.Delivery, error)
}

// NewWebhookView answers a webhook registration or adoption: the secret,
// which signs every delivery, is shown this once.
type NewWebhookView struct {
	Webhook webhooks.Webhook `json:"webhook"`
	Secret  string           `json:"secret"`
}

// maxDeliveries bounds ?limit= of the delivery log.
const maxDeliveries = 1000

// webhookRoutes registers the webhook endpoints, served by hooks. With
// hooks nil (a node without webhooks) they answer 404. Neither POST
// honours Idempotency-Key: the answer holds a secret shown once, which
// must not be stored (as for key creation).
func (s *Server) webhookRoutes(e *echo.Echo, hooks Webhooks) {
	h := webhookAPI{s: s, hooks: hooks}
	auth, perm := then(s.requireAuth, s.limits.perKey), need(access.PermWebhooks)
	e.POST("/api/v1/webhooks", h.create, auth, perm)
	e.GET("/api/v1/webhooks", h.list, auth, perm)
	e.DELETE("/api/v1/webhooks/:id", h.delete, auth, perm)
	e.POST("/api/v1/webhooks/:id/adopt", h.adopt, auth, perm)
	e.GET("/api/v1/webhooks/:id/deliveries", h.deliveries, auth, perm)
}

// webhookAPI holds the webhook handlers; each acts on the caller's own
// organization only.
type webhookAPI struct {
	s     *Server
	hooks Webhooks
}

func webhookErr(err error) error {
	var te *text.Error
	switch {
	case errors.As(err, &te):
		return err // 400 invisible-character (toProblem)
	case errors.Is(err, webhooks.ErrNotFound):
		return errGone("no-webhook")
	case errors.Is(err, webhooks.ErrBadInput):
		return problem(http.StatusUnprocessableEntity, "invalid-input", prob.M("title.invalid-input"), reason(err, webhooks.ErrBadInput))
	}
	return err
}

func errNoWebhooks() *Problem {
	return errGone("no-webhooks")
}

// create handles POST /api/v1/webhooks. The registration is audited in the
// organization's chain in the transaction that stores the webhook: if the
// audit cannot be written, no webhook is stored.
func (h webhookAPI) create(c echo.Context) error {
	if h.hooks == nil {
		return errNoWebhooks()
	}
	var in wire.WebhookInput
	if err := bindStrict(c, &in); err != nil {
		return err
	}
	p := principal(c)
	w, secret, err := h.hooks.CreateWithin(p.Org.ID, p.Actor(), webhooks.Input{URL: in.URL, Events: in.Events}, func(tx *bolt.Tx, w *webhooks.Webhook) error {
		return h.s.auditTx(c, tx, p.Org.ID, custody.AuditWebhookCreated, "webhook:"+w.ID)
	})
	if err != nil {
		return webhookErr(err)
	}
	return c.JSON(http.StatusCreated, NewWebhookView{Webhook: *w, Secret: secret})
}

// list handles GET /api/v1/webhooks.
func (h webhookAPI) list(c echo.Context) error {
	if h.hooks == nil {
		return errNoWebhooks()
	}
	ws, err := h.hooks.List(principal(c).Org.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(ws))
}

// delete handles DELETE /api/v1/webhooks/:id: no further delivery is made
// to it, and its delivery log goes with it. The deletion is audited in the
// organization's chain in the transaction that removes the webhook: if
// the audit cannot be written, the webhook stays.
func (h webhookAPI) delete(c echo.Context) error {
	if h.hooks == nil {
		return errNoWebhooks()
	}
	org := principal(c).Org.ID
	w, err := h.hooks.DeleteWithin(org, c.Param("id"), func(tx *bolt.Tx, w *webhooks.Webhook) error {
		return h.s.auditTx(c, tx, org, custody.AuditWebhookDeleted, "webhook:"+w.ID)
	})
	if err != nil {
		return webhookErr(err)
	}
	return c.JSON(http.StatusOK, w)
}

// adopt handles POST /api/v1/webhooks/:id/adopt: the caller's key becomes
// the webhook's creator, so that a webhook paused because the key that
// registered it is revoked, expired or gone resumes (A6 in
// docs/security.md), with its queued deliveries due at once. The webhook
// gets a new secret, shown in this answer only: the old key's holder
// knows the old one. The adoption is audited (webhook.adopted) in the
// transaction that makes it: if the audit cannot be written, nothing
// changes. The request has no body; one sent is not read.
func (h webhookAPI) adopt(c echo.Context) error {
	if h.hooks == nil {
		return errNoWebhooks()
	}
	p := principal(c)
	w, secret, err := h.hooks.AdoptWithin(p.Org.ID, c.Param("id"), p.Actor(), func(tx *bolt.Tx, w *webhooks.Webhook) error {
		return h.s.auditTx(c, tx, p.Org.ID, custody.AuditWebhookAdopted, "webhook:"+w.ID)
	})
	if err != nil {
		return webhookErr(err)
	}
	return c.JSON(http.StatusOK, NewWebhookView{Webhook: *w, Secret: secret})
}

// deliveries handles GET /api/v1/webhooks/:id/deliveries[?limit=N]: the
// delivery log, newest first, each delivery with its attempts.
func (h webhookAPI) deliveries(c echo.Context) error {
	if h.hooks == nil {
		return errNoWebhooks()
	}
	limit, err := queryLimit(c, webhooks.DefaultDeliveries, maxDeliveries)
	if err != nil {
		return err
	}
	ds, err := h.hooks.Deliveries(principal(c).Org.ID, c.Param("id"), limit)
	if err != nil {
		return webhookErr(err)
	}
	return c.JSON(http.StatusOK, listOf(ds))
}
