package access

import (
	"errors"
	"sync"
	"testing"
)

// TestAuthCacheRevocation checks that a cached principal never outlives a
// revocation: the very next Authenticate after RevokeKey returns refuses
// the key, also when the revocation went through another Store over the
// same database, and while other goroutines keep authenticating.
func TestAuthCacheRevocation(t *testing.T) {
	s := newStore(t)
	other, err := Open(s.db)
	if err != nil {
		t.Fatal(err)
	}
	firm, err := s.CreateOrg(KindLawFirm, "Law firm")
	if err != nil {
		t.Fatal(err)
	}
	for round, revoker := range []*Store{s, other} {
		token, k, err := s.CreateKey(firm.ID, RoleSubmitter, "filing", nil)
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
						_, _ = s.Authenticate(token)
					}
				}
			})
		}
		for range 3 {
			if _, err := s.Authenticate(token); err != nil {
				t.Fatalf("round %d: Authenticate = %v", round, err)
			}
		}
		if _, err := revoker.RevokeKey(k.ID); err != nil {
			t.Fatal(err)
		}
		for i := range 100 {
			if _, err := s.Authenticate(token); !errors.Is(err, ErrRevoked) {
				t.Fatalf("round %d: Authenticate #%d after revocation = %v, want ErrRevoked", round, i, err)
			}
		}
		close(stop)
		wg.Wait()
	}
}

// TestAuthCacheCopies checks that callers get their own copy of a cached
// principal.
func TestAuthCacheCopies(t *testing.T) {
	s := newStore(t)
	firm, _ := s.CreateOrg(KindLawFirm, "Law firm")
	token, _, err := s.CreateKey(firm.ID, RoleViewer, "v", nil)
	if err != nil {
		t.Fatal(err)
	}
	p1, err := s.Authenticate(token)
	if err != nil {
		t.Fatal(err)
	}
	p1.Key.Role = RoleAdmin
	p2, err := s.Authenticate(token)
	if err != nil || p2.Key.Role != RoleViewer {
		t.Fatalf("Authenticate after a caller changed its copy = %+v, %v", p2, err)
	}
}
