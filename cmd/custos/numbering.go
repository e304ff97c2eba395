package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/custos-project/custos/access"
	"github.com/custos-project/custos/anchor"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/copyright"
)

// Timing of numberCopyrights.
const (
	numberPoll   = 100 * time.Millisecond // while registrations wait for their numbers
	numberIdle   = 2 * time.Second        // while none does
	numberResend = 3 * time.Second        // before submitting a registration again
	// A registration waits for its organization to enter the directory
	// (registerOrgs) before it is filed without it: numberOrgWait and
	// numberOrgBlocks more blocks, so that a chain that stops making
	// blocks (a disk slow to sync, a halt) does not make it give up
	// while the organization's own entry waits in the mempool; and at
	// most numberOrgWaitMax, so that one whose entry the chain never takes
	// on a chain with nothing else to do is filed all the same. One whose
	// name the directory gives another organization is filed without it
	// at once: it cannot enter under that name.
	numberOrgWait    = 10 * time.Second
	numberOrgBlocks  = 4
	numberOrgWaitMax = 2 * time.Minute
)

// orgWait is when, and at which chain height, a registration was first
// seen waiting for its organization to enter the directory.
type orgWait struct {
	at     time.Time
	height int64
}

// over reports whether a registration that has waited since w gives up
// on its organization at time now and chain height height.
func (w orgWait) over(now time.Time, height int64) bool {
	waited := now.Sub(w.at)
	return waited >= numberOrgWaitMax || waited >= numberOrgWait && height-w.height >= numberOrgBlocks
}

// numberCopyrights keeps the consortium's copyright register (chain state
// version 5) in step with this node's registrations: it files each one
// the register does not hold (pending ones, and from an upgrade those
// numbered before it, with their legacy numbers), and hands the entry the
// chain made back to the register (copyright.Register.Numbered), which
// gives a pending registration its number; and it files revocations. A registration is filed with
// its registrant organization once the directory lists it as this
// member's (an operator's at once; one whose name the directory gives
// another organization at once, without it; any other after the wait
// orgWait.over allows, without it). wake tells it of a new registration.
func numberCopyrights(ctx context.Context, ch *anchor.Chain, crs *copyright.Register, orgs *access.Store, wake <-chan struct{}, log *slog.Logger) {
	sent := map[string]time.Time{} // registration ID → last submitted
	first := map[string]orgWait{}  // registration ID → first seen waiting for its organization
	commits := &commitSent{}       // the commitments last sent (state version 12)
	wait := numberIdle
	reconciled := false
	var block <-chan struct{} // the next block, while registrations wait
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-block:
		case <-time.After(wait):
		}
		wait, block = numberIdle, nil
		// Not while catching up: at an old height a registration would be
		// filed in an old format (whole, below state version 12), and an
		// organization's wait for its directory entry run out at once.
		if ch.Syncing() || ch.StateVersion() < anchor.StateV5 {
			continue
		}
		if !reconciled {
			// Once per start, caught up: revocations the register holds
			// that this node's store lost (a restore from a backup).
			if err := revokeAsRegistered(ctx, ch, crs, log); err != nil {
				log.Warn("copyright register: comparing this node's revocations with the register's; will retry", "err", err)
			} else {
				reconciled = true
			}
		}
		next := ch.NextBlock() // before the round: a block during it wakes the next
		n, err := numberRound(ctx, ch, crs, orgs, numberState{sent: sent, commits: commits, first: first}, log)
		var te *anchor.TxError
		switch {
		case errors.As(err, &te):
			log.Warn("copyright registration refused by the chain; will retry", "code", te.Code, "reason", te.Log)
		case err != nil && ctx.Err() == nil:
			log.Warn("copyright register; will retry", "err", err)
		}
		if n > 0 {
			wait, block = numberPoll, next
		}
	}
}

