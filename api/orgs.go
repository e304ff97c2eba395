package api

import (
	"errors"
	"fmt"
	"net/http"

	prob "github.com/custos-project/custos/internal/problem"

	"github.com/labstack/echo/v4"
	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/api/wire"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/internal/names"
	"github.com/custos-project/custos/internal/text"
)

// NewKeyView answers a key creation: the token is shown this once.
type NewKeyView struct {
	Key   access.Key `json:"key"`
	Token string     `json:"token"`
}

// OrgView is an organization as the org endpoints show it: on a
// consortium node, with where it stands in the consortium's directory.
type OrgView struct {
	access.Org
	Directory *wire.OrgDirectory `json:"directory,omitempty"`
}

// MeView describes the caller.
type MeView struct {
	Key         access.Key          `json:"key"`
	Org         access.Org          `json:"org"`
	Permissions []access.Permission `json:"permissions"`
}

func accessErr(err error) error {
	var te *text.Error
	switch {
	case errors.As(err, &te):
		return err // 400 invisible-character (toProblem)
	case errors.Is(err, access.ErrNotFound):
		return errGone("no-org-or-key")
	case errors.Is(err, access.ErrLastAdmin):
		return problem(http.StatusConflict, "last-admin-key", prob.M("title.last-admin-key"), prob.M("last-admin-key"))
	case errors.Is(err, access.ErrBadInput):
		return problem(http.StatusUnprocessableEntity, "invalid-input", prob.M("title.invalid-input"), reason(err, access.ErrBadInput))
	}
	return err
}

// auditTx records an administrative act in the organization's audit chain
// in tx, the transaction that writes the act: the act and its audit event
// are committed together or not at all.
func (s *Server) auditTx(c echo.Context, tx *bolt.Tx, org, typ, subject string) error {
	_, err := s.trails.AppendAuditTx(tx, org, principal(c).Actor(), typ, subject)
	return err
}

// createOrg reads POST /api/v1/orgs for the Idempotency-Key layer. The
// organization, the start of its audit chain (org.created), its first
// setting and, with a key, the answer are one transaction: no crash
// leaves the organization without its answer (the retry gets it instead
// of making a second organization). Its fingerprint is the JSON
// endpoints' (the body bytes).
func (s *Server) createOrg(c echo.Context) (*request, error) {
	if err := s.awaitSynced(c.Request().Context()); err != nil {
		return nil, err
	}
	b, err := readJSONObject(c)
	if err != nil {
		return nil, err
	}
	var in wire.OrgInput
	if err := decodeStrict(b, &in); err != nil {
		return nil, err
	}
	return &request{kind: "json", identify: func() ([]byte, error) { return b, nil },
		create: func(keep keepFunc) (*answer, error) {
			// The name is checked only when the request is acted on: a
			// retry whose answer is stored is replayed even once the
			// directory lists the name it took.
			if in.Kind != access.KindOperator {
				if err := s.checkNameFree(in.Name, ""); err != nil {
					return nil, err
				}
			}
			var a *answer
			_, err := s.orgs.CreateOrgWithin(in.Kind, in.Name, access.Settings{UnlistedByDefault: in.UnlistedByDefault}, func(tx *bolt.Tx, o *access.Org) error {
				if err := s.auditTx(c, tx, o.ID, custody.AuditOrgCreated, "kind:"+o.Kind); err != nil {
					return err
				}
				if o.UnlistedByDefault {
					if err := s.auditTx(c, tx, o.ID, custody.AuditOrgUpdated, unlistedSubject(true)); err != nil {
						return err
					}
				}
				v, err := s.orgView(*o)
				if err != nil {
					return err
				}
				if a, err = jsonAnswer(http.StatusCreated, v, "/api/v1/orgs/"+o.ID); err != nil || keep == nil {
					return err
				}
				return keep(tx, a)
			})
			if err != nil {
				return nil, accessErr(err)
			}
			return a, nil
		}}, nil
}

// checkNameFree refuses a name the consortium's directory lists for
// another organization than id: names are unique consortium-wide (the
// directory's first registration keeps a name; a race with another member
// is told to the organization that loses it, see registerOrgs in
// cmd/custos). It then refuses a look-alike (checkNotLookAlike).
func (s *Server) checkNameFree(name, id string) error {
	if s.directory != nil {
		e, taken, err := s.directory.OrgByName(name)
		if err != nil {
			return err
		}
		if taken && e.ID != id {
			return problem(http.StatusConflict, "name-taken", prob.M("title.name-taken"),
				prob.M("name-taken", "name", e.Name, "id", e.ID, "member", orUnknown(s.memberName(e.Member), e.Member)))
		}
	}
	return s.checkNotLookAlike(name, id)
}

