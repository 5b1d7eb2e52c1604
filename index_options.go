package custodia

import "github.com/custodia-backup/custodia/repo"

// WithIndexMemory bounds the memory the repository's index holds to about
// n bytes (default repo.DefaultIndexMemory, 64 MiB): beyond it, the places
// of blobs are kept in sealed files of a local temporary folder (dir, or
// the system's temporary folder when dir is ""), so that a session's
// memory does not grow with the number of blobs in the repository. See
// repo.WithIndexMemory and repo.WithIndexCache.
func WithIndexMemory(n int, dir string) Option {
	return func(o *options) {
		o.open = append(o.open, repo.WithIndexMemory(n))
		if dir != "" {
			o.open = append(o.open, repo.WithIndexCache(dir))
		}
	}
}
