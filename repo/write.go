package repo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/bufpool"
	"github.com/custodia-backup/custodia/storage"
	"github.com/klauspost/compress/zstd"
)

// openPacks is how many packs a writer fills at once. Each blob goes to
// one of them at random, so that pack boundaries do not follow file
// boundaries (FORMAT.md 20).
const openPacks = 2

// fillOnePack makes writers put every blob into open pack 0, for tests
// about what one pack holds (export_pack_test.go).
var fillOnePack atomic.Bool

// pickOpenPack chooses the open pack of the next blob.
func pickOpenPack() int {
	if fillOnePack.Load() {
		return 0
	}
	return rand.IntN(openPacks)
}

// SaveBlob stores a blob whose ID the caller computed with BlobID, unless
// the repository already has it. It reports whether the blob was new. The
// blob becomes durable at the next Flush; data may be reused after return.
// compress asks for zstd compression, which is kept only when it helps.
func (r *Repository) SaveBlob(ctx context.Context, t BlobType, id ID, data []byte, compress bool) (bool, error) {
	var enc *zstd.Encoder
	if compress {
		enc = r.encoder
	}
	return r.saveBlob(ctx, t, id, data, enc, nil)
}

// saveBlob is SaveBlob compressing with enc (nil: not compressed) and
// sealing in s's buffer (nil: a pooled one, seal_scratch.go).
func (r *Repository) saveBlob(ctx context.Context, t BlobType, id ID, data []byte, enc *zstd.Encoder, s *SealScratch) (bool, error) {
	h := BlobHandle{Type: t, ID: id}
	if r.hasForDedup(h) {
		return false, nil
	}
	r.wmu.Lock()
	if err := r.uploadErr; err != nil {
		r.wmu.Unlock()
		return false, err
	}
	if _, ok := r.pending[h]; ok {
		r.wmu.Unlock()
		return false, nil
	}
	r.pending[h] = struct{}{}
	r.wmu.Unlock()

	sealed := r.sealBlobWith(s, h, data, enc)
	defer s.release(sealed)

	r.wmu.Lock()
	defer r.wmu.Unlock()
	// A pack (its trailer included) is cut before it would exceed the
	// target size, so pack buffers have a fixed size and are reused. Both
	// cutting and starting a pack may release r.wmu, so the choice is
	// made again after either: another writer may have filled or started
	// the pack meanwhile. An empty pack takes any blob, a new one this
	// blob. A pack started while both pack buffers are taken begins in a
	// small staging buffer (pack_buffers.go), which moves into a pack
	// buffer when it overflows.
	for {
		i := r.choosePackLocked(t, len(sealed))
		if p := r.open[i]; p != nil {
			if p.staging && len(p.buf)+len(sealed) > cap(p.buf) {
				if err := r.unstageLocked(ctx, p); err != nil {
					delete(r.pending, h)
					return false, err
				}
				continue
			}
			if len(p.entries) == 0 || r.fitsLocked(p, len(sealed)) {
				p.add(h, sealed, len(data))
				break
			}
			r.startUploadLocked(ctx, i)
			continue
		}
		pid, err := randomID()
		if err != nil {
			delete(r.pending, h)
			return false, err
		}
		p := r.newPackLocked(pid)
		r.open[i] = p
		if p.staging && len(sealed) > cap(p.buf) {
			// A blob larger than the staging buffer waits for a pack
			// buffer; others may fill or seal the pack meanwhile.
			if err := r.unstageLocked(ctx, p); err != nil {
				delete(r.pending, h)
				return false, err
			}
			if r.open[i] != p || p.staging || len(p.entries) > 0 && !r.fitsLocked(p, len(sealed)) {
				continue
			}
		}
		p.add(h, sealed, len(data))
		break
	}
	r.stats.Blobs++
	r.stats.Bytes += uint64(len(data))
	r.stats.Stored += uint64(len(sealed))
	return true, nil
}