// checkNotLookAlike refuses a name that looks like the name of another
// organization than id, on this node or in the consortium's directory:
// the same confusable skeleton (Unicode TS #39, internal/names) under a
// different NameKey, such as "Hangzh0u Internet Court" beside "Hangzhou
// Internet Court". This is the node's policy only: the chain compares names
// by NameKey, so another member's software may still register a look-alike
// (docs/threat-model.md).
func (s *Server) checkNotLookAlike(name, id string) error {
	key, skel := anchor.NameKey(name), names.Skeleton(name)
	lookAlike := func(other string) bool { return anchor.NameKey(other) != key && names.Skeleton(other) == skel }
	confusable := func(other, otherID, member string) error {
		return problem(http.StatusConflict, "name-confusable", prob.M("title.name-confusable"),
			prob.M("name-confusable", "name", name, "other", other, "id", otherID, "member", member))
	}
	if s.directory != nil {
		entries, err := s.directory.Orgs()
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.ID != id && lookAlike(e.Name) {
				return confusable(e.Name, e.ID, orUnknown(s.memberName(e.Member), e.Member))
			}
		}
	}
	local, err := s.orgs.Orgs()
	if err != nil {
		return err
	}
	for _, o := range local {
		if o.ID != id && lookAlike(o.Name) {
			return confusable(o.Name, o.ID, "this node")
		}
	}
	return nil
}

// updateOrg changes an organization's name or settings (PATCH, admin).
// Each change is recorded in its audit chain (org.renamed, org.updated) in
// the transaction that writes it.
func (s *Server) updateOrg(c echo.Context) error {
	if err := s.awaitSynced(c.Request().Context()); err != nil {
		return err
	}
	var in wire.OrgPatch
	if err := bindStrict(c, &in); err != nil {
		return err
	}
	if in.Name == nil && in.UnlistedByDefault == nil {
		return errInvalid("org-patch")
	}
	id, err := s.orgParam(c)
	if err != nil {
		return err
	}
	cur, err := s.orgs.Org(id)
	if err != nil {
		return accessErr(err)
	}
	if in.Name != nil && cur.Kind != access.KindOperator {
		if err := s.checkNameFree(*in.Name, id); err != nil {
			return err
		}
	}
	_, after, err := s.orgs.UpdateOrgWithin(id, access.OrgPatch{Name: in.Name, UnlistedByDefault: in.UnlistedByDefault}, func(tx *bolt.Tx, before, after *access.Org) error {
		if after.Name != before.Name {
			if err := s.auditTx(c, tx, id, custody.AuditOrgRenamed, "name:"+after.Name); err != nil {
				return err
			}
		}
		if after.UnlistedByDefault != before.UnlistedByDefault {
			return s.auditTx(c, tx, id, custody.AuditOrgUpdated, unlistedSubject(after.UnlistedByDefault))
		}
		return nil
	})
	if err != nil {
		return accessErr(err)
	}
	v, err := s.orgView(*after)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// unlistedSubject is the subject of an org.updated event that sets
// unlisted_by_default.
func unlistedSubject(on bool) string { return fmt.Sprintf("unlisted_by_default:%t", on) }

// orgView adds to o where it stands in the consortium's directory.
func (s *Server) orgView(o access.Org) (OrgView, error) {
	v := OrgView{Org: o}
	if s.directory == nil {
		return v, nil
	}
	d, err := DirectoryStatus(s.directory, o)
	if d != nil && d.HolderMember != "" {
		d.HolderMemberName = s.memberName(d.HolderMember)
	}
	v.Directory = d
	return v, err
}

// DirectoryStatus is where o stands in the consortium's directory d:
// registered as it is, pending (not yet, or not as it is now), or in
// conflict (another organization holds its name). It is nil for the
// operator organization, which the directory does not list: the member
// itself is in the trust bundle.
func DirectoryStatus(d Directory, o access.Org) (*wire.OrgDirectory, error) {
	if o.Kind == access.KindOperator {
		return nil, nil
	}
	e, ok, err := d.Org(o.ID)
	if err != nil {
		return nil, err
	}
	if ok && e.Name == o.Name && e.Kind == o.Kind {
		return &wire.OrgDirectory{Status: wire.DirectoryRegistered, Height: e.Height}, nil
	}
	holder, taken, err := d.OrgByName(o.Name)
	if err != nil {
		return nil, err
	}
	if taken && holder.ID != o.ID {
		return &wire.OrgDirectory{Status: wire.DirectoryConflict, Holder: holder.ID, HolderMember: holder.Member}, nil
	}
	return &wire.OrgDirectory{Status: wire.DirectoryPending}, nil
}

func (s *Server) listOrgs(c echo.Context) error {
	orgs, err := s.orgs.Orgs()
	if err != nil {
		return err
	}
	out := make([]OrgView, len(orgs))
	for i, o := range orgs {
		if out[i], err = s.orgView(o); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, listOf(out))
}

// getOrg shows an organization to any authenticated caller that knows its
// ID: members need other organizations' names to share with them.
func (s *Server) getOrg(c echo.Context) error {
	id, err := s.orgParam(c)
	if err != nil {
		return err
	}
	o, err := s.orgs.Org(id)
	if err != nil {
		return accessErr(err)
	}
	v, err := s.orgView(*o)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) createKey(c echo.Context) error {
	var in wire.KeyInput
	if err := bindStrict(c, &in); err != nil {
		return err
	}
	org, err := s.orgParam(c)
	if err != nil {
		return err
	}
	token, k, err := s.orgs.CreateKeyWithin(org, access.Role(in.Role), in.Name, in.ExpiresAt, func(tx *bolt.Tx, k *access.Key) error {
		return s.auditTx(c, tx, org, custody.AuditKeyCreated, "key:"+k.ID+":"+string(k.Role))
	})
	if err != nil {
		return accessErr(err)
	}
	c.Response().Header().Set("Location", "/api/v1/keys/"+k.ID)
	return c.JSON(http.StatusCreated, NewKeyView{Key: *k, Token: token})
}

func (s *Server) listKeys(c echo.Context) error {
	org, err := s.orgParam(c)
	if err != nil {
		return err
	}
	if _, err := s.orgs.Org(org); err != nil {
		return accessErr(err)
	}
	keys, err := s.orgs.Keys(org)
	if err != nil {
		return err
	}
	if err := s.auditRead(c, org, custody.AuditKeysListed, fmt.Sprintf("keys:%d", len(keys))); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, listOf(keys))
}

