package repo

import "context"

// Pack buffers bound a writer's memory. A writer fills openPacks packs at
// once, and each full pack is uploaded from the buffer it was filled in,
// coded without a copy: a pack buffer has room for the pack, its padding
// and trailer (8 MiB for 8 MiB packs), and its parity shards (4 MiB coded
// 4+2) are coded into a pooled buffer taken for the upload alone.
//
// Only packBuffers such buffers exist, one per open pack. When a pack
// is sealed for upload, its buffer travels with the upload, and the pack
// that takes its place starts in a staging buffer of stagingSize bytes;
// when a blob would overflow it, the staged blobs move into the first
// pack buffer an upload gives back (the writer waits for it), and the
// staging buffer is dropped. Blobs keep the open pack chosen for them at
// random, so the placement (FORMAT.md 12.1) is unchanged. Flush moves a
// staged pack into a pack buffer once the uploads in flight are done, so
// that its last uploads hold what those of a backup that never staged
// hold; only a pack staged with no upload to wait for (none can give a
// buffer back) is uploaded from its small buffer.
//
// A writer therefore holds at most packBuffers pack buffers and openPacks
// staging buffers (stagingSize), whatever it writes: a backup that fills
// two packs holds as much as one that fills a thousand.

// packBuffers is how many pack buffers a writer holds at most.
const packBuffers = openPacks

// stagingSize is the size of the staging buffer of a pack started while
// every pack buffer is taken: a sixteenth of the pack size (512 KiB of
// 8), so the upload of a full pack overlaps the filling of the one after
// it. Both open packs are staged while one pack uploads and the other
// waits for its turn, so staging holds at most an eighth of a pack, a
// quarter of the parity buffer of the second upload a writer's last Flush
// runs: a large backup's steady state, which also has its records in
// flight and a growing index, then holds no more than a small one's end.
// (A quarter pack each held 4 MiB more, an eighth 1 MiB more; neither
// changed the wall time of a 2M-record table into a local folder.)
//
// While the uploads are raised (RaiseUploads: a file backup) a staged
// pack has a quarter of the pack size (2 MiB of 8), and staging holds at
// most half a pack. A file backup's incompressible stretches fill a pack
// in a few milliseconds and its uploads then wait on the disk's fsyncs:
// with an eighth of a pack the first chunk (1 MiB on average) of the pack
// after a full one already waited for a pack buffer, with a quarter the
// savers go on sealing while both uploads run (docs/PERFORMANCE.md,
// "Backup, fourth round").
func (r *Repository) stagingSize() int {
	if r.uploadsRaised.Load() {
		return r.cfg.PackSize / 4
	}
	return r.cfg.PackSize / 16
}

// newPackLocked returns an empty pack in a free pack buffer, or in a
// staging buffer when every pack buffer is taken. It never waits.
func (r *Repository) newPackLocked(id ID) *packBuilder {
	if b, ok := r.takePackBufLocked(); ok {
		return &packBuilder{id: id, buf: b}
	}
	r.packsStaged++
	// Not from the shared pool: a staging buffer given back there would
	// stay among its spare buffers, live memory that a backup which never
	// staged does not hold.
	return &packBuilder{id: id, buf: make([]byte, 0, r.stagingSize()), staging: true}
}

// takePackBufLocked returns an empty pack buffer: a free one, or a new one
// while the writer holds fewer than packBuffers. ok is false when every
// pack buffer is away with a pack. It never waits.
func (r *Repository) takePackBufLocked() (b []byte, ok bool) {
	select {
	case b = <-r.packBufs:
		return b[:0], true
	default:
	}
	if r.packBufsMade < packBuffers {
		r.packBufsMade++
		return make([]byte, 0, r.packBufCap()), true
	}
	return nil, false
}

// packBufCap is the capacity of a pack buffer: a full pack padded, up to
// the end of its last data shard. The parity shards are coded into a
// buffer of their own (putPack), taken only while the pack is uploaded.
func (r *Repository) packBufCap() int {
	return r.store.DataCapacity(paddedPackSize(r.cfg.PackSize + packTrailerSlack))
}

// putPack uploads a sealed pack from its buffer, its parity shards coded
// into a parity buffer held for the upload alone.
func (r *Repository) putPack(ctx context.Context, p *packBuilder) error {
	parity := r.takeParityBuf(r.store.ParityLen(len(p.buf)))
	defer r.releaseParityBuf(parity)
	return r.store.PutParity(ctx, packName(p.id), p.buf, parity)
}

