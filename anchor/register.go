package anchor

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/bits"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// The consortium's copyright register (state version 5): every member's
// registrations, by fingerprint, in the order the chain made them final,
// with the registration numbers the chain assigns. A member registers only
// its own registrations (KindRegister transactions signed by its node), of
// organizations the directory lists as its own. Only fingerprints go on
// the chain (each file's SHA-256 and, for an image, its perceptual hash),
// never files, titles or owner details.
//
// A registration without a legacy number is numbered when its transaction
// is applied: CUS-(YEAR)-作登字-M<m>-NNNNNN, where YEAR is the block's
// year in China Standard Time, m the member's place (from 1) in the
// chain's genesis validator set, and NNNNNN counts the member's
// registrations of that year from 000001. The number depends only on the
// blocks, so every member assigns the same one, once: a registration
// already in the register is never registered again. A registration
// filed again with its revoked flag (and no files) is marked revoked, once;
// one filed revoked for the first time enters the register revoked. A legacy
// registration (numbered by its member before the chain kept the
// register) keeps its number, which search still finds.
//
//	reg     member(32) ‖ registration ID → the entry's JSON (RegEntry)
//	regseq  year(4) ‖ member(32) → the member's last sequence of the year (8),
//	        below state version 11, counted under the node key that files
//	        the registrations; from 11, year(4) ‖ place(4) → the same,
//	        counted under the member's place (nextRegNumber)
//	regsha  sha256(32) ‖ order(8) ‖ file(1) → member(32) ‖ registration ID
//	regph   perceptual hash(8) ‖ order(8) ‖ file(1) → member(32) ‖ registration ID
//	regnum  number ‖ 0x00 ‖ member(32) → registration ID
//
// and "regcount" in the app metadata, the register's size (its last
// order). Each entry is committed in the state map under RegKey(member,
// ID), with the SHA-256 of its JSON as the value.

// Register limits.
const (
	MaxRegistrations = 500 // registrations in one transaction
	MaxRegFiles      = 20  // files of one registration
	maxRegIDLen      = 64
	maxLegacyLen     = 64 // bytes
)

var (
	bReg    = []byte("reg")
	bRegSeq = []byte("regseq")
	bRegSHA = []byte("regsha")
	bRegPH  = []byte("regph")
	bRegNum = []byte("regnum")
)

// cstZone is China Standard Time, the zone of registration years.
var cstZone = time.FixedZone("CST", 8*3600)

// Registration is one registration in a KindRegister transaction.
type Registration struct {
	ID string
	// Org is the registrant organization: one the directory lists as the
	// submitting member's, or "" for one it does not list (the member's
	// operator).
	Org string
	// Legacy is the number the member gave the registration before the
	// chain kept the register; "" for a registration the chain numbers.
	Legacy string
	// Revoked marks the registration revoked at its home node: with Files,
	// a registration the register does not hold yet; without, one it does.
	Revoked bool
	Files   []RegFile
}

// RegFile is one file's fingerprints.
type RegFile struct {
	SHA256   [32]byte
	PHash    uint64
	HasPHash bool
}

// RegEntry is a registration as the consortium's register knows it.
type RegEntry struct {
	Member string `json:"member"` // the home member's ID (Tx.Member)
	ID     string `json:"id"`
	Org    string `json:"org,omitempty"`
	// Number is the number the chain assigned; Legacy the member's own,
	// for a registration from before the register (Number is then "").
	Number string        `json:"number,omitempty"`
	Legacy string        `json:"legacy,omitempty"`
	Files  []RegFileJSON `json:"files"`
	Height int64         `json:"height"` // the block that registered it
	Order  uint64        `json:"order"`  // its place in the register, from 1
	// Committed is the block whose commitment took its place (state
	// version 12, regcommit.go); 0 for an entry without a commitment.
	Committed int64 `json:"committed,omitempty"`
	// RevokedHeight is the block that marked it revoked; 0 while it is not.
	RevokedHeight int64 `json:"revoked_height,omitempty"`
}

