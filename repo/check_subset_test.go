package repo_test

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
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
