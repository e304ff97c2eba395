package ers

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"testing"
	"time"
)

func TestBuildVerify(t *testing.T) {
	p := newTestPKI(t)
	for _, n := range []int{1, 2, 3, 5, 8, 33, 1000} {
		x := p.tsa(t, "TSA A", t0)
		data := items(n)
		b := build(t, x, data)
		if x.tokens != 1 {
			t.Errorf("n=%d: %d time-stamps, want 1", n, x.tokens)
		}
		for i, d := range data {
			r := roundTrip(t, b.Record(i))
			if string(b.AppendRecord(nil, i)) != string(r.Encode()) {
				t.Fatalf("n=%d: AppendRecord(%d) differs from Record(%d).Encode()", n, i, i)
			}
			res, err := Verify(r, hashes(d), VerifyOptions{Roots: p.roots})
			if err != nil {
				t.Fatalf("n=%d: Verify(record %d) = %v", n, i, err)
			}
			if !res.Time.Equal(b.Time()) || len(res.Stamps) != 1 {
				t.Fatalf("n=%d: Verify(record %d) = %+v, want one stamp at %v", n, i, res, b.Time())
			}
			// Another item of the batch may be covered too (the first
			// PartialHashtree holds the item's sibling): an item of no
			// batch is not.
			other := []byte("not an item of the batch")
			if _, err := Verify(r, hashes(other), VerifyOptions{Roots: p.roots}); !errors.Is(err, ErrMismatch) {
				t.Fatalf("n=%d: Verify(record %d, another item's hash) = %v, want ErrMismatch", n, i, err)
			}
		}
	}
}

func TestBuildDuplicates(t *testing.T) {
	p := newTestPKI(t)
	x := p.tsa(t, "TSA A", t0)
	data := [][]byte{[]byte("a"), []byte("a"), []byte("b")}
	b := build(t, x, data)
	for i, d := range data {
		if _, err := Verify(b.Record(i), hashes(d), VerifyOptions{Roots: p.roots}); err != nil {
			t.Errorf("Verify(record %d) = %v", i, err)
		}
	}
}

func TestBuildInput(t *testing.T) {
	p := newTestPKI(t)
	x := p.tsa(t, "TSA A", t0)
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"no hashes":  func() error { _, err := Build(ctx, crypto.SHA256, nil, x.stamper()); return err },
		"short hash": func() error { _, err := Build(ctx, crypto.SHA256, [][]byte{make([]byte, 31)}, x.stamper()); return err },
		"bad hash":   func() error { _, err := Build(ctx, crypto.SHA1, [][]byte{make([]byte, 20)}, x.stamper()); return err },
		"hash-tree renewal without records": func() error {
			_, err := RenewHashTree(ctx, crypto.SHA512, nil, nil, x.stamper())
			return err
		},
	} {
		if err := call(); !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v, want ErrInput", name, err)
		}
	}
	// A TSA that stamps another digest is caught at once.
	wrong := func(ctx context.Context, h crypto.Hash, d []byte) ([]byte, error) {
		return x.stamper()(ctx, h, sum(h, d))
	}
	if _, err := Build(ctx, crypto.SHA256, hashesOf(crypto.SHA256, items(3)), wrong); !errors.Is(err, ErrMismatch) {
		t.Errorf("Build(TSA stamping another digest) = %v, want ErrMismatch", err)
	}
}

// renewedRecords builds a batch of five items at TSA A and renews its time-stamps with
// TSA B four years later, then its hash trees with SHA-512 by TSA C, then
// the new chain's time-stamp with TSA C; it returns the data and the
// records at each stage.
func renewedRecords(t testing.TB, p *testPKI, noCert bool) (data [][]byte, stages [][]*Record, tsas []*testTSA) {
	t.Helper()
	return renewedBatch(t, p, 5, noCert)
}

// renewedBatch is renewedRecords for a batch of n items.
func renewedBatch(t testing.TB, p *testPKI, n int, noCert bool) (data [][]byte, stages [][]*Record, tsas []*testTSA) {
	t.Helper()
	ctx := context.Background()
	a := p.tsa(t, "TSA A", t0)
	a.noCert = noCert
	data = items(n)
	fresh := records(build(t, a, data))

	b := p.tsa(t, "TSA B", t0.Add(4*365*24*time.Hour))
	b.noCert = noCert
	ts1, err := RenewTimeStamps(ctx, fresh, b.stamper())
	if err != nil {
		t.Fatalf("RenewTimeStamps() = %v", err)
	}
	b.now = b.now.Add(365 * 24 * time.Hour)
	ts2, err := RenewTimeStamps(ctx, ts1, b.stamper())
	if err != nil {
		t.Fatalf("RenewTimeStamps(again) = %v", err)
	}
	c := p.tsa(t, "TSA C", t0.Add(6*365*24*time.Hour))
	c.noCert = noCert
	ht, err := RenewHashTree(ctx, crypto.SHA512, ts2, hashesOf(crypto.SHA512, data), c.stamper())
	if err != nil {
		t.Fatalf("RenewHashTree() = %v", err)
	}
	c.now = c.now.Add(24 * time.Hour)
	ht2, err := RenewTimeStamps(ctx, ht, c.stamper())
	if err != nil {
		t.Fatalf("RenewTimeStamps(after RenewHashTree) = %v", err)
	}
	return data, [][]*Record{fresh, ts1, ts2, ht, ht2}, []*testTSA{a, b, c}
}

