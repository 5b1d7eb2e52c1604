package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestListLocalWhileFilesVanish lists a local site while other writers'
// temporary files appear and vanish and other objects are deleted beside
// the listing: List and Usage never fail, and the objects nobody touches
// are always listed.
func TestListLocalWhileFilesVanish(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 1)
	s := openStore(t, dirs)
	var keep []string
	for i := range 20 {
		n := fmt.Sprintf("index/keep%02d", i)
		require.NoError(t, s.Put(ctx, n, []byte(n)))
		keep = append(keep, n)
	}

	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				// A temporary file beside the shards, as a writer's
				// rename leaves it for an instant, then gone.
				tmp := filepath.Join(dirs[0], "index", fmt.Sprintf("w%d-%d.0.%x.tmp", w, i, i))
				if err := os.WriteFile(tmp, []byte("partial"), 0o600); err != nil {
					t.Error(err)
					return
				}
				_ = os.Remove(tmp)
				// An object written and deleted (as prune does).
				n := fmt.Sprintf("index/gone%d-%d", w, i%4)
				if err := s.Put(ctx, n, []byte(n)); err != nil {
					t.Error(err)
					return
				}
				if err := s.Delete(ctx, n); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 200 {
		var got []string
		for n, err := range s.List(ctx, "index/") {
			require.NoError(t, err)
			if len(n) > 10 && n[:10] == "index/keep" {
				got = append(got, n)
			}
		}
		assert.Equal(t, keep, got)
		u, err := s.Usage(ctx)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, u[0].Objects, int64(len(keep)))
	}
	stop.Store(true)
	wg.Wait()
}
