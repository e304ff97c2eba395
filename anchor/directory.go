package anchor

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/custos-project/custos/anchor/vmap"
)

// The consortium's directory (state version 4): the organizations each
// member's node is home to (courts, notary offices, firms, owners), so
// that every member knows every organization by ID and by name within a
// block of its registration. A member registers only its own
// organizations (KindDirectory transactions signed by its node); an
// organization's home is the member that registered it first, and only
// that member may register it again. Names are unique consortium-wide
// after NameKey's normalization; the first registration of a name keeps
// it. Nothing secret is registered: API keys and their verifiers stay on
// the home node.
//
//	dir      org ID → the entry's JSON (DirEntry)
//	dirname  NameKey(name) → org ID
//
// Each entry is committed in the state map under OrgKey(ID), with the
// SHA-256 of its JSON as the value.

// Directory limits.
const (
	MaxOrgs        = 1000 // organizations in one registration
	maxOrgIDLen    = 64
	maxOrgKindLen  = 32
	maxOrgNameLen  = 800 // bytes: 200 characters of up to 4 bytes
	maxOrgNameRune = 200
)

var (
	bDir      = []byte("dir")
	bDirName  = []byte("dirname")
	bDirClaim = []byte("dirclaim") // state version 5: org ID → its latest Claim's JSON
	bDirRev   = []byte("dirrev")   // state version 8: org ID → its revision (8)
)

// OrgEntry is one organization in a directory registration.
type OrgEntry struct {
	ID   string
	Kind string
	Name string
	// Revision numbers the organization's registrations from state
	// version 8 (transaction version 8 carries it, version 4 does not: 0
	// there): 1 for the first, then one more than the directory holds
	// (App.OrgRevision), so that a registration applies once.
	Revision uint64
}

// DirEntry is an organization as the directory knows it.
type DirEntry struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Member string `json:"member"` // the home member's ID (Tx.Member)
	Height int64  `json:"height"` // the block that registered it
}

// OrgKey is the state-map key of an organization's directory entry.
func OrgKey(id string) [32]byte {
	return sha256.Sum256(append([]byte("custos/state/v4/org\x00"), id...))
}

// NameKey is what makes two organization names the same (from state
// version 7): Unicode NFKC, full case folding, NFKC again, Cherokee
// letters in their folded (capital) form, and runs of white space made
// one space and trimmed; repeated until nothing changes. "杭州互联网法院"
// and "杭州互联网法院 " are one name; so are "ACME Law" and "acme  law",
// and "ᏣᎳᎩ" and "ꮳꮃꭹ". It is idempotent: NameKey(NameKey(x)) == NameKey(x)
// for every string (a name that would not settle within maxNameRounds
// rounds has the key "", which no registration may use).
//
// Before version 7 the directory compared names by nameKeyV4, one round
// without the second NFKC nor the Cherokee rule, which is not idempotent:
// golang.org/x/text's case folding maps lowercase Cherokee to capitals
// but capitals back to lowercase, so "ꮳ" and "Ꮳ" had different keys.
func NameKey(name string) string {
	for range maxNameRounds {
		next := nameRound(name)
		if next == name {
			return name
		}
		name = next
	}
	return ""
}

// maxNameRounds bounds NameKey's rounds; every string tried settles in
// two (TestNameKeyIdempotent).
const maxNameRounds = 4

