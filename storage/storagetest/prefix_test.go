package storagetest_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
	"github.com/custodia-backup/custodia/storage/storagetest"
)

// withPath returns the cloud site URL u with path p (s3://bucket/p?...).
func withPath(u, p string) string {
	i := strings.IndexByte(u, '?')
	if i < 0 {
		return u + "/" + p
	}
	return u[:i] + "/" + p + u[i:]
}

// The path of a cloud URL is the prefix of the site's keys: two paths in
// one bucket are two repositories that never see each other's objects
// (issue 8 #2).
func TestPathIsPrefix(t *testing.T) {
	for _, b := range storagetest.Cloud() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			bucket := b.New(t)
			siteA, siteB := withPath(bucket, "firm/repo-a"), withPath(bucket, "firm/repo-b")

			// Two repositories, one per path: the second init does not
			// find the first.
			for _, site := range []string{siteA, siteB} {
				st, err := storage.Open(ctx, []string{site})
				require.NoError(t, err)
				_, err = repo.Init(ctx, st, fixture.Password, fixture.FastArgon)
				require.NoError(t, err, "init at %s", site)
				require.NoError(t, st.Close())
			}
			// The same object name holds different bytes in each.
			stA, err := storage.Open(ctx, []string{siteA})
			require.NoError(t, err)
			defer stA.Close()
			stB, err := storage.Open(ctx, []string{siteB})
			require.NoError(t, err)
			defer stB.Close()
			require.NoError(t, stA.Put(ctx, "packs/same-name", []byte("a")))
			require.NoError(t, stB.Put(ctx, "packs/same-name", []byte("b")))
			got, _, err := stA.Get(ctx, "packs/same-name")
			require.NoError(t, err)
			require.Equal(t, "a", string(got))
			got, _, err = stB.Get(ctx, "packs/same-name")
			require.NoError(t, err)
			require.Equal(t, "b", string(got))
			require.NoError(t, stB.Delete(ctx, "packs/same-name"))
			_, _, err = stA.Get(ctx, "packs/same-name")
			require.NoError(t, err, "deleting in b removed a's object")

			// In the bucket, every key lies under one of the two paths.
			raw := openRaw(t, bucket)
			it := raw.List(nil)
			seen := map[string]int{}
			for {
				obj, err := it.Next(ctx)
				if errors.Is(err, io.EOF) {
					break
				}
				require.NoError(t, err)
				switch {
				case strings.HasPrefix(obj.Key, "firm/repo-a/"):
					seen["a"]++
				case strings.HasPrefix(obj.Key, "firm/repo-b/"):
					seen["b"]++
				default:
					t.Errorf("key %q outside both repositories", obj.Key)
				}
			}
			require.Positive(t, seen["a"])
			require.Positive(t, seen["b"])
		})
	}
}
