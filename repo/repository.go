package repo

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/storage"
	"github.com/klauspost/compress/zstd"
)

// Storage object names of the repository's fixed objects and prefixes.
const (
	configName     = "config"
	keysPrefix     = "keys/"
	indexPrefix    = "index/"
	snapshotPrefix = "snapshots/"
	packsPrefix    = "packs/"
)

// Repository is an open custodia repository. Its methods are safe for
// concurrent use. Close it (or at least Flush it) after writing.
type Repository struct {
	store  *storage.Store
	cfg    Config
	master crypto.MasterKey
	// older are the master keys of the older generations, oldest first
	// (the keyring, docs/FORMAT.md §17.5).
	older []crypto.MasterKey

	hasher   *chunk.IDHasher
	gear     *chunk.Gear
	indexKey *sealKey
	// dataKey seals what this session writes: the newest data key, or the
	// session key of a write-only session.
	dataKey *sealKey
	encoder *zstd.Encoder // of cfg.Compression, for blobs

	// kmu guards keyring and privs, which grow as session keys are met.
	kmu sync.RWMutex
	// keyring resolves KeyIDs to keys (docs/FORMAT.md §17.6).
	keyring map[crypto.KeyID]*sealKey
	// privs are the X25519 private keys, by the KeyID of their public key.
	privs map[crypto.KeyID]crypto.PrivateKey
	// pub is the newest X25519 public key, to which write-only sessions
	// wrap their session keys.
	pub crypto.PublicKey
	// writeOnly is set for a session opened with a write-only key, and
	// bundle holds its keys (to change its password).
	writeOnly bool
	bundle    *keyBundle
	// slot is the key slot that opened this session ("" after Init), and
	// slotParams its Argon2id cost.
	slot       string
	slotParams crypto.Argon2Params
	// custody is set for a session opened with custody shares, and
	// custodyRec is the record of its split.
	custody    bool
	custodyRec *custodyRecord
	// auditMu serializes this session's audit appends.
	auditMu sync.Mutex

	idx *index
	// cacheKey keys the persistent index cache (derivePersistKeyFull, or
	// derivePersistKey in a write-only session), and
	// indexFilesRead counts the index files the open read.
	cacheKey       [32]byte
	indexFilesRead int
	// rollback keeps the newest snapshot time seen (WithRollbackGuard).
	rollback *rollbackGuard
	// warnings are problems met while opening that did not stop it, such
	// as an unreadable index file.
	warnings []error
	// gc is what this writer must know of concurrent prunes (§19.6).
	gc gcState

	// Writing state.
	wmu       sync.Mutex
	pending   map[BlobHandle]struct{} // sealed, not yet durable
	open      [openPacks]*packBuilder
	written   []IndexPack // durable packs not yet in an index file
	ckpt      checkpoints // index files written along the way
	uploads   sync.WaitGroup
	uploadSem chan struct{}
	packBufs  chan []byte // buffers of uploaded packs, for reuse
	// parityBufs holds the free parity buffers (pack_buffers.go).
	parityBufs chan []byte
	// uploadSlotsMu guards extraUploads, the upload slots added to
	// uploads, and uploadRaises, the RaiseUploads not yet released
	// (upload_slots.go).
	uploadSlotsMu sync.Mutex
	extraUploads  int
	uploadRaises  int
	// uploadsRaised is set while a RaiseUploads holds: the writer's
	// staging buffers are larger then (stagingSize).
	uploadsRaised atomic.Bool
	// packBufsMade counts the pack buffers allocated (at most packBuffers),
	// packsStaged the packs started in a staging buffer (pack_buffers.go),
	// stagedUploads those uploaded from it.
	packBufsMade, packsStaged, stagedUploads int
	// uploadGate, set by tests, holds each pack upload until it receives.
	uploadGate chan struct{}
	uploadErr  error
	stats      WriteStats
}

// WriteStats counts what a Repository added since it was opened.
type WriteStats struct {
	// Blobs and Bytes count new blobs and their plaintext bytes.
	Blobs uint64
	Bytes uint64
	// Stored counts the sealed (compressed, encrypted) bytes of new blobs.
	Stored uint64
	// Packs counts uploaded packs.
	Packs uint64
}

// InitOption configures Init.
type InitOption func(*initOptions)

