package storage

import (
	"cmp"
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/klauspost/reedsolomon"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/custodia-backup/custodia/internal/bufpool"
)

// Default shard counts: 4 data + 2 parity shards survive the loss of any
// two shards at 50% space overhead.
const (
	DefaultDataShards   = 4
	DefaultParityShards = 2
)

// recentObjectsBytes bounds the memory GetRange uses to keep
// reconstructed objects.
const recentObjectsBytes = 64 << 20

type options struct {
	k, m             int
	create           bool
	concurrency      int
	allowUnreachable bool
}

// Option configures Open.
type Option func(*options)

// WithShards sets the number of data shards k and parity shards m used by
// Put (default 4+2). Open fails with ErrInvalidShards unless 1 <= k,
// 0 <= m and k+m <= 255. Reading does not depend on it: every shard
// records the k and m it was written with.
func WithShards(data, parity int) Option {
	return func(o *options) { o.k, o.m = data, parity }
}

// WithCreate makes Open create local folders that do not exist (used when
// a repository is initialised). Without it a missing local folder is
// ErrSiteUnreachable.
func WithCreate() Option {
	return func(o *options) { o.create = true }
}

// WithConcurrency sets how many shard uploads or downloads of one object
// run in parallel (default 2*(k+m)); n < 1 means the default.
func WithConcurrency(n int) Option {
	return func(o *options) { o.concurrency = n }
}

// WithAllowUnreachable makes Open keep sites that cannot be reached as
// offline members instead of failing, so that objects can still be read
// (reconstructed from the other sites) after a site is lost. Shards on an
// offline site count as unreadable; Put and Repair of shards placed there
// fail. Open still fails if no site is reachable.
func WithAllowUnreachable() Option {
	return func(o *options) { o.allowUnreachable = true }
}

// Store is a set of sites holding erasure-coded immutable objects. It is
// safe for concurrent use.
type Store struct {
	sites   []*site
	k, m    int
	conc    int
	enc     reedsolomon.Encoder
	headers *headerCache
	recent  *objectCache // reconstructed objects, for GetRange
	closed  atomic.Bool
}

// Open opens the sites named by urls (any form ParseSiteURL accepts) and
// checks that each is reachable. The order of urls matters: shard i of
// every object is placed on site i mod len(urls). Errors wrap
// ErrSiteUnreachable, ErrInvalidSiteURL or ErrInvalidShards and name the
// site by its redacted URL.
func Open(ctx context.Context, urls []string, opts ...Option) (*Store, error) {
	o := options{k: DefaultDataShards, m: DefaultParityShards}
	for _, opt := range opts {
		opt(&o)
	}
	if o.k < 1 || o.m < 0 || o.k+o.m > MaxShards {
		return nil, fmt.Errorf("%w: %d data + %d parity (need 1 <= data, 0 <= parity, data+parity <= %d)", ErrInvalidShards, o.k, o.m, MaxShards)
	}
	if o.concurrency < 1 {
		o.concurrency = 2 * (o.k + o.m)
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("%w: no site given", ErrInvalidSiteURL)
	}
	norm := make([]string, len(urls))
	seen := make(map[string]bool, len(urls))
	for i, u := range urls {
		n, err := ParseSiteURL(u)
		if err != nil {
			return nil, err
		}
		if seen[n] {
			return nil, fmt.Errorf("%w: %s is listed twice", ErrInvalidSiteURL, redactURL(n))
		}
		seen[n] = true
		norm[i] = n
	}
	enc, err := encoder(o.k, o.m)
	if err != nil {
		return nil, err
	}
	s := &Store{
		sites:   make([]*site, len(norm)),
		k:       o.k,
		m:       o.m,
		conc:    o.concurrency,
		enc:     enc,
		headers: newHeaderCache(4096),
		recent:  &objectCache{max: recentObjectsBytes},
	}
	errs := make([]error, len(norm))
	var wg sync.WaitGroup
	for i, u := range norm {
		wg.Go(func() { s.sites[i], errs[i] = openSite(ctx, u, o.create) })
	}
	wg.Wait()
	online := 0
	for i, err := range errs {
		switch {
		case err == nil:
			online++
		case o.allowUnreachable && errors.Is(err, ErrSiteUnreachable):
			s.sites[i].openErr = err
		default:
			_ = s.Close()
			return nil, err
		}
	}
	if online == 0 {
		_ = s.Close()
		return nil, joinErrors(errs...)
	}
	return s, nil
}

