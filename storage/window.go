package storage

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Remote sites are read by GetRange in aligned windows, not in the exact
// ranges asked for: window j of a shard blob holds the shard's data bytes
// [j*W, (j+1)*W), the first window with the blob's header before them and
// the last ending with the blob (so a shard of at most W bytes is read
// whole, in one request). One request serves every range that falls in its
// window, which is what makes a restore from S3 fast: a pack's blobs are
// read a few windows at a time instead of one request per blob; and a
// provider sees which windows were read, never where a blob starts or
// ends. Windows are kept in a cache bounded in bytes, several are read at
// once (bounded per site), and a window read right after the one before it
// (in object order) starts the reading of the next few ahead. Local sites
// keep their direct path: they read exact ranges from open files.
const (
	// MinReadWindow is the smallest read window (WithReadWindow).
	MinReadWindow = 1 << 20
	// DefaultReadWindow is the read window used when none is given.
	DefaultReadWindow = 1 << 20
	// DefaultReadConcurrency is how many window reads run at once per
	// remote site when WithReadConcurrency does not say.
	DefaultReadConcurrency = 4
	// DefaultReadMemory bounds the windows kept in memory when
	// WithReadMemory does not say.
	DefaultReadMemory = 16 << 20
	// readAhead is how many windows are read ahead of a sequential reader.
	readAhead = 4
)

// WithReadWindow sets the width of the windows GetRange reads from remote
// sites (default DefaultReadWindow; values below MinReadWindow mean
// MinReadWindow).
func WithReadWindow(n int64) Option {
	return func(o *options) { o.readWindow = n }
}

// WithReadConcurrency sets how many window reads run at once against each
// remote site (default DefaultReadConcurrency; n < 1 means the default).
func WithReadConcurrency(n int) Option {
	return func(o *options) { o.readConc = n }
}

// WithReadMemory bounds the memory that the windows read from remote sites
// take, those being read included (default DefaultReadMemory; n < 1 means
// the default). Reading ahead stops at the bound; a read that needs a
// window still makes it, so at most one window per concurrent GetRange
// comes on top.
func WithReadMemory(n int64) Option {
	return func(o *options) { o.readMemory = n }
}

// windowKey names one window of one blob on one site.
type windowKey struct {
	wr  *windowReader
	key string
	j   int64
}

// window is one window of a blob, being read or read.
type window struct {
	k     windowKey
	ready chan struct{} // closed when the read is over
	buf   *[]byte       // pooled buffer (nil after release)
	data  []byte        // blob bytes [start, start+len(data))
	start int64
	size  int64 // the blob's size as the site reported it
	cost  int64 // bytes counted in the cache's use while it holds w
	err   error
	// refs counts the holders: the cache while the window is in it, and
	// each reader copying from it. The buffer is recycled at zero.
	refs int
	elem *list.Element // in the cache's LRU list once read
}

// windowCache holds the windows read from a Store's remote sites.
type windowCache struct {
	width int64
	// bg is the context of the reads made in the background: it ends
	// when the Store is closed.
	bg     context.Context
	stopBg context.CancelFunc
	mu     sync.Mutex
	max    int64
	used   int64      // bytes of the windows in m
	lru    *list.List // of *window read successfully, most recent first
	m      map[windowKey]*window
}

func newWindowCache(width, memory int64) *windowCache {
	if width < MinReadWindow {
		width = MinReadWindow
	}
	if memory < 1 {
		memory = DefaultReadMemory
	}
	bg, stop := context.WithCancel(context.Background())
	return &windowCache{width: width, bg: bg, stopBg: stop, max: memory, lru: list.New(), m: make(map[windowKey]*window)}
}

// windowReader reads the windows of one remote site.
type windowReader struct {
	st    *bucketSite
	cache *windowCache
	sem   chan struct{} // one token per request in flight
}

func newWindowReader(st *bucketSite, c *windowCache, conc int) *windowReader {
	if conc < 1 {
		conc = DefaultReadConcurrency
	}
	return &windowReader{st: st, cache: c, sem: make(chan struct{}, conc)}
}

// index returns the window holding byte off of a blob.
func (c *windowCache) index(off int64) int64 {
	if off < HeaderSize {
		return 0
	}
	return (off - HeaderSize) / c.width
}

// bounds returns window j of a blob of size bytes: [start, end). A size
// below zero means unknown (only window 0 is then asked for).
func (c *windowCache) bounds(j, size int64) (start, end int64) {
	end = HeaderSize + (j+1)*c.width
	if j > 0 {
		start = HeaderSize + j*c.width
	}
	if size >= 0 {
		end = min(end, size)
	}
	return start, end
}

// count returns the number of windows of a blob of size bytes.
func (c *windowCache) count(size int64) int64 {
	return max(1, (size-HeaderSize+c.width-1)/c.width)
}

