package repo

import (
	"context"
	"fmt"
	"time"

	"github.com/custodia-backup/custodia/crypto"
)

// A writer names its completed packs in an index file not only at Flush
// but also while it keeps writing (a checkpoint), as restic does, so that
// the packs of a backup that is killed, or that stops on an error, are
// found by the next backup, which then stores only what is missing.

// checkpointEvery is the longest a completed pack waits for an index
// file while a writer keeps writing; checkpointPacks is the most packs
// that wait, and checkpointEntries the most blob entries (48 bytes each
// in memory), so that a writer of many small blobs (table pages) holds a
// bounded number of them.
const (
	checkpointEvery   = 2 * time.Minute
	checkpointPacks   = 64
	checkpointEntries = 16 << 10
)

// checkpoints is a writer's state of index files written along the way.
type checkpoints struct {
	every time.Duration // 0 means checkpointEvery (tests set it)
	last  time.Time     // when the writer last started an index file
}

// checkpointDueLocked is called with r.wmu held after a pack upload
// succeeded. When an index file is due it takes the packs waiting for one
// and returns them; the caller writes the file.
func (r *Repository) checkpointDueLocked() []IndexPack {
	now := time.Now()
	if r.ckpt.last.IsZero() {
		r.ckpt.last = now
	}
	every := r.ckpt.every
	if every == 0 {
		every = checkpointEvery
	}
	entries := 0
	for _, p := range r.written {
		entries += len(p.Entries)
	}
	if len(r.written) < checkpointPacks && entries < checkpointEntries && now.Sub(r.ckpt.last) < every {
		return nil
	}
	due := r.written
	r.written = nil
	r.ckpt.last = now
	return due
}

// writeIndexFile writes one index file naming packs, all completely
// written. When it fails the packs wait for the next index file.
func (r *Repository) writeIndexFile(ctx context.Context, packs []IndexPack) error {
	id, err := randomID()
	if err == nil {
		name := indexPrefix + id.String()
		if err = r.store.Put(ctx, name, r.sealIndexFile(name, encodeIndexFile(packs))); err != nil {
			err = fmt.Errorf("write index: %w", err)
		}
	}
	if err != nil {
		r.wmu.Lock()
		r.written = append(packs, r.written...)
		r.wmu.Unlock()
	}
	return err
}

// SaveIndex waits for the pack uploads under way and writes an index file
// naming every pack completely written that no index file names yet. It
// does not upload the pack being filled. A writer that stops early (its
// context cancelled, a write failed) calls it, with a context of its own,
// so that the next backup reuses what this one stored; blobs it saved
// after the last completed pack are lost and stored again then. Nothing
// else may write to r while it runs.
func (r *Repository) SaveIndex(ctx context.Context) error {
	r.uploads.Wait()
	r.wmu.Lock()
	written := r.written
	r.written = nil
	r.wmu.Unlock()
	if len(written) == 0 {
		return nil
	}
	return r.writeIndexFile(ctx, written)
}

// sealIndexFile seals the payload of index file name as sealEnvelope does,
// in one buffer: encoded after room for the header and the nonce, sealed
// in place, with the capacity the store needs to code the parity shards
// in place (storage.PutCapacity). A checkpoint of 16k entries (about 0.7
// MiB) otherwise held the encoding, the sealed copy and the store's copy
// for coding at once, beside the payload.
func (r *Repository) sealIndexFile(name string, payload []byte) []byte {
	k, enc := r.indexKey, envelopeEncoder(len(payload))
	ad := envelopeAD(magicIndex, k.id, name)
	at := envelopeHeader + crypto.NonceSize
	buf := make([]byte, at, r.store.PutCapacity(at+1+len(payload)+crypto.TagSize))
	copy(buf, ad[:envelopeHeader])
	plain := encodePayload(buf[at:at], payload, enc)
	if &plain[:1][0] != &buf[:at+1][at] {
		// The encoding outgrew the buffer (zstd's worst case): seal it as
		// sealEnvelope does.
		return sealEnvelopeWith(magicIndex, k, name, payload, enc)
	}
	return k.aead.Seal(buf[:envelopeHeader], plain, ad)
}
