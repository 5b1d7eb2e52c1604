package repo

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
)

// loadIndex reads the index: from the persistent index cache and the
// index files it does not cover when it is configured and usable, else
// from every index file (and then writes the cache).
func (r *Repository) loadIndex(ctx context.Context) error {
	var names []string
	for name, err := range r.store.List(ctx, indexPrefix) {
		if err != nil {
			return fmt.Errorf("list index: %w", err)
		}
		names = append(names, name)
	}
	r.gc.indexFiles = names
	defer func() { r.gc.packsAtOpen(r.idx) }()
	pc := r.persistCacheFor()
	if pc != nil {
		if used, err := r.loadIndexCached(ctx, pc, names); used {
			return err
		}
	}
	err := r.loadIndexFiles(ctx, names, pc)
	if errors.Is(err, errPersistWrite) {
		// The cache folder failed while the places were written to it
		// (full): load again without it.
		r.idx.reset()
		err = r.loadIndexFiles(ctx, names, nil)
	}
	return err
}

// loadIndexFiles reads every index file of names into the empty index
// and, with pc, writes the persistent cache of it.
func (r *Repository) loadIndexFiles(ctx context.Context, names []string, pc *persistCache) error {
	read := make([]bool, len(names))
	var mu sync.Mutex
	r.idx.beginLoad()
	err := parallel(ctx, len(names), runtime.GOMAXPROCS(0), func(ctx context.Context, i int) error {
		packs, err := r.readIndexFile(ctx, names[i])
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			// An index file left incomplete by a crash, or damaged beyond
			// repair, must not lock everyone out: its blobs are only not
			// deduplicated against (and verify reports the file).
			mu.Lock()
			r.warnings = append(r.warnings, fmt.Errorf("index file skipped: %w", err))
			mu.Unlock()
			return nil
		}
		for _, p := range packs {
			r.idx.addFrom(p, int32(i))
		}
		mu.Lock()
		read[i] = true
		mu.Unlock()
		return nil
	})
	r.indexFilesRead = len(names)
	var job *persistJob
	if err == nil && pc != nil {
		// Beyond the bound, finishLoad writes the cache as it sorts.
		job = &persistJob{pc: pc, names: names, read: read}
		r.idx.persistTo = job
	}
	if ferr := r.idx.finishLoad(); err == nil {
		err = ferr
	}
	r.idx.persistTo = nil
	if err == nil && job != nil && !job.written {
		// The cache only saves the next open work: an error writing it
		// (a full or read-only folder) leaves it to be rebuilt then.
		_ = r.idx.persist(pc, names, read)
	}
	return err
}

func (r *Repository) readIndexFile(ctx context.Context, name string) ([]IndexPack, error) {
	payload, err := r.getEnvelope(ctx, magicIndex, name, kindIndexFile, maxIndexPayload)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return decodeIndexFile(payload)
}
