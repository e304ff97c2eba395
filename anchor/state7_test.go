package anchor

import (
	"bytes"
	"path/filepath"
	"testing"
	"unicode"
	"unicode/utf8"
)

// NameKey is idempotent on every single code point, and on the names that
// broke nameKeyV4 (Cherokee, whose case folding in golang.org/x/text maps
// capitals and small letters to each other).
func TestNameKeyIdempotent(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		s := string(r)
		if k := NameKey(s); NameKey(k) != k {
			t.Errorf("NameKey(NameKey(%U)) = %q, want %q", r, NameKey(k), k)
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"ᏣᎳᎩ Court", "ꮳꮃꭹ court"},
		{"Ᏸ", "ᏸ"},
		{"ACME  Law", "acme law"},
		{"杭州互联网法院", " 杭州互联网法院 "},
		{"Straße", "STRASSE"},
		{"ﬁrm", "FIRM"},
	} {
		if NameKey(tc.a) != NameKey(tc.b) {
			t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q; want one key", tc.a, NameKey(tc.a), tc.b, NameKey(tc.b))
		}
	}
	// What version 7 fixes: the old key of a Cherokee name is not its own
	// key, and two spellings of one name had two keys.
	if k := nameKeyV4("ꮳꮃꭹ"); nameKeyV4(k) == k || nameKeyV4("ꮳꮃꭹ") == nameKeyV4("ᏣᎳᎩ") {
		t.Errorf("nameKeyV4 of Cherokee: %q → %q; the test no longer shows what version 7 fixes", k, nameKeyV4(k))
	}
	if NameKey("") != "" || NameKey(" \t ") != "" {
		t.Error("an empty or blank name has a key")
	}
}

// FuzzNameKey: NameKey(NameKey(x)) == NameKey(x) for any string, and a
// name and its key are the same name.
func FuzzNameKey(f *testing.F) {
	for _, s := range []string{"ᏣᎳᎩ", "ꮳꮃꭹ court", "Straße", "ǅ", "ﬃ", "e\u0301", "\u0345\u0399", "ᾼ", "ﷺ", "㍱", " a\u3000b ", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := NameKey(s)
		if NameKey(k) != k {
			t.Fatalf("NameKey(%q) = %q, but NameKey(%q) = %q", s, k, k, NameKey(k))
		}
	})
}

// At state version 7 the directory compares names by NameKey: two
// organizations registered at version 6 under two spellings of one
// Cherokee name (two keys then) become one name at the upgrade; the
// earlier keeps it, the later's claim is recorded. Blocks before the
// upgrade height give the AppHash they gave at version 6.
func TestUpgradeToV7Names(t *testing.T) {
	nodes := []*testNode{newTestNode(t, nil)}
	for i := 0; i < 2; i++ {
		nodes = append(nodes, newTestNode(t, nodes[0].org))
	}
	a, b := nodes[0], nodes[1]
	up := newAppAt(t, filepath.Join(t.TempDir(), "up.db"), StateV6, a.root, nodes...)
	stay := newAppAt(t, filepath.Join(t.TempDir(), "stay.db"), StateV6, a.root, nodes...)
	small := OrgEntry{ID: "org-small", Kind: "court", Name: "ꮳꮃꭹ Court"}
	capital := OrgEntry{ID: "org-capital", Kind: "court", Name: "ᏣᎳᎩ court"}
	vote := UpgradeVote{Version: StateV7, Height: 4}
	blocks := [][][]byte{
		{a.dir(t, small), a.vote(t, vote), b.vote(t, vote), nodes[2].vote(t, vote)},
		{b.dir(t, capital)},
		{a.batch4(t, 1, testLeaves(0, 1), nil, nil)},
		{a.batch4(t, 2, testLeaves(1, 1), nil, nil)},
	}
	for i, txs := range blocks {
		h := int64(i + 1)
		res := finalize(t, up, h, txs...)
		commit(t, up)
		var other []byte
		if h == 1 {
			other = finalize(t, stay, h, txs[0]).AppHash
		} else {
			other = finalize(t, stay, h, txs...).AppHash
		}
		commit(t, stay)
		for j, c := range codes(res) {
			if c != CodeOK {
				t.Fatalf("block %d, tx %d: code %d (%s)", h, j, c, res.TxResults[j].Log)
			}
		}
		if same := bytes.Equal(res.AppHash, other); same != (uint64(h) < vote.Height) {
			t.Errorf("block %d: AppHash %x, at version 6 throughout %x; want them equal only before the upgrade", h, res.AppHash, other)
		}
	}
	if up.StateVersion() != StateV7 || stay.StateVersion() != StateV6 {
		t.Fatalf("versions %d and %d, want 7 and 6", up.StateVersion(), stay.StateVersion())
	}
	for _, name := range []string{small.Name, capital.Name, "ᏣᎳᎩ COURT"} {
		if e, ok, _ := up.OrgByName(name); !ok || e.ID != small.ID {
			t.Errorf("OrgByName(%q) = %+v, %v at version 7; want %s", name, e, ok, small.ID)
		}
	}
	if e, ok, _ := stay.OrgByName(capital.Name); !ok || e.ID != capital.ID {
		t.Errorf("OrgByName(%q) at version 6 = %+v, %v; want %s (its own key there)", capital.Name, e, ok, capital.ID)
	}
	claims, err := up.Claims()
	if err != nil || len(claims) != 1 || claims[0].Org != capital.ID || claims[0].Holder != small.ID || claims[0].Height != 4 || claims[0].Member != MemberID(b.cert) {
		t.Fatalf("Claims() = %+v, %v; want org-capital's claim to the name org-small holds, at 4", claims, err)
	}
	if _, ok, _ := up.Org(capital.ID); !ok {
		t.Error("the organization that lost its name left the directory")
	}
	// After the upgrade, a third spelling is a claim to the same name.
	res := finalize(t, up, 5, nodes[2].dir(t, OrgEntry{ID: "org-third", Kind: "firm", Name: "ᏣᎳᎩ ᏟᎣᏌᎢ"}), nodes[2].dir(t, OrgEntry{ID: "org-fourth", Kind: "firm", Name: "ꮳꮃꭹ ꮯꭳꮜꭲ"}))
	commit(t, up)
	if got := codes(res); got[0] != CodeOK || got[1] != CodeOK {
		t.Fatalf("block 5: %v", got)
	}
	if claims, _ := up.Claims(); len(claims) != 2 {
		t.Errorf("Claims() after two spellings of one name = %+v, want two claims", claims)
	}
}
