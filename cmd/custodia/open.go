package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// openStore opens the sites named by the flags or the environment.
func (env *cliEnv) openStore(ctx context.Context, opts ...storage.Option) (*storage.Store, error) {
	urls, err := env.siteURLs()
	if err != nil {
		return nil, err
	}
	return storage.Open(ctx, urls, opts...)
}

// openRepo opens the repository with its password. Commands that only read
// (readOnly) go on when some sites cannot be reached, reading what they
// need from the others, and say so on stderr. Close it with closeRepo.
func (env *cliEnv) openRepo(ctx context.Context, readOnly bool, opts ...repo.OpenOption) (*repo.Repository, error) {
	return env.openRepoSites(ctx, readOnly, nil, opts...)
}

// openRepoSites is openRepo with options for the store: a command that
// writes and goes on when a site is down (backup) passes
// storage.WithAllowUnreachable and names the site in its last line.
func (env *cliEnv) openRepoSites(ctx context.Context, readOnly bool, sopts []storage.Option, opts ...repo.OpenOption) (*repo.Repository, error) {
	urls, err := env.siteURLs()
	if err != nil {
		return nil, err
	}
	var pw []byte
	if len(env.shareFiles) == 0 {
		if pw, err = env.password(false); err != nil {
			return nil, err
		}
	}
	iopts, err := env.indexOptions()
	if err != nil {
		return nil, err
	}
	opts = append(iopts, opts...)
	if readOnly {
		sopts = append(sopts, storage.WithAllowUnreachable())
	}
	st, err := storage.Open(ctx, urls, sopts...)
	if err != nil {
		return nil, err
	}
	if len(env.shareFiles) > 0 {
		// A split repository: the custodians' shares open it.
		r, err := env.openWithShares(ctx, st, opts...)
		if err != nil {
			st.Close()
			return nil, err
		}
		return r, nil
	}
	if readOnly {
		// A command that writes names the site in its last line instead.
		for _, u := range st.Unreachable() {
			env.warnf("site %s cannot be reached; reading from the other sites", u)
		}
	}
	// Argon2id's 64 MiB are garbage once the slot opens: collected there,
	// the index read next reuses them (verify's heap peak 86 → 66 MB).
	opts = append(opts, repo.WithAfterUnlock(env.gc.afterUnlock))
	if env.ownProcess {
		opts = append(opts, repo.WithBeforeUnlock(readyForUnlock))
	}
	r, err := repo.Open(ctx, st, pw, append(env.rollbackGuard(), opts...)...)
	clear(pw)
	if err != nil {
		st.Close()
		return nil, err
	}
	for _, w := range r.Warnings() {
		env.warnf("%s (run 'custodia verify')", w.Error())
	}
	return r, nil
}

// readyForUnlock runs right before the password's key derivation. Its 64
// MiB set a command's peak RSS: start-up's garbage and the binary's pages
// that start-up and the reading of the key slots touched need not add to
// it; and the derivation's memory goes on huge pages, which halves its
// time. The collection also frees the range prepareKDFPages readied: a
// full one that returns the free pages to the system, since the
// background scavenger, returning them itself, holds the range while it
// does (a plain runtime.GC let the derivation land elsewhere in 1 run of
// 10). It runs before the pages are dropped, so that those it touches go
// too.
func readyForUnlock() {
	prepareKDFPages(int(crypto.DefaultArgon2Params().MemoryKiB) << 10)
	debug.FreeOSMemory()
	dropStartPages()
}

// closeRepo releases the repository's sites when a command is done with
// it. It writes nothing: commands that write (backup) flush what they wrote
// themselves, and an interrupted one leaves no half-written index behind.
func (env *cliEnv) closeRepo(r *repo.Repository) {
	if err := r.Store().Close(); err != nil {
		env.warnf("close the repository: %v", err)
	}
}

// warnf prints one warning line on stderr.
func (env *cliEnv) warnf(format string, args ...any) {
	fmt.Fprintln(env.stderr, "custodia: warning: "+oneLine(fmt.Sprintf(format, args...)))
}

// isTerminal reports whether w is a terminal, where progress is shown.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// rollbackGuard keeps the newest snapshot time seen per repository under
// the cache folder (cacheDir), so that "restore latest"
// warns when a repository goes back to an older state.
func (env *cliEnv) rollbackGuard() []repo.OpenOption {
	dir := env.cacheDir()
	if dir == "" {
		return nil
	}
	return []repo.OpenOption{repo.WithRollbackGuard(filepath.Join(dir, "seen"))}
}
