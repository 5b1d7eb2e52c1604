package repo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/custodia-backup/custodia/storage"
)

// ObjectLockConfig is a repository's object-lock setting (docs/FORMAT.md
// §19.8), kept in its config: every object that a restore or a key holder
// needs is written locked on the sites that can lock (S3 buckets with
// object lock enabled), in Mode, until Period after its write; prune
// extends the locks of what snapshots still use.
type ObjectLockConfig struct {
	// Mode is the S3 retention mode.
	Mode storage.LockMode `json:"mode"`
	// Period is how long a new object stays locked.
	Period time.Duration `json:"period_ns"`
}

func (c *ObjectLockConfig) validate() error {
	if c.Mode != storage.LockGovernance && c.Mode != storage.LockCompliance {
		return fmt.Errorf("%w: config: object lock mode %q", ErrMalformed, c.Mode)
	}
	if c.Period < time.Second {
		return fmt.Errorf("%w: config: object lock period %v", ErrMalformed, c.Period)
	}
	return nil
}

func (c *ObjectLockConfig) lock() storage.ObjectLock {
	return storage.ObjectLock{Mode: c.Mode, Period: c.Period}
}

// ErrLockConfigured means the repository has object lock configured but
// its sites cannot lock now (an S3 site is unreachable or lost its lock
// setting), so an operation that deletes refused: it could not tell
// locked objects from the others.
var ErrLockConfigured = errors.New("the repository uses object lock but none of its sites can lock now")

// WithObjectLock makes Init create a repository whose objects are written
// locked (docs/FORMAT.md §19.8): packs, index files, snapshots, the config,
// key slots, session, keyring, custody and table-key objects and audit
// entries, on every site
// that is an S3 bucket created with object lock enabled, in mode until
// period after their write. Other sites (local folders, Azure, GCS, S3
// buckets without object lock) hold their shards unlocked. Init fails
// with an error wrapping storage.ErrLockUnsupported when no site can lock,
// and with ErrBadPolicy for an invalid mode or a period under a day.
func WithObjectLock(mode storage.LockMode, period time.Duration) InitOption {
	return func(o *initOptions) { o.objectLock = &ObjectLockConfig{Mode: mode, Period: period} }
}

// MinLockPeriod is the shortest object-lock period Init accepts from
// WithObjectLock: prune must get to extend a lock before it lapses.
const MinLockPeriod = 24 * time.Hour

// minLockPeriod is MinLockPeriod, shortened by tests.
var minLockPeriod = MinLockPeriod

// lockedPrefixes are the prefixes of the objects written locked in a
// repository with object lock: everything a restore needs, from the key
// slots that open the repository to the packs. Left unlocked are what
// prune and forget's own bookkeeping must delete or replace: prune
// markers and journals, retention floors (replaced when changed), the
// append-only flag and drill records.
var lockedPrefixes = []string{packsPrefix, indexPrefix, snapshotPrefix, sessionsPrefix, keyringPrefix, tableKeysPrefix, auditPrefix, keysPrefix, keyInfoPrefix, custodyPrefix}

// lockedName reports whether the object name is written locked in a
// repository with object lock.
func lockedName(name string) bool {
	if name == configName {
		return true
	}
	for _, p := range lockedPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// checkInitLock validates an Init's lock setting and returns the locking
// view of store.
func checkInitLock(ctx context.Context, store *storage.Store, c *ObjectLockConfig) (*storage.Store, error) {
	if c.Mode != storage.LockGovernance && c.Mode != storage.LockCompliance {
		return nil, fmt.Errorf("%w: object lock mode %q (governance or compliance)", ErrBadPolicy, c.Mode)
	}
	if c.Period < minLockPeriod {
		return nil, fmt.Errorf("%w: object lock period %v is shorter than %v", ErrBadPolicy, c.Period, minLockPeriod)
	}
	return store.Locked(ctx, c.lock(), lockedName)
}

// useObjectLock makes r's store the locking view its config asks for. When
// no site can lock now, the repository still opens for reading and
// writing (new objects unlocked, with a warning), and Prune and Forget
// refuse with ErrLockConfigured.
func (r *Repository) useObjectLock(ctx context.Context) {
	c := r.cfg.ObjectLock
	if c == nil {
		return
	}
	v, err := r.store.Locked(ctx, c.lock(), lockedName)
	if err != nil {
		r.warnings = append(r.warnings, fmt.Errorf("%w (%v): new objects are written unlocked", ErrLockConfigured, err))
		return
	}
	r.store = v
}

// ObjectLock returns the repository's object-lock setting, and false when
// it has none.
func (r *Repository) ObjectLock() (ObjectLockConfig, bool) {
	if r.cfg.ObjectLock == nil {
		return ObjectLockConfig{}, false
	}
	return *r.cfg.ObjectLock, true
}

// refuseUnlockable fails with ErrLockConfigured when the repository has
// object lock but its store is not a locking view.
func (r *Repository) refuseUnlockable(op string) error {
	if r.cfg.ObjectLock == nil {
		return nil
	}
	if _, ok := r.store.ObjectLock(); !ok {
		return fmt.Errorf("%s: %w", op, ErrLockConfigured)
	}
	return nil
}

// snapshotLockedUntil returns the date until which snapshot id's object
// is locked, or zero.
func (r *Repository) snapshotLockedUntil(ctx context.Context, id ID, now time.Time) (time.Time, error) {
	if r.cfg.ObjectLock == nil {
		return time.Time{}, nil
	}
	ret, err := r.store.Retention(ctx, snapshotName(id))
	if err != nil {
		return time.Time{}, err
	}
	if ret.LockedAt(now) {
		return ret.Latest, nil
	}
	return time.Time{}, nil
}

// lockReason is the reason forget gives for keeping a locked snapshot.
func lockReason(until time.Time) string {
	return "object lock until " + until.UTC().Format(time.RFC3339)
}

// lockAuditArgs adds the lock setting to an audit entry's arguments.
func lockAuditArgs(args map[string]string, c *ObjectLockConfig) map[string]string {
	if c != nil {
		args["object_lock"] = string(c.Mode)
		args["lock_period"] = c.Period.String()
	}
	return args
}

// keepLocked moves the snapshots plan would remove whose objects are
// locked now into its kept ones, with the lock as their reason.
func (r *Repository) keepLocked(ctx context.Context, plan *ForgetPlan, now time.Time) error {
	if r.cfg.ObjectLock == nil {
		return nil
	}
	if err := r.refuseUnlockable("forget"); err != nil {
		return err
	}
	for gi := range plan.Groups {
		g := &plan.Groups[gi]
		remove := g.Remove[:0]
		for _, d := range g.Remove {
			until, err := r.snapshotLockedUntil(ctx, d.Snapshot.ID, now)
			if err != nil {
				return err
			}
			if until.IsZero() {
				remove = append(remove, d)
				continue
			}
			d.Reasons = append(d.Reasons, lockReason(until))
			g.Keep = append(g.Keep, d)
		}
		g.Remove = remove
		// Newest first, as ApplyForget orders them.
		slices.SortStableFunc(g.Keep, func(a, b ForgetDecision) int {
			if c := b.Snapshot.Time.Compare(a.Snapshot.Time); c != 0 {
				return c
			}
			return cmp.Compare(b.Snapshot.ID.String(), a.Snapshot.ID.String())
		})
	}
	return nil
}