// Close releases the sites. Operations on a closed Store fail with
// ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	var errs []error
	for _, st := range s.sites {
		if st != nil {
			if err := st.close(); err != nil {
				errs = append(errs, fmt.Errorf("close %s: %s", st.redacted, scrub(err.Error(), st.url)))
			}
		}
	}
	return joinErrors(errs...)
}

// Sites returns the redacted URLs of the sites, in placement order.
func (s *Store) Sites() []string {
	out := make([]string, len(s.sites))
	for i, st := range s.sites {
		out[i] = st.redacted
	}
	return out
}

// Unreachable returns the redacted URLs of the sites that Open could not
// reach (only possible with WithAllowUnreachable).
func (s *Store) Unreachable() []string {
	var out []string
	for _, st := range s.sites {
		if st.bucket == nil {
			out = append(out, st.redacted)
		}
	}
	return out
}

// Shards returns the data and parity shard counts Put uses.
func (s *Store) Shards() (data, parity int) { return s.k, s.m }

// SetShards changes the erasure coding of objects written from now on (a
// repository records its coding in its config and sets it when opened).
// It must be called before the Store is used by several goroutines.
func (s *Store) SetShards(data, parity int) error {
	if data < 1 || parity < 0 || data+parity > MaxShards {
		return fmt.Errorf("%w: %d data + %d parity", ErrInvalidShards, data, parity)
	}
	enc, err := encoder(data, parity)
	if err != nil {
		return err
	}
	s.k, s.m, s.enc = data, parity, enc
	return nil
}

// siteOf returns the index of the site that shard i is placed on.
func (s *Store) siteOf(i int) int { return i % len(s.sites) }

func (s *Store) check(name string) error {
	if s.closed.Load() {
		return ErrClosed
	}
	return checkName(name)
}

// parallel runs fn(0..n-1) with at most s.conc calls at once.
func (s *Store) parallel(n int, fn func(i int)) {
	sem := make(chan struct{}, s.conc)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
	wg.Wait()
}

// Put stores data under name. Names are 1..512 bytes of ASCII letters,
// digits and "._-=+/" whose "/"-separated segments are not empty, "." or
// "..", e.g. "packs/ab/ab12…".
//
// The object is split into k contiguous data shards of L = ceil(len/k)
// bytes (the last zero-padded) plus m Reed-Solomon parity shards; shard i
// is written as blob "<name>.<i>" on site i mod len(sites). Each blob is
// published atomically, so no partial shard ever becomes visible; on local
// sites it is also fsynced with its folders before Put returns. Put
// returns nil only when every shard was written. Objects are immutable:
// Put of an existing name overwrites it, so callers use names derived
// from the content or random names.
//
// Put leaves data[:len(data)] unchanged but may use the rest of its
// capacity as scratch space: a caller that gives data a capacity of at
// least (k+m)·ceil(len/k) bytes (see PutCapacity) lets Put code the object
// in place, without copying it.
func (s *Store) Put(ctx context.Context, name string, data []byte) error {
	return s.put(ctx, name, data, false)
}

// PutCapacity returns the capacity a buffer of n bytes needs for Put to
// code it in place.
func (s *Store) PutCapacity(n int) int {
	return (s.k + s.m) * int(shardLen(uint64(n), s.k))
}

// Create is Put that fails with ErrExists when a shard of name already
// exists. The check is made before writing and again by each shard write
// (where the site supports conditional writes), but it is not atomic
// across shards: two concurrent Creates of one name can both fail and
// leave a damaged object. Use it as a safety net for names that a single
// writer owns.
func (s *Store) Create(ctx context.Context, name string, data []byte) error {
	if err := s.check(name); err != nil {
		return err
	}
	ok, err := s.Exists(ctx, name)
	if err != nil {
		return err
	}
	if ok {
		return fmt.Errorf("%w: %s", ErrExists, name)
	}
	return s.put(ctx, name, data, true)
}

