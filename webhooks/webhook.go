package webhooks

import (
	"bytes"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/custos-project/custos/internal/problem"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/internal/text"
)

// Webhook is a URL registered by an organization to receive some events.
// Its secret is not part of it: it is shown once, by Create.
type Webhook struct {
	ID        string    `json:"id"`
	Org       string    `json:"org"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"` // the creating (or adopting) actor, "<org id>:<key id>"
	// Paused: deliveries are queued but not made, because the key named
	// by CreatedBy is not active (Config.CreatorActive); a key of the
	// organization adopts the webhook to resume them (Adopt). The
	// service sets it when it answers; the stored value means nothing.
	Paused bool `json:"paused"`
	// PausedReason says why, while Paused: PausedCreatorInactive.
	PausedReason string `json:"paused_reason,omitempty"`
}

// PausedCreatorInactive is Webhook.PausedReason of a webhook whose
// creator key is revoked, expired or gone.
const PausedCreatorInactive = "creator key inactive"

// withStatus is w with Paused and PausedReason as they are now. It may
// read DB (Config.CreatorActive): call it outside every transaction.
func (s *Service) withStatus(w Webhook) Webhook {
	w.Paused, w.PausedReason = false, ""
	if !s.creatorActive(w.CreatedBy) {
		w.Paused, w.PausedReason = true, PausedCreatorInactive
	}
	return w
}

// storedHook is a webhook as kept: with its secret, which signs
// deliveries, sealed under the node's seal key (see seal.go).
type storedHook struct {
	Webhook
	// Secret is the secret in clear, as versions before session 14 kept
	// it; SealSecrets seals it at the first start and clears it.
	Secret string `json:"secret,omitempty"`
	// Sealed is the secret sealed: version ‖ nonce ‖ AES-256-GCM.
	Sealed []byte `json:"sealed_secret,omitempty"`
}

// Input creates a webhook.
type Input struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

// Limits on webhooks.
const (
	MaxPerOrg = 20   // webhooks of one organization
	MaxURLLen = 2048 // bytes of a webhook URL
)

// Create registers a webhook of org, created by actor, and returns it with
// its secret. The secret is returned this once and never again. Bad input
// wraps ErrBadInput.
func (s *Service) Create(org, actor string, in Input) (*Webhook, string, error) {
	return s.CreateWithin(org, actor, in, nil)
}

// CreateWithin registers a webhook as Create does and, if within is not
// nil, calls it in the same transaction once the webhook is stored: an
// error from within undoes the registration. The API appends the
// webhook.created audit event there, so that no webhook exists unaudited.
func (s *Service) CreateWithin(org, actor string, in Input, within func(tx *bolt.Tx, w *Webhook) error) (*Webhook, string, error) {
	if org == "" || strings.Contains(org, "/") {
		return nil, "", problem.Refuse(ErrBadInput, "webhook.org", "org", org)
	}
	if err := s.checkURL(in.URL); err != nil {
		return nil, "", err
	}
	events, err := checkEvents(in.Events)
	if err != nil {
		return nil, "", err
	}
	secret := newSecret()
	h := &storedHook{Webhook: Webhook{ID: newID(), Org: org, URL: in.URL, Events: events, CreatedAt: s.now(), CreatedBy: actor}}
	if h.Sealed, err = sealSecret(s.cfg.Sealer, org, h.ID, secret); err != nil {
		return nil, "", err
	}
	s.countSubs(events, 1)
	err = s.db.Update(func(tx *bolt.Tx) error {
		if n := len(hooksOf(tx, org)); n >= MaxPerOrg {
			return problem.Refuse(ErrBadInput, "webhook.too-many", "max", MaxPerOrg)
		}
		if err := putJSON(tx.Bucket(bHooks), hookKey(org, h.ID), h); err != nil {
			return err
		}
		if within == nil {
			return nil
		}
		w := h.Webhook
		return within(tx, &w)
	})
	if err != nil {
		s.countSubs(events, -1)
		return nil, "", err
	}
	w := h.Webhook
	return &w, secret, nil
}