func nameRound(name string) string {
	s := norm.NFKC.String(cases.Fold().String(norm.NFKC.String(name)))
	s = strings.Map(foldCherokee, s)
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// foldCherokee maps Cherokee small letters to the capitals that Unicode's
// CaseFolding.txt folds them to (U+AB70–ABBF to U+13A0–13EF, U+13F8–13FD to
// U+13F0–13F5), whatever the case-folding library did with them.
func foldCherokee(r rune) rune {
	switch {
	case r >= 0xAB70 && r <= 0xABBF:
		return r - 0xAB70 + 0x13A0
	case r >= 0x13F8 && r <= 0x13FD:
		return r - 0x13F8 + 0x13F0
	}
	return r
}

// nameKeyV4 is how state versions 4 to 6 compare names: NFKC, then full
// case folding, white space collapsed. Kept for replaying their blocks.
func nameKeyV4(name string) string {
	s := cases.Fold().String(norm.NFKC.String(name))
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// nameKeyAt is the name key of the given state version.
func nameKeyAt(version int, name string) string {
	if version >= StateV7 {
		return NameKey(name)
	}
	return nameKeyV4(name)
}

// checkOrgs checks the organizations of a directory registration of
// transaction version 4 or 8 (which alone carries revisions, from 1).
func checkOrgs(orgs []OrgEntry, version uint8) error {
	if len(orgs) == 0 || len(orgs) > MaxOrgs {
		return fmt.Errorf("%w: %d organizations, want 1..%d", ErrMalformedTx, len(orgs), MaxOrgs)
	}
	for i, o := range orgs {
		switch {
		case version == TxVersion8 && o.Revision == 0:
			return fmt.Errorf("%w: organization %d: revision 0, want 1 or more", ErrMalformedTx, i)
		case version != TxVersion8 && o.Revision != 0:
			return fmt.Errorf("%w: organization %d: a version-%d registration carries no revision", ErrMalformedTx, i, version)
		case o.ID == "" || len(o.ID) > maxOrgIDLen || !printableASCII(o.ID):
			return fmt.Errorf("%w: organization %d: an ID of 1 to %d printable ASCII characters", ErrMalformedTx, i, maxOrgIDLen)
		case o.Kind == "" || len(o.Kind) > maxOrgKindLen || !printableASCII(o.Kind):
			return fmt.Errorf("%w: organization %d: a kind of 1 to %d printable ASCII characters", ErrMalformedTx, i, maxOrgKindLen)
		case len(o.Name) > maxOrgNameLen || !utf8.ValidString(o.Name) || utf8.RuneCountInString(o.Name) > maxOrgNameRune || nameKeyV4(o.Name) == "":
			return fmt.Errorf("%w: organization %d: a name of 1 to %d characters of UTF-8", ErrMalformedTx, i, maxOrgNameRune)
		case strings.ContainsFunc(o.Name, func(r rune) bool { return unicode.IsControl(r) }):
			return fmt.Errorf("%w: organization %d: a control character in the name", ErrMalformedTx, i)
		case i > 0 && orgs[i-1].ID >= o.ID:
			return fmt.Errorf("%w: organization IDs are not in strictly increasing order at %d", ErrMalformedTx, i)
		}
	}
	return nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func appendOrgs(b []byte, orgs []OrgEntry, version uint8) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(orgs)))
	for _, o := range orgs {
		b = append(append(b, byte(len(o.ID))), o.ID...)
		b = append(append(b, byte(len(o.Kind))), o.Kind...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(o.Name)))
		b = append(b, o.Name...)
		if version == TxVersion8 {
			b = binary.BigEndian.AppendUint64(b, o.Revision)
		}
	}
	return b
}

func (t *Tx) decodeOrgs(d *decoder) error {
	n := d.uint32()
	if d.short || n == 0 || n > MaxOrgs {
		return fmt.Errorf("%w: organization count %d, want 1..%d", ErrMalformedTx, n, MaxOrgs)
	}
	t.Orgs = make([]OrgEntry, 0, n)
	for i := uint32(0); i < n && !d.short; i++ {
		var o OrgEntry
		if l := d.next(1); l != nil {
			o.ID = string(d.next(int(l[0])))
		}
		if l := d.next(1); l != nil {
			o.Kind = string(d.next(int(l[0])))
		}
		o.Name = string(d.next(int(d.uint16())))
		if t.Version == TxVersion8 {
			o.Revision = d.uint64()
		}
		t.Orgs = append(t.Orgs, o)
	}
	if d.short {
		return fmt.Errorf("%w: organizations cut short", ErrMalformedTx)
	}
	return nil
}

// checkDirectory checks a registration against the directory in tx and
// the block's registrations so far (pending, nil in CheckTx): each
// organization is new or already the member's (under any key it ran,
// sameMember), and its name is free or
// already its own. From state version 5 a name another organization holds
// is no error: the registration records the organization's claim to it
// (claims), so that the holder's member learns of the conflict.
func (a *App) checkDirectory(tx *bolt.Tx, t *Tx, version int, pending map[string]string) (uint32, string) {
	member := t.Member()
	names := map[string]string{}
	changes := false
	for _, o := range t.Orgs {
		if cur, ok := getDirEntry(tx, o.ID); ok && !sameMember(tx, member, cur.Member) {
			return CodeNotOwner, fmt.Sprintf("organization %s is registered by another member", o.ID)
		}
		if version >= StateV8 {
			if code, msg := checkRevision(tx, o); code != CodeOK {
				return code, msg
			}
		}
		key := nameKeyAt(version, o.Name)
		if key == "" {
			return CodeMalformed, fmt.Sprintf("the name %q has no name key (it does not settle under normalization)", o.Name)
		}
		if holder := nameHolder(tx, key, o.ID, names, pending); holder != "" {
			if version < StateV5 {
				return CodeDuplicate, fmt.Sprintf("the name %q is taken by organization %s", o.Name, holder)
			}
			if c, ok := getClaim(tx, o.ID); !ok || c.Name != o.Name || c.Holder != holder {
				changes = true
			}
			continue
		}
		names[key] = o.ID
		if cur, ok := getDirEntry(tx, o.ID); !ok || cur.Kind != o.Kind || cur.Name != o.Name {
			changes = true
		}
	}
	if !changes {
		return CodeDuplicate, "every organization is already registered (or its claim recorded) as it is"
	}
	return CodeOK, ""
}