// RegFileJSON is RegFile as an entry stores it.
type RegFileJSON struct {
	SHA256 string `json:"sha256"`
	PHash  string `json:"phash,omitempty"` // 16 hex digits
}

// Display is the number a registration is known by: the chain's, or its
// legacy number.
func (e *RegEntry) Display() string {
	if e.Number != "" {
		return e.Number
	}
	return e.Legacy
}

// RegKey is the state-map key of a registration's entry.
func RegKey(member, id string) [32]byte {
	return sha256.Sum256([]byte("custos/state/v5/reg\x00" + member + "\x00" + id))
}

func checkRegistrations(regs []Registration) error {
	if len(regs) == 0 || len(regs) > MaxRegistrations {
		return fmt.Errorf("%w: %d registrations, want 1..%d", ErrMalformedTx, len(regs), MaxRegistrations)
	}
	for i, r := range regs {
		switch {
		case r.ID == "" || len(r.ID) > maxRegIDLen || !printableASCII(r.ID):
			return fmt.Errorf("%w: registration %d: an ID of 1 to %d printable ASCII characters", ErrMalformedTx, i, maxRegIDLen)
		case len(r.Org) > maxOrgIDLen || r.Org != "" && !printableASCII(r.Org):
			return fmt.Errorf("%w: registration %d: an organization ID of up to %d printable ASCII characters", ErrMalformedTx, i, maxOrgIDLen)
		case len(r.Legacy) > maxLegacyLen || !utf8.ValidString(r.Legacy) || strings.ContainsFunc(r.Legacy, unicode.IsControl):
			return fmt.Errorf("%w: registration %d: a legacy number of up to %d bytes of UTF-8 without control characters", ErrMalformedTx, i, maxLegacyLen)
		case len(r.Files) > MaxRegFiles || len(r.Files) == 0 && !r.Revoked:
			return fmt.Errorf("%w: registration %d has %d files, want 1..%d (0 only to revoke it)", ErrMalformedTx, i, len(r.Files), MaxRegFiles)
		case i > 0 && regs[i-1].ID >= r.ID:
			return fmt.Errorf("%w: registration IDs are not in strictly increasing order at %d", ErrMalformedTx, i)
		}
		for j, f := range r.Files {
			if !f.HasPHash && f.PHash != 0 {
				return fmt.Errorf("%w: registration %d, file %d: a perceptual hash without its flag", ErrMalformedTx, i, j)
			}
		}
	}
	return nil
}

func appendRegistrations(b []byte, regs []Registration) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(regs)))
	for _, r := range regs {
		b = append(append(b, byte(len(r.ID))), r.ID...)
		b = append(append(b, byte(len(r.Org))), r.Org...)
		b = append(append(b, byte(len(r.Legacy))), r.Legacy...)
		if r.Revoked {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		b = append(b, byte(len(r.Files)))
		for _, f := range r.Files {
			if f.HasPHash {
				b = append(append(b, 1), f.SHA256[:]...)
				b = binary.BigEndian.AppendUint64(b, f.PHash)
			} else {
				b = append(append(b, 0), f.SHA256[:]...)
			}
		}
	}
	return b
}

func (t *Tx) decodeRegistrations(d *decoder) error {
	n := d.uint16()
	if d.short || n == 0 || n > MaxRegistrations {
		return fmt.Errorf("%w: registration count %d, want 1..%d", ErrMalformedTx, n, MaxRegistrations)
	}
	t.Regs = make([]Registration, 0, n)
	for i := uint16(0); i < n && !d.short; i++ {
		var r Registration
		for _, s := range []*string{&r.ID, &r.Org, &r.Legacy} {
			if l := d.next(1); l != nil {
				*s = string(d.next(int(l[0])))
			}
		}
		switch flags := d.next(1); {
		case flags == nil:
		case flags[0] == 1:
			r.Revoked = true
		case flags[0] != 0:
			return fmt.Errorf("%w: registration %d has flags %d, want 0 or 1", ErrMalformedTx, i, flags[0])
		}
		files := d.next(1)
		if files == nil || files[0] > MaxRegFiles || files[0] == 0 && !r.Revoked {
			return fmt.Errorf("%w: registration %d: a file count of 1..%d (0 only to revoke it)", ErrMalformedTx, i, MaxRegFiles)
		}
		r.Files = make([]RegFile, files[0])
		for j := range r.Files {
			f := &r.Files[j]
			switch flag := d.next(1); {
			case flag == nil:
			case flag[0] == 1:
				f.HasPHash = true
			case flag[0] != 0:
				return fmt.Errorf("%w: registration %d, file %d has flags %d, want 0 or 1", ErrMalformedTx, i, j, flag[0])
			}
			copy(f.SHA256[:], d.next(32))
			if f.HasPHash {
				f.PHash = d.uint64()
			}
		}
		t.Regs = append(t.Regs, r)
	}
	if d.short {
		return fmt.Errorf("%w: registrations cut short", ErrMalformedTx)
	}
	return nil
}

