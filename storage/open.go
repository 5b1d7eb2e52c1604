package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/reedsolomon"
	"gocloud.dev/blob"

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
	shardsSet        bool
	create           bool
	concurrency      int
	allowUnreachable bool
	degraded         int
	buckets          []hostBucket
	tempAge          time.Duration
	tempAgeSet       bool
	readWindow       int64
	readConc         int
	readMemory       int64
}

// hostBucket is a site handed in with WithBucket.
type hostBucket struct {
	name   string
	bucket *blob.Bucket
}

// Option configures Open.
type Option func(*options)

// WithShards sets the number of data shards k and parity shards m used by
// Put (default: DefaultShards of the number of sites). Open fails with ErrInvalidShards unless 1 <= k,
// 0 <= m and k+m <= 255. Reading does not depend on it: every shard
// records the k and m it was written with.
func WithShards(data, parity int) Option {
	return func(o *options) { o.k, o.m, o.shardsSet = data, parity, true }
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

// WithBucket adds a site backed by a bucket the host has already opened
// (any gocloud.dev/blob driver, with its own credentials and options).
// Such sites follow the sites named by URL, in the order of the options.
// name is how the site is shown in Sites and in errors (it is redacted as
// a URL would be). The host keeps owning the bucket: Close does not close
// it.
func WithBucket(name string, b *blob.Bucket) Option {
	return func(o *options) { o.buckets = append(o.buckets, hostBucket{name, b}) }
}

// Store is a set of sites holding erasure-coded immutable objects. It is
// safe for concurrent use. Its erasure coding (Shards) is fixed when it is
// opened; Coded gives a view of the same sites with another coding.
type Store struct {
	*sites
	k, m int
	conc int
	enc  reedsolomon.Encoder
	// lock is the object lock of a view made by Locked (lock.go), or nil.
	lock *lockPolicy
}

// sites is what all views of a Store share: the sites themselves, the
// caches and the closed state.
type sites struct {
	list    []site
	headers *headerCache
	recent  *objectCache // reconstructed objects, for GetRange
	windows *windowCache // windows read from remote sites, for GetRange
	closed  atomic.Bool
	// The removal of stale temporary files (cleanup.go).
	tempAge   time.Duration
	cleanOnce sync.Once
	cleanStop context.CancelFunc
	cleanDone chan struct{}
	// degraded is the degraded-write policy; gaps counts what it let go.
	degraded int
	gaps     gaps
}

// Open opens the sites named by urls (any form ParseSiteURL accepts) and
// those handed in with WithBucket, and checks that each is reachable. The
// order of the sites matters: shard i of every object is placed on site i
// mod the number of sites. Errors wrap ErrSiteUnreachable,
// ErrInvalidSiteURL or ErrInvalidShards and name the site by its redacted
// URL.
func Open(ctx context.Context, urls []string, opts ...Option) (*Store, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if !o.shardsSet {
		o.k, o.m = DefaultShards(len(urls) + len(o.buckets))
	}
	if len(urls)+len(o.buckets) == 0 {
		return nil, fmt.Errorf("%w: no site given", ErrInvalidSiteURL)
	}
	seen := make(map[string]bool, len(urls)+len(o.buckets))
	norm := make([]string, len(urls))
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
	for _, hb := range o.buckets {
		if hb.bucket == nil || seen[hb.name] {
			return nil, fmt.Errorf("%w: bucket %q is nil or listed twice", ErrInvalidSiteURL, redactURL(hb.name))
		}
		seen[hb.name] = true
	}
	s := &Store{sites: &sites{
		list:     make([]site, len(norm)+len(o.buckets)),
		headers:  newHeaderCache(4096),
		recent:   &objectCache{max: recentObjectsBytes},
		windows:  newWindowCache(o.readWindow, o.readMemory),
		tempAge:  DefaultStaleTemporaryAge,
		degraded: o.degraded,
	}}
	if o.tempAgeSet {
		s.tempAge = o.tempAge
	}
	if err := s.setCoding(o.k, o.m, o.concurrency); err != nil {
		return nil, err
	}
	errs := make([]error, len(s.list))
	var wg sync.WaitGroup
	for i, u := range norm {
		wg.Go(func() { s.list[i], errs[i] = openSite(ctx, u, o.create) })
	}
	for j, hb := range o.buckets {
		i := len(norm) + j
		wg.Go(func() {
			bs := &bucketSite{name: redactURL(hb.name), bucket: hb.bucket}
			s.list[i] = bs
			if err := bs.accessible(ctx); err != nil {
				errs[i] = fmt.Errorf("%w: %s: %s", ErrSiteUnreachable, bs.name, scrub(err.Error(), hb.name))
				s.list[i] = &offlineSite{name: bs.name, err: errs[i]}
			}
		})
	}
	wg.Wait()
	for _, st := range s.list {
		if bs, ok := st.(*bucketSite); ok {
			bs.win = newWindowReader(bs, s.windows, o.readConc)
		}
	}
	online := 0
	for _, err := range errs {
		switch {
		case err == nil:
			online++
		case o.allowUnreachable && errors.Is(err, ErrSiteUnreachable):
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

// setCoding sets the erasure coding and the per-object concurrency (n < 1:
// the default for the coding).
func (s *Store) setCoding(k, m, conc int) error {
	if k < 1 || m < 0 || k+m > MaxShards {
		return fmt.Errorf("%w: %d data + %d parity (need 1 <= data, 0 <= parity, data+parity <= %d)", ErrInvalidShards, k, m, MaxShards)
	}
	enc, err := encoder(k, m)
	if err != nil {
		return err
	}
	if conc < 1 {
		conc = 2 * (k + m)
	}
	s.k, s.m, s.enc, s.conc = k, m, enc, conc
	return nil
}

// Coded returns a view of s whose Put writes objects as data + parity
// shards (a repository reads its coding from its config after opening the
// store). The view shares the sites of s: closing either closes both, and
// s itself is unchanged. Errors wrap ErrInvalidShards.
func (s *Store) Coded(data, parity int) (*Store, error) {
	if data == s.k && parity == s.m {
		return s, nil
	}
	v := &Store{sites: s.sites, lock: s.lock}
	if err := v.setCoding(data, parity, 0); err != nil {
		return nil, err
	}
	return v, nil
}

// Close releases the sites (except buckets handed in with WithBucket).
// Operations on a closed Store, or on any view of it, fail with
// ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.stopCleanup()
	s.windows.stopBg()
	var errs []error
	for _, st := range s.list {
		if st != nil {
			if err := st.close(); err != nil {
				errs = append(errs, fmt.Errorf("close %s: %w", st, err))
			}
		}
	}
	return joinErrors(errs...)
}

// Sites returns the redacted URLs of the sites, in placement order.
func (s *Store) Sites() []string {
	out := make([]string, len(s.list))
	for i, st := range s.list {
		out[i] = st.String()
	}
	return out
}

// Unreachable returns the redacted URLs of the sites that Open could not
// reach (only possible with WithAllowUnreachable).
func (s *Store) Unreachable() []string {
	var out []string
	for _, st := range s.list {
		if st.offline() != nil {
			out = append(out, st.String())
		}
	}
	return out
}

// Shards returns the data and parity shard counts Put uses.
func (s *Store) Shards() (data, parity int) { return s.k, s.m }

// siteOf returns the index of the site that shard i is placed on.
func (s *Store) siteOf(i int) int { return i % len(s.list) }

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