func TestRenewals(t *testing.T) {
	p := newTestPKI(t)
	data, stages, tsas := renewedRecords(t, p, false)
	for _, x := range tsas {
		if x.tokens > 2 {
			t.Errorf("%s issued %d time-stamps for 5 items, want at most 2 (one per call)", x.Name(), x.tokens)
		}
	}
	wantStamps := []int{1, 2, 3, 4, 5}
	for s, recs := range stages {
		for i, r := range recs {
			r = roundTrip(t, r)
			res, err := Verify(r, hashes(data[i]), VerifyOptions{Roots: p.roots})
			if err != nil {
				t.Fatalf("stage %d: Verify(record %d) = %v", s, i, err)
			}
			if len(res.Stamps) != wantStamps[s] || !res.Time.Equal(res.Stamps[0].Time) {
				t.Fatalf("stage %d: Verify(record %d) = %+v, want %d stamps", s, i, res, wantStamps[s])
			}
			wrong := hashes([]byte("not an item of the batch"))
			if _, err := Verify(r, wrong, VerifyOptions{Roots: p.roots}); !errors.Is(err, ErrMismatch) {
				t.Fatalf("stage %d: Verify(record %d, another item) = %v, want ErrMismatch", s, i, err)
			}
		}
	}
	// The hash-tree renewal needs the SHA-512 hash of the data, and a
	// right one.
	r := stages[3][0]
	if _, err := Verify(r, Hashes{crypto.SHA256: sum(crypto.SHA256, data[0])}, VerifyOptions{Roots: p.roots}); !errors.Is(err, ErrMissingHash) {
		t.Errorf("Verify(without a SHA-512 hash) = %v, want ErrMissingHash", err)
	}
	mixed := Hashes{crypto.SHA256: sum(crypto.SHA256, data[0]), crypto.SHA512: sum(crypto.SHA512, data[1])}
	var ve *VerifyError
	if _, err := Verify(r, mixed, VerifyOptions{Roots: p.roots}); !errors.As(err, &ve) || ve.Chain != 1 || ve.Step != "checkDataHash" {
		t.Errorf("Verify(another SHA-512 hash) = %v, want checkDataHash on chain 1", err)
	}
}

func TestRenewTimeStampsManyBatches(t *testing.T) {
	p := newTestPKI(t)
	a := p.tsa(t, "TSA A", t0)
	var recs []*Record
	var data [][]byte
	for range 4 {
		d := items(3)
		for i := range d {
			d[i] = append(d[i], byte(len(data)))
		}
		data = append(data, d...)
		recs = append(recs, records(build(t, a, d))...)
	}
	b := p.tsa(t, "TSA B", t0.Add(time.Hour))
	renewed, err := RenewTimeStamps(context.Background(), recs, b.stamper())
	if err != nil {
		t.Fatal(err)
	}
	if b.tokens != 1 {
		t.Errorf("renewing 4 batches took %d time-stamps, want 1", b.tokens)
	}
	for i, r := range renewed {
		if _, err := Verify(roundTrip(t, r), hashes(data[i]), VerifyOptions{Roots: p.roots}); err != nil {
			t.Errorf("Verify(record %d) = %v", i, err)
		}
		if len(recs[i].Chains[0]) != 1 {
			t.Fatalf("RenewTimeStamps changed the record given")
		}
	}
}

func TestRenewalAfterExpiry(t *testing.T) {
	p := newTestPKI(t)
	a := p.tsa(t, "TSA A", t0)
	data := items(2)
	recs := records(build(t, a, data))
	// TSA A's certificate expires after certs.TSAValidity (5 years): a
	// renewal a day later comes too late.
	late := p.tsa(t, "TSA B", a.leaf.Cert.NotAfter.Add(24*time.Hour))
	renewed, err := RenewTimeStamps(context.Background(), recs, late.stamper())
	if err != nil {
		t.Fatal(err)
	}
	var ve *VerifyError
	_, err = Verify(renewed[0], hashes(data[0]), VerifyOptions{Roots: p.roots})
	if !errors.As(err, &ve) || ve.Step != "checkValidity" || !errors.Is(err, ErrUntrusted) {
		t.Fatalf("Verify(renewed after expiry) = %v, want checkValidity ErrUntrusted", err)
	}
	// The fresh record is still valid at its own time, but not now.
	if _, err := Verify(recs[0], hashes(data[0]), VerifyOptions{Roots: p.roots}); err != nil {
		t.Errorf("Verify(fresh) = %v", err)
	}
	if _, err := Verify(recs[0], hashes(data[0]), VerifyOptions{Roots: p.roots, Now: late.now}); !errors.Is(err, ErrUntrusted) {
		t.Errorf("Verify(fresh, Now after expiry) = %v, want ErrUntrusted", err)
	}
}

