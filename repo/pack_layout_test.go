package repo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/storage"
)

// layoutRepo is a repository on a fresh in-memory site with 1 MiB packs.
func layoutRepo(t *testing.T) *Repository {
	t.Helper()
	st, err := storage.Open(context.Background(), []string{fmt.Sprintf("mem://layout-%d", internalCount.Add(1))}, storage.WithCreate())
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	r, err := Init(context.Background(), st, testPassword, WithArgon2(cheapArgon), WithPackSize(1<<20))
	require.NoError(t, err)
	return r
}

// saveRandom saves n data blobs of random content and sizes in [min, max)
// and returns their handles in order.
func saveRandom(t *testing.T, r *Repository, rng *rand.Rand, n, lo, hi int) []BlobHandle {
	t.Helper()
	var hs []BlobHandle
	for range n {
		b := make([]byte, lo+rng.IntN(hi-lo))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		id := r.BlobID(b)
		_, err := r.SaveBlob(context.Background(), DataBlob, id, b, false)
		require.NoError(t, err)
		hs = append(hs, BlobHandle{Type: DataBlob, ID: id})
	}
	return hs
}

// TestBlobsSpreadOverTwoPacks writes a stream of blobs, as the chunks of
// one large file: they land in packs in an order that does not follow the
// stream, so pack boundaries are not file or chunk-run boundaries.
func TestBlobsSpreadOverTwoPacks(t *testing.T) {
	ctx := context.Background()
	r := layoutRepo(t)
	rng := rand.New(rand.NewPCG(1, 2))
	hs := saveRandom(t, r, rng, 60, 40<<10, 60<<10)
	require.NoError(t, r.Flush(ctx))
	byPack := map[ID][]int{}
	for i, h := range hs {
		_, p, ok := r.idx.lookup(h)
		require.True(t, ok)
		byPack[p.id] = append(byPack[p.id], i)
	}
	require.GreaterOrEqual(t, len(byPack), 3)
	interleaved := 0
	for _, idx := range byPack {
		if idx[len(idx)-1]-idx[0] != len(idx)-1 {
			interleaved++
		}
	}
	assert.Positive(t, interleaved, "some pack holds a run of the stream with gaps")
}

// TestRootTreeJoinsDataPack saves data blobs and then a tree, as a backup
// saves its root tree last: whatever the random placement and wherever
// packs were cut, the tree lands in a pack that holds data of the same
// session, never in a pack of its own.
func TestRootTreeJoinsDataPack(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 40 {
		r := layoutRepo(t)
		hs := saveRandom(t, r, rng, 1+rng.IntN(30), 1, 200<<10)
		id, err := r.SaveTree(ctx, &Tree{Nodes: []Node{{Name: fmt.Sprint(trial), Type: NodeFile}}})
		require.NoError(t, err)
		require.NoError(t, r.Flush(ctx))
		_, tp, ok := r.idx.lookup(BlobHandle{Type: TreeBlob, ID: id})
		require.True(t, ok)
		data := 0
		for _, h := range hs {
			if _, p, _ := r.idx.lookup(h); p.id == tp.id {
				data++
			}
		}
		require.Positive(t, data, "trial %d: the root tree's pack holds no data", trial)
		assert.Equal(t, data+1, tp.blobs)
	}
}

// TestFullPackPaddedWithinTarget fills a pack to the last byte the cut
// rule allows: padded, it is exactly the (power-of-two) target size, not
// rounded up to the next Padmé length above it.
func TestFullPackPaddedWithinTarget(t *testing.T) {
	r := layoutRepo(t)
	p := &packBuilder{id: ID{1}}
	n := r.cfg.PackSize - packEntrySize - packFixed
	require.True(t, r.fitsLocked(p, n))
	require.False(t, r.fitsLocked(p, n+1))
	p.add(BlobHandle{Type: DataBlob, ID: ID{2}}, make([]byte, n), n)
	p.finish(r.indexKey, r.dataKey.id)
	assert.Equal(t, r.cfg.PackSize, len(p.buf))
	_, entries, err := parsePack(r.indexKey, p.id, p.buf)
	require.NoError(t, err)
	assert.Equal(t, p.entries, entries)
}
