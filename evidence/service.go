package evidence

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/custos-project/custos/custody"
	"github.com/custos-project/custos/evidence/digestindex"
	"github.com/custos-project/custos/evidence/tokenstore"

	bolt "go.etcd.io/bbolt"

	"github.com/custos-project/custos/notary"
	"github.com/custos-project/custos/storage"
)

// Blobs is what the service needs from a blob store (storage.Folder, storage.S3).
type Blobs interface {
	Stage(ctx context.Context, name string) (storage.Staged, error)
	Promote(ctx context.Context, name, key string) error
	Discard(ctx context.Context, name string) error
	ListStaged(ctx context.Context) ([]storage.StagedInfo, error)
	Open(ctx context.Context, key string) (storage.Blob, error)
}

// Stamper obtains RFC 3161 tokens: the built-in notary.TSA or a notary.Client.
type Stamper interface {
	Stamp(ctx context.Context, h crypto.Hash, digest []byte) (*notary.Token, error)
}

// DefaultMaxSize is the default upload size limit.
const DefaultMaxSize = 16 << 30

// Config configures a Service.
type Config struct {
	DB       *bolt.DB  // metadata; required
	Blobs    Blobs     // blob store; required
	TSA      Stamper   // the built-in TSA; required
	External []Stamper // external TSAs; each upload gets a token from every one
	// StampTimeout bounds each external TSA call (default 10s).
	StampTimeout time.Duration
	SM3          bool  // compute SM3 beside SHA-256
	MaxSize      int64 // upload limit in bytes (default DefaultMaxSize)
	Now          func() time.Time
	Log          *slog.Logger
	// OnLeaves, if set, is called after custody events were queued for
	// anchoring, to wake the anchor's batcher. It must not block.
	OnLeaves func()
	// InlineMax is the largest upload, in bytes, whose bytes are kept in
	// bbolt with its record instead of in Blobs (see inline.go). 0 means
	// DefaultInlineMax with a *storage.Folder and no inlining with any
	// other store; a negative value turns inlining off.
	InlineMax int64
	// OnAnchored, if set, is told of each record that becomes anchored,
	// inside the transaction that records it (MarkFinal), so that what it
	// writes to tx is committed with it. It may run more than once, in
	// transactions that are rolled back; it must not block, and its error
	// fails the transaction (MarkFinal reports it; the batcher retries).
	OnAnchored func(tx *bolt.Tx, r *Record) error
	// WantAnchored, if set, says whether OnAnchored has anyone to tell
	// right now; when it says no, the records are not read back for it.
	WantAnchored func() bool
	// ReadFoldWindow is how long repeated reads of an item by one actor
	// (same type and subject) are folded into one custody event after the
	// read that opened the window (readfold.go). 0 means
	// DefaultReadFoldWindow; a negative window turns folding off, so that
	// every read is an event of its own.
	ReadFoldWindow time.Duration
	// OnLeafFinal, if set, is told of each local leaf that becomes final
	// at height, inside MarkFinal's transaction, so that a register keeps
	// what its events anchor (copyright.MarkAnchored). Like OnAnchored it
	// may run more than once, and its error fails the transaction.
	OnLeafFinal func(tx *bolt.Tx, leaf uint64, height int64) error
	// ItemOwner, if set, names the organization that owns item through a
	// register (the current owner of the copyright registration the item
	// is a file of, copyright.Owner), or "": that organization sees, lists
	// and shares the item as its own.
	ItemOwner func(tx *bolt.Tx, item string) string
	// OnShare, if set, is told of each share made and each share revoked
	// (sh.RevokedAt set), inside the transaction that records it, so that
	// a notice to the grantee's home member (api/peer's outbox) is
	// committed with it. Its error fails the transaction. It stays with the
	// share records: both the kernel's writes (PutShare, EndShare, which
	// evidence/sharing calls) and GiveItem, which ends a former owner's
	// shares, tell it.
	OnShare func(tx *bolt.Tx, sh *Share) error
}