func TestVerifyTampered(t *testing.T) {
	p := newTestPKI(t)
	data, stages, _ := renewedRecords(t, p, false)
	other := newTestPKI(t)
	base := stages[4][1]
	h := hashes(data[1])
	cases := map[string]struct {
		change func(r *Record)
		opts   VerifyOptions
		want   error
		step   string
	}{
		"leaf hash": {func(r *Record) { r.Chains[0][0].Tree[0][1][0] ^= 1 }, VerifyOptions{}, ErrMismatch, "checkRoot"},
		"sibling":   {func(r *Record) { r.Chains[0][0].Tree[1][0][0] ^= 1 }, VerifyOptions{}, ErrMismatch, "checkRoot"},
		"renewal tree": {func(r *Record) {
			r.Chains[0][2].Tree[0][0][0] ^= 1
		}, VerifyOptions{}, ErrMismatch, "checkRenewal"},
		"token":         {func(r *Record) { r.Chains[0][0].TimeStamp[len(r.Chains[0][0].TimeStamp)-3] ^= 1 }, VerifyOptions{}, ErrBadToken, "checkToken"},
		"dropped stamp": {func(r *Record) { r.Chains[0] = r.Chains[0][1:] }, VerifyOptions{}, ErrMismatch, "checkRoot"},
		"dropped chain": {func(r *Record) {
			r.Chains, r.DigestAlgorithms = r.Chains[1:], []crypto.Hash{crypto.SHA512}
		}, VerifyOptions{}, ErrMismatch, "checkDataHash"},
		"chain without algorithm":     {func(r *Record) { r.Chains = r.Chains[1:] }, VerifyOptions{}, ErrMalformed, "checkStructure"},
		"algorithms":                  {func(r *Record) { r.DigestAlgorithms = r.DigestAlgorithms[:1] }, VerifyOptions{}, ErrMalformed, "checkStructure"},
		"mixed chain":                 {func(r *Record) { r.Chains[1][1].Hash = crypto.SHA256 }, VerifyOptions{}, ErrMalformed, "checkStructure"},
		"other roots":                 {func(r *Record) {}, VerifyOptions{Roots: other.roots}, ErrUntrusted, "checkToken"},
		"swapped stamps":              {func(r *Record) { r.Chains[0][1], r.Chains[0][2] = r.Chains[0][2], r.Chains[0][1] }, VerifyOptions{}, ErrUntrusted, "checkValidity"},
		"renewal of two without tree": {func(r *Record) { r.Chains[0][2].Tree = nil }, VerifyOptions{}, ErrMismatch, "checkRenewal"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := base.Clone()
			c.change(r)
			if c.opts.Roots == nil {
				c.opts.Roots = p.roots
			}
			_, err := Verify(r, h, c.opts)
			var ve *VerifyError
			if !errors.Is(err, c.want) || !errors.As(err, &ve) || ve.Step != c.step {
				t.Fatalf("Verify() = %v, want %v at %s", err, c.want, c.step)
			}
		})
	}
	if _, err := Verify(base, h, VerifyOptions{Roots: p.roots}); err != nil {
		t.Fatalf("Verify(untouched) = %v", err)
	}
}

func TestVerifyWithoutEmbeddedCertificates(t *testing.T) {
	p := newTestPKI(t)
	data, stages, tsas := renewedRecords(t, p, true)
	r := stages[4][0]
	if _, err := Verify(r, hashes(data[0]), VerifyOptions{Roots: p.roots}); !errors.Is(err, ErrBadToken) {
		t.Fatalf("Verify(no certificates given) = %v, want ErrBadToken", err)
	}
	inter := []*x509.Certificate{p.org.Cert}
	for _, x := range tsas {
		inter = append(inter, x.leaf.Cert)
	}
	if _, err := Verify(r, hashes(data[0]), VerifyOptions{Roots: p.roots, Intermediates: inter}); err != nil {
		t.Fatalf("Verify(with the TSA certificates) = %v", err)
	}
}

// TestBatchConcurrent reads one batch from many goroutines (run with
// -race): a Batch is read-only once built.
func TestBatchConcurrent(t *testing.T) {
	p := newTestPKI(t)
	x := p.tsa(t, "TSA A", t0)
	data := items(64)
	b := build(t, x, data)
	done := make(chan error)
	for g := range 4 {
		go func() {
			var err error
			for i := g; i < len(data); i += 4 {
				r, derr := Decode(b.AppendRecord(nil, i))
				if derr != nil {
					err = derr
					break
				}
				if _, err = Verify(r, hashes(data[i]), VerifyOptions{Roots: p.roots}); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
