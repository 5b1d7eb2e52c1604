package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/custodia-backup/custodia/repo"
)

// filterFlags are the --host, --tag and --path flags that select snapshots
// (restic's semantics). Commands that pick snapshots add them with
// register and read them with filter.
type filterFlags struct {
	hosts, tags, paths []string
}

func (f *filterFlags) register(fs *pflag.FlagSet, what string) {
	fs.StringArrayVar(&f.hosts, "host", nil, what+" of `HOST` (repeatable: any of them)")
	fs.StringArrayVar(&f.tags, "tag", nil, what+" carrying every tag of `T[,T...]` (repeatable: any of the lists)")
	fs.StringArrayVar(&f.paths, "path", nil, what+" that backed up `PATH` (repeatable: all of them; a plain name that is no file here names a --stdin stream)")
}

// set reports whether any filter flag was given.
func (f *filterFlags) set() bool {
	return len(f.hosts)+len(f.tags)+len(f.paths) > 0
}

// filter returns the library's form of the flags: paths made absolute as
// backup stores them, tag lists split at commas.
func (f *filterFlags) filter() (repo.SnapshotFilter, error) {
	out := repo.SnapshotFilter{Hosts: f.hosts}
	for _, list := range f.tags {
		var group []string
		for _, t := range strings.Split(list, ",") {
			if t = strings.TrimSpace(t); t != "" {
				group = append(group, t)
			}
		}
		if len(group) == 0 {
			return out, usagef("--tag wants one or more tags, got %q", list)
		}
		out.Tags = append(out.Tags, group)
	}
	for _, p := range f.paths {
		if p == "" {
			return out, usagef("--path wants a path")
		}
		if !filepath.IsAbs(p) && !strings.ContainsRune(p, filepath.Separator) && !strings.Contains(p, "/") {
			if _, err := os.Lstat(p); err != nil {
				out.Paths = append(out.Paths, p) // a stream's name
				continue
			}
		}
		a, err := filepath.Abs(p)
		if err != nil {
			return out, usagef("--path %q: %v", p, err)
		}
		out.Paths = append(out.Paths, a)
	}
	return out, nil
}

// check validates the flags for the snapshot reference ref before the
// repository is opened: they select among snapshots for "latest" only.
func (f *filterFlags) check(ref string) error {
	if _, err := f.filter(); err != nil {
		return err
	}
	if ref != "latest" && f.set() {
		return usagef("--host, --tag and --path select among snapshots for 'latest' only; %q names one snapshot", ref)
	}
	return nil
}

// openSnapshot opens the repository read-only and resolves ref in it as
// findSnapshot does. A rollback warning is printed, and returned apart from
// the error with the snapshot found. The caller closes the repository with
// closeRepo.
func (env *cliEnv) openSnapshot(ctx context.Context, ref string, f *filterFlags) (*repo.Repository, *repo.Snapshot, *repo.RollbackError, error) {
	r, err := env.openRepo(ctx, true)
	if err != nil {
		return nil, nil, nil, err
	}
	snap, err := findSnapshot(ctx, r, ref, f)
	var rollback *repo.RollbackError
	if errors.As(err, &rollback) && snap != nil {
		env.warnf("%v", err)
		err = nil
	}
	if err != nil {
		env.closeRepo(r)
		return nil, nil, nil, err
	}
	return r, snap, rollback, nil
}

// findSnapshot resolves ref ("latest" or an ID prefix): "latest" is the
// newest snapshot passing the filter flags. As repo.FindSnapshot, it may
// return a snapshot together with a *repo.RollbackError.
func findSnapshot(ctx context.Context, r *repo.Repository, ref string, f *filterFlags) (*repo.Snapshot, error) {
	if err := f.check(ref); err != nil {
		return nil, err
	}
	if ref == "latest" && f.set() {
		flt, _ := f.filter()
		return r.FindLatest(ctx, flt)
	}
	// Without filters "latest" is checked against rollback: the snapshot
	// may come back with a *repo.RollbackError.
	return r.FindSnapshot(ctx, ref)
}
