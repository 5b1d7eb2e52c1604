package storage

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"gocloud.dev/blob"
)

// LockMode is an object-lock retention mode, as S3 defines them.
type LockMode string

const (
	// LockGovernance lets an account holding the bypass permission
	// (s3:BypassGovernanceRetention) delete or shorten the lock; nobody
	// else can.
	LockGovernance LockMode = "GOVERNANCE"
	// LockCompliance lets nobody, the account's root included, delete a
	// locked blob or shorten its lock before the retention date.
	LockCompliance LockMode = "COMPLIANCE"
)

// ParseLockMode accepts "governance" or "compliance" in any case.
func ParseLockMode(s string) (LockMode, error) {
	switch LockMode(upperASCII(s)) {
	case LockGovernance:
		return LockGovernance, nil
	case LockCompliance:
		return LockCompliance, nil
	}
	return "", fmt.Errorf("%w: lock mode %q (governance or compliance)", ErrLockUnsupported, s)
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

var (
	// ErrLocked means an object cannot be deleted because a shard of it is
	// under an object lock whose retention date has not passed.
	ErrLocked = errors.New("storage: object is locked")
	// ErrLockUnsupported means no site of a Store can lock objects (no
	// locker is registered for its kind, or its bucket was created
	// without object lock), or a lock setting is invalid.
	ErrLockUnsupported = errors.New("storage: object lock not supported")
)

// ObjectLock is what a locking Store view (Store.Locked) applies to each
// shard it writes on a site that supports object lock.
type ObjectLock struct {
	// Mode is the retention mode.
	Mode LockMode
	// Period is how long after its write a shard stays locked.
	Period time.Duration
}

func (l ObjectLock) validate() error {
	if l.Mode != LockGovernance && l.Mode != LockCompliance {
		return fmt.Errorf("%w: lock mode %q (governance or compliance)", ErrLockUnsupported, l.Mode)
	}
	if l.Period < time.Second {
		return fmt.Errorf("%w: lock period %v (at least a second)", ErrLockUnsupported, l.Period)
	}
	return nil
}

// SiteLocker is the object-lock capability of one site. Package
// storage/cloud registers the one of s3:// sites; a host may register
// its own for another scheme with RegisterLocker.
type SiteLocker interface {
	// Enabled reports whether the site's bucket has object lock enabled.
	Enabled(ctx context.Context) (bool, error)
	// BeforeWrite returns the blob.WriterOptions.BeforeWrite function
	// that makes a blob being written locked in mode until until.
	BeforeWrite(mode LockMode, until time.Time) func(as func(any) bool) error
	// Retention returns the lock of blob key; a zero until means not
	// locked. A missing blob is not an error (zero until).
	Retention(ctx context.Context, key string) (mode LockMode, until time.Time, err error)
	// Extend sets the lock of blob key to mode until (a later date than
	// its current one).
	Extend(ctx context.Context, key string, mode LockMode, until time.Time) error
}

var (
	lockersMu sync.RWMutex
	lockers   = map[string]func(b *blob.Bucket, siteURL string) (SiteLocker, error){}
)

// RegisterLocker makes the sites of scheme (for example "s3") lockable:
// open is called with the bucket and the URL (which may hold secrets) of
// every site of that scheme a Store opens by URL. Sites handed in with
// WithBucket are never lockable.
func RegisterLocker(scheme string, open func(b *blob.Bucket, siteURL string) (SiteLocker, error)) {
	lockersMu.Lock()
	defer lockersMu.Unlock()
	lockers[scheme] = open
}

// siteLocker returns the locker of an opened URL site, or nil.
func siteLocker(raw string, b *blob.Bucket) SiteLocker {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	lockersMu.RLock()
	open := lockers[u.Scheme]
	lockersMu.RUnlock()
	if open == nil {
		return nil
	}
	l, err := open(b, raw)
	if err != nil {
		return nil
	}
	return l
}

// lockPolicy is a locking view's setting: the lock, which objects it
// applies to, and which sites can lock.
type lockPolicy struct {
	lock     ObjectLock
	applies  func(name string) bool
	lockable []bool // by site index
}

// LockableSites reports, for each site in placement order, whether it can
// lock objects: a locker is registered for its kind and its bucket has
// object lock enabled. An offline site is not lockable.
func (s *Store) LockableSites(ctx context.Context) ([]bool, error) {
	out := make([]bool, len(s.list))
	for i, st := range s.list {
		bs := lockerOf(st)
		if bs == nil {
			continue
		}
		ok, err := bs.locker.Enabled(ctx)
		if err != nil {
			return nil, fmt.Errorf("storage: object lock of %s: %w", st, bs.wrap(err))
		}
		out[i] = ok
	}
	return out, nil
}

// lockerOf returns the bucket site of st when it has a locker.
func lockerOf(st site) *bucketSite {
	var bs *bucketSite
	switch t := st.(type) {
	case *bucketSite:
		bs = t
	case *localSite:
		bs = t.bucketSite
	}
	if bs == nil || bs.locker == nil {
		return nil
	}
	return bs
}

// Locked returns a view of s whose Put and Create write every shard of an
// object whose name applies accepts, on each site that can lock
// (LockableSites), locked in l.Mode until the write time plus l.Period,
// and whose Delete refuses, with ErrLocked, an object applies accepts any
// shard of which is still locked (read first, since on a versioned S3
// bucket a plain delete would add a delete marker rather than fail). Shards on other sites are written as usual. It fails
// with ErrLockUnsupported when no site can lock. The view shares the sites
// of s, like Coded.
func (s *Store) Locked(ctx context.Context, l ObjectLock, applies func(name string) bool) (*Store, error) {
	if err := l.validate(); err != nil {
		return nil, err
	}
	lockable, err := s.LockableSites(ctx)
	if err != nil {
		return nil, err
	}
	some := false
	for _, ok := range lockable {
		some = some || ok
	}
	if !some {
		return nil, fmt.Errorf("%w: none of the sites is an S3 bucket with object lock enabled", ErrLockUnsupported)
	}
	v := *s
	v.lock = &lockPolicy{lock: l, applies: applies, lockable: lockable}
	return &v, nil
}

// ObjectLock returns the lock a view made by Locked applies, and false for
// a view that locks nothing.
func (s *Store) ObjectLock() (ObjectLock, bool) {
	if s.lock == nil {
		return ObjectLock{}, false
	}
	return s.lock.lock, true
}

// shardLock is what bucketSite.writeBlob reads from its context to lock
// the blob it writes.
type shardLock struct {
	mode  LockMode
	until time.Time
}

type shardLockKey struct{}

// lockContext returns the context of the write of shard i of name: with
// the view's lock when it applies to name and shard i's site can lock.
func (s *Store) lockContext(ctx context.Context, name string, i int, until time.Time) context.Context {
	if s.lock == nil || !s.lock.lockable[s.siteOf(i)] || !s.lock.applies(name) {
		return ctx
	}
	return context.WithValue(ctx, shardLockKey{}, &shardLock{mode: s.lock.lock.Mode, until: until})
}

// lockFrom returns the lock a shard write must apply, or nil.
func lockFrom(ctx context.Context) *shardLock {
	l, _ := ctx.Value(shardLockKey{}).(*shardLock)
	return l
}

// Retention is the lock state of an object's shards on the sites that can
// lock (Store.Retention).
type Retention struct {
	// Shards counts the shards found on lockable sites.
	Shards int
	// Earliest is the earliest retention date of those shards (zero when
	// one of them is not locked); Latest the latest (zero when none is).
	Earliest, Latest time.Time
}

// LockedAt reports whether some shard is still locked at t.
func (r Retention) LockedAt(t time.Time) bool { return r.Latest.After(t) }

// Retention returns the lock state of object name's shards on the sites
// that can lock. On a view that locks nothing it returns a zero Retention.
func (s *Store) Retention(ctx context.Context, name string) (Retention, error) {
	if err := s.check(name); err != nil {
		return Retention{}, err
	}
	if s.lock == nil {
		return Retention{}, nil
	}
	keys, _, err := s.shardKeys(ctx, name)
	if err != nil {
		return Retention{}, err
	}
	return s.retentionOf(ctx, keys)
}

func (s *Store) retentionOf(ctx context.Context, keys [][]string) (Retention, error) {
	var r Retention
	for si, ks := range keys {
		if !s.lock.lockable[si] {
			continue
		}
		bs := lockerOf(s.list[si])
		for _, k := range ks {
			_, until, err := bs.locker.Retention(ctx, k)
			if err != nil {
				return Retention{}, fmt.Errorf("storage: retention of %s on %s: %w", k, bs, bs.wrap(err))
			}
			if r.Shards == 0 || until.Before(r.Earliest) {
				r.Earliest = until
			}
			if until.After(r.Latest) {
				r.Latest = until
			}
			r.Shards++
		}
	}
	return r, nil
}

// ExtendLock makes every shard of object name on a site that can lock
// locked until at least until, in the view's mode, leaving shards locked
// longer alone. It returns how many shards it extended. A view that locks
// nothing fails with ErrLockUnsupported.
func (s *Store) ExtendLock(ctx context.Context, name string, until time.Time) (int, error) {
	if err := s.check(name); err != nil {
		return 0, err
	}
	if s.lock == nil {
		return 0, fmt.Errorf("%w: the store was not opened with a lock", ErrLockUnsupported)
	}
	keys, _, err := s.shardKeys(ctx, name)
	if err != nil {
		return 0, err
	}
	n := 0
	for si, ks := range keys {
		if !s.lock.lockable[si] {
			continue
		}
		bs := lockerOf(s.list[si])
		for _, k := range ks {
			_, cur, err := bs.locker.Retention(ctx, k)
			if err != nil {
				return n, fmt.Errorf("storage: retention of %s on %s: %w", k, bs, bs.wrap(err))
			}
			if !cur.Before(until) {
				continue
			}
			if err := bs.retry(ctx, func() error { return bs.locker.Extend(ctx, k, s.lock.lock.Mode, until) }); err != nil {
				return n, fmt.Errorf("storage: extend the lock of %s on %s: %w", k, bs, bs.wrap(err))
			}
			n++
		}
	}
	return n, nil
}

// refuseLocked fails with ErrLocked when a shard among keys (by site) of
// an object the view locks is locked now; it is what a locking view's
// Delete checks first.
func (s *Store) refuseLocked(ctx context.Context, name string, keys [][]string) error {
	if s.lock == nil || !s.lock.applies(name) {
		return nil // the view never locks it
	}
	r, err := s.retentionOf(ctx, keys)
	if err != nil {
		return err
	}
	if r.LockedAt(time.Now()) {
		return fmt.Errorf("%w: %s until %s", ErrLocked, name, r.Latest.UTC().Format(time.RFC3339))
	}
	return nil
}
