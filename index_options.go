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

// WithIndexCacheDir keeps the repository's index between sessions in a
// sealed file of a folder under dir (for instance custodia in
// os.UserCacheDir()), so that opening the repository again reads only
// the index files written since, instead of all of them: the cost of an
// open stops growing with the repository. The file's key is derived from
// the repository's keys; a file that does not authenticate or is out of
// date is ignored and rebuilt. See repo.WithPersistentIndexCache.
func WithIndexCacheDir(dir string) Option {
	return func(o *options) {
		o.open = append(o.open, repo.WithPersistentIndexCache(dir))
	}
}