type initOptions struct {
	argon         crypto.Argon2Params
	chunker       chunk.Params
	packSize      int
	compression   Compression
	allowSiteLoss bool
	objectLock    *ObjectLockConfig // objectlock.go
}

// WithAllowSiteLoss lets Init create a repository on two or more sites
// whose coding does not survive the loss of one site (one site holds more
// shards of an object than its parity shards); without it Init refuses
// with a *storage.SiteLossError.
func WithAllowSiteLoss() InitOption {
	return func(o *initOptions) { o.allowSiteLoss = true }
}

// WithArgon2 sets the Argon2id cost of the first key slot.
func WithArgon2(p crypto.Argon2Params) InitOption {
	return func(o *initOptions) { o.argon = p }
}

// WithChunker sets the content-defined chunking sizes.
func WithChunker(p chunk.Params) InitOption {
	return func(o *initOptions) { o.chunker = p }
}

// WithPackSize sets the target pack size in bytes (1 MiB to 256 MiB).
func WithPackSize(n int) InitOption {
	return func(o *initOptions) { o.packSize = n }
}

// WithCompression sets the zstd level of the repository's blobs (default
// CompressionFastest). An unknown level makes Init fail with an error
// wrapping ErrUnsupported.
func WithCompression(c Compression) InitOption {
	return func(o *initOptions) { o.compression = c }
}