// revokeAsRegistered revokes here each registration this node holds
// unrevoked that the consortium's register holds revoked: the node's
// record of the revocation was lost (a restore from an older backup;
// docs/operations.md, "Recovering a member"). The registration's items
// get a copyright.revoked custody event by "node:<member>", and the
// reason says where the revocation came from; the original reason and
// actor are lost with the backup.
func revokeAsRegistered(ctx context.Context, ch *anchor.Chain, crs *copyright.Register, log *slog.Logger) error {
	ids, owners, err := crs.Unrevoked(ctx)
	if err != nil {
		return err
	}
	member := ch.Member()
	for i, id := range ids {
		e, ok, err := ch.Registration(member, id)
		if err != nil {
			return err
		}
		if !ok || e.RevokedHeight == 0 {
			continue
		}
		reason := fmt.Sprintf("revoked in the consortium's register at height %d; this node's record of the revocation was lost (a restore from a backup)", e.RevokedHeight)
		_, err = crs.RevokeCopyright(ctx, id, owners[i], "node:"+member, reason)
		if errors.Is(err, copyright.ErrNotOwner) || errors.Is(err, evidence.ErrNotFound) {
			continue // transferred or gone since the list: the next start looks again
		}
		if err != nil {
			return err
		}
		log.Warn("copyright registration revoked again: the consortium's register holds it revoked, this node's store did not (restored from a backup?)",
			"id", id, "number", e.Display(), "revoked_height", e.RevokedHeight)
	}
	return nil
}

// numberState is what numberCopyrights remembers between rounds.
type numberState struct {
	sent    map[string]time.Time // registration ID → last submitted
	commits *commitSent          // the commitments last sent
	first   map[string]orgWait   // registration ID → first seen waiting for its organization
}

// numberRound does one round of numberCopyrights and returns how many
// registrations still wait. It sees the anchor.MaxRegistrations earliest
// registered of those that wait (Unregistered lists legacy ones first,
// then the rest in the order they were registered), so that one
// registered later never goes before an earlier one left out of the
// round. Registrations numbered before the register (legacy) are filed
// first, all the round sees, in ID order; then the pending ones, in the order
// they were registered, since the register's order is their priority:
// below state version 12 by filing them in that order
// (registrationRuns); from 12 by committing to them in that order, legacy
// ones first, and filing each once its commitment is final (commitRound).
// While the chain is about to move to 12 new registrations wait for it.
func numberRound(ctx context.Context, ch *anchor.Chain, crs *copyright.Register, orgs *access.Store,
	st numberState, log *slog.Logger) (int, error) {
	sent, first := st.sent, st.first
	todo, err := crs.Unregistered(ctx, anchor.MaxRegistrations)
	if err != nil {
		return 0, err
	}
	member := ch.Member()
	now := time.Now()
	v12 := ch.StateVersion() >= anchor.StateV12
	var submit []anchor.Registration
	var pending []copyright.Unregistered
	waiting, legacy := 0, false
	// ready tells whether u may be filed now, and with which registrant
	// organization: not while it was just sent, nor (for the wait
	// orgWait.over allows) while its organization is not in the
	// directory yet.
	height := ch.Height()
	ready := func(u copyright.Unregistered) (string, bool) {
		if t, ok := sent[u.ID]; ok && now.Sub(t) < numberResend {
			return "", false
		}
		org, ok := registrantOrg(ch, orgs, member, u.Org)
		if ok {
			return org, true
		}
		if nameTaken(ch, orgs, u.Org) {
			return "", true
		}
		w, ok := first[u.ID]
		if !ok {
			w = orgWait{at: now, height: height}
			first[u.ID] = w
		}
		return "", w.over(now, height)
	}
	for _, u := range todo {
		e, ok, err := ch.Registration(member, u.ID)
		if err != nil {
			return 0, err
		}
		if u.Revoked && len(u.Files) == 0 { // a revocation of a registration in the register
			if ok && e.RevokedHeight != 0 {
				if err := crs.RevocationFiled(ctx, u.ID); err != nil {
					return 0, err
				}
				delete(sent, u.ID)
				continue
			}
			waiting++
			// The chain finds the entry under any key the member ran,
			// as Registration does (docs/governance.md).
			if t, sentAt := sent[u.ID]; !ok || sentAt && now.Sub(t) < numberResend {
				continue // not in the register yet (the chain would refuse it), or just sent
			}
			submit = append(submit, anchor.Registration{ID: u.ID, Revoked: true})
			continue
		}
		if ok {
			c, err := crs.Numbered(ctx, u.ID, e.Display(), e.Height)
			if err != nil {
				return 0, err
			}
			if c != nil {
				log.Info("copyright registration numbered", "id", c.ID, "number", c.Number, "height", e.Height)
			}
			if u.Revoked && e.RevokedHeight != 0 {
				if err := crs.RevocationFiled(ctx, u.ID); err != nil {
					return 0, err
				}
			}
			delete(sent, u.ID)
			delete(first, u.ID)
			continue
		}
		waiting++
		if u.Number == "" || v12 {
			pending = append(pending, u) // from 12 legacy ones too: committed first
			continue
		}
		legacy = true
		if org, ok := ready(u); ok {
			r, err := registration(u, org)
			if err != nil {
				return 0, err
			}
			submit = append(submit, r)
		}
	}
	// One transaction lists its registrations by increasing ID: the legacy
	// ones and revocations go in one, in ID order; the pending ones in
	// runs, each its own transaction, sent in their order, which the
	// mempool keeps, so that the register takes them in the order they
	// were registered.
	var txs [][]anchor.Registration
	if len(submit) > 0 {
		slices.SortFunc(submit, func(a, b anchor.Registration) int { return strings.Compare(a.ID, b.ID) })
		txs = append(txs, submit)
	}
	switch {
	case v12:
		reveal, err := commitRound(ctx, ch, pending, ready, st.commits, now)
		if err != nil {
			return waiting, err
		}
		if len(reveal) > 0 {
			txs = append(txs, reveal)
		}
	case legacy: // a member's legacy registrations come before its pending ones
	case upgradingTo12(ch):
		// Filed now, a registration's fingerprints would be in every
		// mempool with no commitment to hold its place, and one not in
		// a block by the upgrade height would be refused there: it waits
		// for version 12 (review of session 20, R3).
	default:
		runs, err := registrationRuns(pending, ready)
		if err != nil {
			return 0, err
		}
		txs = append(txs, runs...)
	}
	for _, regs := range txs {
		for _, r := range regs {
			sent[r.ID] = now // sent again only after numberResend, refused or not
		}
		err := ch.RegisterCopyrights(ctx, regs)
		var te *anchor.TxError
		if v12 && len(regs) > 1 && errors.As(err, &te) {
			// One refused registration (a legacy number filed twice)
			// must not hold back the others filed with it: each alone.
			// Their places are their commitments', whatever the order.
			for _, r := range regs {
				if err := ch.RegisterCopyrights(ctx, []anchor.Registration{r}); err != nil {
					log.Warn("copyright registration refused by the chain; will retry", "id", r.ID, "err", err)
				}
			}
			continue
		}
		if err != nil {
			// The rest waits: in time order behind these, which are not
			// ready until numberResend has passed.
			return waiting, err
		}
	}
	return waiting, nil
}