// checkURL accepts an absolute http or https URL without credentials or
// fragment. Without Config.AllowPrivate, an IP literal must be public,
// "localhost" is refused, and so is a host that some resolvers read as an
// IPv4 address in another notation ("127.1", "2130706433", "0x7f.0.0.1").
// Names are checked again, on the resolved address, when connecting.
func (s *Service) checkURL(raw string) error {
	bad := func(id string, kv ...any) error { return problem.Refuse(ErrBadInput, id, kv...) }
	if len(raw) > MaxURLLen {
		return bad("webhook.url-long", "max", MaxURLLen)
	}
	if err := text.CheckVisible("url", raw); err != nil {
		return fmt.Errorf("%w: %w", ErrBadInput, err)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return bad("webhook.url-parse")
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("webhook.url-scheme")
	case u.Host == "" || u.Hostname() == "":
		return bad("webhook.url-host")
	case u.User != nil:
		return bad("webhook.url-credentials")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return bad("webhook.url-fragment")
	}
	if s.cfg.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if why := notPublic(a); why != "" {
			return bad("webhook.url-private", "why", why)
		}
		return nil
	}
	if numericHost(host) {
		return bad("webhook.url-numeric")
	}
	if h := strings.ToLower(strings.TrimSuffix(host, ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return bad("webhook.url-localhost")
	}
	return nil
}

// checkEvents accepts a non-empty subset of Events, in any order, and
// returns it in canonical order without repeats.
func checkEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, problem.Refuse(ErrBadInput, "webhook.events-none", "events", strings.Join(Events, ", "))
	}
	for _, e := range events {
		if !slices.Contains(Events, e) {
			return nil, problem.Refuse(ErrBadInput, "webhook.event-unknown", "event", e, "events", strings.Join(Events, ", "))
		}
	}
	var out []string
	for _, e := range Events {
		if slices.Contains(events, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

// List returns org's webhooks, oldest first.
func (s *Service) List(org string) ([]Webhook, error) {
	var hooks []*storedHook
	err := s.db.View(func(tx *bolt.Tx) error {
		hooks = hooksOf(tx, org)
		return nil
	})
	out := make([]Webhook, 0, len(hooks))
	for _, h := range hooks {
		out = append(out, s.withStatus(h.Webhook))
	}
	slices.SortFunc(out, func(a, b Webhook) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, err
}

// Get returns one of org's webhooks; ErrNotFound if org has none with id.
func (s *Service) Get(org, id string) (*Webhook, error) {
	var h storedHook
	err := s.db.View(func(tx *bolt.Tx) error { return getHook(tx, org, id, &h) })
	if err != nil {
		return nil, err
	}
	w := s.withStatus(h.Webhook)
	return &w, nil
}

// Delete removes one of org's webhooks with its delivery log; pending
// deliveries to it are not made. ErrNotFound if org has no webhook id
// (another organization's webhook is not found either).
func (s *Service) Delete(org, id string) (*Webhook, error) {
	return s.DeleteWithin(org, id, nil)
}

// DeleteWithin removes a webhook as Delete does and, if within is not nil,
// calls it in the same transaction once the webhook is removed: an error
// from within undoes the removal, and the webhook stays with its delivery
// log. The API appends the webhook.deleted audit event there, so that no
// webhook disappears unaudited.
func (s *Service) DeleteWithin(org, id string, within func(tx *bolt.Tx, w *Webhook) error) (*Webhook, error) {
	var h storedHook
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := getHook(tx, org, id, &h); err != nil {
			return err
		}
		if err := tx.Bucket(bHooks).Delete(hookKey(org, id)); err != nil {
			return err
		}
		if err := dropLog(tx, id); err != nil || within == nil {
			return err
		}
		w := h.Webhook
		return within(tx, &w)
	})
	if err != nil {
		return nil, err
	}
	s.countSubs(h.Events, -1)
	w := s.withStatus(h.Webhook)
	return &w, nil
}

// Adopt makes actor, a key of org, the creator of org's webhook id, and
// returns the webhook with a new secret (see AdoptWithin).
func (s *Service) Adopt(org, id, actor string) (*Webhook, string, error) {
	return s.AdoptWithin(org, id, actor, nil)
}

// AdoptWithin makes actor, a key of org, the creator of org's webhook id
// (CreatedBy), so that the webhook is no longer paused while actor is
// active, and resumes its paused deliveries: they are due at once. It
// gives the webhook a new secret, returned this once as by Create, since
// whoever held the key that registered it knows the old one: every later
// attempt, of new deliveries and of those queued before, is signed with
// the new secret. If within is not nil, it is called in the same
// transaction: an error from within undoes the adoption (the API appends
// the webhook.adopted audit event there). ErrNotFound if org has no
// webhook id.
func (s *Service) AdoptWithin(org, id, actor string, within func(tx *bolt.Tx, w *Webhook) error) (*Webhook, string, error) {
	if !validID(id) || org == "" {
		return nil, "", ErrNotFound
	}
	secret := newSecret()
	sealed, err := sealSecret(s.cfg.Sealer, org, id, secret)
	if err != nil {
		return nil, "", err
	}
	var h storedHook
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := getHook(tx, org, id, &h); err != nil {
			return err
		}
		h.CreatedBy, h.Sealed, h.Secret = actor, sealed, ""
		h.Paused, h.PausedReason = false, ""
		if err := putJSON(tx.Bucket(bHooks), hookKey(org, id), &h); err != nil {
			return err
		}
		if err := resume(tx, id, s.now()); err != nil {
			return err
		}
		tx.OnCommit(s.wake)
		if within == nil {
			return nil
		}
		w := h.Webhook
		return within(tx, &w)
	})
	if err != nil {
		return nil, "", err
	}
	w := s.withStatus(h.Webhook)
	return &w, secret, nil
}

