package table

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/repo"
)

// TestRecordsTreeInGroups checks that a full snapshot of more than
// pagesPerTree record pages lists them in a folder of groups, and that the
// tree still reaches every page the index names (what prune and check
// follow) and nothing else.
func TestRecordsTreeInGroups(t *testing.T) {
	defer func(n int) { pagesPerTree = n }(pagesPerTree)
	pagesPerTree = 4
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	entries := func(yield func(Entry, error) bool) {
		for i := range 3000 {
			k, _ := KeyOf(fmt.Sprintf("%06d", i))
			rec := AppendRecord(nil, classify.Record{{Name: "id", Value: fmt.Sprint(i)}, {Name: "pad", Value: fmt.Sprintf("%0200d", i)}})
			if !yield(Entry{Key: k, Record: rec}, nil) {
				return
			}
		}
	}
	lay, err := WriteFull(ctx, r, entries)
	require.NoError(t, err)
	require.NoError(t, r.Flush(ctx))

	rd, err := NewReader(r, &repo.Snapshot{Kind: repo.KindTable, Table: &repo.TableInfo{Index: lay.Index}})
	require.NoError(t, err)
	want := map[ID]bool{}
	for _, top := range lay.Index {
		refs, err := rd.pageIndex(ctx, top)
		require.NoError(t, err)
		for _, ref := range refs {
			want[ref.Page] = true
		}
	}
	require.Greater(t, len(want), 3*pagesPerTree, "enough pages for several groups")

	root, err := r.LoadTree(ctx, lay.Tree)
	require.NoError(t, err)
	require.Len(t, root.Nodes, 2)
	records := root.Nodes[1]
	require.Equal(t, "records", records.Name)
	require.Equal(t, repo.NodeDir, records.Type)
	got := map[ID]bool{}
	groups, err := r.LoadTree(ctx, *records.Subtree)
	require.NoError(t, err)
	for _, g := range groups.Nodes {
		sub, err := r.LoadTree(ctx, *g.Subtree)
		require.NoError(t, err)
		require.Len(t, sub.Nodes, 1)
		assert.LessOrEqual(t, len(sub.Nodes[0].Content), pagesPerTree)
		for _, id := range sub.Nodes[0].Content {
			got[id] = true
		}
	}
	assert.Equal(t, want, got)
	n := 0
	for _, err := range rd.Full(ctx) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 3000, n)
}
