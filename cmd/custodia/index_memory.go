package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/repo"
)

// indexFlags bound the memory of the repository's index (repo.WithIndexMemory):
// --index-memory MiB, else $CUSTODIA_INDEX_MEMORY; its cache files go to
// $CUSTODIA_INDEX_DIR, else the system's temporary folder. The index is
// kept between commands under the cache folder (--cache-dir, else
// $CUSTODIA_CACHE_DIR, else the user's cache folder) unless --no-cache or
// $CUSTODIA_NO_CACHE is set (repo.WithPersistentIndexCache).
type indexFlags struct {
	indexMemoryMiB int
	cacheDir       string
	noCache        bool
}

func init() {
	extend(func(env *cliEnv, root *cobra.Command) {
		root.PersistentFlags().IntVar(&env.index.indexMemoryMiB, "index-memory", 0,
			"most `MiB` the repository's index holds in memory; beyond, it is kept in sealed files of a temporary folder (default $CUSTODIA_INDEX_MEMORY, else 64)")
		root.PersistentFlags().StringVar(&env.index.cacheDir, "cache-dir", "",
			"`folder` of custodia's local cache: the index and the snapshots kept between commands, the newest snapshot time seen (default $CUSTODIA_CACHE_DIR, else the user's cache folder)")
		root.PersistentFlags().BoolVar(&env.index.noCache, "no-cache", false,
			"read the whole index from the repository and keep no copy of it between commands (also $CUSTODIA_NO_CACHE=1)")
	})
}

// indexOptions returns the index's memory bound and cache folder.
func (env *cliEnv) indexOptions() ([]repo.OpenOption, error) {
	var opts []repo.OpenOption
	mib := env.index.indexMemoryMiB
	if s := strings.TrimSpace(env.getenv("CUSTODIA_INDEX_MEMORY")); mib == 0 && s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return nil, usagef("CUSTODIA_INDEX_MEMORY=%q: want a number of MiB", s)
		}
		mib = n
	}
	if mib < 0 {
		return nil, usagef("--index-memory %d: want a number of MiB", mib)
	}
	if mib > 0 {
		opts = append(opts, repo.WithIndexMemory(mib<<20))
	}
	if dir := env.getenv("CUSTODIA_INDEX_DIR"); dir != "" {
		opts = append(opts, repo.WithIndexCache(dir))
	}
	noCache := env.index.noCache
	if s := strings.TrimSpace(env.getenv("CUSTODIA_NO_CACHE")); s != "" && !noCache {
		v, err := strconv.ParseBool(s)
		if err != nil {
			return nil, usagef("CUSTODIA_NO_CACHE=%q: want 1 or 0", s)
		}
		noCache = v
	}
	if dir := env.cacheDir(); dir != "" && !noCache {
		opts = append(opts, repo.WithPersistentIndexCache(dir))
	}
	return opts, nil
}

// cacheDir is the folder of custodia's local cache: --cache-dir, else
// $CUSTODIA_CACHE_DIR, else custodia in the user's cache folder; "" when
// there is none.
func (env *cliEnv) cacheDir() string {
	if env.index.cacheDir != "" {
		return env.index.cacheDir
	}
	if dir := env.getenv("CUSTODIA_CACHE_DIR"); dir != "" {
		return dir
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "custodia")
}