func getHook(tx *bolt.Tx, org, id string, h *storedHook) error {
	if !validID(id) || org == "" {
		return ErrNotFound
	}
	return getJSON(tx.Bucket(bHooks), hookKey(org, id), h)
}

// hooksOf returns org's webhooks, in key order. A value that does not
// decode is skipped (and cannot be: only this package writes them).
func hooksOf(tx *bolt.Tx, org string) []*storedHook {
	var out []*storedHook
	prefix := hookKey(org, "")
	c := tx.Bucket(bHooks).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		var h storedHook
		if getJSON(tx.Bucket(bHooks), k, &h) == nil {
			out = append(out, &h)
		}
	}
	return out
}

// dropLog deletes every delivery of webhook id, pending or done.
func dropLog(tx *bolt.Tx, id string) error {
	logs, dels := tx.Bucket(bLog), tx.Bucket(bDeliveries)
	var keys [][]byte
	c := logs.Cursor()
	for k, _ := c.Seek([]byte(id)); k != nil && bytes.HasPrefix(k, []byte(id)); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		did := string(k[idLen+8:])
		var r record
		if err := getJSON(dels, []byte(did), &r); err == nil && r.NextAttemptAt != nil {
			if err := tx.Bucket(bDue).Delete(dueKey(r.Org, *r.NextAttemptAt, did)); err != nil {
				return err
			}
		}
		if r.State == StatePending && r.NextAttemptAt != nil { // a parked one is not counted (park)
			if err := addPending(tx, r.Org, -1); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bParked).Delete(parkKey(id, did)); err != nil {
			return err
		}
		if err := dels.Delete([]byte(did)); err != nil {
			return err
		}
		if err := logs.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// numericHost reports whether host, which is not an IP address in standard
// notation, ends in an all-numeric or hexadecimal label: inet_aton and
// getaddrinfo read such hosts as IPv4 addresses, and no top-level domain
// is numeric (RFC 3696 §2).
func numericHost(host string) bool {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := strings.ToLower(labels[len(labels)-1])
	if strings.HasPrefix(last, "0x") {
		return true
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}
