package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// readAll reads every shard of name (whole, or headers and sizes only),
// including shards beyond the configured k+m when the object was written
// with more.
func (s *Store) readAll(ctx context.Context, name string, o *readOptions, headerOnly bool) (*readSet, *group, error) {
	return s.readAllInto(ctx, s.newReadSet(name, o), headerOnly)
}

// readAllInto is readAll into the read set rs (which may set place).
func (s *Store) readAllInto(ctx context.Context, rs *readSet, headerOnly bool) (*readSet, *group, error) {
	total := s.k + s.m
	idx := make([]int, total)
	for i := range idx {
		idx[i] = i
	}
	rs.fetch(ctx, idx, headerOnly)
	g := rs.best()
	if g != nil && g.total() > total {
		idx = idx[:0]
		for i := total; i < g.total(); i++ {
			idx = append(idx, i)
		}
		rs.fetch(ctx, idx, headerOnly)
		g = rs.best()
	}
	if err := ctx.Err(); err != nil {
		rs.release()
		return nil, nil, err
	}
	return rs, g, nil
}

// Check examines every shard of object name. With readData each shard is
// downloaded and its checksum and header verified; without, only each
// shard's header and size are read (a small ranged read per shard). The
// Health lists every bad shard. The error is ErrNotFound (wrapped, with
// the Health still filled in) when no shard exists, or the reason the
// check could not run; damage alone is not an error.
func (s *Store) Check(ctx context.Context, name string, readData bool, opts ...ReadOption) (Health, error) {
	if err := s.check(name); err != nil {
		return Health{Object: name}, err
	}
	if readData {
		o := readOpts(opts)
		rs := s.newReadSet(name, o)
		var pooled pooledShards
		rs.place = pooled.place(o, nil)
		_, _, h, err := s.examine(ctx, rs, o, nil)
		pooled.release()
		if errors.Is(err, ErrUnrecoverable) || (err != nil && !errors.Is(err, ErrNotFound) && ctx.Err() == nil) {
			err = nil // damage, reported in h
		}
		return h, err
	}
	rs, g, err := s.readAll(ctx, name, readOpts(opts), true)
	if err != nil {
		return Health{Object: name}, err
	}
	defer rs.release()
	h := rs.health(g)
	if !rs.anyExists() {
		return h, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return h, nil
}

// examine reads every shard of rs's object and finds the object among
// them (see object), into buf() when it has the capacity; it returns the
// object, its write and the health of its shards.
func (s *Store) examine(ctx context.Context, rs *readSet, o *readOptions, buf func() []byte) ([]byte, *group, Health, error) {
	name := rs.name
	rs, g, err := s.readAllInto(ctx, rs, false)
	if err != nil {
		return nil, nil, Health{Object: name}, err
	}
	defer rs.release()
	if !rs.anyExists() {
		return nil, nil, rs.health(g), fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if g == nil || len(g.members) < g.key.k {
		h := rs.health(g)
		return nil, nil, h, s.unrecoverable(name, h)
	}
	var b []byte
	if buf != nil {
		b = buf()
	}
	data, found, err := rs.object(ctx, o, b)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, Health{Object: name}, ctx.Err()
		}
		return nil, nil, rs.health(g), err
	}
	return data, found, rs.health(found), nil
}

