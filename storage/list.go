package storage

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
)

// listSites lists prefix on every online site in parallel and calls
// fn(si, key, name) for each shard blob key of site si (calls for one site
// are sequential; sites run concurrently). offline holds the error of each
// offline site, which is skipped.
func (s *Store) listSites(ctx context.Context, prefix string, fn func(si int, key, name string)) (offline []error, err error) {
	errs := make([]error, len(s.list))
	var wg sync.WaitGroup
	for si, st := range s.list {
		if err := st.offline(); err != nil {
			offline = append(offline, err)
			continue
		}
		wg.Go(func() {
			err := st.list(ctx, prefix, func(key string) {
				if name, _, ok := splitShardKey(key); ok {
					fn(si, key, name)
				}
			})
			if err != nil {
				errs[si] = fmt.Errorf("storage: list %s: %w", st, err)
			}
		})
	}
	wg.Wait()
	return offline, joinErrors(errs...)
}

// shardKeys lists, on every online site, the keys of the shards of name.
// Offline sites are skipped; offline lists them.
func (s *Store) shardKeys(ctx context.Context, name string) (keys [][]string, offline []error, err error) {
	keys = make([][]string, len(s.list))
	offline, err = s.listSites(ctx, name+".", func(si int, key, n string) {
		if n == name {
			keys[si] = append(keys[si], key)
		}
	})
	return keys, offline, err
}

// Delete removes every shard of object name from every site. Missing
// shards are ignored; deleting an object that does not exist is not an
// error. An offline site makes Delete fail after deleting the rest. On a
// view made by Locked, an object with a shard still locked is not deleted
// at all: Delete fails with ErrLocked.
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := s.check(name); err != nil {
		return err
	}
	s.headers.remove(name)
	s.recent.remove(name)
	s.windows.forget(name)
	keys, offline, listErr := s.shardKeys(ctx, name)
	if err := s.refuseLocked(ctx, name, keys); err != nil {
		return err
	}
	var mu sync.Mutex
	errs := append([]error{listErr}, offline...)
	type job struct {
		st  site
		key string
	}
	var jobs []job
	for si, ks := range keys {
		for _, k := range ks {
			jobs = append(jobs, job{s.list[si], k})
		}
	}
	s.parallel(len(jobs), func(j int) {
		st := jobs[j].st
		if err := st.delete(ctx, jobs[j].key); err != nil {
			mu.Lock()
			errs = append(errs, fmt.Errorf("storage: delete %s on %s: %w", jobs[j].key, st, err))
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
	if st := s.list[s.siteOf(0)]; st.offline() == nil {
		ok, err := st.exists(ctx, shardKey(name, 0))
		if err != nil {
			return false, fmt.Errorf("storage: exists %s on %s: %w", name, st, err)
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
	sets := make([]map[string]struct{}, len(s.list))
	for i := range sets {
		sets[i] = map[string]struct{}{}
	}
	_, err := s.listSites(ctx, prefix, func(si int, _, name string) {
		if strings.HasPrefix(name, prefix) && checkName(name) == nil {
			sets[si][name] = struct{}{}
		}
	})
	if err != nil {
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