// fetchMode says how a window is asked for.
type fetchMode int

const (
	demand     fetchMode = iota // needed now: read, waiting for a request slot
	background                  // needed soon: read in the background, waiting for a slot
	ahead                       // perhaps needed: read only when a slot and memory are free
)

// get returns window j of blob key, which is size bytes long (< 0:
// unknown), reading it unless it is cached or being read; with mode ahead
// or background it only starts the read and returns nil. A returned
// window must be given back with release.
func (wr *windowReader) get(ctx context.Context, key string, j, size int64, mode fetchMode) (*window, error) {
	c := wr.cache
	k := windowKey{wr, key, j}
	for {
		c.mu.Lock()
		if w := c.m[k]; w != nil {
			if mode != demand {
				c.mu.Unlock()
				return nil, nil
			}
			w.refs++
			if w.elem != nil {
				c.lru.MoveToFront(w.elem)
			}
			c.mu.Unlock()
			select {
			case <-w.ready:
			case <-ctx.Done():
				c.release(w)
				return nil, ctx.Err()
			}
			if w.err != nil {
				err := w.err
				c.release(w)
				if isContextErr(err) && ctx.Err() == nil {
					continue // its reader gave up, not this one: read it again
				}
				return nil, err
			}
			if size >= 0 && w.size != size {
				c.release(w)
				return nil, fmt.Errorf("%w: blob is %d bytes, want %d", ErrShardCorrupt, w.size, size)
			}
			return w, nil
		}
		start, end := c.bounds(j, size)
		n := end - start
		if mode == ahead {
			if !c.makeRoom(n) {
				c.mu.Unlock()
				return nil, nil
			}
			select {
			case wr.sem <- struct{}{}:
			default:
				c.mu.Unlock()
				return nil, nil
			}
		} else {
			c.makeRoom(n)
		}
		w := &window{k: k, ready: make(chan struct{}), start: start, cost: n, refs: 1}
		c.m[k] = w
		c.used += n
		if mode != demand {
			c.mu.Unlock()
			go wr.fill(c.bg, w, n, size, mode == ahead)
			return nil, nil
		}
		w.refs++
		c.mu.Unlock()
		wr.fill(ctx, w, n, size, false)
		if w.err != nil {
			err := w.err
			c.release(w)
			return nil, err
		}
		return w, nil
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// fill reads window w (n bytes at most) and publishes the outcome. With
// slotHeld the caller has taken its request slot already.
func (wr *windowReader) fill(ctx context.Context, w *window, n, size int64, slotHeld bool) {
	c := wr.cache
	if !slotHeld {
		select {
		case wr.sem <- struct{}{}:
		case <-ctx.Done():
			c.finish(w, nil, nil, 0, ctx.Err())
			return
		}
	}
	var (
		buf  *[]byte
		data []byte
		got  int64
	)
	err := wr.st.retry(ctx, func() (err error) {
		buf, data, got, err = wr.readOnce(ctx, w.k.key, w.start, n, size)
		return err
	})
	<-wr.sem
	c.finish(w, buf, data, got, err)
}

// finish publishes the outcome of a window read.
func (c *windowCache) finish(w *window, buf *[]byte, data []byte, size int64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w.err, w.buf, w.data, w.size = err, buf, data, size
	switch {
	case c.m[w.k] != w: // forgotten while it was read
		if w.refs == 0 && buf != nil {
			putBuf(buf)
			w.buf, w.data = nil, nil
		}
	case err != nil:
		delete(c.m, w.k)
		c.used -= w.cost
		w.refs--
	default:
		w.elem = c.lru.PushFront(w)
		c.trim()
	}
	close(w.ready)
}

// trim drops the least recently used windows, all but the newest, while
// the cache holds more than its bound: a window asked for while the
// windows being read filled the bound was made on top of it, and the
// cache comes back within the bound as the reads end. c.mu is held.
func (c *windowCache) trim() {
	for c.used > c.max && c.lru.Len() > 1 {
		c.drop(c.lru.Back().Value.(*window))
	}
}

// readOnce reads n bytes at start of blob key (fewer when the blob ends
// first), checking the blob's size when known.
func (wr *windowReader) readOnce(ctx context.Context, key string, start, n, size int64) (*[]byte, []byte, int64, error) {
	st := wr.st
	rd, err := st.bucket.NewRangeReader(ctx, key, start, n, nil)
	if err != nil {
		return nil, nil, 0, st.shardErr(err)
	}
	defer rd.Close()
	got := rd.Size()
	switch {
	case size >= 0 && got != size:
		return nil, nil, got, fmt.Errorf("%w: blob is %d bytes, want %d", ErrShardCorrupt, got, size)
	case got < HeaderSize || start >= got:
		return nil, nil, got, fmt.Errorf("%w: blob is %d bytes", ErrShardCorrupt, got)
	}
	n = min(n, got-start)
	buf := getBuf(int(n))
	data := (*buf)[:n]
	if _, err := io.ReadFull(rd, data); err != nil {
		putBuf(buf)
		return nil, nil, got, st.shardErr(err)
	}
	return buf, data, got, nil
}

// makeRoom drops the least recently used windows until n more bytes fit,
// and reports whether they do. c.mu is held.
func (c *windowCache) makeRoom(n int64) bool {
	for c.used+n > c.max {
		e := c.lru.Back()
		if e == nil {
			return false
		}
		c.drop(e.Value.(*window))
	}
	return true
}

// drop removes w from the cache. c.mu is held.
func (c *windowCache) drop(w *window) {
	if c.m[w.k] != w {
		return
	}
	delete(c.m, w.k)
	c.used -= w.cost
	if w.elem != nil {
		c.lru.Remove(w.elem)
		w.elem = nil
	}
	c.unref(w)
}

func (c *windowCache) unref(w *window) {
	w.refs--
	if w.refs == 0 && w.buf != nil {
		putBuf(w.buf)
		w.buf, w.data = nil, nil
	}
}

// release gives back a window returned by get.
func (c *windowCache) release(w *window) {
	c.mu.Lock()
	c.unref(w)
	c.mu.Unlock()
}

// forget drops the cached windows of the shards of object name (written
// again or deleted).
func (c *windowCache) forget(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, w := range c.m {
		if n, _, ok := splitShardKey(k.key); ok && n == name {
			c.drop(w) // one being read finishes unseen
		}
	}
}

// cached reports whether window j of blob key is cached or being read.
func (wr *windowReader) cached(key string, j int64) bool {
	wr.cache.mu.Lock()
	defer wr.cache.mu.Unlock()
	return wr.cache.m[windowKey{wr, key, j}] != nil
}

// readRange reads len(dst) bytes at off of blob key, which must be size
// bytes long, from the windows holding them: the windows after the first
// are started at once, so a range across several is read in parallel.
func (wr *windowReader) readRange(ctx context.Context, key string, off int64, dst []byte, size int64) error {
	c := wr.cache
	first, last := c.index(off), c.index(off+int64(len(dst))-1)
	for j := first + 1; j <= last; j++ {
		if _, err := wr.get(ctx, key, j, size, background); err != nil {
			return err
		}
	}
	for j := first; j <= last; j++ {
		w, err := wr.get(ctx, key, j, size, demand)
		if err != nil {
			return err
		}
		n := copy(dst, w.data[off-w.start:])
		c.release(w)
		dst, off = dst[n:], off+int64(n)
	}
	return nil
}

// header reads the header of blob key through its first window (which a
// reader of the blob's first bytes needs next) and returns it with the
// blob's size.
func (wr *windowReader) header(ctx context.Context, key string) (ShardHeader, int64, error) {
	w, err := wr.get(ctx, key, 0, -1, demand)
	if err != nil {
		return ShardHeader{}, 0, err
	}
	defer wr.cache.release(w)
	if len(w.data) < HeaderSize {
		return ShardHeader{}, w.size, fmt.Errorf("%w: blob is %d bytes", ErrShardCorrupt, w.size)
	}
	h, err := parseShardHeader(w.data[:HeaderSize])
	if err == nil && uint64(w.size) != HeaderSize+h.ShardLen {
		err = fmt.Errorf("%w: blob is %d bytes, header says %d", ErrShardCorrupt, w.size, HeaderSize+h.ShardLen)
	}
	return h, w.size, err
}

// readAhead starts reading the windows that follow bytes [off, end) of
// object name (header h) in object order, when the read was sequential:
// the window before the first one read is cached. Windows are read ahead
// only as far as free request slots and memory allow.
func (s *Store) readAhead(ctx context.Context, name string, h ShardHeader, off, end uint64) {
	c := s.windows
	L, size := h.ShardLen, int64(HeaderSize+h.ShardLen)
	n := c.count(size)
	pos := func(x uint64) (int, int64) {
		i := x / L
		return int(i), c.index(int64(HeaderSize + x - i*L))
	}
	reader := func(i int) *windowReader { return s.list[s.siteOf(i)].windows() }
	i, j := pos(off)
	switch {
	case j > 0:
		j--
	case i > 0:
		i, j = i-1, n-1
	default:
		return
	}
	if wr := reader(i); wr == nil || !wr.cached(shardKey(name, i), j) {
		return
	}
	i, j = pos(end - 1)
	for range readAhead {
		if j++; j == n {
			if i, j = i+1, 0; i >= h.DataShards {
				return
			}
		}
		wr := reader(i)
		if wr == nil {
			return
		}
		if _, err := wr.get(ctx, shardKey(name, i), j, size, ahead); err != nil {
			return
		}
	}
}