// Parity buffers are the writer's own, like its pack buffers, not the
// shared pool's: a pool keeps its spare buffers after the backup, and a
// process that backs up one table after another then began each with
// the two parity buffers of the last one's Flush (8 MiB of live heap for
// 8 MiB packs), while one upload at a time uses one. A writer keeps at
// most maxUploads free ones, and lets them go with its pack buffers once
// Flush's uploads are done (dropPackBufsLocked).

// parityBufCap is the capacity of a parity buffer kept for reuse: the
// parity of a pack that fills a pack buffer.
func (r *Repository) parityBufCap() int { return r.store.ParityLen(r.packBufCap()) }

// takeParityBuf returns a buffer of n bytes for a pack's parity: a free
// one, or a new one, of parityBufCap when the pack is more than half
// full (the next pack may be fuller) and of n bytes for a smaller one.
func (r *Repository) takeParityBuf(n int) []byte {
	full := r.parityBufCap()
	if n <= full {
		select {
		case b := <-r.parityBufs:
			return b[:n]
		default:
		}
	}
	if n > full/2 && n <= full {
		return make([]byte, n, full)
	}
	return make([]byte, n)
}

// releaseParityBuf keeps a parity buffer of parityBufCap for the next
// upload while fewer than maxUploads are kept; other buffers are dropped.
func (r *Repository) releaseParityBuf(b []byte) {
	if cap(b) != r.parityBufCap() {
		return
	}
	select {
	case r.parityBufs <- b:
	default:
	}
}

// unstageLocked moves the staged blobs of p into a pack buffer, waiting
// for an upload to give one back (r.wmu is released meanwhile). One
// writer waits for the buffer; others that want to add to p meanwhile
// wait until it has moved. The pack may have been sealed by Flush when it
// returns: the caller looks at the open packs again.
func (r *Repository) unstageLocked(ctx context.Context, p *packBuilder) error {
	if moved := p.unstaging; moved != nil {
		r.wmu.Unlock()
		defer r.wmu.Lock()
		select {
		case <-moved:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	b, ok := r.takePackBufLocked()
	if !ok {
		moved := make(chan struct{})
		p.unstaging = moved
		r.wmu.Unlock()
		select {
		case b = <-r.packBufs:
		case <-ctx.Done():
		}
		r.wmu.Lock()
		p.unstaging = nil
		close(moved)
		if b == nil {
			return ctx.Err()
		}
	}
	if !p.staging || !r.isOpenLocked(p) { // Flush sealed it meanwhile
		r.packBufs <- b[:0] // never blocks: it has room for every buffer
		return nil
	}
	p.buf, p.staging = append(b[:0], p.buf...), false // the staging buffer is dropped
	return nil
}

// hasStagedLocked reports whether an open pack with blobs is staged.
func (r *Repository) hasStagedLocked() bool {
	for _, p := range r.open {
		if p != nil && p.staging && len(p.entries) > 0 {
			return true
		}
	}
	return false
}

// unstageFreeLocked moves each staged open pack into a free pack buffer,
// as long as there is one; it never waits. Flush calls it once every
// upload is done, when no pack buffer is away.
func (r *Repository) unstageFreeLocked() {
	for _, p := range r.open {
		if p == nil || !p.staging || p.unstaging != nil || len(p.entries) == 0 {
			continue
		}
		b, ok := r.takePackBufLocked()
		if !ok {
			return
		}
		p.buf, p.staging = append(b[:0], p.buf...), false
	}
}

// packTrailerSlack is the room left in a pack buffer beyond the target
// size, for the trailer's fixed part and seal overhead.
const packTrailerSlack = 4 << 10

// isOpenLocked reports whether p is one of the packs being filled.
func (r *Repository) isOpenLocked(p *packBuilder) bool {
	for _, o := range r.open {
		if o == p {
			return true
		}
	}
	return false
}

// releasePackBuf gives the buffer of an uploaded pack back: a pack buffer
// to the writer's own; a staging buffer is dropped.
func (r *Repository) releasePackBuf(p *packBuilder) {
	if !p.staging {
		r.packBufs <- p.buf[:0] // never blocks: it has room for every buffer
	}
	p.buf = nil
}

// dropPackBufsLocked lets the free pack and parity buffers go once Flush's uploads
// are done: the index file Flush writes next, and whatever the caller
// does after a backup, do not hold them beside their own memory, and a
// writer that goes on allocates them again.
func (r *Repository) dropPackBufsLocked() {
	for {
		select {
		case <-r.packBufs:
			r.packBufsMade--
		case <-r.parityBufs:
		default:
			return
		}
	}
}