// sealBlob encodes and seals a blob in one pooled buffer: the payload is
// encoded after room for the nonce and sealed in place, so a blob in
// flight holds one buffer of its size, not two. A payload that outgrew
// the buffer (zstd's worst case) is sealed into a second one.
func (r *Repository) sealBlob(h BlobHandle, data []byte, enc *zstd.Encoder) []byte {
	return r.sealBlobIn(bufpool.Get(sealedRoom(len(data))), true, h, data, enc)
}

// sealedRoom is the room sealBlob takes for a blob of n bytes.
func sealedRoom(n int) int { return crypto.Overhead + 1 + n }

// sealBlobIn is sealBlob in buf (of length sealedRoom), which comes from
// bufpool when pooled and goes back there if the payload outgrew it.
func (r *Repository) sealBlobIn(buf []byte, pooled bool, h BlobHandle, data []byte, enc *zstd.Encoder) []byte {
	plain := encodePayload(buf[crypto.NonceSize:crypto.NonceSize], data, enc)
	inBuf := &plain[:1][0] == &buf[crypto.NonceSize]
	if inBuf && cap(plain) >= len(plain)+crypto.TagSize {
		return r.dataKey.aead.Seal(buf[:0], plain, blobAD(h))
	}
	sealed := r.dataKey.aead.Seal(bufpool.Get(len(plain) + crypto.Overhead)[:0], plain, blobAD(h))
	if pooled {
		bufpool.Put(buf)
	}
	if !inBuf {
		bufpool.Put(plain)
	}
	return sealed
}

// packFixed is the part of a pack that does not grow with its blobs: the
// smallest padding, the sealed trailer's header and the length field.
const packFixed = packPadMin + crypto.Overhead + 4 + 16 + 4 + 4

// fitsLocked reports whether a sealed blob of n bytes fits into pack p
// without the unpadded pack exceeding the target size. With a target that
// is a power of two (the default), padding then never takes a full pack
// beyond it.
func (r *Repository) fitsLocked(p *packBuilder, n int) bool {
	return len(p.buf)+n+(len(p.entries)+1)*packEntrySize+packFixed <= r.cfg.PackSize
}

// choosePackLocked picks the open pack for a sealed blob of type t and n
// bytes: one at random, but the other open one when the chosen one is
// full and the other has room (fewer, fuller packs), and for a tree when
// the chosen one is not open yet, so that a snapshot's root tree, saved
// last, joins a pack of its data instead of a pack of its own.
func (r *Repository) choosePackLocked(t BlobType, n int) int {
	i := pickOpenPack()
	if fillOnePack.Load() {
		return i
	}
	p, o := r.open[i], r.open[(i+1)%openPacks]
	if (p == nil && t == TreeBlob || p != nil && !r.fitsLocked(p, n)) && o != nil && r.fitsLocked(o, n) {
		return (i + 1) % openPacks
	}
	return i
}

// startUploadLocked seals open pack i and uploads it in the background;
// it blocks while the maximum number of uploads run, which bounds the
// memory of a backup. r.wmu is held and released while waiting.
func (r *Repository) startUploadLocked(ctx context.Context, i int) {
	r.uploadLocked(ctx, i, true)
}