// checkRegister checks a registration transaction against the state in
// tx: each organization named is the member's in the directory, and at
// least one registration is new. A registration is the member's under any
// key it ran (sameMember, ownRegEntry).
//
// From state version 8 a new registration's legacy number must not have
// the form of a chain-assigned number (chainNumber; code 6: only the
// chain assigns those, so one spelled as another member's was listed
// beside it), nor be one the member already filed, under any of its keys
// or earlier in the transaction (code 3: the number index kept only the
// later); chain review finding 6.
func (a *App) checkRegister(tx *bolt.Tx, t *Tx, version int) (uint32, string) {
	member := t.Member()
	fresh := false
	legacies := map[string]bool{}
	for _, r := range t.Regs {
		if version >= StateV8 && r.Legacy != "" {
			if code, msg := checkLegacy(tx, t.memberKey(), r, legacies, version); code != CodeOK {
				return code, msg
			}
		}
		if r.Org != "" {
			e, ok := getDirEntry(tx, r.Org)
			if !ok {
				return CodeNotOwner, fmt.Sprintf("organization %s is not in the directory", r.Org)
			}
			if !sameMember(tx, member, e.Member) {
				return CodeNotOwner, fmt.Sprintf("organization %s is registered by another member", r.Org)
			}
		}
		_, cur, ok := ownRegEntry(tx, t.memberKey(), r.ID)
		switch {
		case !ok && len(r.Files) == 0:
			return CodeStale, fmt.Sprintf("registration %s is not in the register: revoke it with its files", r.ID)
		case !ok && version >= StateV12:
			if _, c, found := ownCommit(tx, t.memberKey(), RegCommitment(r.ID, r.Files)); !found || c.Used != 0 {
				return CodeStale, fmt.Sprintf("registration %s: the member has not committed to it (state version 12 enters a new registration at its commitment's place: commit first, then file it once the commitment is final)", r.ID)
			}
			fresh = true
		case !ok || r.Revoked && cur.RevokedHeight == 0:
			fresh = true
		}
	}
	if !fresh {
		return CodeDuplicate, "every registration is already in the register as it is"
	}
	return CodeOK, ""
}

// chainNumber matches what nextRegNumber assigns: CUS-(YEAR)-作登字-M<m>-
// NNNNNN. A node's own numbers from before the register
// (CUS-(YEAR)-作登字-NNNNNN) do not match.
var chainNumber = regexp.MustCompile(`^CUS-\([0-9]{4}\)-作登字-M[0-9]+-[0-9]{6,}$`)

