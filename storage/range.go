package storage

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// GetRange returns bytes [off, off+length) of object name, reading only
// the data shard(s) holding them (plus one header read, cached per
// object). The bytes are not checked against any checksum: the caller must
// authenticate them (for example by AEAD) and may call Get, which
// verifies and reconstructs, when that fails. When a needed shard is
// missing, short or of the wrong size, GetRange falls back to Get.
// A range outside the object is ErrInvalidRange.
func (s *Store) GetRange(ctx context.Context, name string, off, length int64) ([]byte, error) {
	if length < 0 {
		return nil, fmt.Errorf("%w: %s: offset %d length %d", ErrInvalidRange, name, off, length)
	}
	out := make([]byte, length)
	if err := s.GetRangeInto(ctx, name, off, out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetRangeInto is GetRange into dst: it reads bytes [off, off+len(dst)) of
// object name into dst, so that a reader of many ranges can reuse one
// buffer.
func (s *Store) GetRangeInto(ctx context.Context, name string, off int64, dst []byte) error {
	if err := s.check(name); err != nil {
		return err
	}
	length := int64(len(dst))
	if off < 0 {
		return fmt.Errorf("%w: %s: offset %d length %d", ErrInvalidRange, name, off, length)
	}
	if data, ok := s.recent.get(name); ok {
		return copyRange(name, data, off, dst)
	}
	h, ok := s.headers.get(name)
	if !ok {
		var err error
		if h, err = s.findHeader(ctx, name); err != nil {
			if errors.Is(err, ErrNotFound) || ctx.Err() != nil {
				return err
			}
			return s.rangeFromGet(ctx, name, off, dst)
		}
		s.headers.put(name, h)
	}
	end := uint64(off) + uint64(length)
	if end > h.ObjectLen {
		return fmt.Errorf("%w: %s: bytes [%d, %d) of a %d-byte object", ErrInvalidRange, name, off, end, h.ObjectLen)
	}
	out := dst
	if length == 0 {
		return nil
	}
	L := h.ShardLen
	first, last := uint64(off)/L, (end-1)/L
	errs := make([]error, last-first+1)
	s.parallel(len(errs), func(j int) {
		i := first + uint64(j)
		a, b := max(uint64(off), i*L), min(end, (i+1)*L)
		errs[j] = s.readRange(ctx, shardKey(name, int(i)), int(i), int64(HeaderSize+a-i*L), out[a-uint64(off):b-uint64(off)], int64(HeaderSize+L))
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	if joinErrors(errs...) != nil {
		s.headers.remove(name)
		s.windows.forget(name)
		return s.rangeFromGet(ctx, name, off, dst)
	}
	s.readAhead(ctx, name, h, uint64(off), end)
	return nil
}

// readRange reads len(dst) bytes at offset off of the blob holding shard
// i, trying its home site first, and checks that the blob has the
// expected size.
func (s *Store) readRange(ctx context.Context, key string, i int, off int64, dst []byte, wantSize int64) error {
	home := s.siteOf(i)
	var firstErr error
	for j := range len(s.list) {
		st := s.list[(home+j)%len(s.list)]
		if st.offline() != nil {
			continue
		}
		err := st.readRange(ctx, key, off, dst, wantSize)
		if err == nil || !errors.Is(err, ErrShardMissing) || ctx.Err() != nil {
			return err
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = ErrShardUnreadable
	}
	return firstErr
}

// findHeader reads shard headers of name, in index order, until one is
// intact. Errors wrap ErrNotFound when no shard exists.
func (s *Store) findHeader(ctx context.Context, name string) (ShardHeader, error) {
	missing := true
	for i := range s.k + s.m {
		if wr := s.list[s.siteOf(i)].windows(); wr != nil {
			// A remote home site: the header comes with the shard's
			// first window, which a reader of its first bytes needs.
			h, _, err := wr.header(ctx, shardKey(name, i))
			if err == nil && h.Index == i && h.ObjectLen <= MaxObjectSize {
				return h, nil
			}
			if ctx.Err() != nil {
				return ShardHeader{}, ctx.Err()
			}
		}
		r := s.readShard(ctx, name, i, true, MaxObjectSize, nil)
		if r.buf != nil {
			putBuf(r.buf)
		}
		if err := ctx.Err(); err != nil {
			return ShardHeader{}, err
		}
		if r.err == nil {
			return r.hdr, nil
		}
		missing = missing && r.missing()
	}
	if missing {
		return ShardHeader{}, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	return ShardHeader{}, fmt.Errorf("%w: %s: no intact shard header", ErrUnrecoverable, name)
}

// rangeFromGet serves a range from a whole (reconstructed) object, which
// is kept in a small cache: readers of a damaged object usually read many
// ranges of it in a row.
func (s *Store) rangeFromGet(ctx context.Context, name string, off int64, dst []byte) error {
	data, _, err := s.Get(ctx, name)
	if err != nil {
		return err
	}
	s.recent.put(name, data)
	return copyRange(name, data, off, dst)
}

// copyRange copies bytes [off, off+len(dst)) of the object data into dst.
func copyRange(name string, data []byte, off int64, dst []byte) error {
	if end := uint64(off) + uint64(len(dst)); end > uint64(len(data)) {
		return fmt.Errorf("%w: %s: bytes [%d, %d) of a %d-byte object", ErrInvalidRange, name, off, end, len(data))
	}
	copy(dst, data[off:])
	return nil
}

// objectCache keeps the most recently reconstructed objects, up to a total
// size, for GetRange on damaged objects.
type objectCache struct {
	mu    sync.Mutex
	max   int
	size  int
	names []string // oldest first
	data  map[string][]byte
}

func (c *objectCache) get(name string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.data[name]
	return d, ok
}

func (c *objectCache) put(name string, d []byte) {
	if len(d) > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.data == nil {
		c.data = make(map[string][]byte)
	}
	if _, ok := c.data[name]; ok {
		return
	}
	for c.size+len(d) > c.max && len(c.names) > 0 {
		old := c.names[0]
		c.names = c.names[1:]
		c.size -= len(c.data[old])
		delete(c.data, old)
	}
	c.names = append(c.names, name)
	c.data[name] = d
	c.size += len(d)
}

func (c *objectCache) remove(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.data[name]; ok {
		c.size -= len(d)
		delete(c.data, name)
		c.names = slices.DeleteFunc(c.names, func(n string) bool { return n == name })
	}
}

// headerCache remembers the header of recently used objects so that
// GetRange needs no header read. Objects are immutable, so entries only go
// stale when an object is deleted or overwritten through this Store,
// which updates the cache.
type headerCache struct {
	mu  sync.Mutex
	max int
	ll  *list.List // of *cacheEntry, most recent first
	m   map[string]*list.Element
}

type cacheEntry struct {
	name string
	h    ShardHeader
}

func newHeaderCache(max int) *headerCache {
	return &headerCache{max: max, ll: list.New(), m: make(map[string]*list.Element)}
}

func (c *headerCache) get(name string) (ShardHeader, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[name]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*cacheEntry).h, true
	}
	return ShardHeader{}, false
}

func (c *headerCache) put(name string, h ShardHeader) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[name]; ok {
		e.Value.(*cacheEntry).h = h
		c.ll.MoveToFront(e)
		return
	}
	c.m[name] = c.ll.PushFront(&cacheEntry{name, h})
	if c.ll.Len() > c.max {
		e := c.ll.Back()
		c.ll.Remove(e)
		delete(c.m, e.Value.(*cacheEntry).name)
	}
}

func (c *headerCache) remove(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[name]; ok {
		c.ll.Remove(e)
		delete(c.m, name)
	}
}