// uploadLocked seals open pack i and uploads it in the background. With
// limit it first waits for a place among the uploads that may run at once
// (releasing r.wmu meanwhile); Flush uploads its last open packs without
// waiting, side by side, as their buffers exist already.
func (r *Repository) uploadLocked(ctx context.Context, i int, limit bool) {
	p := r.open[i]
	r.open[i] = nil
	if p.staging {
		r.stagedUploads++
	}
	p.finish(r.indexKey, r.dataKey.id)
	r.uploads.Add(1)
	if limit {
		r.wmu.Unlock()
		r.uploadSem <- struct{}{}
		r.wmu.Lock()
	}
	go func() {
		defer r.uploads.Done()
		if r.uploadGate != nil {
			<-r.uploadGate
		}
		err := r.putPack(ctx, p)
		r.releasePackBuf(p)
		if limit {
			<-r.uploadSem
		}
		r.wmu.Lock()
		defer r.wmu.Unlock()
		for _, e := range p.entries {
			delete(r.pending, e.Handle)
		}
		if err != nil {
			if r.uploadErr == nil {
				r.uploadErr = fmt.Errorf("upload pack: %w", err)
			}
			return
		}
		// The entries wait in r.written for the next index file: kept at
		// their length, without the slack of their appends.
		ip := IndexPack{ID: p.id, KeyID: r.dataKey.id, Entries: slices.Clone(p.entries)}
		r.idx.add(ip)
		r.gc.addOwn(p.id)
		r.written = append(r.written, ip)
		r.stats.Packs++
		if due := r.checkpointDueLocked(); due != nil {
			r.wmu.Unlock()
			_ = r.writeIndexFile(ctx, due) // on failure the packs wait for the next one
			r.wmu.Lock()
		}
	}()
}

// Flush makes every saved blob durable: it uploads the open packs, waits for
// all uploads and writes an index file naming the new packs. Only after
// Flush returns nil may a snapshot reference the blobs. When an upload
// failed, the packs that were written are still named in an index file
// (for the next writer to reuse) and the upload's error is returned.
func (r *Repository) Flush(ctx context.Context) error {
	r.wmu.Lock()
	if r.hasStagedLocked() {
		// A staged pack moves into a pack buffer first, once the uploads
		// in flight give theirs back (pack_buffers.go): the last uploads
		// then hold two pack buffers and their parity, as those of a
		// backup that never staged, and the staging buffer is freed.
		r.wmu.Unlock()
		r.uploads.Wait()
		r.wmu.Lock()
		r.unstageFreeLocked()
	}
	for i, p := range r.open {
		if p != nil && len(p.entries) > 0 && r.uploadErr == nil {
			r.uploadLocked(ctx, i, false)
		}
	}
	r.wmu.Unlock()
	r.uploads.Wait()
	r.wmu.Lock()
	r.dropPackBufsLocked()
	uerr := r.uploadErr
	r.wmu.Unlock()
	if err := r.SaveIndex(ctx); err != nil {
		return errors.Join(uerr, err)
	}
	return errors.Join(uerr, r.idx.failed())
}

// LoadBlob returns the plaintext of a blob, appended to buf[:0]. It reads
// only the blob's bytes from the data shards holding them and falls back to
// reading and reconstructing the whole pack when they fail to authenticate.
func (r *Repository) LoadBlob(ctx context.Context, h BlobHandle, buf []byte) ([]byte, error) {
	if err := r.readable(); err != nil {
		return nil, err
	}
	loc, pack, ok, err := r.idx.lookupErr(h)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", h, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrBlobNotFound, h)
	}
	return r.loadBlobAt(ctx, h, loc, pack, buf)
}

// loadBlobAt is LoadBlob of a blob whose place is known.
func (r *Repository) loadBlobAt(ctx context.Context, h BlobHandle, loc location, pack packInfo, buf []byte) ([]byte, error) {
	key, err := r.keyForCtx(ctx, kindBlob)(pack.keyID)
	if err != nil {
		return nil, err
	}
	name := packName(pack.id)
	// The sealed bytes are read into a pooled buffer and opened in place:
	// a restore reads every blob once, and fresh memory per blob cost
	// page faults and collections.
	sealed := bufpool.Get(int(loc.length))
	err = r.store.GetRangeInto(ctx, name, int64(loc.offset), sealed)
	if err == nil {
		var out []byte
		out, err = r.openBlob(key, h, sealed, buf, loc)
		if err == nil {
			bufpool.Put(sealed)
			return out, nil
		}
	}
	bufpool.Put(sealed)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// The fast path failed: read the whole pack, verified shard by shard and
	// reconstructed from parity where needed.
	// Storage tries other shards when the blob does not authenticate.
	var out []byte
	_, _, gerr := r.store.Get(ctx, name, storage.Authenticate(func(whole []byte) (err error) {
		if uint64(loc.offset)+uint64(loc.length) > uint64(len(whole)) {
			return fmt.Errorf("%w: %s lies outside %s", ErrMalformed, h, name)
		}
		out, err = r.openBlob(key, h, slices.Clone(whole[loc.offset:loc.offset+loc.length]), buf, loc)
		return err
	}))
	if gerr != nil {
		return nil, fmt.Errorf("%s in %s: %w", h, name, gerr)
	}
	return out, nil
}