// upgradingTo12 reports whether the chain, below state version 12, will
// move to 12 or later (an upgrade more than 2/3 of the power voted for).
func upgradingTo12(ch *anchor.Chain) bool {
	_, plans, err := ch.UpgradeStatus()
	if err != nil {
		return false
	}
	for _, p := range plans {
		if p.Version >= anchor.StateV12 && p.WillHappen {
			return true
		}
	}
	return false
}

// registrationRuns is what of pending (registrations the register does
// not hold, without legacy numbers) to file now, as transactions to send
// in this order: the register's order is their priority, and a
// transaction lists its registrations in increasing ID order (random IDs,
// not in time order), so it takes them in the order they were registered
// (then by ID), cut into runs of increasing IDs, each a transaction, and
// stops at the first that is not ready (ready: with the organization to
// file it with; not just sent). The next round files the rest once these
// are in the register (until then each is just sent, and so not ready).
func registrationRuns(pending []copyright.Unregistered, ready func(copyright.Unregistered) (string, bool)) ([][]anchor.Registration, error) {
	pending = slices.Clone(pending)
	slices.SortFunc(pending, func(a, b copyright.Unregistered) int {
		return cmp.Or(a.RegisteredAt.Compare(b.RegisteredAt), strings.Compare(a.ID, b.ID))
	})
	var runs [][]anchor.Registration
	for _, u := range pending {
		org, ok := ready(u)
		if !ok {
			break
		}
		r, err := registration(u, org)
		if err != nil {
			return nil, err
		}
		if n := len(runs); n == 0 || u.ID <= runs[n-1][len(runs[n-1])-1].ID {
			runs = append(runs, nil)
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], r)
	}
	return runs, nil
}

