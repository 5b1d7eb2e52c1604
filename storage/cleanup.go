package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A write interrupted by a crash or a kill can leave its temporary file
// "<key>.<hex>.tmp" next to the shard it was to become, on a local site
// (object stores publish nothing on a failed upload). Such files are
// removed once they are older than a safe margin: by the first write of a
// Store, in the background, and by RemoveStaleTemporaries.

// DefaultStaleTemporaryAge is how old a temporary file must be before it
// is removed: far longer than any shard write takes.
const DefaultStaleTemporaryAge = time.Hour

// WithStaleTemporaryAge sets how old a stranded temporary file on a local
// site must be for the first write of the Store to remove it (default
// DefaultStaleTemporaryAge); d < 0 disables that removal.
func WithStaleTemporaryAge(d time.Duration) Option {
	return func(o *options) { o.tempAge, o.tempAgeSet = d, true }
}

// RemoveStaleTemporaries removes, on every local site, the temporary
// files of interrupted shard writes whose last change is older than
// olderThan (never less than a minute), and returns how many it removed.
// Other files are never touched.
func (s *Store) RemoveStaleTemporaries(ctx context.Context, olderThan time.Duration) (int, error) {
	if s.closed.Load() {
		return 0, ErrClosed
	}
	olderThan = max(olderThan, time.Minute)
	total := 0
	var errs []error
	for _, st := range s.list {
		n, err := st.removeStaleTemporaries(ctx, olderThan)
		total += n
		if err != nil {
			errs = append(errs, fmt.Errorf("storage: remove temporary files on %s: %w", st, err))
		}
	}
	return total, joinErrors(errs...)
}

// startCleanup removes stale temporary files in the background, once per
// Store (its first write). Close cancels and waits for it.
func (s *Store) startCleanup() {
	if s.tempAge < 0 {
		return
	}
	s.cleanOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		s.cleanStop = cancel
		s.cleanDone = make(chan struct{})
		go func() {
			defer close(s.cleanDone)
			_, _ = s.RemoveStaleTemporaries(ctx, s.tempAge)
		}()
	})
}

// stopCleanup cancels a running cleanup and waits for it.
func (s *sites) stopCleanup() {
	s.cleanOnce.Do(func() {}) // no cleanup may start now
	if s.cleanStop != nil {
		s.cleanStop()
		<-s.cleanDone
	}
}

// isTemporary reports whether the file name base is a temporary shard
// file: "<shard key>.<1 to 16 hex digits>.tmp".
func isTemporary(base string) bool {
	rest, ok := strings.CutSuffix(base, ".tmp")
	if !ok {
		return false
	}
	dot := strings.LastIndexByte(rest, '.')
	if dot < 0 || len(rest)-dot-1 < 1 || len(rest)-dot-1 > 16 {
		return false
	}
	for _, c := range rest[dot+1:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	_, _, ok = splitShardKey(rest[:dot])
	return ok
}

func (st *bucketSite) removeStaleTemporaries(context.Context, time.Duration) (int, error) {
	return 0, nil // uploads to object stores publish nothing when they fail
}

func (st *offlineSite) removeStaleTemporaries(context.Context, time.Duration) (int, error) {
	return 0, nil
}

func (st *localSite) removeStaleTemporaries(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	n := 0
	err := filepath.WalkDir(st.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed meanwhile
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !d.Type().IsRegular() || !isTemporary(d.Name()) {
			return nil
		}
		fi, err := d.Info()
		if err != nil || !fi.ModTime().Before(cutoff) {
			return nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		n++
		return nil
	})
	return n, st.wrap(err)
}