// checkLegacy checks, from state version 8, the legacy number of r, a
// registration of the member whose node key is member: none of the
// chain's form, none the member filed before (under any key it ran) or
// earlier in the transaction (seen). A registration already in the
// register is filed again (a revocation) with its number: not checked.
// A repeated number is code 3 below state version 12 and code 7 from it,
// so that the member's node, which takes code 3 for "already done", sees
// the refusal (chain review of session 20, R7).
func checkLegacy(tx *bolt.Tx, member []byte, r Registration, seen map[string]bool, version int) (uint32, string) {
	dup := CodeDuplicate
	if version >= StateV12 {
		dup = CodeRefused
	}
	if _, _, ok := ownRegEntry(tx, member, r.ID); ok {
		return CodeOK, ""
	}
	if chainNumber.MatchString(r.Legacy) {
		return CodeNotOwner, fmt.Sprintf("registration %s: legacy number %q has the form of a number the chain assigns", r.ID, r.Legacy)
	}
	if seen[r.Legacy] {
		return dup, fmt.Sprintf("registration %s: legacy number %q twice in the transaction", r.ID, r.Legacy)
	}
	seen[r.Legacy] = true
	for _, k := range ownKeys(tx, member) {
		if id := tx.Bucket(bRegNum).Get(slices.Concat([]byte(r.Legacy), []byte{0}, k)); id != nil {
			return dup, fmt.Sprintf("registration %s: legacy number %q is already the member's registration %s", r.ID, r.Legacy, id)
		}
	}
	return CodeOK, ""
}

func regKey(member []byte, id string) []byte {
	return append(bytes.Clone(member), id...)
}

// applyRegister enters t's new registrations in the register (checked by
// checkRegister), numbering those without a legacy number, and queues
// their state-map entries. at is the block's time, version the state
// version the block applies at.
func (a *App) applyRegister(tx *bolt.Tx, t *Tx, height int64, at time.Time, version int) {
	fail := func(err error) {
		panic(fmt.Sprintf("anchor: register at height %d: %v", height, err))
	}
	member, memberHex := t.memberKey(), t.Member()
	meta := tx.Bucket(bAppMeta)
	var order uint64
	if v := meta.Get([]byte("regcount")); len(v) == 8 {
		order = binary.BigEndian.Uint64(v)
	}
	place := 0
	// enter stores a new entry e of r: numbered (unless legacy), indexed
	// at its place.
	enter := func(r Registration, e *RegEntry) {
		if r.Legacy == "" {
			if place == 0 {
				place = a.memberPlace(tx, member)
			}
			n, err := nextRegNumber(tx, member, place, at, version)
			if err != nil {
				fail(err)
			}
			e.Number = n
		}
		ref := slices.Concat(member, []byte(r.ID))
		ord := binary.BigEndian.AppendUint64(nil, e.Order)
		for i, f := range r.Files {
			fj := RegFileJSON{SHA256: hex.EncodeToString(f.SHA256[:])}
			if err := tx.Bucket(bRegSHA).Put(slices.Concat(f.SHA256[:], ord, []byte{byte(i)}), ref); err != nil {
				fail(err)
			}
			if f.HasPHash {
				fj.PHash = fmt.Sprintf("%016x", f.PHash)
				if err := tx.Bucket(bRegPH).Put(slices.Concat(binary.BigEndian.AppendUint64(nil, f.PHash), ord, []byte{byte(i)}), ref); err != nil {
					fail(err)
				}
			}
			e.Files = append(e.Files, fj)
		}
		if err := tx.Bucket(bRegNum).Put(slices.Concat([]byte(e.Display()), []byte{0}, member), []byte(r.ID)); err != nil {
			fail(err)
		}
		a.putRegEntry(tx, regKey(member, r.ID), e, fail)
	}
	type newEntry struct {
		r Registration
		e RegEntry
	}
	var later []newEntry // from state version 12: entered in the order of their places
	for _, r := range t.Regs {
		if key, cur, ok := ownRegEntry(tx, member, r.ID); ok {
			// Registered before: never twice, never renumbered; only
			// marked revoked, once.
			if r.Revoked && cur.RevokedHeight == 0 {
				cur.RevokedHeight = height
				a.putRegEntry(tx, key, &cur, fail)
			}
			continue
		}
		if len(r.Files) == 0 {
			continue // a revocation of nothing (checkRegister refuses it alone)
		}
		e := RegEntry{Member: memberHex, ID: r.ID, Org: r.Org, Legacy: r.Legacy, Height: height}
		if r.Revoked {
			e.RevokedHeight = height
		}
		if version < StateV12 {
			order++
			e.Order = order
			enter(r, &e)
			continue
		}
		// At the place its commitment took (checkRegister found it),
		// if filed within MaxCommitAge of it; else at the next.
		ref, c, ok := ownCommit(tx, member, RegCommitment(r.ID, r.Files))
		if !ok || c.Used != 0 {
			fail(fmt.Errorf("registration %s has no unused commitment", r.ID))
		}
		if at.Sub(c.Time) <= MaxCommitAge {
			e.Order, e.Committed = c.Order, c.Height
		} else {
			order++
			e.Order = order
		}
		c.Used = height
		a.putCommit(tx.Bucket(bRegCommit), ref, c, fail)
		later = append(later, newEntry{r, e})
	}
	// Numbers follow places: the earlier place, the lower number.
	slices.SortStableFunc(later, func(x, y newEntry) int { return cmp.Compare(x.e.Order, y.e.Order) })
	for i := range later {
		enter(later[i].r, &later[i].e)
	}
	if err := meta.Put([]byte("regcount"), binary.BigEndian.AppendUint64(nil, order)); err != nil {
		fail(err)
	}
}

