package repo

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckWalkBounded walks snapshots whose trees and blobs do not fit in
// the walk's memory (an index bound of 1 MiB): the sorters spill, and the
// counts and findings are those of a walk in memory — every tree and data
// blob counted once, though one folder is reached at two depths and blobs
// are named by several trees and snapshots; the blob missing from the
// index is reported once, with the name of a file naming it, and so is
// the tree that cannot be read.
func TestCheckWalkBounded(t *testing.T) {
	ctx := context.Background()
	r, st := internalRepo(t)
	var blobs []ID
	for i := range 1500 {
		data := fmt.Appendf(nil, "blob %d", i)
		id := r.BlobID(data)
		_, err := r.SaveBlob(ctx, DataBlob, id, data, false)
		require.NoError(t, err)
		blobs = append(blobs, id)
	}
	missing := ID{7, 7, 7}
	lostTree := ID{9, 9, 9}
	save := func(tr *Tree) ID {
		id, err := r.SaveTree(ctx, tr)
		require.NoError(t, err)
		return id
	}
	// A shared folder, reached at depth 1 in one snapshot and at depth 2
	// in the other.
	shared := save(&Tree{Nodes: []Node{{Name: "s", Type: NodeFile, Content: []ID{blobs[0], blobs[1]}}}})
	trees := 1
	var dirs []Node
	for d := range 30 {
		var files []Node
		for f := range 25 {
			b := blobs[(d*25+f)*2 : (d*25+f)*2+2]
			files = append(files, Node{Name: fmt.Sprintf("f%02d", f), Type: NodeFile, Content: []ID{b[0], b[1], blobs[0]}})
		}
		if d == 3 {
			files = append(files, Node{Name: "sub", Type: NodeDir, Subtree: &shared})
			files = append(files, Node{Name: "the-missing-one", Type: NodeFile, Content: []ID{missing}})
		}
		if d == 5 {
			files = append(files, Node{Name: "gone", Type: NodeDir, Subtree: &lostTree})
		}
		sub := save(&Tree{Nodes: files})
		trees++
		dirs = append(dirs, Node{Name: fmt.Sprintf("d%02d", d), Type: NodeDir, Subtree: &sub})
	}
	root1 := save(&Tree{Nodes: dirs})
	root2 := save(&Tree{Nodes: append(dirs[:10:10], Node{Name: "top", Type: NodeDir, Subtree: &shared})})
	trees += 2
	for _, root := range []ID{root1, root2} {
		_, err := r.SaveSnapshot(ctx, &Snapshot{Kind: KindFiles, Tree: root})
		require.NoError(t, err)
	}
	require.NoError(t, r.Flush(ctx))

	for _, tc := range []struct {
		name  string
		bound int
		spill bool
	}{{"in memory", 0, false}, {"spilled", 1 << 20, true}} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []OpenOption
			if tc.bound > 0 {
				opts = append(opts, withIndexBound(tc.bound, t.TempDir()))
			}
			r2, err := Open(ctx, st, testPassword, opts...)
			require.NoError(t, err)
			defer r2.Close(ctx)
			c := &checker{r: r2}
			require.NoError(t, c.checkSnapshots(ctx))
			assert.Equal(t, tc.spill, c.walkSpills > 0, "run files written: %d", c.walkSpills)
			assert.Equal(t, 2, c.rep.Snapshots)
			assert.Equal(t, trees, c.rep.Trees)
			assert.Equal(t, 1500+1, c.rep.DataBlobs)
			require.Len(t, c.rep.Findings, 2, "%v", c.rep.Findings)
			byObject := map[string]string{}
			for _, f := range c.rep.Findings {
				assert.Equal(t, Lost, f.Severity)
				byObject[f.Object] = f.Message
			}
			assert.Contains(t, byObject["blob "+missing.String()], `"the-missing-one" is not in the index`)
			assert.Contains(t, byObject["tree "+lostTree.String()], "tree "+lostTree.String())
		})
	}
}

// TestCheckCountsUnreferencedPacks shows that verify counts the stored
// packs no index file names, and only those.
func TestCheckCountsUnreferencedPacks(t *testing.T) {
	ctx := context.Background()
	r, _ := internalRepo(t)
	for i := range 3 {
		data := fmt.Appendf(nil, "indexed blob %d", i)
		_, err := r.SaveBlob(ctx, DataBlob, r.BlobID(data), data, false)
		require.NoError(t, err)
		require.NoError(t, r.Flush(ctx))
	}
	rep, err := r.Check(ctx, CheckOptions{})
	require.NoError(t, err)
	require.Equal(t, 3, rep.Packs)
	assert.Zero(t, rep.Unreferenced)
	for range 2 {
		id, err := randomID()
		require.NoError(t, err)
		require.NoError(t, r.store.Put(ctx, packName(id), []byte("a pack no index file names")))
	}
	rep, err = r.Check(ctx, CheckOptions{})
	require.NoError(t, err)
	assert.Equal(t, 3, rep.Packs)
	assert.Equal(t, 2, rep.Unreferenced)
}