// nameHolder is the organization other than id that holds the name key:
// in the directory, among the block's registrations (pending) or earlier
// in this transaction (names); "" if none.
func nameHolder(tx *bolt.Tx, key, id string, names, pending map[string]string) string {
	holder := string(tx.Bucket(bDirName).Get([]byte(key)))
	if p, ok := pending[key]; ok {
		holder = p
	}
	if other, ok := names[key]; ok && other != id {
		holder = other
	}
	if holder == id {
		return ""
	}
	return holder
}

// applyDirectory registers t's organizations (checked by checkDirectory)
// and queues their state-map entries; from state version 5 it records the
// claim of each one whose name another organization holds instead.
func (a *App) applyDirectory(tx *bolt.Tx, t *Tx, height int64, version int, pending map[string]string) {
	fail := func(err error) { panic(fmt.Sprintf("anchor: directory at height %d: %v", height, err)) }
	member := t.Member()
	dir, names := tx.Bucket(bDir), tx.Bucket(bDirName)
	seen := map[string]string{}
	for _, o := range t.Orgs {
		if version >= StateV8 {
			a.putRevision(tx, o, fail)
		}
		key := nameKeyAt(version, o.Name)
		if holder := nameHolder(tx, key, o.ID, seen, pending); holder != "" {
			if version >= StateV5 {
				a.putClaim(tx, Claim{Org: o.ID, Name: o.Name, Member: member, Holder: holder, Height: height}, fail)
			}
			continue
		}
		seen[key] = o.ID
		if cur, ok := getDirEntry(tx, o.ID); ok {
			if cur.Kind == o.Kind && cur.Name == o.Name {
				continue // registered again, unchanged
			}
			a.freeName(names, nameKeyAt(version, cur.Name), o.ID, version, pending, fail)
		}
		e := DirEntry{ID: o.ID, Kind: o.Kind, Name: o.Name, Member: member, Height: height}
		val, err := json.Marshal(e)
		if err == nil {
			err = dir.Put([]byte(o.ID), val)
		}
		if err == nil {
			err = names.Put([]byte(key), []byte(o.ID))
		}
		if err != nil {
			fail(err)
		}
		pending[key] = o.ID
		a.queuePair(OrgKey(o.ID), sha256.Sum256(val))
	}
}

// freeName frees the name key an organization renamed from. Before state
// version 8 it deletes the key whoever holds it, and leaves it among the
// block's pending names (chain review findings 2 and 3, kept for replaying
// those blocks); from version 8 it frees the key only if the organization
// holds it (one it lost at the version-7 rekeying, rekeyNames, is
// another's), in the directory and among the block's names.
func (a *App) freeName(names *bolt.Bucket, key, id string, version int, pending map[string]string, fail func(error)) {
	if version < StateV8 {
		if err := names.Delete([]byte(key)); err != nil {
			fail(err)
		}
		return
	}
	if string(names.Get([]byte(key))) != id {
		return
	}
	if err := names.Delete([]byte(key)); err != nil {
		fail(err)
	}
	delete(pending, key)
}

// queuePair queues a state-map entry the block sets.
func (a *App) queuePair(key, value [32]byte) {
	var none [32]byte
	a.blockLog = append(append(append(a.blockLog, key[:]...), value[:]...), none[:]...)
	a.blockLog = binary.BigEndian.AppendUint64(a.blockLog, 0)
	a.blockPairs = append(a.blockPairs, vmap.Pair{Key: key, Value: value})
	a.moved = true
}

// Claim is an organization's claim to a name another organization held
// in the directory when its member registered it (state version 5): the
// organization stays out of the directory until it is renamed, and both
// members learn of the conflict. A claim is kept (the latest per
// organization); it stands while Holder holds the name and Org is not in
// the directory under it (Claims).
type Claim struct {
	Org    string `json:"org"`
	Name   string `json:"name"`
	Member string `json:"member"` // the claimant's home member
	Holder string `json:"holder"` // the organization that held the name
	Height int64  `json:"height"`
}

// ClaimKey is the state-map key of an organization's claim.
func ClaimKey(org string) [32]byte {
	return sha256.Sum256(append([]byte("custos/state/v5/claim\x00"), org...))
}

func (a *App) putClaim(tx *bolt.Tx, c Claim, fail func(error)) {
	if cur, ok := getClaim(tx, c.Org); ok && cur.Name == c.Name && cur.Holder == c.Holder {
		return
	}
	val, err := json.Marshal(c)
	if err == nil {
		err = tx.Bucket(bDirClaim).Put([]byte(c.Org), val)
	}
	if err != nil {
		fail(err)
	}
	a.queuePair(ClaimKey(c.Org), sha256.Sum256(val))
}