// commitRound commits, at state version 12, to the registrations that
// wait (pending ones and legacy ones, none in the register) whose
// commitments the register does not hold, legacy ones first, then in the
// order they were registered (then by ID): one transaction for all, which
// the register gives places in that order. It sends every such
// commitment each time, the earlier ones again until they are final (the
// chain skips those it holds), so that a later registration's commitment
// never goes without an earlier one (review of session 20, R6); the same
// list is sent again only after numberResend. It returns those whose
// commitments are final and that are ready, in ID order, to file in one
// transaction.
func commitRound(ctx context.Context, ch *anchor.Chain, pending []copyright.Unregistered,
	ready func(copyright.Unregistered) (string, bool), sent *commitSent, now time.Time) ([]anchor.Registration, error) {
	pending = slices.Clone(pending)
	slices.SortFunc(pending, func(a, b copyright.Unregistered) int {
		return cmp.Or(cmp.Compare(legacyRank(a), legacyRank(b)), a.RegisteredAt.Compare(b.RegisteredAt), strings.Compare(a.ID, b.ID))
	})
	member := ch.Member()
	var commits [][32]byte
	var reveal []anchor.Registration
	for _, u := range pending {
		r, err := registration(u, "")
		if err != nil {
			return nil, err
		}
		c := anchor.RegCommitment(r.ID, r.Files)
		_, ok, err := ch.Commitment(member, c)
		if err != nil {
			return nil, err
		}
		if !ok {
			commits = append(commits, c)
			continue
		}
		if org, ok := ready(u); ok {
			r.Org = org
			reveal = append(reveal, r)
		}
	}
	if len(commits) > 0 {
		h := sha256.New()
		for _, c := range commits {
			h.Write(c[:])
		}
		var key [32]byte
		h.Sum(key[:0])
		if key != sent.list || now.Sub(sent.at) >= numberResend {
			sent.list, sent.at = key, now
			if err := ch.CommitRegistrations(ctx, commits); err != nil {
				return reveal, err
			}
		}
	}
	slices.SortFunc(reveal, func(a, b anchor.Registration) int { return strings.Compare(a.ID, b.ID) })
	return reveal, nil
}

// commitSent is the commitment list commitRound last sent, by its
// SHA-256, and when.
type commitSent struct {
	list [32]byte
	at   time.Time
}

// legacyRank orders legacy registrations before pending ones.
func legacyRank(u copyright.Unregistered) int {
	if u.Number != "" {
		return 0
	}
	return 1
}

// nameTaken reports whether the directory gives org's name to another
// organization (api.DirectoryStatus's conflict), so that org cannot
// enter it under that name.
func nameTaken(ch *anchor.Chain, orgs *access.Store, org string) bool {
	o, err := orgs.Org(org)
	if err != nil {
		return false
	}
	holder, taken, err := ch.OrgByName(o.Name)
	return err == nil && taken && holder.ID != o.ID
}

// registration is u as a registration transaction carries it, with
// registrant organization org.
func registration(u copyright.Unregistered, org string) (anchor.Registration, error) {
	r := anchor.Registration{ID: u.ID, Org: org, Legacy: u.Number, Revoked: u.Revoked}
	for _, f := range u.Files {
		var rf anchor.RegFile
		b, err := hex.DecodeString(f.SHA256)
		if err != nil || len(b) != 32 {
			return r, errors.New("copyright register: a fingerprint is not a SHA-256")
		}
		copy(rf.SHA256[:], b)
		if f.PHash != nil {
			rf.PHash, rf.HasPHash = uint64(*f.PHash), true
		}
		r.Files = append(r.Files, rf)
	}
	return r, nil
}

// registrantOrg is the organization a registration is filed with: org if
// the directory lists it as this member's (ready), "" at once for the
// operator organization (which is the member itself and not in the
// directory), and not ready while the directory does not list it yet.
func registrantOrg(ch *anchor.Chain, orgs *access.Store, member, org string) (string, bool) {
	// The chain checks the registration against the member, under any
	// key it ran: Org gives the member's current node member ID, compared
	// with this node's (CurrentNode: it may run a key rotated since).
	if e, ok, err := ch.Org(org); err == nil && ok {
		if cur, _, err := ch.App.CurrentNode(member); err == nil && e.Member == cur {
			return org, true
		}
	}
	if o, err := orgs.Org(org); err == nil && o.Kind == access.KindOperator {
		return "", true
	}
	return "", false
}