func (s *Store) put(ctx context.Context, name string, data []byte, ifNotExist bool) error {
	if err := s.check(name); err != nil {
		return err
	}
	if len(data) > MaxObjectSize {
		return fmt.Errorf("%w: %s is %d bytes (max %d)", ErrTooLarge, name, len(data), MaxObjectSize)
	}
	k, m := s.k, s.m
	n := k + m
	L := int(shardLen(uint64(len(data)), k))
	hdrs := make([]byte, n*HeaderSize)
	var body []byte
	if cap(data) >= n*L {
		// Code in place: the caller left room for the parity shards.
		body = data[:n*L]
	} else {
		bufp := getBuf(n * L)
		defer putBuf(bufp)
		body = *bufp
		copy(body, data)
	}
	clear(body[len(data) : k*L])
	shards := make([][]byte, n)
	for i := range shards {
		shards[i] = body[i*L : (i+1)*L : (i+1)*L]
	}
	// Hash the object while the parity is computed.
	var oh [32]byte
	var hashing sync.WaitGroup
	hashing.Go(func() { oh = objectHash(name, data) })
	if L > 0 && m > 0 {
		if err := s.enc.Encode(shards); err != nil {
			hashing.Wait()
			return fmt.Errorf("storage: put %s: erasure coding: %w", name, err)
		}
	}
	hashing.Wait()
	h := ShardHeader{DataShards: k, ParityShards: m, ObjectLen: uint64(len(data)), ShardLen: uint64(L), ObjectHash: oh}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, n)
	s.parallel(n, func(i int) {
		if ctx.Err() != nil {
			errs[i] = ctx.Err()
			return
		}
		hi := h
		hi.Index = i
		hdr := hdrs[i*HeaderSize : (i+1)*HeaderSize]
		encodeShardHeader(hdr, name, &hi, shards[i]) // in parallel: hashing is most of Put's CPU
		st := s.sites[s.siteOf(i)]
		err := st.writeShard(ctx, shardKey(name, i), hdr, shards[i], ifNotExist)
		if err != nil {
			errs[i] = err
			cancel() // abort the other uploads: nothing half-written becomes visible
		}
	})
	// Report the root cause, not the cancellations it caused.
	var first error
	for i, err := range errs {
		if err == nil {
			continue
		}
		st := s.sites[s.siteOf(i)]
		if ifNotExist && (errors.Is(err, errShardExists) || gcerrors.Code(err) == gcerrors.FailedPrecondition) {
			return fmt.Errorf("%w: %s", ErrExists, name)
		}
		wrapped := fmt.Errorf("storage: put %s: shard %d on %s: %w", name, i, st.redacted, err)
		if first == nil || (errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled)) {
			first = wrapped
		}
	}
	if first != nil {
		return first
	}
	s.headers.put(name, h) // GetRange needs only the fields common to all shards
	s.recent.remove(name)
	return nil
}

// errOffline is the error of any operation on an offline site.
func (st *site) errOffline() error {
	return fmt.Errorf("%w: %s: offline", ErrSiteUnreachable, st.redacted)
}

