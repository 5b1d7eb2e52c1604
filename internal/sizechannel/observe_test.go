package sizechannel_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/sizechannel"
)

// TestObserve backs up one file onto a local site and checks what
// Observe reads from the shard files alone against the repository's own
// account: every object's shards are 88 + ceil(N/k) bytes, the packs'
// blobs and sealed bytes add up to what the backup stored.
func TestObserve(t *testing.T) {
	ctx := context.Background()
	site := t.TempDir()
	r, _ := fixture.NewRepo(t, site)
	src := filepath.Join(t.TempDir(), "scan.pdf")
	require.NoError(t, os.WriteFile(src, fixture.RandomBytes(1, 300<<10), 0o600))
	_, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	ws := r.Stats()
	require.NoError(t, r.Close(ctx))

	objs, err := sizechannel.Observe(site)
	require.NoError(t, err)
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.Kind()]++
		require.Len(t, o.Shards, o.K+o.M, o.Name)
		for _, s := range o.Shards {
			assert.Equal(t, 88+(o.Size+int64(o.K)-1)/int64(o.K), s, o.Name)
		}
	}
	assert.Equal(t, 1, kinds["snapshots"])
	assert.Equal(t, 1, kinds["config"])
	packs := sizechannel.Packs(objs)
	require.Len(t, packs, kinds["packs"])
	require.Equal(t, int(ws.Packs), len(packs))
	var blobs int
	var area int64
	for _, p := range packs {
		require.Positive(t, p.Entries(), p.Name)
		blobs += p.Entries()
		area += p.BlobArea()
		assert.Equal(t, p.Size, p.BlobArea()+p.TrailerLen+4)
	}
	assert.Equal(t, int(ws.Blobs), blobs)
	assert.GreaterOrEqual(t, area, int64(ws.Stored), "the blob areas hold every sealed blob")
	assert.Positive(t, sizechannel.StoredBytes(objs))
}

// TestMatchers checks the matching helpers on made-up packs.
func TestMatchers(t *testing.T) {
	pack := func(area int64, entries int) sizechannel.Object {
		tl := int64(64 + 45*entries)
		return sizechannel.Object{Name: "packs/x", Size: area + tl + 4, TrailerLen: tl}
	}
	packs := []sizechannel.Object{pack(1000, 1), pack(5000, 3), pack(700, 2)}
	assert.True(t, sizechannel.SubsetMatches(packs, 5700))
	assert.True(t, sizechannel.SubsetMatches(packs, 6700))
	assert.False(t, sizechannel.SubsetMatches(packs, 6701))
	assert.Equal(t, 1, sizechannel.VisibleChunks(packs, []int64{1000, 700, 5000}))
	sums := sizechannel.AreaSums(packs)
	assert.True(t, sums[5700])
	assert.False(t, sums[6700], "pairs only")
	assert.Equal(t, sizechannel.Signature(packs), sizechannel.Signature([]sizechannel.Object{packs[2], packs[0], packs[1]}))
	assert.Equal(t, [5]int64{1, 1, 3, 4, 4}, sizechannel.Quantiles([]int64{4, 3, 1, 2}))
}
