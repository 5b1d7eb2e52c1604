package repo_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// Keep the index between sessions: the first open reads every index file
// and writes a sealed copy under the folder; later opens read the copy and
// only the index files written since.
func ExampleWithPersistentIndexCache() {
	ctx := context.Background()
	cache, err := os.MkdirTemp("", "custodia-cache-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(cache)
	st, _ := storage.Open(ctx, []string{"mem://example-persistent-index"})
	r, _ := repo.Init(ctx, st, []byte("a long passphrase"))
	data := []byte("invoice 2026-0042")
	if _, err := r.SaveBlob(ctx, repo.DataBlob, r.BlobID(data), data, true); err != nil {
		fmt.Println(err)
		return
	}
	if err := r.Flush(ctx); err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		r, err := repo.Open(ctx, st, []byte("a long passphrase"), repo.WithPersistentIndexCache(cache))
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("has the blob:", r.HasBlob(repo.BlobHandle{Type: repo.DataBlob, ID: r.BlobID(data)}))
	}
	files, _ := filepath.Glob(filepath.Join(cache, "index-v1", "*", "*.idx"))
	fmt.Println("cache files:", len(files))
	// Output:
	// has the blob: true
	// has the blob: true
	// cache files: 1
}
