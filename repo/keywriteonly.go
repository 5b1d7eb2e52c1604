package repo

import (
	"context"
	"errors"
	"fmt"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/storage"
)

// ErrWriteOnly means the repository was opened with a write-only key,
// which adds backups but cannot read snapshots, trees, file names or
// contents, restore or check (docs/FORMAT.md §17.3).
var ErrWriteOnly = errors.New("this key is write-only: it can add backups but cannot read snapshots, file names or contents")

// newWriteOnlyRepository returns a repository for a write-only session: it
// holds the generation-0 chunk-ID, chunker and index keys and the newest
// public key of the bundle, not the master key nor any data key.
func newWriteOnlyRepository(store *storage.Store, b *keyBundle) *Repository {
	hasher, err := chunk.NewIDHasher(b.chunkID[:])
	if err != nil {
		panic(err) // a 32-byte key is always accepted
	}
	r := &Repository{
		store:      store,
		hasher:     hasher,
		gear:       chunk.NewGear(b.chunker[:]),
		indexKey:   newSealKey(keyIndex, b.index),
		cacheKey:   derivePersistKey(b.index),
		idx:        newIndex(),
		pending:    make(map[BlobHandle]struct{}),
		uploadSem:  newUploadSem(),
		packBufs:   make(chan []byte, packBuffers),
		parityBufs: make(chan []byte, maxUploads),
		pub:        b.pub,
		writeOnly:  true,
		bundle:     &keyBundle{role: roleWriteOnly, chunkID: b.chunkID, chunker: b.chunker, index: b.index, pub: b.pub, token: b.token},
		privs:      map[crypto.KeyID]crypto.PrivateKey{},
	}
	r.keyring = map[crypto.KeyID]*sealKey{r.indexKey.id: r.indexKey}
	r.useConfig(Config{})
	return r
}

// startSession draws the session key D of a write-only session, writes
// sessions/<hex KeyID(D)> holding D wrapped to the repository's public key
// — before anything sealed under D — and makes D the key new blobs and
// snapshots are sealed under. The session cannot unwrap D again: once the
// Repository is gone, nothing it wrote can be read without the master key.
func (r *Repository) startSession(ctx context.Context) error {
	d, err := crypto.RandomKey()
	if err != nil {
		return err
	}
	defer d.Wipe()
	wrapped, err := crypto.WrapKey(r.pub, d)
	if err != nil {
		return fmt.Errorf("%w: write-only key: %w", ErrMalformed, err)
	}
	name := sessionsPrefix + d.ID().String()
	if err := r.store.Put(ctx, name, wrapped); err != nil {
		return fmt.Errorf("write session key: %w", err)
	}
	r.dataKey = newSealKey(keySession, d)
	return nil
}

// readable returns ErrWriteOnly for a write-only session.
func (r *Repository) readable() error {
	if r.writeOnly {
		return ErrWriteOnly
	}
	return nil
}

// WriteOnly reports whether the repository was opened with a write-only
// key.
func (r *Repository) WriteOnly() bool { return r.writeOnly }

// hasForDedup reports whether a new blob h need not be stored: a
// full-access writer trusts only blobs in packs sealed under a data key
// (a write-only writer's index entry may lie, §17.3) and stores the
// others again; a write-only writer, which cannot verify anything, trusts
// every entry.
func (r *Repository) hasForDedup(h BlobHandle) bool {
	return r.indexHas(h, !r.writeOnly)
}
