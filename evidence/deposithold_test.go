package evidence

import (
	"fmt"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkDepositHolds is the cost of the operator's count of held
// deposits (DepositHolds, read at each GET /api/v1/admin/chain) with
// 100 and 100,000 held: a walk over the hold bucket's pages.
func BenchmarkDepositHolds(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := newTestService(b, newMemBlobs())
			err := s.db.Update(func(tx *bolt.Tx) error {
				hold := tx.Bucket(bDepoHold)
				for i := range n {
					if err := hold.Put(u64(uint64(i)), []byte("zzzzzzzzzzzzzzzzzzzzzzzzzz")); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if h, err := s.DepositHolds(); err != nil || h.Held != n {
					b.Fatalf("DepositHolds() = %+v, %v; want %d held", h, err, n)
				}
			}
		})
	}
}
