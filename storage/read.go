package storage

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// shardRead is the outcome of reading one shard.
type shardRead struct {
	idx  int
	site int // site the shard was found on (its home site when not found)
	key  string
	buf  *[]byte
	hdr  ShardHeader
	data []byte // shard data (full reads only)
	err  error  // nil: intact; else wraps ErrShardMissing/Corrupt/Unreadable
}

func (r *shardRead) missing() bool { return errors.Is(r.err, ErrShardMissing) }

// groupKey identifies one write of an object: all shards of a Put share it.
type groupKey struct {
	k, m      int
	objLen, l uint64
	objHash   [32]byte
}

func keyOf(h ShardHeader) groupKey {
	return groupKey{h.DataShards, h.ParityShards, h.ObjectLen, h.ShardLen, h.ObjectHash}
}

type group struct {
	key     groupKey
	members []*shardRead // intact shards of this write
}

func (g *group) total() int { return g.key.k + g.key.m }

// readSet collects the shard reads of one operation on one object.
type readSet struct {
	s     *Store
	name  string
	reads map[int]*shardRead
	// place, when set, gives the buffer a whole-shard read of shard i,
	// whose (not yet verified) header is h, from a local site should read
	// its data into (nil: a pooled buffer as usual). Verify uses it to read
	// data shards straight into their place in the object.
	place placeFunc
	// forged holds the intact shards that disagree with the object found
	// (see object).
	forged map[int]bool
	// maxObject is the largest object the reader accepts (MaxSize).
	maxObject int64
}

func (s *Store) newReadSet(name string, o *readOptions) *readSet {
	return &readSet{s: s, name: name, reads: make(map[int]*shardRead), maxObject: o.maxObject}
}

func (rs *readSet) release() {
	for _, r := range rs.reads {
		if r.buf != nil {
			putBuf(r.buf)
			r.buf, r.data = nil, nil
		}
	}
}

// fetch reads the given shards in parallel (whole blobs, or only headers
// and sizes when headerOnly).
func (rs *readSet) fetch(ctx context.Context, idx []int, headerOnly bool) {
	out := make([]*shardRead, len(idx))
	rs.s.parallel(len(idx), func(j int) {
		out[j] = rs.s.readShard(ctx, rs.name, idx[j], headerOnly, rs.maxObject, rs.place)
	})
	for _, r := range out {
		rs.reads[r.idx] = r
	}
}

// groups returns the writes among the intact shards read, the one with
// most members first (on a tie, the one with the lowest shard index).
func (rs *readSet) groups() []*group {
	byKey := map[groupKey]*group{}
	var out []*group
	for _, i := range rs.sorted() {
		r := rs.reads[i]
		if r.err != nil {
			continue
		}
		k := keyOf(r.hdr)
		g := byKey[k]
		if g == nil {
			g = &group{key: k}
			byKey[k] = g
			out = append(out, g)
		}
		g.members = append(g.members, r)
	}
	slices.SortStableFunc(out, func(a, b *group) int { return len(b.members) - len(a.members) })
	return out
}

// best returns the write with the most intact shards, or nil.
func (rs *readSet) best() *group {
	if gs := rs.groups(); len(gs) > 0 {
		return gs[0]
	}
	return nil
}