// Service files evidence and records every access to it.
type Service struct {
	cfg  Config
	db   *bolt.DB
	log  *slog.Logger
	kick chan struct{} // wakes the promoter

	commits   *committer         // group commit of the service's writes (commit.go)
	facts     *recentFacts       // the last records' digests, for the anchoring and evidence records (facts.go)
	digests   *digestindex.Index // the sha256 index and its tail (evidence/digestindex)
	inlineMax int64              // resolved Config.InlineMax; 0: no inlining
	heads     *sync.Pool         // inline read buffers of inlineMax+1 bytes
	cursors   *cursors           // seals listing cursors (cursor.go)
	tokCerts  *tokenstore.Known  // the tokens' certificates fields known stored (tokenstore.go)
	oldInline bool               // the older inline bucket holds bytes (hasOldInline)
	// foldWindow is the resolved Config.ReadFoldWindow; 0: no folding.
	foldWindow time.Duration
	// finalKick carries MarkFinal's signal that items may have become
	// final (Finalized).
	finalKick chan struct{}
}

// New validates cfg and prepares the store. Call Recover before serving.
func New(ctx context.Context, cfg Config) (*Service, error) {
	switch {
	case cfg.DB == nil:
		return nil, errors.New("evidence: Config.DB is required")
	case cfg.Blobs == nil:
		return nil, errors.New("evidence: Config.Blobs is required")
	case cfg.TSA == nil:
		return nil, errors.New("evidence: Config.TSA is required")
	case cfg.MaxSize < 0:
		return nil, fmt.Errorf("evidence: Config.MaxSize %d is negative", cfg.MaxSize)
	}
	if cfg.MaxSize == 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.StampTimeout == 0 {
		cfg.StampTimeout = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if err := initBuckets(cfg.DB, allBuckets, accessBuckets, [][]byte{bVerifyTok, bDocSum}); err != nil {
		return nil, fmt.Errorf("evidence: init store: %w", err)
	}
	if n, err := HashVerifyTokens(cfg.DB); err != nil {
		return nil, err
	} else if n > 0 {
		cfg.Log.Info("keyed the verification tokens of an earlier version by their SHA-256", "tokens", n)
	}
	inline, err := inlineMax(cfg)
	if err != nil {
		return nil, err
	}
	commits := &committer{db: cfg.DB, log: cfg.Log}
	digests, damaged, err := digestindex.Open(digestindex.Config{DB: cfg.DB, Records: recordDigests{}, Commit: commits.commit, Log: cfg.Log})
	if err != nil {
		return nil, fmt.Errorf("evidence: sha256 index: %w", err)
	}
	if len(damaged) > 0 {
		cfg.Log.Error("sha256 index: records that do not decode are left out; run custos fsck", "seqs", damaged[:min(len(damaged), 10)])
	}
	cur, err := loadCursors(cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("evidence: cursor key: %w", err)
	}
	oldInline, err := hasOldInline(cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("evidence: init store: %w", err)
	}
	s := &Service{cfg: cfg, db: cfg.DB, log: cfg.Log, kick: make(chan struct{}, 1), finalKick: make(chan struct{}, 1),
		commits: commits, facts: &recentFacts{}, digests: digests, inlineMax: inline, heads: newHeadPool(inline), cursors: cur, tokCerts: &tokenstore.Known{}, oldInline: oldInline,
		foldWindow: foldWindow(cfg.ReadFoldWindow)}
	digests.Resume()
	return s, nil
}

func (s *Service) leavesQueued() {
	if s.cfg.OnLeaves != nil {
		s.cfg.OnLeaves()
	}
}

// MaxSize is the upload size limit in bytes.
func (s *Service) MaxSize() int64 { return s.cfg.MaxSize }

// Get returns a record without recording an access. Use Access for reads
// made on behalf of a caller.
func (s *Service) Get(ctx context.Context, id string) (*Record, error) {
	if !ValidID(id) {
		return nil, ErrNotFound
	}
	var r *Record
	err := s.db.View(func(tx *bolt.Tx) error {
		seq, ok := getSeq(tx, id)
		if !ok {
			return ErrNotFound
		}
		var err error
		r, err = getRecord(tx, seq)
		return err
	})
	return r, err
}

// Access durably records a custody event of the given type (viewed,
// downloaded...) by actor on evidence id, then returns the record and the
// event. The event is committed before the caller may show anything, so no
// access goes unrecorded. A repeated read inside its fold window
// (readfold.go) is counted durably instead, and the event returned is nil.
// Access checks no right to the item: it records a read that the caller
// authorized otherwise. A read by an organization of an item it must be
// able to see is AccessAs.
func (s *Service) Access(ctx context.Context, id, actor, typ, subject string) (*Record, *custody.Event, error) {
	return s.access(id, actor, typ, subject, nil)
}

// AccessAs is Access for a read by actor, a key of organization org (or a
// key of org on another member's node, relayed), of an item org must be
// able to see: it owns the item, or the item or its matter is shared with
// it (visible). That right is decided in the transaction that records the
// read, at the read's own time, so a share revoked or expired before that
// transaction commits refuses the read with ErrNotVisible and nothing is
// recorded, and one revoked after it found the read recorded while the
// right held. ErrNotVisible is ErrNotFound to errors.Is, so a caller that
// answers a missing item and an invisible one alike still does.
func (s *Service) AccessAs(ctx context.Context, id, org, actor, typ, subject string) (*Record, *custody.Event, error) {
	return s.access(id, actor, typ, subject, func(tx *bolt.Tx, r *Record, now time.Time) bool {
		return s.visible(tx, r, org, now)
	})
}

// access records the read, if may (when not nil) allows it in the
// transaction that records it.
func (s *Service) access(id, actor, typ, subject string, may func(tx *bolt.Tx, r *Record, now time.Time) bool) (*Record, *custody.Event, error) {
	if !ValidID(id) {
		return nil, nil, ErrNotFound
	}
	var rec *Record
	var ev *custody.Event
	var refused bool
	err := s.commits.commit(func(tx *bolt.Tx) error {
		rec, ev, refused = nil, nil, false // the group commit may run this more than once
		seq, ok := getSeq(tx, id)
		if !ok {
			return ErrNotFound
		}
		r, err := getRecord(tx, seq)
		if err != nil {
			return err
		}
		now := s.cfg.Now()
		if may != nil && !may(tx, r, now) {
			// Nothing written: the others of the group commit go on.
			refused = true
			return nil
		}
		e, err := s.appendRead(tx, seq, id, actor, typ, subject, now)
		if err != nil {
			return err
		}
		rec, ev = r, e
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if refused {
		return nil, nil, ErrNotVisible
	}
	s.leavesQueued()
	return rec, ev, nil
}

// Custody returns the item's custody events in order.
func (s *Service) Custody(ctx context.Context, id string) ([]*custody.Event, error) {
	var out []*custody.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		seq, ok := getSeq(tx, id)
		if !ok {
			return ErrNotFound
		}
		var err error
		out, err = getEvents(tx, seq)
		return err
	})
	return out, err
}

// Token returns the i-th RFC 3161 reply (DER TimeStampResp) of a record;
// token 0 is the built-in TSA's.
func (s *Service) Token(ctx context.Context, r *Record, i int) ([]byte, error) {
	if i < 0 || i >= len(r.Tokens) {
		return nil, ErrNotFound
	}
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		v := getToken(tx, r.Seq, i)
		if v == nil {
			return fmt.Errorf("evidence: token %d of %s is missing or damaged", i, r.ID)
		}
		out = append([]byte(nil), v...)
		return nil
	})
	return out, err
}

