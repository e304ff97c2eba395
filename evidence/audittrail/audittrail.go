// Package audittrail keeps the organizations' audit trails: each
// organization's administrative acts (custody.AuditOrgCreated,
// custody.AuditKeyCreated, ...) form a chain of its own, hash-linked with
// the custody-event encoding and anchored in the same log as the items'
// custody chains. The chains are stored by the evidence service (the
// audit bucket, keyed organization ID ‖ n), which queues their events as
// leaves, submits their heads and checks them in the integrity audit;
// Trails records acts and reads trails through its kernel
// (evidence.AppendAuditOrStartTx, evidence.AuditEvents). A register that
// records an act in its own transaction appends with
// evidence.AppendAuditTx; a store of the same database that runs its own
// transaction appends with Trails.AppendAuditTx.
package audittrail

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence"
)

// Trails records and reads the organizations' audit trails in an
// evidence service's database.
type Trails struct{ ev *evidence.Service }

// New returns the audit trails kept by ev.
func New(ev *evidence.Service) *Trails { return &Trails{ev: ev} }

// AppendAudit appends an administrative act to an organization's audit
// chain (created by its first act, custody.AuditOrgCreated), which is
// hash-linked and anchored like a custody chain.
func (t *Trails) AppendAudit(ctx context.Context, org, actor, typ, subject string) (*custody.Event, error) {
	if len(org) != 26 || !custody.IsAudit(typ) {
		return nil, fmt.Errorf("evidence: audit event %q for org %q", typ, org)
	}
	e := &custody.Event{V: custody.EventVersion, Evidence: org, Type: typ, Time: custody.FormatTime(t.ev.Now()), Actor: actor, Subject: subject}
	err := t.ev.Update(func(tx *bolt.Tx) error {
		return evidence.AppendAuditOrStartTx(tx, e)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// AppendAuditTx appends an administrative act to an organization's audit
// chain, as AppendAudit does, in tx: a write transaction of the evidence
// service's database in which the store that keeps the act writes it
// (access.Store, webhooks.Service, through their ...Within methods). The
// act and its audit event are then committed together or not at all; an
// error here undoes the act.
func (t *Trails) AppendAuditTx(tx *bolt.Tx, org, actor, typ, subject string) (*custody.Event, error) {
	if len(org) != 26 || !custody.IsAudit(typ) {
		return nil, fmt.Errorf("evidence: audit event %q for org %q", typ, org)
	}
	if err := t.ev.Join(tx); err != nil {
		return nil, err
	}
	e := &custody.Event{V: custody.EventVersion, Evidence: org, Type: typ, Time: custody.FormatTime(t.ev.Now()), Actor: actor, Subject: subject}
	if err := evidence.AppendAuditOrStartTx(tx, e); err != nil {
		return nil, err
	}
	return e, nil
}

// AuditTrail returns an organization's audit chain.
func (t *Trails) AuditTrail(ctx context.Context, org string) ([]*custody.Event, error) {
	var out []*custody.Event
	err := t.ev.View(func(tx *bolt.Tx) (err error) {
		out, err = evidence.AuditEvents(tx, org)
		return err
	})
	return out, err
}
