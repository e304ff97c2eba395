package peer

import (
	"testing"
	"time"

	"github.com/custos-project/custos/certs"
)

// TestClaimItems: an item of a shared matter is homed on the member whose
// listing named it, for that grantee only; the same member listing it
// again (under a rotated key's new ID too) changes nothing; a second
// member listing it disputes it for good, whichever lists it after.
func TestClaimItems(t *testing.T) {
	root, _ := certs.NewRoot("Test Consortium Root CA", time.Now())
	ms := newConsortium(t, root, "C")
	rotated := map[string]string{"a-old": "a"}
	cn, _ := serveNode(t, ms[0], nil, nil, nil, whoami(), func(c *Config) {
		c.Current = func(id string) string {
			if cur, ok := rotated[id]; ok {
				return cur
			}
			return id
		}
	})
	claim := func(org, member string, items ...string) {
		t.Helper()
		if err := cn.ClaimItems(org, map[string][]string{member: items}); err != nil {
			t.Fatalf("ClaimItems(%s, %s, %v) = %v", org, member, items, err)
		}
	}
	home := func(org, item, want string) {
		t.Helper()
		m, ok := cn.ItemHome(org, item)
		if m != want || ok != (want != "") {
			t.Errorf("ItemHome(%s, %s) = %q %v, want %q", org, item, m, ok, want)
		}
	}
	claim("court", "a-old", "i1", "i2")
	home("court", "i1", "a") // by the member's current ID
	home("other", "i1", "")  // another grantee's listings are its own
	claim("court", "a", "i1")
	home("court", "i1", "a")
	claim("court", "b", "i2", "i3")
	home("court", "i2", "")
	if !cn.Disputed("court", "i2") {
		t.Errorf("Disputed(court, i2) after A and B listed it = false, want true")
	}
	home("court", "i3", "b")
	if cn.Disputed("court", "i1") || cn.Disputed("court", "i3") {
		t.Errorf("Disputed(court, i1 or i3) = true, want false: one member listed each")
	}
	claim("court", "a", "i2")
	if _, ok := cn.ItemHome("court", "i2"); ok || !cn.Disputed("court", "i2") {
		t.Errorf("i2 after A listed it again: homed %v, disputed %v; want disputed for good", ok, cn.Disputed("court", "i2"))
	}
}