// openBlob authenticates and decodes a sealed blob into buf. It decrypts
// in place: sealed is overwritten.
func (r *Repository) openBlob(key *sealKey, h BlobHandle, sealed, buf []byte, loc location) ([]byte, error) {
	if len(sealed) < crypto.Overhead {
		return nil, fmt.Errorf("%w: %s: sealed blob of %d bytes", ErrMalformed, h, len(sealed))
	}
	plain, err := key.aead.Open(sealed[crypto.NonceSize:crypto.NonceSize], sealed, blobAD(h))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformed, h, err)
	}
	out, err := decodePayload(buf[:0], plain, int(loc.rawLength))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", h, err)
	}
	if len(out) != int(loc.rawLength) {
		return nil, fmt.Errorf("%w: %s has %d bytes, index says %d", ErrMalformed, h, len(out), loc.rawLength)
	}
	// The AEAD proves that a holder of the data key sealed these bytes
	// under this ID; the keyed hash proves the ID belongs to them.
	if r.hasher.Sum(out) != h.ID {
		return nil, fmt.Errorf("%w: %s: content does not match its ID", ErrMalformed, h)
	}
	return out, nil
}

// SaveTree stores a tree blob and returns its ID.
func (r *Repository) SaveTree(ctx context.Context, t *Tree) (ID, error) {
	return r.saveTree(ctx, t, false)
}

// saveTree is SaveTree; with own, a tree larger than zstd's block size is
// compressed by an encoder of its own (SaveTableTree).
func (r *Repository) saveTree(ctx context.Context, t *Tree, own bool) (ID, error) {
	b, err := EncodeTree(t)
	if err != nil {
		return ID{}, err
	}
	if len(b) > maxTreeSize {
		return ID{}, fmt.Errorf("a folder listing of %d bytes exceeds the tree limit of %d (too many entries in one folder)", len(b), maxTreeSize)
	}
	id := r.BlobID(b)
	enc := r.encoder
	if own && len(b) > zstdBlockSize {
		enc = r.ownEncoder()
	}
	_, err = r.saveBlob(ctx, TreeBlob, id, b, enc, nil)
	return id, err
}

// LoadTree reads and validates a tree blob.
func (r *Repository) LoadTree(ctx context.Context, id ID) (*Tree, error) {
	h := BlobHandle{Type: TreeBlob, ID: id}
	var buf []byte
	if loc, _, ok := r.idx.lookup(h); ok {
		if loc.rawLength > maxTreeSize {
			return nil, fmt.Errorf("%w: %s of %d bytes exceeds the tree limit of %d", ErrMalformed, h, loc.rawLength, maxTreeSize)
		}
		// The tree's bytes are garbage once decoded (DecodeTree copies
		// what it keeps): a re-run loads every folder's tree, and fresh
		// memory for each was a quarter of what it allocated.
		buf = bufpool.Get(int(loc.rawLength))
		defer bufpool.Put(buf)
	}
	b, err := r.LoadBlob(ctx, h, buf[:0])
	if err != nil {
		return nil, err
	}
	return DecodeTree(b)
}