// writeShard writes one shard blob atomically. On local sites the file
// is fsynced before it is renamed into place and its folders after; on
// Linux it is written by writeLocalShard (direct I/O), elsewhere through
// the gocloud file bucket.
func (st *site) writeShard(ctx context.Context, key string, hdr, data []byte, ifNotExist bool) error {
	if st.bucket == nil {
		return st.errOffline()
	}
	st.fds.drop(key)
	if st.localDir != "" {
		if err := st.writeLocalShard(ctx, key, hdr, data, ifNotExist); !errors.Is(err, errNotLocal) {
			return st.wrap(err)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var f *os.File
	opts := &blob.WriterOptions{ContentType: "application/octet-stream", IfNotExist: ifNotExist}
	if st.localDir != "" {
		opts.BeforeWrite = func(as func(any) bool) error {
			var fp *os.File
			if as(&fp) {
				f = fp
			}
			return nil
		}
	}
	w, err := st.bucket.NewWriter(ctx, key, opts)
	if err != nil {
		return st.wrap(err)
	}
	_, err = w.Write(hdr)
	if err == nil {
		_, err = w.Write(data)
	}
	if err == nil && f != nil {
		err = f.Sync()
	}
	if err != nil {
		cancel() // abort: the blob must not become visible
		_ = w.Close()
		return st.wrap(err)
	}
	if err := w.Close(); err != nil {
		return st.wrap(err)
	}
	return st.wrap(st.syncDirs(key))
}

// siteError carries an error whose message has been scrubbed of the
// site's secrets, while keeping the original for errors.Is/As.
type siteError struct {
	msg string
	err error
}

func (e *siteError) Error() string { return e.msg }
func (e *siteError) Unwrap() error { return e.err }

// wrap scrubs the site's secrets from err's message.
func (st *site) wrap(err error) error {
	if err == nil {
		return nil
	}
	return &siteError{msg: scrub(err.Error(), st.url), err: err}
}

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
	place func(i int, h ShardHeader) []byte
}

func (s *Store) newReadSet(name string) *readSet {
	return &readSet{s: s, name: name, reads: make(map[int]*shardRead)}
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
		out[j] = rs.s.readShard(ctx, rs.name, idx[j], headerOnly, rs.place)
	})
	for _, r := range out {
		rs.reads[r.idx] = r
	}
}

// best returns the write with the most intact shards, or nil.
func (rs *readSet) best() *group {
	groups := map[groupKey]*group{}
	var best *group
	for _, i := range rs.sorted() {
		r := rs.reads[i]
		if r.err != nil {
			continue
		}
		k := keyOf(r.hdr)
		g := groups[k]
		if g == nil {
			g = &group{key: k}
			groups[k] = g
		}
		g.members = append(g.members, r)
		if best == nil || len(g.members) > len(best.members) {
			best = g
		}
	}
	return best
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
		if err != nil {
			h.Bad = append(h.Bad, ShardProblem{Index: i, Site: rs.s.sites[r.site].redacted, Key: r.key, Err: err})
		}
	}
	return h
}

