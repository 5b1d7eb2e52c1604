package repo_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// TestCheckReadDataSubset: a fraction of the packs reads ceil(fraction ×
// packs) of them, so at least one of a small repository, and says how many.
func TestCheckReadDataSubset(t *testing.T) {
	ctx := context.Background()
	r, _ := newRepo(t, "", repo.WithPackSize(1<<20))
	var nodes []repo.Node
	for i := range 2 {
		data := randomBytes(t, 1<<20+1)
		id := r.BlobID(data)
		_, err := r.SaveBlob(ctx, repo.DataBlob, id, data, true)
		require.NoError(t, err)
		nodes = append(nodes, repo.Node{Name: string(rune('a' + i)), Type: repo.NodeFile, Size: uint64(len(data)), Content: []repo.ID{id}})
	}
	tid, err := r.SaveTree(ctx, &repo.Tree{Nodes: nodes})
	require.NoError(t, err)
	_, err = r.SaveSnapshot(ctx, &repo.Snapshot{Kind: repo.KindFiles, Tree: tid})
	require.NoError(t, err)

	all, err := r.Check(ctx, repo.CheckOptions{ReadData: true})
	require.NoError(t, err)
	require.GreaterOrEqual(t, all.Packs, 2)
	assert.Equal(t, all.Packs, all.PacksRead)
	for _, f := range []float64{0.01, 0.1, 0.5, 0.99, 1} {
		rep, err := r.Check(ctx, repo.CheckOptions{ReadDataFraction: f})
		require.NoError(t, err)
		require.False(t, rep.Damaged(), "%v", rep.Findings)
		want := int(math.Ceil(f * float64(rep.Packs)))
		assert.Equal(t, want, rep.PacksRead, "fraction %v of %d packs", f, rep.Packs)
		assert.GreaterOrEqual(t, rep.PacksRead, 1)
		assert.Positive(t, rep.BlobsRead)
	}
	none, err := r.Check(ctx, repo.CheckOptions{})
	require.NoError(t, err)
	assert.Zero(t, none.PacksRead)
}

// An index file with three of its six shards corrupt cannot be read: verify
// with ReadData (which reads index files once, through Store.Verify)
// reports it lost, as too few intact shards and as unreadable; with one
// corrupt shard it is damaged and read.
func TestCheckIndexFileDamage(t *testing.T) {
	for _, bad := range []int{1, 3} {
		ctx := context.Background()
		dir := t.TempDir()
		st, err := storage.Open(ctx, []string{dir}, storage.WithCreate())
		require.NoError(t, err)
		r, err := repo.Init(ctx, st, password, fastArgon)
		require.NoError(t, err)
		data := []byte("indexed blob")
		_, err = r.SaveBlob(ctx, repo.DataBlob, r.BlobID(data), data, false)
		require.NoError(t, err)
		require.NoError(t, r.Flush(ctx))
		files, err := filepath.Glob(filepath.Join(dir, "index", "*"))
		require.NoError(t, err)
		require.Len(t, files, 6, "one index file of 4+2 shards") // sorted: .0 to .5
		for _, f := range files[:bad] {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			b[len(b)-1] ^= 1
			require.NoError(t, os.WriteFile(f, b, 0o600))
		}
		rep, err := r.Check(ctx, repo.CheckOptions{ReadData: true})
		require.NoError(t, err)
		var lost, damaged []string
		for _, f := range rep.Findings {
			if f.Severity == repo.Lost {
				lost = append(lost, f.Message)
			} else {
				damaged = append(damaged, f.Message)
			}
		}
		assert.Len(t, damaged, bad, "each corrupt shard is named")
		if bad == 1 {
			assert.Empty(t, lost)
			continue
		}
		require.Len(t, lost, 2, "%v", lost)
		assert.Contains(t, lost[0]+lost[1], "too few intact shards")
		assert.Contains(t, lost[0]+lost[1], "read index/")
		require.NoError(t, st.Close())
	}
}