// memberPlace is the member's place, from 1, in the chain's genesis
// validator set (the order InitChain recorded); for another key, from
// state version 6, the place of the member that runs (or ran) it; else 0.
func (a *App) memberPlace(tx *bolt.Tx, member []byte) int {
	var keys [][]byte
	if v := tx.Bucket(bAppMeta).Get([]byte("validators")); v != nil {
		if err := json.Unmarshal(v, &keys); err != nil {
			return 0
		}
	}
	for i, k := range keys {
		if bytes.Equal(memberOfKey(k), member) {
			return i + 1
		}
	}
	return governanceMemberPlace(tx, member)
}

// nextRegNumber takes the next registration number of at's year of the
// member whose node key is member, at place. Below state version 11 the
// count is the node key's (regseq: year ‖ member), so a rotated member's
// count started again under its new key (finding K1). From 11 it is the
// place's (regseq: year ‖ place), which a rotation keeps and the chain
// never gives another member; the first number of a year under it comes
// after the highest the member reached that year under any of its keys
// (memberKeys), so that none is given twice. A key of no known place (0)
// keeps its own count.
func nextRegNumber(tx *bolt.Tx, member []byte, place int, at time.Time, version int) (string, error) {
	year := at.In(cstZone).Format("2006")
	b := tx.Bucket(bRegSeq)
	seq := func(key []byte) uint64 {
		if v := b.Get(key); len(v) == 8 {
			return binary.BigEndian.Uint64(v)
		}
		return 0
	}
	key := append([]byte(year), member...)
	last := seq(key)
	if version >= StateV11 && place > 0 {
		key = binary.BigEndian.AppendUint32([]byte(year), uint32(place))
		if v := b.Get(key); len(v) == 8 {
			last = binary.BigEndian.Uint64(v)
		} else {
			last = 0
			for _, k := range memberKeys(tx, member) {
				last = max(last, seq(append([]byte(year), k...)))
			}
		}
	}
	n := last + 1
	if err := b.Put(key, binary.BigEndian.AppendUint64(nil, n)); err != nil {
		return "", err
	}
	return fmt.Sprintf("CUS-(%s)-作登字-M%d-%06d", year, place, n), nil
}

// putRegEntry stores e under key and queues its state-map entry.
func (a *App) putRegEntry(tx *bolt.Tx, key []byte, e *RegEntry, fail func(error)) {
	val, err := json.Marshal(e)
	if err == nil {
		err = tx.Bucket(bReg).Put(key, val)
	}
	if err != nil {
		fail(err)
	}
	a.queuePair(RegKey(e.Member, e.ID), sha256.Sum256(val))
}

func getRegEntry(tx *bolt.Tx, ref []byte) (RegEntry, bool) {
	var e RegEntry
	v := tx.Bucket(bReg).Get(ref)
	if v == nil || json.Unmarshal(v, &e) != nil {
		return e, false
	}
	return e, true
}

// Registration is the register's entry of a member's registration: member
// is a node member ID, and the entry is found under any validator key the
// member ran (a registration from before a rotation); Member is the
// member's current node member ID (rotated.go).
func (a *App) Registration(member, id string) (RegEntry, bool, error) {
	return a.registration(member, id, true)
}