// readShard reads shard i of name from its home site; when it is not
// there, the other sites are tried (so objects stay readable if the site
// list was reordered or shortened).
func (s *Store) readShard(ctx context.Context, name string, i int, headerOnly bool, place func(i int, h ShardHeader) []byte) *shardRead {
	home := s.siteOf(i)
	r := &shardRead{idx: i, site: home, key: shardKey(name, i)}
	var homeErr error
	for j := range len(s.sites) {
		si := (home + j) % len(s.sites)
		st := s.sites[si]
		if st.bucket == nil {
			if j == 0 {
				homeErr = fmt.Errorf("%w: site offline", ErrShardUnreadable)
			}
			continue
		}
		if !headerOnly && place != nil && st.localDir != "" {
			// Found and read here: the outcome is this site's, as for
			// readBlob and decode below.
			if h, data, ok, err := st.readLocalShardInto(name, r.key, i, place); ok {
				r.site, r.hdr, r.data, r.err = si, h, data, err
				if err == nil && h.Index != i {
					r.data, r.err = nil, fmt.Errorf("%w: header names shard %d", ErrShardCorrupt, h.Index)
				}
				return r
			}
		}
		buf, size, err := readBlob(ctx, st, r.key, headerOnly)
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

// readBlob reads a whole shard blob, or its first HeaderSize bytes, into a
// pooled buffer. Errors wrap ErrShardMissing, ErrShardCorrupt or
// ErrShardUnreadable.
func readBlob(ctx context.Context, st *site, key string, headerOnly bool) (*[]byte, int64, error) {
	var (
		rd  *blob.Reader
		err error
	)
	if headerOnly {
		rd, err = st.bucket.NewRangeReader(ctx, key, 0, HeaderSize, nil)
	} else {
		rd, err = st.bucket.NewReader(ctx, key, nil)
	}
	if err != nil {
		return nil, 0, st.shardErr(err)
	}
	defer rd.Close()
	size := rd.Size()
	n := size
	if headerOnly {
		n = min(size, HeaderSize)
	}
	if size < HeaderSize || size > HeaderSize+MaxObjectSize {
		return nil, size, fmt.Errorf("%w: blob is %d bytes", ErrShardCorrupt, size)
	}
	buf := getBuf(int(n))
	if _, err := io.ReadFull(rd, *buf); err != nil {
		putBuf(buf)
		return nil, size, st.shardErr(err)
	}
	return buf, size, nil
}

// shardErr classifies a read error of a shard blob.
func (st *site) shardErr(err error) error {
	if gcerrors.Code(err) == gcerrors.NotFound {
		return ErrShardMissing
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: shorter than its size", ErrShardCorrupt)
	}
	return fmt.Errorf("%w: %w", ErrShardUnreadable, st.wrap(err))
}

// Get reads the object name. It reads the k data shards in parallel and
// verifies each one's checksum; when any is missing or damaged it reads
// parity shards until k intact shards of one write are at hand and
// reconstructs the object, which is then checked against the object hash.
// The Health lists every problem met among the shards read, even when Get
// succeeds (data damaged but readable); shards not needed are not read.
// Errors wrap ErrNotFound (no shard exists) or ErrUnrecoverable.
func (s *Store) Get(ctx context.Context, name string) ([]byte, Health, error) {
	if err := s.check(name); err != nil {
		return nil, Health{Object: name}, err
	}
	rs := s.newReadSet(name)
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
	health := rs.health(g)
	if g == nil && !rs.anyExists() {
		return nil, health, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if g == nil || len(g.members) < g.key.k {
		return nil, health, s.unrecoverable(name, health)
	}
	data, err := s.assemble(name, g, nil)
	if err != nil {
		return nil, health, err
	}
	h := g.members[0].hdr
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
	return fmt.Errorf("%w: %s: %d of %d shards bad, need %d intact", ErrUnrecoverable, name, len(h.Bad), h.Shards, h.DataShards)
}

// assemble joins the data shards of write g, reconstructing missing ones,
// into buf if it has the capacity.
func (s *Store) assemble(name string, g *group, buf []byte) ([]byte, error) {
	k := g.key.k
	var out []byte
	if uint64(cap(buf)) >= g.key.objLen {
		out = buf[:g.key.objLen]
	} else {
		out = make([]byte, g.key.objLen)
	}
	if g.key.l == 0 {
		return out, nil
	}
	shards := make([][]byte, g.total())
	haveAll := true
	for _, r := range g.members {
		shards[r.idx] = r.data
	}
	for i := range k {
		haveAll = haveAll && shards[i] != nil
	}
	if !haveAll {
		enc, err := encoder(k, g.key.m)
		if err != nil {
			return nil, err
		}
		if err := enc.ReconstructData(shards); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrUnrecoverable, name, err)
		}
	}
	L := int(g.key.l)
	for i := 0; i < k && i*L < len(out); i++ {
		if len(shards[i]) > 0 && &shards[i][0] == &out[i*L] {
			continue // read into place (Verify)
		}
		copy(out[i*L:], shards[i])
	}
	if !haveAll && objectHash(name, out) != g.key.objHash {
		return nil, fmt.Errorf("%w: %s: reconstructed object does not match its hash", ErrUnrecoverable, name)
	}
	return out, nil
}

// GetRange returns bytes [off, off+length) of object name, reading only
// the data shard(s) holding them (plus one header read, cached per
// object). The bytes are not checked against any checksum: the caller must
// authenticate them (for example by AEAD) and may call Get, which
// verifies and reconstructs, when that fails. When a needed shard is
// missing, short or of the wrong size, GetRange falls back to Get.
// A range outside the object is ErrInvalidRange.
func (s *Store) GetRange(ctx context.Context, name string, off, length int64) ([]byte, error) {
	if err := s.check(name); err != nil {
		return nil, err
	}
	if off < 0 || length < 0 {
		return nil, fmt.Errorf("%w: %s: offset %d length %d", ErrInvalidRange, name, off, length)
	}
	if data, ok := s.recent.get(name); ok {
		return sliceRange(name, data, off, length)
	}
	h, ok := s.headers.get(name)
	if !ok {
		var err error
		if h, err = s.findHeader(ctx, name); err != nil {
			if errors.Is(err, ErrNotFound) || ctx.Err() != nil {
				return nil, err
			}
			return s.rangeFromGet(ctx, name, off, length)
		}
		s.headers.put(name, h)
	}
	end := uint64(off) + uint64(length)
	if end > h.ObjectLen {
		return nil, fmt.Errorf("%w: %s: bytes [%d, %d) of a %d-byte object", ErrInvalidRange, name, off, end, h.ObjectLen)
	}
	out := make([]byte, length)
	if length == 0 {
		return out, nil
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
		return nil, err
	}
	if joinErrors(errs...) != nil {
		s.headers.remove(name)
		return s.rangeFromGet(ctx, name, off, length)
	}
	return out, nil
}

// readRange reads len(dst) bytes at offset off of the blob holding shard
// i, trying its home site first, and checks that the blob has the
// expected size.
func (s *Store) readRange(ctx context.Context, key string, i int, off int64, dst []byte, wantSize int64) error {
	home := s.siteOf(i)
	var firstErr error
	for j := range len(s.sites) {
		st := s.sites[(home+j)%len(s.sites)]
		if st.bucket == nil {
			continue
		}
		if st.localDir != "" {
			if err := st.readLocalRange(key, off, dst, wantSize); err != errNotLocal {
				return err
			}
		}
		rd, err := st.bucket.NewRangeReader(ctx, key, off, int64(len(dst)), nil)
		if err == nil {
			if rd.Size() != wantSize {
				err = fmt.Errorf("%w: blob is %d bytes, want %d", ErrShardCorrupt, rd.Size(), wantSize)
			} else {
				_, err = io.ReadFull(rd, dst)
			}
			_ = rd.Close()
			return err
		}
		if firstErr == nil {
			firstErr = err
		}
		if gcerrors.Code(err) != gcerrors.NotFound || ctx.Err() != nil {
			break
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
		r := s.readShard(ctx, name, i, true, nil)
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
func (s *Store) rangeFromGet(ctx context.Context, name string, off, length int64) ([]byte, error) {
	data, _, err := s.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	s.recent.put(name, data)
	return sliceRange(name, data, off, length)
}

func sliceRange(name string, data []byte, off, length int64) ([]byte, error) {
	if uint64(off)+uint64(length) > uint64(len(data)) {
		return nil, fmt.Errorf("%w: %s: bytes [%d, %d) of a %d-byte object", ErrInvalidRange, name, off, uint64(off)+uint64(length), len(data))
	}
	return slices.Clone(data[off : off+length]), nil
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
		st := s.sites[s.siteOf(i)]
		if err := st.writeShard(ctx, shardKey(name, i), hb[:], shards[i], false); err != nil {
			errs[j] = fmt.Errorf("storage: repair %s: shard %d on %s: %w", name, i, st.redacted, err)
		}
	})
	return h, joinErrors(errs...)
}

// shardKeys lists, on every online site, the keys of the shards of name.
// Offline sites are skipped; offline lists them.
func (s *Store) shardKeys(ctx context.Context, name string) (keys [][]string, offline []error, err error) {
	keys = make([][]string, len(s.sites))
	errs := make([]error, len(s.sites))
	var wg sync.WaitGroup
	for si, st := range s.sites {
		if st.bucket == nil {
			offline = append(offline, st.errOffline())
			continue
		}
		wg.Go(func() {
			it := st.bucket.List(&blob.ListOptions{Prefix: name + "."})
			for {
				obj, err := it.Next(ctx)
				if err == io.EOF {
					return
				}
				if err != nil {
					errs[si] = fmt.Errorf("storage: list %s: %w", st.redacted, st.wrap(err))
					return
				}
				if n, _, ok := splitShardKey(obj.Key); ok && n == name && !obj.IsDir {
					keys[si] = append(keys[si], obj.Key)
				}
			}
		})
	}
	wg.Wait()
	return keys, offline, joinErrors(errs...)
}

// Delete removes every shard of object name from every site. Missing
// shards are ignored; deleting an object that does not exist is not an
// error. An offline site makes Delete fail after deleting the rest.
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := s.check(name); err != nil {
		return err
	}
	s.headers.remove(name)
	s.recent.remove(name)
	keys, offline, listErr := s.shardKeys(ctx, name)
	var mu sync.Mutex
	errs := append([]error{listErr}, offline...)
	type job struct {
		st  *site
		key string
	}
	var jobs []job
	for si, ks := range keys {
		for _, k := range ks {
			jobs = append(jobs, job{s.sites[si], k})
		}
	}
	s.parallel(len(jobs), func(j int) {
		st := jobs[j].st
		st.fds.drop(jobs[j].key)
		if err := st.bucket.Delete(ctx, jobs[j].key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			mu.Lock()
			errs = append(errs, fmt.Errorf("storage: delete %s on %s: %w", jobs[j].key, st.redacted, st.wrap(err)))
			mu.Unlock()
		}
	})
	return joinErrors(errs...)
}

// Exists reports whether any shard of object name exists on any site.
func (s *Store) Exists(ctx context.Context, name string) (bool, error) {
	if err := s.check(name); err != nil {
		return false, err
	}
	if st := s.sites[s.siteOf(0)]; st.bucket != nil {
		ok, err := st.bucket.Exists(ctx, shardKey(name, 0))
		if err != nil {
			return false, fmt.Errorf("storage: exists %s on %s: %w", name, st.redacted, st.wrap(err))
		}
		if ok {
			return true, nil
		}
	}
	keys, _, err := s.shardKeys(ctx, name)
	for _, ks := range keys {
		if len(ks) > 0 {
			return true, nil
		}
	}
	return false, err
}

// List yields, sorted and each once, the names of the objects whose names
// start with prefix and of which at least one shard exists on an online
// site. On a listing error it yields ("", err) and stops.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		if s.closed.Load() {
			yield("", ErrClosed)
			return
		}
		names, err := s.listNames(ctx, prefix)
		if err != nil {
			yield("", err)
			return
		}
		for _, n := range names {
			if !yield(n, nil) {
				return
			}
		}
	}
}

