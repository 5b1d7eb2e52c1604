package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ErrRollback is wrapped by RollbackError.
var ErrRollback = errors.New("the repository's newest snapshot is older than one seen before (rolled back?)")

// RollbackError is the warning FindSnapshot("latest") returns, together
// with the snapshot it found, when the newest snapshot is older than the
// newest one this machine saw before in the same repository: a site may
// have deleted snapshots or replaced the repository by an older copy
// (docs/FORMAT.md §20). The snapshot is still usable; the caller decides
// whether to go on.
type RollbackError struct {
	// Latest is the time of the newest snapshot now.
	Latest time.Time
	// Seen is the time of the newest snapshot seen before.
	Seen time.Time
}

// Error says what was seen.
func (e *RollbackError) Error() string {
	return fmt.Sprintf("the newest snapshot (%s) is older than the newest this machine saw before (%s): snapshots were deleted or the repository was rolled back",
		e.Latest.UTC().Format(time.RFC3339), e.Seen.UTC().Format(time.RFC3339))
}

// Unwrap returns ErrRollback.
func (e *RollbackError) Unwrap() error { return ErrRollback }

// WithRollbackGuard keeps, in a file of dir named by the repository ID,
// the time of the newest snapshot seen in the repository, and makes
// FindSnapshot("latest") return a *RollbackError with its snapshot when the
// newest snapshot is older. The hint only ever grows; it is a local
// record, not a proof (a machine that never saw the newer snapshots cannot
// tell). The CLI keeps it under the user's cache folder.
func WithRollbackGuard(dir string) OpenOption {
	return func(o *openOptions) { o.rollbackDir = dir }
}

// rollbackGuard is the high-water mark of snapshot times of one
// repository on this machine.
type rollbackGuard struct {
	mu   sync.Mutex
	path string
}

// seen returns the highest time recorded, or the zero time.
func (g *rollbackGuard) seen() time.Time {
	b, err := os.ReadFile(g.path)
	if err != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if err != nil {
		return time.Time{}
	}
	return t
}

// observe raises the recorded time to t and returns the time recorded
// before. Failing to record is not an error of the operation: the hint is
// best effort.
func (g *rollbackGuard) observe(t time.Time) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	before := g.seen()
	if !t.After(before) {
		return before
	}
	if err := os.MkdirAll(filepath.Dir(g.path), 0o700); err != nil {
		return before
	}
	tmp, err := os.CreateTemp(filepath.Dir(g.path), ".seen-*")
	if err != nil {
		return before
	}
	_, werr := tmp.WriteString(t.UTC().Format(time.RFC3339Nano) + "\n")
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), g.path) != nil {
		os.Remove(tmp.Name())
	}
	return before
}

// checkRollback records the newest snapshot time and returns a
// *RollbackError when it is older than the one recorded before.
func (r *Repository) checkRollback(latest *Snapshot) error {
	if r.rollback == nil || latest == nil {
		return nil
	}
	if before := r.rollback.observe(latest.Time); latest.Time.Before(before) {
		return &RollbackError{Latest: latest.Time, Seen: before}
	}
	return nil
}

// noteSnapshotTime raises the hint for a snapshot this session wrote.
func (r *Repository) noteSnapshotTime(t time.Time) {
	if r.rollback != nil {
		r.rollback.observe(t)
	}
}
