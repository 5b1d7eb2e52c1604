package storage

import (
	"context"
	"fmt"
	"sync"
)

// readAll reads every shard of name (whole, or headers and sizes only),
// including shards beyond the configured k+m when the object was written
// with more.
func (s *Store) readAll(ctx context.Context, name string, headerOnly bool) (*readSet, *group, error) {
	return s.readAllInto(ctx, s.newReadSet(name), headerOnly)
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
func (s *Store) Check(ctx context.Context, name string, readData bool) (Health, error) {
	if err := s.check(name); err != nil {
		return Health{Object: name}, err
	}
	rs, g, err := s.readAll(ctx, name, !readData)
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

// Verify reads and verifies every shard of object name, as Check with
// readData does, and also returns the object, reconstructed if need be, so
// that a full verification downloads each shard once. The object is
// written to buf when it has the capacity (so a caller verifying many
// objects can reuse one buffer), else to a new slice.
func (s *Store) Verify(ctx context.Context, name string, buf []byte) ([]byte, Health, error) {
	if err := s.check(name); err != nil {
		return nil, Health{Object: name}, err
	}
	// Data shards on local sites are read straight into their place in
	// the object (no copy when assembling it).
	var (
		mu   sync.Mutex
		out  []byte
		outL = -1
	)
	place := func(i int, h ShardHeader) []byte {
		// Only data shards of an object coded as the store is; the header
		// is checked (ShardLen agrees with ObjectLen and the file size,
		// ObjectLen is at most MaxObjectSize), so the buffer is at most
		// the object's size rounded up to whole shards.
		if i >= s.k || h.DataShards != s.k {
			return nil
		}
		l := int(h.ShardLen)
		mu.Lock()
		defer mu.Unlock()
		if outL < 0 {
			outL = l
			if need := s.k * l; cap(buf) >= need {
				out = buf[:need]
			} else {
				out = make([]byte, need)
			}
		}
		if l != outL {
			return nil // not of the same write as the first shard read
		}
		return out[i*l : (i+1)*l : (i+1)*l]
	}
	rs := s.newReadSet(name)
	rs.place = place
	rs, g, err := s.readAllInto(ctx, rs, false)
	if err != nil {
		return nil, Health{Object: name}, err
	}
	defer rs.release()
	h := rs.health(g)
	if !rs.anyExists() {
		return nil, h, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if g == nil || len(g.members) < g.key.k {
		return nil, h, s.unrecoverable(name, h)
	}
	if out != nil {
		buf = out
	}
	data, err := s.assemble(name, g, buf)
	return data, h, err
}

// Repair reads every shard of object name and rewrites each missing,
// corrupt or unreadable one, on its home site, from k intact shards. It
// returns the Health found before repairing; on a nil error every shard
// listed there has been rewritten. Errors wrap ErrNotFound,
// ErrUnrecoverable (fewer than k intact shards), or the write failure.
func (s *Store) Repair(ctx context.Context, name string) (Health, error) {
	if err := s.check(name); err != nil {
		return Health{Object: name}, err
	}
	rs, g, err := s.readAll(ctx, name, false)
	if err != nil {
		return Health{Object: name}, err
	}
	defer rs.release()
	h := rs.health(g)
	if !rs.anyExists() {
		return h, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if h.OK() {
		return h, nil
	}
	if g == nil || len(g.members) < g.key.k {
		return h, s.unrecoverable(name, h)
	}
	k, m, L := g.key.k, g.key.m, int(g.key.l)
	shards := make([][]byte, g.total())
	for _, r := range g.members {
		shards[r.idx] = r.data
	}
	if L > 0 {
		enc, err := encoder(k, m)
		if err != nil {
			return h, err
		}
		if err := enc.Reconstruct(shards); err != nil {
			return h, fmt.Errorf("%w: %s: %w", ErrUnrecoverable, name, err)
		}
		obj := make([]byte, 0, k*L)
		for i := range k {
			obj = append(obj, shards[i]...)
		}
		if objectHash(name, obj[:g.key.objLen]) != g.key.objHash {
			return h, fmt.Errorf("%w: %s: reconstructed object does not match its hash", ErrUnrecoverable, name)
		}
	} else {
		for i := range shards {
			shards[i] = []byte{}
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