func getClaim(tx *bolt.Tx, org string) (Claim, bool) {
	var c Claim
	v := tx.Bucket(bDirClaim).Get([]byte(org))
	if v == nil || json.Unmarshal(v, &c) != nil {
		return c, false
	}
	return c, true
}

// Claims lists the claims that stand: the holder still holds the name,
// and the claimant has not been registered since (under another name).
func (a *App) Claims() ([]Claim, error) {
	var out []Claim
	err := a.db.View(func(tx *bolt.Tx) error {
		version := storedVersion(tx)
		return tx.Bucket(bDirClaim).ForEach(func(_, v []byte) error {
			var c Claim
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			e, registered := getDirEntry(tx, c.Org)
			if string(tx.Bucket(bDirName).Get([]byte(nameKeyAt(version, c.Name)))) == c.Holder && (!registered || e.Height < c.Height) {
				c.Member = currentNode(tx, c.Member)
				out = append(out, c)
			}
			return nil
		})
	})
	return out, err
}

func getDirEntry(tx *bolt.Tx, id string) (DirEntry, bool) {
	var e DirEntry
	v := tx.Bucket(bDir).Get([]byte(id))
	if v == nil || json.Unmarshal(v, &e) != nil {
		return e, false
	}
	return e, true
}

// Org is the directory's entry of an organization, by ID, with Member the
// home member's current node member ID (rotated.go).
func (a *App) Org(id string) (DirEntry, bool, error) {
	var e DirEntry
	var ok bool
	err := a.db.View(func(tx *bolt.Tx) error {
		e, ok = getDirEntry(tx, id)
		e.Member = currentNode(tx, e.Member)
		return nil
	})
	return e, ok, err
}

// StoredOrg is the directory's entry of an organization as the chain
// stores it, with Member the node member ID it was recorded under: the
// one a transaction naming the organization is checked against.
func (a *App) StoredOrg(id string) (DirEntry, bool, error) {
	var e DirEntry
	var ok bool
	err := a.db.View(func(tx *bolt.Tx) error {
		e, ok = getDirEntry(tx, id)
		return nil
	})
	return e, ok, err
}

// OrgByName is the directory's entry of the organization with this name
// (as NameKey compares names), as Org gives it.
func (a *App) OrgByName(name string) (DirEntry, bool, error) {
	var e DirEntry
	var ok bool
	err := a.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bDirName).Get([]byte(nameKeyAt(storedVersion(tx), name)))
		if id != nil {
			e, ok = getDirEntry(tx, string(id))
			e.Member = currentNode(tx, e.Member)
		}
		return nil
	})
	return e, ok, err
}

// Orgs lists the directory, by name, as Org gives each entry.
func (a *App) Orgs() ([]DirEntry, error) {
	var out []DirEntry
	err := a.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bDir).ForEach(func(_, v []byte) error {
			var e DirEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			e.Member = currentNode(tx, e.Member)
			out = append(out, e)
			return nil
		})
	})
	slices.SortFunc(out, func(x, y DirEntry) int { return strings.Compare(NameKey(x.Name), NameKey(y.Name)) })
	return out, err
}

func initDirectory(tx *bolt.Tx) error {
	for _, b := range [][]byte{bDir, bDirName, bDirClaim, bDirRev} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// rekeyNames keys the directory's names by NameKey, at the height state
// version 7 begins. The names are taken again in the order they were
// registered (by height, then ID): of organizations whose names become
// one, the first keeps it and each other one's claim to it is recorded,
// so that both members learn of the conflict (Claims); the organization
// stays in the directory by ID. A name without a key (NameKey "") is held
// by nobody.
func (a *App) rekeyNames(tx *bolt.Tx, height int64) error {
	names := tx.Bucket(bDirName)
	var holders []DirEntry
	var old [][]byte
	err := names.ForEach(func(k, v []byte) error {
		old = append(old, bytes.Clone(k))
		if e, ok := getDirEntry(tx, string(v)); ok {
			holders = append(holders, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range old {
		if err := names.Delete(k); err != nil {
			return err
		}
	}
	slices.SortFunc(holders, func(x, y DirEntry) int {
		if x.Height != y.Height {
			return cmp.Compare(x.Height, y.Height)
		}
		return strings.Compare(x.ID, y.ID)
	})
	var failed error
	fail := func(err error) { failed = err }
	for _, e := range holders {
		key := NameKey(e.Name)
		switch holder := names.Get([]byte(key)); {
		case key == "":
		case holder != nil:
			a.putClaim(tx, Claim{Org: e.ID, Name: e.Name, Member: e.Member, Holder: string(holder), Height: height}, fail)
		default:
			failed = names.Put([]byte(key), []byte(e.ID))
		}
		if failed != nil {
			return failed
		}
	}
	return nil
}
