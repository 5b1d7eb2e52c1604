package repo

// WithIndexMemory bounds the memory the index holds to about n bytes
// (DefaultIndexMemory when n ≤ 0; at least 1 MiB): the places of blobs
// that do not fit are kept in sealed files of a local cache folder
// (WithIndexCache) and read back as needed, so that the memory of a
// session does not grow with the number of blobs in the repository
// (docs/FORMAT.md §13.2). Below the bound the index is held in memory
// whole, about 52 bytes per blob.
func WithIndexMemory(n int) OpenOption {
	return func(o *openOptions) {
		o.index = append(o.index, func(c *indexConfig) {
			if n <= 0 {
				n = DefaultIndexMemory
			}
			c.memory = max(n, minIndexMemory)
		})
	}
}

// WithIndexCache sets the folder of the index's cache files (default
// os.TempDir()). They are unlinked as soon as they are made where the
// system allows it, else removed by Close, and hold only keyed blob IDs
// and their places, sealed under a key that exists only in memory.
func WithIndexCache(dir string) OpenOption {
	return func(o *openOptions) {
		o.index = append(o.index, func(c *indexConfig) { c.dir = dir })
	}
}

// WithPersistentIndexCache keeps the loaded index between sessions in a
// sealed file under dir (a folder per repository, named by a keyed hash
// of its ID), so that an open reads that file's pack table, sparse index
// and Bloom filter and only the index files written since it was made,
// instead of every index file (docs/FORMAT.md §13.3). Its key is derived
// from the master key (from the index key in a write-only session, which
// then keeps a cache of its own): a file that does not authenticate, was
// made for another repository, or covers an index file that is gone is
// ignored and replaced. It takes about the size of the index on disk
// (about 52 bytes per blob); "" keeps none, the default.
func WithPersistentIndexCache(dir string) OpenOption {
	return func(o *openOptions) {
		o.index = append(o.index, func(c *indexConfig) { c.persistDir = dir })
	}
}