// Blob is an item's stored bytes, open for reading, as Open returns them:
// the blob store's (a storage.Blob) or the inline bytes. Range requests are
// served through Seek and Read (http.ServeContent); Size is the length of
// the whole item.
type Blob interface {
	io.ReadSeekCloser
	Size() int64
}

// Open returns the record's bytes, from bbolt if they are inline (see
// inline.go), else from the blob store. ErrNotStored means the record is
// committed but its blob has not reached its final key yet.
//
// The final key is tried first: a content-addressed key exists only once
// Promote has written it, and the pending marker is cleared lazily after
// that, so a read right after the upload must not trust the marker alone.
func (s *Service) Open(ctx context.Context, r *Record) (Blob, error) {
	if b, ok, err := s.openInline(r); ok || err != nil {
		return b, err
	}
	b, err := s.cfg.Blobs.Open(ctx, r.BlobKey())
	if err == nil {
		return b, nil
	}
	if errors.Is(err, storage.ErrUnavailable) {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if errors.Is(err, storage.ErrNotFound) {
		var pending bool
		if verr := s.db.View(func(tx *bolt.Tx) error {
			pending = tx.Bucket(bPending).Get(u64(r.Seq)) != nil
			return nil
		}); verr != nil {
			return nil, verr
		}
		if pending {
			return nil, ErrNotStored
		}
	}
	return nil, err
}
