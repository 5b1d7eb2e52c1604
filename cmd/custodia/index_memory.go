package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custodia-backup/custodia/repo"
)

// indexFlags bound the memory of the repository's index (repo.WithIndexMemory):
// --index-memory MiB, else $CUSTODIA_INDEX_MEMORY; its cache files go to
// $CUSTODIA_INDEX_DIR, else the system's temporary folder.
type indexFlags struct {
	indexMemoryMiB int
}

func init() {
	extend(func(env *cliEnv, root *cobra.Command) {
		root.PersistentFlags().IntVar(&env.index.indexMemoryMiB, "index-memory", 0,
			"most `MiB` the repository's index holds in memory; beyond, it is kept in sealed files of a temporary folder (default $CUSTODIA_INDEX_MEMORY, else 64)")
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
	return opts, nil
}
