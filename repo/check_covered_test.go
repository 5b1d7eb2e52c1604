package repo_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/reedsolomon"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// replacePack rewrites every shard of the one pack under dir (one site,
// 4+2) as a consistent write of the pack with one byte changed at off:
// parity coded from it and every shard checksum valid, each header
// keeping the original object hash, as a site writer could. It returns
// the pack's object name.
func replacePack(t *testing.T, dir string, off int) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "packs", "*", "*.0"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	rel, err := filepath.Rel(dir, strings.TrimSuffix(files[0], ".0"))
	require.NoError(t, err)
	name := filepath.ToSlash(rel)
	k, m := storage.DefaultDataShards, storage.DefaultParityShards
	shards := make([][]byte, k+m)
	hdrs := make([]storage.ShardHeader, k+m)
	for i := range shards {
		b, err := os.ReadFile(filepath.Join(dir, rel+"."+string(rune('0'+i))))
		require.NoError(t, err)
		hdrs[i], shards[i], err = storage.DecodeShard(name, b)
		require.NoError(t, err)
	}
	L := len(shards[0])
	require.Less(t, off, L)
	shards[0] = bytes.Clone(shards[0])
	shards[0][off] ^= 1
	enc, err := reedsolomon.New(k, m)
	require.NoError(t, err)
	require.NoError(t, enc.Encode(shards))
	for i := range shards {
		b, err := storage.EncodeShard(name, hdrs[i], shards[i])
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, rel+"."+string(rune('0'+i))), b, 0o600))
	}
	return name
}

// A pack is read by verify without its storage object hash when its
// shards all agree (its AEADs cover every byte). A pack whose every
// shard a site replaced consistently under the old object hash is still
// reported as before: lost, with every shard named, because verify reads
// it again with the object hash once its AEADs fail.
func TestCheckReportsConsistentlyReplacedPack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := storage.Open(ctx, []string{dir}, storage.WithCreate())
	require.NoError(t, err)
	r, err := repo.Init(ctx, st, password, fastArgon)
	require.NoError(t, err)
	data := randomBytes(t, 200<<10)
	id := r.BlobID(data)
	_, err = r.SaveBlob(ctx, repo.DataBlob, id, data, false)
	require.NoError(t, err)
	require.NoError(t, r.Flush(ctx))
	rep, err := r.Check(ctx, repo.CheckOptions{ReadData: true})
	require.NoError(t, err)
	require.Empty(t, rep.Findings)
	require.NoError(t, st.Close())

	name := replacePack(t, dir, 100) // inside the blob's sealed bytes

	st, err = storage.Open(ctx, []string{dir})
	require.NoError(t, err)
	defer st.Close()
	r, err = repo.Open(ctx, st, password)
	require.NoError(t, err)
	rep, err = r.Check(ctx, repo.CheckOptions{ReadData: true})
	require.NoError(t, err)
	assert.True(t, rep.Lost(), "the pack is lost: %v", rep.Findings)
	var shards []string
	for _, f := range rep.Findings {
		assert.Equal(t, name, f.Object, f.Message)
		if f.Severity == repo.Damaged {
			shards = append(shards, f.Message)
		}
	}
	assert.Len(t, shards, storage.DefaultDataShards+storage.DefaultParityShards,
		"every shard is named, as the object hash finds them: %v", rep.Findings)
	for _, msg := range shards {
		assert.Contains(t, msg, "forged")
	}
}
