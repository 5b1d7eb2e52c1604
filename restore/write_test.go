package restore_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/restore"
)

// TestLargeFileLoadedAhead: a file of many blobs, whose next blob is
// loaded while the one before is written, is restored byte for byte, and
// a restore cancelled in its middle stops with the cancellation.
func TestLargeFileLoadedAhead(t *testing.T) {
	ctx := context.Background()
	r := newStreamRepo(t)
	data := make([]byte, 24<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	res, err := backup.Stream(ctx, r, "dump.sql", bytes.NewReader(data))
	require.NoError(t, err)
	tree, err := r.LoadTree(ctx, res.Snapshot.Tree)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(tree.Nodes[0].Content), 8, "many blobs")

	target := t.TempDir()
	_, err = restore.Snapshot(ctx, r, res.Snapshot, target)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(target, "dump.sql"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got), "byte for byte")

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, err = restore.Snapshot(cctx, r, res.Snapshot, t.TempDir(), restore.WithProgress(func(p restore.Progress) {
		if p.Bytes > 0 {
			cancel()
		}
	}, time.Millisecond))
	require.ErrorIs(t, err, context.Canceled)
}
