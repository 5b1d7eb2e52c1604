package storage

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custodia-backup/custodia/internal/directio"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Objects of sizes around the direct-I/O block and staging sizes, written
// both with O_DIRECT and through the page cache, read back byte for byte
// from shard files of exactly their encoded length.
func TestLocalWriteSizes(t *testing.T) {
	ctx := context.Background()
	const align, stage = directio.Align, directio.StageSize
	sizes := []int{0, 1, 100, align - HeaderSize, align - HeaderSize + 1, 4 * align,
		stage - HeaderSize, stage - HeaderSize + 1, 4*stage + 12345}
	for _, direct := range []bool{true, false} {
		dirs := fileDirs(t, 2)
		s := openStore(t, dirs, WithShards(1, 1))
		for _, st := range s.list {
			st.(*localSite).noDirect.Store(!direct)
		}
		for i, n := range sizes {
			name := "w/obj" + string(rune('a'+i))
			data := randBytes(n, uint64(i))
			require.NoError(t, s.Put(ctx, name, data), "size %d", n)
			for j := range 2 {
				fi, err := os.Stat(shardFile(dirs, name, j))
				require.NoError(t, err)
				assert.Equal(t, int64(HeaderSize+n), fi.Size(), "size %d shard %d", n, j)
			}
			got, h, err := s.Verify(ctx, name, nil)
			require.NoError(t, err, "size %d", n)
			assert.True(t, h.OK(), "size %d: %v", n, h)
			assert.True(t, bytes.Equal(data, got), "size %d, direct %v", n, direct)
		}
		assertNoTempFiles(t, dirs)
		if direct && s.list[0].(*localSite).noDirect.Load() {
			t.Log("the test folder's file system refuses O_DIRECT: both runs were buffered")
		}
	}
}

// Create never replaces a shard file, even when another writer published
// it between the existence check and the rename.
func TestPublishNoReplace(t *testing.T) {
	dir := t.TempDir()
	final := filepath.Join(dir, "obj.0")
	require.NoError(t, os.WriteFile(final, []byte("first"), 0o644))
	tmp := final + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte("second"), 0o644))
	require.ErrorIs(t, publish(tmp, final, true), errShardExists)
	got, err := os.ReadFile(final)
	require.NoError(t, err)
	assert.Equal(t, "first", string(got))
	require.NoError(t, publish(tmp, final, false))
	got, err = os.ReadFile(final)
	require.NoError(t, err)
	assert.Equal(t, "second", string(got))
}

func assertNoTempFiles(t *testing.T, dirs []string) {
	t.Helper()
	for _, d := range dirs {
		require.NoError(t, filepath.WalkDir(d, func(p string, _ os.DirEntry, err error) error {
			require.NoError(t, err)
			assert.False(t, strings.HasSuffix(p, ".tmp"), "temporary file left: %s", p)
			return nil
		}))
	}
}
