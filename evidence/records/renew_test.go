package records

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/certs"
	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/ers"
	"github.com/custos-project/custos/evidence"
	"github.com/custos-project/custos/evidence/evidencetest"
	"github.com/custos-project/custos/notary"
)

// r0 is when the renewal tests' PKI is made; every clock is set from it.
var r0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// renewPKI is an in-memory root → notary CA that issues TSA certificates
// at times the test chooses: a TSA's certificate expiring, and the
// operator rotating it, without waiting years.
type renewPKI struct {
	org   *certs.Authority
	roots *x509.CertPool
}

func newRenewPKI(t testing.TB) *renewPKI {
	t.Helper()
	root, err := certs.NewRoot("Renewal Test Root", r0)
	if err != nil {
		t.Fatal(err)
	}
	org, err := root.NewOrgCA(certs.KindNotary, "Renewal Test Notary", r0)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	return &renewPKI{org: org, roots: roots}
}

// tsa is a built-in TSA on a certificate issued at issued (valid for
// certs.TSAValidity), whose clock reads at.
func (p *renewPKI) tsa(t testing.TB, name string, issued, at time.Time) (*notary.TSA, *x509.Certificate) {
	t.Helper()
	leaf, err := p.org.IssueTSA(name, issued)
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := notary.NewTSA(notary.TSAConfig{Cert: leaf.Cert, Chain: leaf.Chain, Signer: leaf.Signer, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	return tsa, leaf.Cert
}

// renewStore is an ersStore whose TSA and clock the test sets: TSA 1 is
// issued at r0 and the items are filed and given their records an hour
// later.
type renewStore struct {
	*ersStore
	pki    *renewPKI
	expiry time.Time // TSA 1's certificate's NotAfter
	recs   []*evidence.Record
	bodies []string
}

func newRenewStore(t *testing.T, batch, items int, renewal RenewalConfig) *renewStore {
	t.Helper()
	p := newRenewPKI(t)
	tsa, cert := p.tsa(t, "TSA 1", r0, r0.Add(time.Hour))
	st := &ersStore{t: t, path: filepath.Join(t.TempDir(), "t.db"), blobs: evidencetest.NewBlobs(), tsa: &countingTSA{tsa: tsa}, roots: p.roots,
		batch: batch, clock: r0.Add(time.Hour), renewal: renewal}
	st.open()
	t.Cleanup(func() { st.db.Close() })
	rs := &renewStore{ersStore: st, pki: p, expiry: cert.NotAfter}
	rs.recs, rs.bodies = st.file(items)
	st.final(2, rs.recs...)
	st.build(items, (items+batch-1)/batch)
	return rs
}

// at sets the service's clock and gives it a TSA of that clock: the
// certificate given, or a new one issued at issued (a rotation).
func (rs *renewStore) at(now time.Time, name string, issued time.Time) {
	rs.t.Helper()
	rs.clock = now
	rs.tsa.tsa, _ = rs.pki.tsa(rs.t, name, issued, now)
}

// renew runs Renew and checks the tokens it asked for.
func (rs *renewStore) renew(dry bool, tokens int) *RenewalRun {
	rs.t.Helper()
	before := rs.tsa.calls.Load()
	run, err := rs.k.Renew(context.Background(), RenewOptions{DryRun: dry, Actor: "node:test"})
	if err != nil {
		rs.t.Fatalf("Renew(dry run %v) = %v", dry, err)
	}
	if got := int(rs.tsa.calls.Load() - before); got != tokens {
		rs.t.Errorf("Renew(dry run %v) asked %d tokens, want %d (run %+v)", dry, got, tokens, run)
	}
	return run
}

// records returns the served record of every item.
func (rs *renewStore) records() []*ers.Record {
	rs.t.Helper()
	out := make([]*ers.Record, len(rs.recs))
	for i, r := range rs.recs {
		der, err := rs.k.EvidenceRecord(context.Background(), r.ID)
		if err != nil {
			rs.t.Fatalf("EvidenceRecord(%s) = %v", r.ID, err)
		}
		if out[i], err = ers.Decode(der); err != nil {
			rs.t.Fatalf("ers.Decode(record of %s) = %v", r.ID, err)
		}
	}
	return out
}

// hashes are the SHA-256 and SHA-512 of item i's bytes.
func (rs *renewStore) hashes(i int) ers.Hashes {
	a, b := sha256.Sum256([]byte(rs.bodies[i])), sha512.Sum512([]byte(rs.bodies[i]))
	return ers.Hashes{crypto.SHA256: a[:], crypto.SHA512: b[:]}
}

// verify checks every served record against its item's bytes, at now
// (zero: each time-stamp at the time it had to be valid).
func (rs *renewStore) verify(now time.Time) {
	rs.t.Helper()
	for i, r := range rs.records() {
		if _, err := ers.Verify(r, rs.hashes(i), ers.VerifyOptions{Roots: rs.roots, Now: now}); err != nil {
			rs.t.Errorf("ers.Verify(record of item %d, at %v) = %v", i, now, err)
		}
	}
}

// events counts the custody events of each type of item i.
func (rs *renewStore) events(i int) map[string][]string {
	rs.t.Helper()
	out := map[string][]string{}
	rs.db.View(func(tx *bolt.Tx) error {
		for _, b := range evidence.StoredEvents(tx, rs.recs[i].Seq) {
			e, err := custody.Decode(b)
			if err != nil {
				rs.t.Fatalf("custody.Decode = %v", err)
			}
			out[e.Type] = append(out[e.Type], e.Subject)
		}
		return nil
	})
	return out
}

func (rs *renewStore) status() *RenewalStatus {
	rs.t.Helper()
	st, err := rs.k.RenewalStatus()
	if err != nil {
		rs.t.Fatalf("RenewalStatus() = %v", err)
	}
	return st
}

// An item's evidence record survives its TSA's certificate expiry: inside
// renew_before the chain is due; renewing with the same TSA is refused
// (its certificate would not outlive the old one); once the operator
// rotates the TSA's certificate, one token renews both batches, the
// record verifies after the old certificate expired, and a second run
// renews nothing. A dry run before changes nothing.
func TestRenewTimeStampsBeforeExpiry(t *testing.T) {
	rs := newRenewStore(t, 3, 5, RenewalConfig{})
	if st := rs.status(); st.Current != (Count{2, 5}) || st.DueTimeStamp != (Count{}) {
		t.Errorf("status after the build = %+v, want 2 batches (5 items) current", st)
	}
	due := rs.expiry.Add(-100 * 24 * time.Hour) // inside the default 180 days
	rs.at(due, "TSA 1 again", r0)
	before := rs.records()
	if st := rs.status(); st.DueTimeStamp != (Count{2, 5}) || st.NextExpiry == nil || !st.NextExpiry.Equal(rs.expiry) {
		t.Errorf("status %v before expiry = %+v, want 2 batches (5 items) due, next expiry %v", due, st, rs.expiry)
	}
	run := rs.renew(true, 0)
	if run.TimeStamp != (RenewedCount{2, 5, 1}) || !run.DryRun {
		t.Errorf("dry run = %+v, want 2 batches, 5 items, 1 token", run)
	}
	same := func(what string) {
		t.Helper()
		for i, r := range rs.records() {
			if !bytes.Equal(r.Encode(), before[i].Encode()) {
				t.Errorf("%s changed the record of item %d", what, i)
			}
			if ev := rs.events(i); len(ev[EventTimeStampRenewed]) != 0 {
				t.Errorf("%s logged %v on item %d", what, ev[EventTimeStampRenewed], i)
			}
		}
	}
	same("a dry run")
	if st := rs.status(); st.LastRun != nil {
		t.Errorf("a dry run was recorded as the last run: %+v", st.LastRun)
	}
	// The TSA's certificate is the one that expires: renewing with it
	// would have to be done again at every run.
	tsa1, _ := rs.pki.tsa(t, "TSA 1", r0, due)
	rs.tsa.tsa = tsa1
	run = rs.renew(false, 1)
	if run.TimeStamp.Items != 0 || run.Blocked != (Count{2, 5}) || len(run.Errors) != 2 || !strings.Contains(run.Errors[0], "rotate the TSA certificate") {
		t.Errorf("renewal with the expiring TSA = %+v, want 2 batches blocked asking for a rotation", run)
	}
	same("a blocked renewal")
	// Outside checkers would refuse the records after the expiry.
	after := rs.expiry.Add(24 * time.Hour)
	for i, r := range before {
		if _, err := ers.Verify(r, rs.hashes(i), ers.VerifyOptions{Roots: rs.roots, Now: after}); !errors.Is(err, ers.ErrUntrusted) {
			t.Errorf("ers.Verify(unrenewed record %d, after the expiry) = %v, want ErrUntrusted", i, err)
		}
	}
	rs.at(due, "TSA 2", due.Add(-24*time.Hour)) // the operator rotates the TSA certificate
	run = rs.renew(false, 1)
	if run.TimeStamp != (RenewedCount{2, 5, 1}) || len(run.Errors) != 0 {
		t.Errorf("renewal = %+v, want 2 batches, 5 items, 1 token", run)
	}
	for i, r := range rs.records() {
		if len(r.Chains) != 1 || len(r.Chains[0]) != 2 {
			t.Errorf("record %d has chains of %v time-stamps, want one of 2", i, chainLens(r))
		}
		ev := rs.events(i)[EventTimeStampRenewed]
		if want := fmt.Sprintf("batch:%d:timestamp:1", 1+i/3); len(ev) != 1 || ev[0] != want {
			t.Errorf("item %d's renewal events = %v, want [%s]", i, ev, want)
		}
	}
	rs.verify(time.Time{})
	rs.verify(after)
	rs.renew(false, 0) // idempotent: nothing is due any more
	st := rs.status()
	if st.Current != (Count{2, 5}) || st.Renewed != (Count{2, 5}) || st.LastRun == nil || st.LastRun.TimeStamp.Items != 0 {
		t.Errorf("status after the renewal = %+v, want 2 batches current and renewed, a last run that renewed nothing", st)
	}
	for i := range rs.recs {
		if n := len(rs.events(i)[EventTimeStampRenewed]); n != 1 {
			t.Errorf("item %d has %d renewal events after the second run, want 1", i, n)
		}
	}
}

func chainLens(r *ers.Record) []int {
	var out []int
	for _, c := range r.Chains {
		out = append(out, len(c))
	}
	return out
}

// A retired hash algorithm: after SHA-256 is retired, each item gets a
// SHA-512 chain over its stored bytes and its earlier chains, one token
// per Config.Batch items; the record then needs the SHA-512 of the
// data to verify, and a second run renews nothing. Then the TSA's
// certificate of the new chain nears its expiry, and that chain's
// time-stamp is renewed in its turn.
func TestRenewHashTree(t *testing.T) {
	rs := newRenewStore(t, 3, 5, RenewalConfig{RetiredHashes: []string{"sha256"}})
	if st := rs.status(); st.DueHashTree != (Count{2, 5}) {
		t.Errorf("status with SHA-256 retired = %+v, want 2 batches (5 items) due for hash-tree renewal", st)
	}
	later := r0.Add(2 * 365 * 24 * time.Hour)
	rs.at(later, "TSA 2", later.Add(-time.Hour))
	if run := rs.renew(true, 0); run.HashTree != (RenewedCount{2, 5, 2}) {
		t.Errorf("dry run = %+v, want 5 items, 2 tokens", run.HashTree)
	}
	run := rs.renew(false, 2)
	if run.HashTree != (RenewedCount{2, 5, 2}) || len(run.Errors) != 0 {
		t.Errorf("renewal = %+v, want 5 items in 2 batches of 2 tokens", run)
	}
	for i, r := range rs.records() {
		if len(r.Chains) != 2 || r.Chains[1][0].Hash != crypto.SHA512 || len(r.DigestAlgorithms) != 2 {
			t.Errorf("record %d: chains %v of %v, want a second chain of SHA-512", i, chainLens(r), r.DigestAlgorithms)
		}
		sum := sha256.Sum256([]byte(rs.bodies[i]))
		if _, err := ers.Verify(r, ers.Hashes{crypto.SHA256: sum[:]}, ers.VerifyOptions{Roots: rs.roots}); !errors.Is(err, ers.ErrMissingHash) {
			t.Errorf("ers.Verify(record %d, SHA-256 only) = %v, want ErrMissingHash", i, err)
		}
		if ev := rs.events(i)[EventHashTreeRenewed]; len(ev) != 1 || !strings.HasSuffix(ev[0], ":hash:SHA-512") {
			t.Errorf("item %d's hash-tree renewal events = %v", i, ev)
		}
	}
	rs.verify(time.Time{})
	rs.renew(false, 0)
	// TSA 1 has expired; TSA 2's certificate nears its end: the SHA-512
	// chains are renewed by TSA 3, one token for both batches.
	end := later.Add(5*365*24*time.Hour - 30*24*time.Hour)
	rs.at(end, "TSA 3", end.Add(-time.Hour))
	if run := rs.renew(false, 1); run.TimeStamp != (RenewedCount{2, 5, 1}) {
		t.Errorf("renewal of the SHA-512 chains = %+v", run)
	}
	rs.verify(time.Time{})
	rs.verify(end.Add(365 * 24 * time.Hour))
}

// A crash between the token and its commit loses only the token: the
// items stay due and the next run renews them, each once. With chunks of
// two items, the failed second commit leaves the first chunk renewed and
// the rest to the next run, after a restart.
func TestRenewResumesAfterCrash(t *testing.T) {
	defer func(n int) { renewChunkItems = n }(renewChunkItems)
	renewChunkItems = 2
	rs := newRenewStore(t, 2, 6, RenewalConfig{})
	due := rs.expiry.Add(-10 * 24 * time.Hour)
	rs.at(due, "TSA 2", due)
	commits := 0
	renewCommitHook = func() error {
		if commits++; commits == 2 {
			return errors.New("crash")
		}
		return nil
	}
	defer func() { renewCommitHook = nil }()
	run := rs.renew(false, 3)
	if run.TimeStamp != (RenewedCount{2, 4, 2}) || run.Blocked != (Count{1, 2}) || len(run.Errors) != 1 {
		t.Errorf("run with a crash = %+v, want 4 items renewed, 2 left", run)
	}
	renewCommitHook = nil
	rs.restart()
	if st := rs.status(); st.DueTimeStamp != (Count{1, 2}) {
		t.Errorf("status after the crash = %+v, want the one batch left due", st)
	}
	if run := rs.renew(false, 1); run.TimeStamp != (RenewedCount{1, 2, 1}) {
		t.Errorf("the run after the crash = %+v, want the batch left", run)
	}
	for i, r := range rs.records() {
		if len(r.Chains[0]) != 2 || len(rs.events(i)[EventTimeStampRenewed]) != 1 {
			t.Errorf("item %d: chain of %d, events %v; want each renewed once", i, len(r.Chains[0]), rs.events(i))
		}
	}
	rs.verify(rs.expiry.Add(time.Hour))
	// A TSA outage fails the run and writes nothing.
	rs.renewal.RetiredHashes = []string{"SHA-256"}
	rs.restart()
	rs.tsa.down.Store(true)
	if run := rs.renew(false, 0); run.HashTree.Items != 0 || run.Blocked.Items != 6 {
		t.Errorf("run with the TSA down = %+v, want 6 items blocked", run)
	}
	for _, r := range rs.records() {
		if len(r.Chains) != 1 {
			t.Errorf("a failed hash-tree renewal stored a chain")
		}
	}
}

// A hash-tree renewal refuses an item whose stored bytes no longer match
// its SHA-256: that item stays due, the others are renewed.
func TestRenewHashTreeRefusesDamagedBytes(t *testing.T) {
	rs := newRenewStore(t, 10, 3, RenewalConfig{RetiredHashes: []string{"SHA-256"}})
	rs.blobs.Set(rs.recs[1].BlobKey(), []byte("tampered"))
	run := rs.renew(false, 1)
	if run.HashTree.Items != 2 || run.Blocked.Items != 1 || len(run.Errors) != 1 || !strings.Contains(run.Errors[0], rs.recs[1].ID) {
		t.Errorf("run = %+v, want 2 renewed and item 1 refused", run)
	}
}

// A batch that some of its items left by a hash-tree renewal is never
// given a time-stamp renewal: their new chains cover its chain as it was
// (RFC 4998 §5.2, H(ArchiveTimeStampSequence)), and a time-stamp added
// to it afterwards would break their records. Here item 1's bytes are
// damaged, so it stays on batch 1 when items 0 and 2 get SHA-512 chains;
// the operator then takes SHA-256 off retired_hashes, and batch 1 nears
// its TSA's expiry. The items that left must still verify, and item 1 is
// renewed by a hash-tree renewal of its own (its bytes are back).
func TestRenewKeepsLeftBatchesChains(t *testing.T) {
	rs := newRenewStore(t, 10, 3, RenewalConfig{RetiredHashes: []string{"SHA-256"}})
	rs.blobs.Set(rs.recs[1].BlobKey(), []byte("tampered"))
	if run := rs.renew(false, 1); run.HashTree.Items != 2 || run.Blocked.Items != 1 {
		t.Fatalf("run = %+v, want 2 renewed and item 1 refused", run)
	}
	rs.blobs.Set(rs.recs[1].BlobKey(), []byte(rs.bodies[1]))
	rs.renewal.RetiredHashes = nil
	rs.restart()
	due := rs.expiry.Add(-10 * 24 * time.Hour)
	rs.at(due, "TSA 2", due)
	run, err := rs.k.Renew(context.Background(), RenewOptions{Actor: "node:test"})
	if err != nil {
		t.Fatal(err)
	}
	// Batch 2 (the SHA-512 chains of items 0 and 2, time-stamped by TSA 1)
	// is due too, and is renewed in its own right.
	if run.TimeStamp != (RenewedCount{1, 2, 1}) || run.HashTree != (RenewedCount{1, 1, 1}) || len(run.Errors) != 0 {
		t.Errorf("run = %+v, want item 1 given a hash-tree renewal and batch 2 only a time-stamp renewal", run)
	}
	rs.verify(time.Time{})
}