// Init creates a new repository in store, protected by password, and
// returns it open. It fails with ErrAlreadyInitialized if the store already
// holds a repository.
func Init(ctx context.Context, store *storage.Store, password []byte, opts ...InitOption) (*Repository, error) {
	if len(password) == 0 {
		return nil, ErrNoPassword
	}
	o := initOptions{argon: crypto.DefaultArgon2Params(), chunker: chunk.DefaultParams(), packSize: DefaultPackSize}
	for _, opt := range opts {
		opt(&o)
	}
	if err := DefaultSlotLimits().allows(o.argon); err != nil {
		return nil, fmt.Errorf("%w (Open would skip such a slot by default)", err)
	}
	if _, ok := o.compression.encoder(); !ok {
		return nil, fmt.Errorf("%w: compression level %q (fastest, default or better)", ErrUnsupported, o.compression)
	}
	// Init writes the config and then the first key slot. A config without
	// any key slot, index, snapshot or pack is what an interrupted Init
	// leaves: nobody can open it, and it is replaced. Anything more is a
	// repository.
	for _, name := range []string{keysPrefix, indexPrefix, snapshotPrefix, packsPrefix, custodyPrefix, keyringPrefix} {
		found, err := anyObject(ctx, store, name)
		if err != nil {
			return nil, err
		}
		if found {
			return nil, ErrAlreadyInitialized
		}
	}
	master, err := crypto.NewMasterKey()
	if err != nil {
		return nil, err
	}
	id, err := randomID()
	if err != nil {
		return nil, err
	}
	k, m := store.Shards()
	if err := storage.CheckSiteLoss(k, m, len(store.Sites())); err != nil && !o.allowSiteLoss {
		return nil, err
	}
	_, pub := crypto.NewX25519FromSeed(master.Derive(crypto.PurposeX25519))
	cfg := Config{
		Version:      FormatVersion,
		ID:           id,
		Created:      time.Now().UTC().Truncate(time.Second),
		Chunker:      o.chunker,
		PackSize:     o.packSize,
		DataShards:   k,
		ParityShards: m,
		PublicKey:    hex.EncodeToString(pub[:]),
		Compression:  o.compression,
	}
	if o.objectLock != nil {
		if store, err = checkInitLock(ctx, store, o.objectLock); err != nil {
			return nil, err
		}
		cfg.ObjectLock = o.objectLock
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r := newRepository(store, cfg, master)
	payload, err := json.Marshal(&cfg)
	if err != nil {
		return nil, err
	}
	if err := store.Put(ctx, configName, sealEnvelope(magicConfig, r.indexKey, configName, payload)); err != nil {
		return nil, fmt.Errorf("write config: %w", err)
	}
	info, err := r.writeSlot(ctx, password, &keyBundle{role: roleFull, master: r.master}, KeyInfo{Role: RoleFull}, o.argon)
	if err != nil {
		return nil, err
	}
	r.slot, r.slotParams = keysPrefix+info.ID, o.argon
	if err := r.audit(ctx, "init", lockAuditArgs(map[string]string{"repository": cfg.ID.String()}, cfg.ObjectLock), nil); err != nil {
		return nil, err
	}
	return r, nil
}

// anyObject reports whether an object named name, or any under the prefix
// name when it ends in a slash, exists.
func anyObject(ctx context.Context, store *storage.Store, name string) (bool, error) {
	for n, err := range store.List(ctx, name) {
		if err != nil {
			return false, err
		}
		if n == name || name[len(name)-1] == '/' {
			return true, nil
		}
	}
	return false, nil
}

// uploads is how many packs are uploaded at once; with the packs being
// filled it bounds a writer's pack memory to packBuffers packs. One upload
// beside the filling keeps a local disk busy (each shard is fsynced) and
// measured faster than two (docs/PERFORMANCE.md).
const uploads = 1

func newRepository(store *storage.Store, cfg Config, master crypto.MasterKey) *Repository {
	return newRepositoryGen(store, cfg, master, nil)
}

// newRepositoryGen returns a full-access repository holding the newest
// master key and the older ones of its keyring, oldest first (§17.5): the
// chunk-ID, chunker and index keys come from generation 0, the data key
// that seals new objects and the public key from the newest, and every
// generation's data key and X25519 private key resolve KeyIDs (§17.6).
func newRepositoryGen(store *storage.Store, cfg Config, master crypto.MasterKey, older []crypto.MasterKey) *Repository {
	m0 := master
	if len(older) > 0 {
		m0 = older[0]
	}
	hasher, err := chunk.NewIDHasher(func() []byte { k := m0.Derive(crypto.PurposeChunkID); return k[:] }())
	if err != nil {
		panic(err) // a 32-byte key is always accepted
	}
	gk := m0.Derive(crypto.PurposeChunker)
	ik := m0.Derive(crypto.PurposeIndex)
	defer ik.Wipe()
	r := &Repository{
		store:      store,
		cfg:        cfg,
		master:     master,
		older:      slices.Clone(older),
		hasher:     hasher,
		gear:       chunk.NewGear(gk[:]),
		indexKey:   newSealKey(keyIndex, ik),
		cacheKey:   derivePersistKeyFull(m0),
		dataKey:    newSealKey(keyData, master.Derive(crypto.PurposeData)),
		idx:        newIndex(),
		pending:    make(map[BlobHandle]struct{}),
		uploadSem:  newUploadSem(),
		packBufs:   make(chan []byte, packBuffers),
		parityBufs: make(chan []byte, maxUploads),
	}
	r.keyring = map[crypto.KeyID]*sealKey{r.dataKey.id: r.dataKey, r.indexKey.id: r.indexKey}
	r.privs = map[crypto.KeyID]crypto.PrivateKey{}
	for _, m := range older {
		dk := newSealKey(keyData, m.Derive(crypto.PurposeData))
		r.keyring[dk.id] = dk
		priv, pub := crypto.NewX25519FromSeed(m.Derive(crypto.PurposeX25519))
		r.privs[pub.ID()] = priv
	}
	priv, pub := crypto.NewX25519FromSeed(master.Derive(crypto.PurposeX25519))
	r.privs[pub.ID()] = priv
	r.pub = pub
	r.idx.trusted = r.trustedKey
	r.useConfig(cfg)
	return r
}

// useConfig makes cfg the repository's configuration, with the encoder of
// its compression level.
func (r *Repository) useConfig(cfg Config) {
	r.cfg = cfg
	enc, ok := cfg.Compression.encoder()
	if !ok {
		enc = zstdEncoder
		r.warnings = append(r.warnings, fmt.Errorf("%w: compression level %q: new data is compressed at the fastest level", ErrUnsupported, cfg.Compression))
	}
	r.encoder = enc
}

// Open opens the repository in store with password and loads its index.
//
// It tries the key slots cheapest first, skipping slots that ask for more
// Argon2id cost than the limits (DefaultSlotLimits, or WithSlotLimits) and
// slots whose keys do not authenticate the config (copied from another
// repository). It fails with ErrWrongPassword only when every slot was
// tried and refused the password; a slot that is damaged, unsupported or
// over the limits makes the error wrap ErrMalformed, ErrUnsupported or
// ErrSlotLimit instead.
func Open(ctx context.Context, store *storage.Store, password []byte, opts ...OpenOption) (*Repository, error) {
	if len(password) == 0 {
		return nil, ErrNoPassword
	}
	o := openOptions{limits: DefaultSlotLimits()}
	for _, opt := range opts {
		opt(&o)
	}
	var names []string
	for name, err := range store.List(ctx, keysPrefix) {
		if err != nil {
			return nil, fmt.Errorf("list key slots: %w", err)
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		if found, err := anyObject(ctx, store, custodyPrefix); err == nil && found {
			return nil, ErrCustodyOnly
		}
		if found, err := anyObject(ctx, store, configName); err == nil && found {
			return nil, fmt.Errorf("%w (a config without key slots: an interrupted init; run init again)", ErrNotInitialized)
		}
		return nil, ErrNotInitialized
	}
	cfgBytes, _, err := store.Get(ctx, configName, storage.MaxSize(maxConfigPayload+envelopeSlack))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("%w (key slots exist but the config object is missing)", ErrNotInitialized)
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	slots, problems := readSlots(ctx, store, names, o.limits)
	var (
		r          *Repository
		cfgPayload []byte
		slotName   string
	)
	accept := func(b *keyBundle) error {
		var cand *Repository
		switch b.role {
		case roleFull:
			older, err := readKeyring(ctx, store, b.master)
			if err != nil {
				return err
			}
			cand = newRepositoryGen(store, Config{}, b.master, older)
			for i := range older {
				older[i].Wipe()
			}
		case roleWriteOnly:
			cand = newWriteOnlyRepository(store, b)
		default:
			return fmt.Errorf("%w: key role %d cannot open a repository by itself", ErrUnsupported, b.role)
		}
		payload, err := openEnvelope(magicConfig, cfgBytes, configName, cand.keyFor(kindConfig), maxConfigPayload)
		if err != nil {
			// A forged shard may hide the config these keys open: let
			// the storage try the other writes it finds.
			_, _, err = store.Get(ctx, configName, storage.MaxSize(maxConfigPayload+envelopeSlack), storage.Authenticate(func(b []byte) (err error) {
				payload, err = openEnvelope(magicConfig, b, configName, cand.keyFor(kindConfig), maxConfigPayload)
				return err
			}))
		}
		if err != nil {
			return fmt.Errorf("it opens with this password but its keys do not authenticate this repository's config (a slot copied from another repository, or a damaged config): %w", err)
		}
		r, cfgPayload = cand, payload
		return nil
	}
	if o.beforeUnlock != nil {
		o.beforeUnlock()
	}
	b, err := unlock(slots, problems, password, o.limits, accept, func(name string) { slotName = name })
	if err != nil {
		return nil, err
	}
	b.wipe()
	// A rotation cut short between writing the new generation's slot and
	// removing the old one leaves two slots with this password: use the
	// newest generation's.
	if newer := r.newerSlots(ctx, slots); len(newer) > 0 {
		prev := r
		if b, err := unlock(newer, nil, password, o.limits, accept, func(name string) { slotName = name }); err == nil {
			b.wipe()
			prev.wipeKeys()
		}
	}
	cfg, err := decodeConfig(cfgPayload)
	if err != nil {
		return nil, err
	}
	r.slot = slotName
	if i := slices.IndexFunc(slots, func(s storedSlot) bool { return s.name == slotName }); i >= 0 {
		r.slotParams = slots[i].slot.Params
	}
	if o.afterUnlock != nil {
		o.afterUnlock()
	}
	if err := r.finishOpen(ctx, store, cfg, o); err != nil {
		return nil, err
	}
	return r, nil
}

// finishOpen completes an open once the config is authenticated: coding,
// rollback guard, session key of a write-only session, and the index.
func (r *Repository) finishOpen(ctx context.Context, store *storage.Store, cfg *Config, o openOptions) (err error) {
	r.useConfig(*cfg)
	if o.rollbackDir != "" {
		r.rollback = &rollbackGuard{path: filepath.Join(o.rollbackDir, cfg.ID.String())}
	}
	// New objects are coded as the config says, whatever store was opened with.
	if r.store, err = store.Coded(cfg.DataShards, cfg.ParityShards); err != nil {
		return fmt.Errorf("%w: config: %w", ErrMalformed, err)
	}
	r.useObjectLock(ctx)
	if r.writeOnly {
		if err := r.startSession(ctx); err != nil {
			return err
		}
	}
	// Prune markers first: the index prefers blobs' places in packs no
	// marker condemns (docs/FORMAT.md §19.6).
	if err := r.loadPruneState(ctx); err != nil {
		return err
	}
	if !o.noIndex {
		r.idx.configure(o.index)
		return r.loadIndex(ctx)
	}
	return nil
}

// getEnvelope reads and opens the sealed envelope name of the given kind.
// The storage layer checks the envelope's authentication on each candidate
// object, so shards forged with valid checksums are outvoted by the others
// (storage.Authenticate) rather than making the object unreadable.
func (r *Repository) getEnvelope(ctx context.Context, magic, name string, kind objectKind, maxSize int) ([]byte, error) {
	payload, _, err := r.readEnvelope(ctx, magic, name, kind, maxSize, false)
	return payload, err
}

// readEnvelope is getEnvelope that also returns a copy of the object as
// stored when keep is set (for a local cache of it).
func (r *Repository) readEnvelope(ctx context.Context, magic, name string, kind objectKind, maxSize int, keep bool) (payload, obj []byte, err error) {
	_, _, err = r.store.Get(ctx, name, storage.MaxSize(int64(maxSize)+envelopeSlack), storage.Authenticate(func(b []byte) (err error) {
		payload, err = openEnvelope(magic, b, name, r.keyForCtx(ctx, kind), maxSize)
		if err == nil && keep {
			obj = slices.Clone(b)
		}
		return err
	}))
	return payload, obj, err
}

// Largest stored objects accepted, by kind, so that a planted object
// cannot make a reader allocate more (storage.MaxSize): an envelope is at
// most its payload limit plus envelopeSlack; a key slot is a few hundred
// bytes.
const (
	envelopeSlack    = 4 << 10
	maxKeySlotObject = 64 << 10
	maxConfigPayload = 1 << 20
)

// Warnings returns the problems met while opening that did not stop it.
func (r *Repository) Warnings() []error { return r.warnings }

// Config returns the repository's configuration.
func (r *Repository) Config() Config { return r.cfg }

// Store returns the storage the repository lives in.
func (r *Repository) Store() *storage.Store { return r.store }

// ChunkerParams returns the chunking sizes and gear table that every writer
// of this repository must use, so that equal data deduplicates.
func (r *Repository) ChunkerParams() (chunk.Params, *chunk.Gear) { return r.cfg.Chunker, r.gear }

// BlobID returns the keyed ID of a blob's plaintext.
func (r *Repository) BlobID(data []byte) ID { return r.hasher.Sum(data) }

// HasBlob reports whether the blob is stored or being stored.
func (r *Repository) HasBlob(h BlobHandle) bool {
	if r.hasForDedup(h) {
		return true
	}
	r.wmu.Lock()
	_, ok := r.pending[h]
	r.wmu.Unlock()
	return ok
}

// Stats returns what this Repository has written since it was opened.
func (r *Repository) Stats() WriteStats {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	return r.stats
}

// Close flushes pending writes (a pack not yet full, the index) and wipes
// the master key held by the Repository. The keys derived from it live on
// inside the ciphers of the Repository until it is garbage collected (Go
// offers no way to wipe them); do not use the Repository after Close. It
// does not close the storage.Store the Repository was opened on: whoever
// opened the store closes it, after Close.
func (r *Repository) Close(ctx context.Context) error {
	err := r.Flush(ctx)
	r.wipeKeys()
	return err
}

// wipeKeys wipes the master keys and key bundle the Repository holds.
func (r *Repository) wipeKeys() {
	r.master.Wipe()
	clear(r.cacheKey[:])
	for i := range r.older {
		r.older[i].Wipe()
	}
	if r.bundle != nil {
		r.bundle.wipe()
	}
}

// parallel runs fn for i in [0,n) on at most workers goroutines, stopping
// at the first error.
func parallel(ctx context.Context, n, workers int, fn func(context.Context, int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		})
	}
loop:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break loop
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && ctx.Err() != nil {
		return err
	}
	return nil
}
