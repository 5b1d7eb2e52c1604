package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

func init() {
	addHint(storage.ErrLockUnsupported, "--object-lock needs an S3 site whose bucket was created with object lock enabled, e.g. 'aws s3api create-bucket --object-lock-enabled-for-bucket'")
	addHint(storage.ErrLocked, "a locked object can be deleted only after its retention date; see docs/FORMAT.md 19.8")
	addHint(repo.ErrLockConfigured, "reach the repository's S3 sites again before deleting anything")
}

// objectLock returns the lock init's flags ask for, or nil.
func (o *initOptions) objectLock() (*storage.ObjectLock, error) {
	if o.lockMode == "" {
		return nil, nil
	}
	mode, err := storage.ParseLockMode(o.lockMode)
	if err != nil {
		return nil, usagef("init: --object-lock must be governance or compliance (got %q)", o.lockMode)
	}
	span, err := repo.ParseSpan(o.lockPeriod)
	if err != nil {
		return nil, usagef("init: --lock-period: %v", err)
	}
	now := time.Now()
	period := span.AddTo(now).Sub(now)
	if period < repo.MinLockPeriod {
		return nil, usagef("init: --lock-period must be at least 1d (got %s)", o.lockPeriod)
	}
	return &storage.ObjectLock{Mode: mode, Period: period}, nil
}

// printLockedSites says which sites lock the new repository's objects
// and which do not.
func printLockedSites(ctx context.Context, env *cliEnv, r *repo.Repository, period string) {
	c, _ := r.ObjectLock()
	lockable, err := r.Store().LockableSites(ctx)
	if err != nil {
		return
	}
	var locked, unlocked []string
	for i, site := range r.Store().Sites() {
		if lockable[i] {
			locked = append(locked, site)
		} else {
			unlocked = append(unlocked, site)
		}
	}
	fmt.Fprintf(env.stdout, "objects are locked (%s, %s) on %s\n", strings.ToLower(string(c.Mode)), period, strings.Join(locked, ", "))
	if len(unlocked) > 0 {
		fmt.Fprintf(env.stdout, "not locked on %s (no S3 object lock there)\n", strings.Join(unlocked, ", "))
	}
}