// Verify reads and verifies every shard of object name, as Check with
// readData does, and also returns the object, reconstructed if need be, so
// that a full verification downloads each shard once. The object is
// written to buf when it has the capacity (so a caller verifying many
// objects can reuse one buffer), else to a new slice; reading a local
// site, Verify reads the parity shards there too, after the object, and
// a new slice has room for them.
func (s *Store) Verify(ctx context.Context, name string, buf []byte, opts ...ReadOption) ([]byte, Health, error) {
	if err := s.check(name); err != nil {
		return nil, Health{Object: name}, err
	}
	o := readOpts(opts)
	o.coveredAbove = o.callerAuthenticates
	// Data shards on local sites are read straight into their place in
	// the object (no copy when assembling it).
	var (
		mu   sync.Mutex
		out  []byte
		outL = -1
	)
	// Shards that do not fit the object's buffer (of another write, or
	// beyond k+m) are read into pooled buffers, released when the object
	// is found.
	var pooled pooledShards
	defer pooled.release()
	place := pooled.place(o, func(i int, h ShardHeader) []byte {
		// Only shards of an object coded as the store is; the header is
		// checked (ShardLen agrees with ObjectLen and the file size,
		// ObjectLen is at most MaxSize), so the buffer is at most the
		// object's size rounded up to whole shards, and its parity. The
		// data shards are read into their place in the object, the parity
		// shards after it: a caller reusing the returned buffer needs no
		// fresh memory for the next object of the same size.
		if i >= s.k+s.m || h.DataShards != s.k || h.ObjectLen > uint64(o.maxObject) {
			return nil
		}
		l := int(h.ShardLen)
		mu.Lock()
		defer mu.Unlock()
		if outL < 0 {
			outL = l
			if need := (s.k + s.m) * l; cap(buf) >= need {
				out = buf[:need]
			} else {
				out = make([]byte, need)
			}
		}
		if l != outL {
			return nil // not of the same write as the first shard read
		}
		return out[i*l : (i+1)*l : (i+1)*l]
	})
	rs := s.newReadSet(name, o)
	rs.place = place
	data, _, h, err := s.examine(ctx, rs, o, func() []byte {
		if out != nil {
			return out // the data shards read into place
		}
		return buf
	})
	return data, h, err
}

// pooledShards lends whole-shard reads from local sites pooled buffers
// (see readSet.place) and takes them back in release, once the object's
// shards are no longer needed.
type pooledShards struct {
	mu   sync.Mutex
	bufs []*[]byte
}

// place returns a placeFunc giving shard i the buffer first gives it, or
// else a pooled one (for a header that passed readShardInto's checks and
// an object of at most o's maximum size).
func (p *pooledShards) place(o *readOptions, first placeFunc) placeFunc {
	return func(i int, h ShardHeader) []byte {
		if first != nil {
			if b := first(i, h); b != nil {
				return b
			}
		}
		if h.ObjectLen > uint64(o.maxObject) {
			return nil
		}
		b := getBuf(int(h.ShardLen))
		p.mu.Lock()
		p.bufs = append(p.bufs, b)
		p.mu.Unlock()
		return *b
	}
}

func (p *pooledShards) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.bufs {
		putBuf(b)
	}
	p.bufs = nil
}

// Repair reads every shard of object name, finds the object as Verify
// does, and rewrites each missing, corrupt, unreadable or forged shard on
// its home site, with the bytes of the original write. It
// returns the Health found before repairing; on a nil error every shard
// listed there has been rewritten. Errors wrap ErrNotFound,
// ErrUnrecoverable (fewer than k intact shards), or the write failure.
func (s *Store) Repair(ctx context.Context, name string, opts ...ReadOption) (Health, error) {
	if err := s.check(name); err != nil {
		return Health{Object: name}, err
	}
	o := readOpts(opts)
	data, g, h, err := s.examine(ctx, s.newReadSet(name, o), o, nil)
	if err != nil || h.OK() {
		return h, err
	}
	k, m, L := g.key.k, g.key.m, int(g.key.l)
	shards := make([][]byte, g.total())
	body := make([]byte, len(shards)*L)
	copy(body, data)
	for i := range shards {
		shards[i] = body[i*L : (i+1)*L : (i+1)*L]
	}
	if L > 0 && m > 0 {
		enc, err := encoder(k, m)
		if err != nil {
			return h, err
		}
		if err := enc.Encode(shards); err != nil {
			return h, fmt.Errorf("storage: repair %s: erasure coding: %w", name, err)
		}
	}
	errs := make([]error, len(h.Bad))
	s.parallel(len(h.Bad), func(j int) {
		i := h.Bad[j].Index
		hdr := ShardHeader{DataShards: k, ParityShards: m, Index: i, ObjectLen: g.key.objLen, ShardLen: g.key.l, ObjectHash: g.key.objHash}
		var hb [HeaderSize]byte
		encodeShardHeader(hb[:], name, &hdr, shards[i])
		st := s.list[s.siteOf(i)]
		if err := st.writeShard(ctx, shardKey(name, i), hb[:], shards[i], false); err != nil {
			errs[j] = fmt.Errorf("storage: repair %s: shard %d on %s: %w", name, i, st, err)
		}
	})
	return h, joinErrors(errs...)
}