func (rs *readSet) sorted() []int {
	idx := make([]int, 0, len(rs.reads))
	for i := range rs.reads {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	return idx
}

// anyExists reports whether any read shard exists (even if damaged).
func (rs *readSet) anyExists() bool {
	for _, r := range rs.reads {
		if !r.missing() {
			return true
		}
	}
	return false
}

// health lists the problems among the read shards with index < total,
// judged against write g (shards of another write count as corrupt).
func (rs *readSet) health(g *group) Health {
	h := Health{Object: rs.name, Shards: rs.s.k + rs.s.m, DataShards: rs.s.k}
	if g != nil {
		h.Shards, h.DataShards = g.total(), g.key.k
	}
	for _, i := range rs.sorted() {
		if i >= h.Shards {
			continue
		}
		r := rs.reads[i]
		err := r.err
		if err == nil && g != nil && keyOf(r.hdr) != g.key {
			err = fmt.Errorf("%w: belongs to another write of the object", ErrShardCorrupt)
		}
		if err == nil && rs.forged[i] {
			err = fmt.Errorf("%w: its checksum holds but its data disagrees with the object (forged)", ErrShardCorrupt)
		}
		if err != nil {
			h.Bad = append(h.Bad, ShardProblem{Index: i, Site: rs.s.list[r.site].String(), Key: r.key, Err: err})
		}
	}
	return h
}

// readShard reads shard i of name from its home site; when it is not
// there, the other sites are tried (so objects stay readable if the site
// list was reordered or shortened).
func (s *Store) readShard(ctx context.Context, name string, i int, headerOnly bool, maxObject int64, place placeFunc) *shardRead {
	home := s.siteOf(i)
	r := &shardRead{idx: i, site: home, key: shardKey(name, i)}
	var homeErr error
	for j := range len(s.list) {
		si := (home + j) % len(s.list)
		st := s.list[si]
		if !headerOnly && place != nil {
			// Found and read here: the outcome is this site's, as for
			// readShard and decode below.
			if h, data, ok, err := st.readShardInto(name, r.key, i, place); ok {
				r.site, r.hdr, r.data, r.err = si, h, data, err
				if err == nil && h.Index != i {
					r.data, r.err = nil, fmt.Errorf("%w: header names shard %d", ErrShardCorrupt, h.Index)
				}
				return r
			}
		}
		buf, size, err := st.readShard(ctx, r.key, headerOnly, maxObject)
		if err == nil {
			r.site, r.buf = si, buf
			r.err = r.decode(name, size, headerOnly)
			return r
		}
		if j == 0 {
			homeErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	r.err = homeErr
	return r
}

// decode checks a shard read into r.buf.
func (r *shardRead) decode(name string, size int64, headerOnly bool) error {
	var err error
	if headerOnly {
		r.hdr, err = parseShardHeader(*r.buf)
		if err == nil && uint64(size) != HeaderSize+r.hdr.ShardLen {
			err = fmt.Errorf("%w: blob is %d bytes, header says %d", ErrShardCorrupt, size, HeaderSize+r.hdr.ShardLen)
		}
	} else {
		r.hdr, r.data, err = DecodeShard(name, *r.buf)
	}
	if err == nil && r.hdr.Index != r.idx {
		err = fmt.Errorf("%w: header names shard %d", ErrShardCorrupt, r.hdr.Index)
	}
	return err
}

// Get reads the object name. It reads the k data shards in parallel and
// verifies each one's checksum; when any is missing or damaged it reads
// parity shards until k intact shards of one write are at hand and
// reconstructs the object. Every object is checked against its object
// hash (and by the Authenticate option's function, if given); when that
// fails, Get reads the other shards and searches for k that give an object
// that passes (see Authenticate). The Health lists every problem met
// among the shards read, even when Get succeeds (data damaged but
// readable); shards not needed are not read. Errors wrap ErrNotFound (no
// shard exists), ErrUnrecoverable, or the authenticator's error.
func (s *Store) Get(ctx context.Context, name string, opts ...ReadOption) ([]byte, Health, error) {
	if err := s.check(name); err != nil {
		return nil, Health{Object: name}, err
	}
	o := readOpts(opts)
	rs := s.newReadSet(name, o)
	defer rs.release()
	next := make([]int, s.k)
	for i := range next {
		next[i] = i
	}
	var g *group
	for len(next) > 0 {
		rs.fetch(ctx, next, false)
		if err := ctx.Err(); err != nil {
			return nil, Health{Object: name}, err
		}
		g = rs.best()
		total, need := s.k+s.m, s.k
		if g != nil {
			total, need = g.total(), g.key.k
			need -= len(g.members)
		}
		next = next[:0]
		for i := 0; i < total && len(next) < need; i++ {
			if _, done := rs.reads[i]; !done {
				next = append(next, i)
			}
		}
	}
	if g == nil && !rs.anyExists() {
		return nil, rs.health(g), fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if g == nil || len(g.members) < g.key.k {
		health := rs.health(g)
		return nil, health, s.unrecoverable(name, health)
	}
	data, found, err := rs.object(ctx, o, nil)
	if err != nil {
		if ctx.Err() != nil {
			return nil, Health{Object: name}, ctx.Err()
		}
		return nil, rs.health(rs.best()), err
	}
	health := rs.health(found)
	h := found.members[0].hdr
	h.Index = 0
	s.headers.put(name, h)
	if !health.OK() {
		// Range reads of this object would meet the same bad shards (and
		// a corrupt one is not detectable in a range): serve them from
		// the verified copy.
		s.recent.put(name, data)
	}
	return data, health, nil
}

func (s *Store) unrecoverable(name string, h Health) error {
	err := fmt.Errorf("%w: %s: %d of %d shards bad, need %d intact", ErrUnrecoverable, name, len(h.Bad), h.Shards, h.DataShards)
	for _, p := range h.Bad {
		if errors.Is(p.Err, ErrTooLarge) {
			return fmt.Errorf("%w (%w)", err, ErrTooLarge)
		}
	}
	return err
}