func (s *Store) listNames(ctx context.Context, prefix string) ([]string, error) {
	sets := make([]map[string]struct{}, len(s.sites))
	errs := make([]error, len(s.sites))
	var wg sync.WaitGroup
	for si, st := range s.sites {
		if st.bucket == nil {
			continue
		}
		wg.Go(func() {
			set := map[string]struct{}{}
			it := st.bucket.List(&blob.ListOptions{Prefix: prefix})
			for {
				obj, err := it.Next(ctx)
				if err == io.EOF {
					break
				}
				if err != nil {
					errs[si] = fmt.Errorf("storage: list %s: %w", st.redacted, st.wrap(err))
					return
				}
				if name, _, ok := splitShardKey(obj.Key); ok && !obj.IsDir && strings.HasPrefix(name, prefix) && checkName(name) == nil {
					set[name] = struct{}{}
				}
			}
			sets[si] = set
		})
	}
	wg.Wait()
	if err := joinErrors(errs...); err != nil {
		return nil, err
	}
	all := map[string]struct{}{}
	for _, set := range sets {
		for n := range set {
			all[n] = struct{}{}
		}
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	slices.SortFunc(names, cmp.Compare)
	return names, nil
}

// encoders caches one Reed-Solomon encoder per (k, m); encoders are safe
// for concurrent use.
var encoders sync.Map // [2]int -> reedsolomon.Encoder

func encoder(k, m int) (reedsolomon.Encoder, error) {
	key := [2]int{k, m}
	if e, ok := encoders.Load(key); ok {
		return e.(reedsolomon.Encoder), nil
	}
	e, err := reedsolomon.New(k, m)
	if err != nil {
		return nil, fmt.Errorf("%w: %d+%d: %w", ErrInvalidShards, k, m, err)
	}
	actual, _ := encoders.LoadOrStore(key, e)
	return actual.(reedsolomon.Encoder), nil
}

// getBuf and putBuf recycle shard buffers in bounded size classes.
func getBuf(n int) *[]byte {
	b := bufpool.Get(n)
	return &b
}

func putBuf(p *[]byte) { bufpool.Put(*p) }

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