// auditRead records on org's audit chain that the caller, an administrator
// of another organization (the operator: only its keys may be admin), read
// what subject names of it (A9 in docs/security.md). It is called once per
// request, after the read and before anything is shown: an event that
// cannot be recorded fails the request, and a chain read does not show
// its own read. A key's read of its own organization is not recorded, as
// no member's read of its own chain or keys is.
func (s *Server) auditRead(c echo.Context, org, typ, subject string) error {
	p := principal(c)
	if p.Org.ID == org {
		return nil
	}
	_, err := s.trails.AppendAudit(c.Request().Context(), org, p.Actor(), typ, subject)
	return err
}

func (s *Server) revokeKey(c echo.Context) error {
	// Revoking again changes nothing and is not audited again; a first
	// revocation and its key.revoked event are one transaction.
	k, err := s.orgs.RevokeKeyWithin(c.Param("id"), func(tx *bolt.Tx, k *access.Key) error {
		return s.auditTx(c, tx, k.OrgID, custody.AuditKeyRevoked, "key:"+k.ID)
	})
	if err != nil {
		return accessErr(err)
	}
	return c.JSON(http.StatusOK, k)
}

func (s *Server) me(c echo.Context) error {
	p := principal(c)
	v := MeView{Key: p.Key, Org: p.Org}
	for _, perm := range []access.Permission{access.PermAdmin, access.PermFile, access.PermRead, access.PermShare, access.PermWebhooks, access.PermCertify} {
		if p.Can(perm) {
			v.Permissions = append(v.Permissions, perm)
		}
	}
	return c.JSON(http.StatusOK, v)
}

// getAudit serves an organization's audit chain to an admin, or to the
// organization's own members. An admin's read of another organization's
// chain is recorded on it (auditRead); the chain shown is the one read,
// without that event.
func (s *Server) getAudit(c echo.Context) error {
	p := principal(c)
	org, err := s.orgParam(c)
	if err != nil {
		return err
	}
	if !p.Can(access.PermAdmin) && p.Org.ID != org {
		return errGone("no-org-or-key")
	}
	if _, err := s.orgs.Org(org); err != nil {
		return accessErr(err)
	}
	evs, err := s.trails.AuditTrail(c.Request().Context(), org)
	if err != nil {
		return err
	}
	if err := s.auditRead(c, org, custody.AuditChainRead, fmt.Sprintf("events:%d", len(evs))); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, wire.CustodyView{Evidence: org, Events: s.custodyEvents(evs)})
}