// StoredRegistration is the register's entry of a registration under
// exactly node member ID member, as stored: the one a registration
// transaction of that node is checked against.
func (a *App) StoredRegistration(member, id string) (RegEntry, bool, error) {
	return a.registration(member, id, false)
}

func (a *App) registration(member, id string, anyKey bool) (RegEntry, bool, error) {
	key, err := memberKeyHex(member)
	if err != nil {
		return RegEntry{}, false, err
	}
	var e RegEntry
	var ok bool
	err = a.db.View(func(tx *bolt.Tx) error {
		keys := [][]byte{key}
		if anyKey {
			keys = memberKeys(tx, key)
		}
		for _, k := range keys {
			if e, ok = getRegEntry(tx, regKey(k, id)); ok {
				break
			}
		}
		if ok && anyKey {
			e.Member = currentNode(tx, e.Member)
		}
		return nil
	})
	return e, ok, err
}

// RegistrationsByNumber lists the registrations known by a number: at most
// one chain-assigned, or the legacy ones of that number (one per member);
// Member as Registration gives it.
func (a *App) RegistrationsByNumber(number string) ([]RegEntry, error) {
	var out []RegEntry
	prefix := append([]byte(number), 0)
	err := a.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bRegNum).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if e, ok := getRegEntry(tx, regKey(k[len(prefix):], string(v))); ok {
				e.Member = currentNode(tx, e.Member)
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}

// RegMatch is a registration a register search found.
type RegMatch struct {
	Entry    RegEntry
	File     int  // the matching file's index in Entry.Files
	Exact    bool // same SHA-256; else a perceptual hash within the threshold
	Distance int  // Hamming distance of the perceptual hashes; 0 if Exact
}

// SearchRegister lists the registrations with a file of SHA-256 sum (if
// not nil) or, if ph is not nil, an image whose perceptual hash is within
// threshold bits of *ph; one match per registration (an exact one before
// a similar one, then the closest), in register order, at most limit
// (truncated tells whether more matched). A similar search scans every
// perceptual hash in the register.
func (a *App) SearchRegister(sum *[32]byte, ph *uint64, threshold, limit int) (ms []RegMatch, truncated bool, err error) {
	type hit struct {
		order uint64
		ref   string
		file  int
		exact bool
		dist  int
	}
	best := map[string]*hit{}
	offer := func(h *hit) {
		cur, ok := best[h.ref]
		if !ok || h.exact && !cur.exact || h.exact == cur.exact && h.dist < cur.dist {
			best[h.ref] = h
		}
	}
	err = a.db.View(func(tx *bolt.Tx) error {
		if sum != nil {
			c := tx.Bucket(bRegSHA).Cursor()
			for k, v := c.Seek(sum[:]); k != nil && bytes.HasPrefix(k, sum[:]); k, v = c.Next() {
				offer(&hit{order: binary.BigEndian.Uint64(k[32:]), ref: string(v), file: int(k[40]), exact: true})
			}
		}
		if ph != nil {
			c := tx.Bucket(bRegPH).Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if d := bits.OnesCount64(*ph ^ binary.BigEndian.Uint64(k)); d <= threshold {
					offer(&hit{order: binary.BigEndian.Uint64(k[8:]), ref: string(v), file: int(k[16]), dist: d})
				}
			}
		}
		hits := make([]*hit, 0, len(best))
		for _, h := range best {
			hits = append(hits, h)
		}
		slices.SortFunc(hits, func(x, y *hit) int { return cmp.Compare(x.order, y.order) })
		if len(hits) > limit {
			hits, truncated = hits[:limit], true
		}
		for _, h := range hits {
			if e, ok := getRegEntry(tx, []byte(h.ref)); ok {
				e.Member = currentNode(tx, e.Member)
				ms = append(ms, RegMatch{Entry: e, File: h.file, Exact: h.exact, Distance: h.dist})
			}
		}
		return nil
	})
	return ms, truncated, err
}

func initRegister(tx *bolt.Tx) error {
	for _, b := range [][]byte{bReg, bRegSeq, bRegSHA, bRegPH, bRegNum} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}
