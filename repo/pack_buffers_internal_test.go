package repo

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/bufpool"
	"github.com/custodia-backup/custodia/storage"
	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smallPackRepo is a repository of 1 MiB packs on an in-memory site.
func smallPackRepo(t *testing.T) *Repository {
	t.Helper()
	st, err := storage.Open(context.Background(), []string{fmt.Sprintf("mem://packbufs-%d", internalCount.Add(1))}, storage.WithCreate())
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	r, err := Init(context.Background(), st, testPassword, WithArgon2(cheapArgon), WithPackSize(1<<20))
	require.NoError(t, err)
	return r
}

// randomBlobs returns n incompressible blobs of size bytes.
func randomBlobs(seed uint64, n, size int) [][]byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	out := make([][]byte, n)
	for i := range out {
		out[i] = make([]byte, size)
		for j := range out[i] {
			out[i][j] = byte(rng.Uint32())
		}
	}
	return out
}

// TestPackBuffersWhileUploadsStall saves blobs from two writers while
// every upload is held: the writers never hold more than two pack
// buffers, the packs started meanwhile are staged, and once the uploads
// go on every blob reads back as saved and every pack checks.
func TestPackBuffersWhileUploadsStall(t *testing.T) {
	ctx := context.Background()
	r := smallPackRepo(t)
	gate := make(chan struct{})
	r.uploadGate = gate
	blobs := randomBlobs(1, 60, 100<<10)
	savers := saveFromTwoWriters(t, ctx, r, blobs)
	staged := func() bool {
		r.wmu.Lock()
		defer r.wmu.Unlock()
		assert.LessOrEqual(t, r.packBufsMade, packBuffers)
		return r.packsStaged > 0
	}
	require.Eventually(t, staged, 20e9, 1e6, "no pack was staged while the uploads were held")
	close(gate)
	savers.Wait()
	require.NoError(t, r.Flush(ctx))
	assert.LessOrEqual(t, r.packBufsMade, packBuffers)

	rep := requireReadBack(t, ctx, r, blobs)
	assert.Equal(t, len(blobs), rep.BlobsRead)
}

// TestFlushStagedPack flushes a pack that is still in its staging buffer:
// it is uploaded from there, padded as any pack, and reads back.
func TestFlushStagedPack(t *testing.T) {
	ctx := context.Background()
	r := smallPackRepo(t)
	FillOnePack(t)
	r.wmu.Lock()
	r.packBufsMade = packBuffers // as if both pack buffers were uploading
	r.wmu.Unlock()
	blobs := randomBlobs(2, 3, 10<<10)
	for _, b := range blobs {
		_, err := r.SaveBlob(ctx, DataBlob, r.BlobID(b), b, false)
		require.NoError(t, err)
	}
	r.wmu.Lock()
	require.NotNil(t, r.open[0])
	assert.True(t, r.open[0].staging)
	r.wmu.Unlock()
	require.NoError(t, r.Flush(ctx))
	assert.Equal(t, uint64(1), r.Stats().Packs)
	assert.Equal(t, 1, r.stagedUploads, "no upload could give a pack buffer back")
	for _, b := range blobs {
		got, err := r.LoadBlob(ctx, BlobHandle{Type: DataBlob, ID: r.BlobID(b)}, nil)
		require.NoError(t, err)
		require.Equal(t, b, got)
	}
	rep, err := r.Check(ctx, CheckOptions{ReadData: true})
	require.NoError(t, err)
	assert.Empty(t, rep.Findings)
}

// TestFlushUnstagesAfterUploads flushes while an upload is held and the
// pack started meanwhile is staged: Flush waits for the upload, moves the
// staged pack into the pack buffer it gave back and uploads it from
// there, so its last uploads hold two pack buffers and no staging buffer.
func TestFlushUnstagesAfterUploads(t *testing.T) {
	ctx := context.Background()
	r := smallPackRepo(t)
	FillOnePack(t)
	gate := make(chan struct{})
	r.uploadGate = gate
	blobs := randomBlobs(4, 13, 100<<10)
	blobs[12] = blobs[12][:50<<10] // it fits in a staging buffer
	save := func(b []byte) {
		_, err := r.SaveBlob(ctx, DataBlob, r.BlobID(b), b, false)
		require.NoError(t, err)
	}
	// Ten blobs fill the first pack; the eleventh seals it (its upload
	// waits at the gate) and starts the second pack in the other buffer.
	for _, b := range blobs[:12] {
		save(b)
	}
	r.wmu.Lock()
	require.Equal(t, packBuffers, r.packBufsMade)
	require.NotNil(t, r.open[0])
	require.False(t, r.open[0].staging)
	// The second pack stays open in the other slot; the next blob starts
	// a pack while both pack buffers are taken.
	r.open[1], r.open[0] = r.open[0], nil
	r.wmu.Unlock()
	for _, b := range blobs[12:] {
		save(b)
	}
	r.wmu.Lock()
	require.True(t, r.open[0].staging)
	r.wmu.Unlock()

	flushed := make(chan error)
	go func() { flushed <- r.Flush(ctx) }()
	close(gate)
	require.NoError(t, <-flushed)
	assert.Equal(t, 0, r.stagedUploads, "a pack was uploaded from its staging buffer")
	assert.Equal(t, 0, r.packBufsMade, "Flush keeps pack buffers")
	assert.Empty(t, r.packBufs)
	assert.Equal(t, uint64(3), r.Stats().Packs)
	requireReadBack(t, ctx, r, blobs)
}

// TestParityBuffersReusedThenDropped fills several packs, one upload at
// a time: every full pack's parity is coded into one parity buffer of
// the writer's own, reused from upload to upload, and Flush lets it go
// with the pack buffers, so nothing of the uploads stays in memory after
// the backup (a shared pool kept them as spare buffers).
func TestParityBuffersReusedThenDropped(t *testing.T) {
	ctx := context.Background()
	r := smallPackRepo(t)
	FillOnePack(t)
	full := r.parityBufCap()
	require.Positive(t, full)
	var made []*byte
	blobs := randomBlobs(5, 45, 100<<10) // four full packs and a part
	for i, b := range blobs {
		_, err := r.SaveBlob(ctx, DataBlob, r.BlobID(b), b, false)
		require.NoError(t, err)
		if i > 0 && i%10 == 0 { // blob i sealed the pack before it
			r.uploads.Wait()
			require.Len(t, r.parityBufs, 1, "after blob %d", i)
			p := <-r.parityBufs
			assert.Equal(t, full, cap(p))
			made = append(made, &p[:1][0])
			r.parityBufs <- p
		}
	}
	require.NoError(t, r.Flush(ctx))
	for _, m := range made[1:] {
		assert.Same(t, made[0], m, "a new parity buffer for a full pack")
	}
	assert.Len(t, made, 4)
	assert.Empty(t, r.parityBufs, "Flush keeps parity buffers")
	assert.Equal(t, 0, r.packBufsMade, "Flush keeps pack buffers")
	requireReadBack(t, ctx, r, blobs)
}

// TestSealBlobInPlace seals blobs of every kind the way SaveBlob does —
// compressible, incompressible, tiny, and past the sampling threshold —
// and opens each with the data key: the in-place seal and the fallback
// for a payload that outgrows its buffer give the same blobs.
func TestSealBlobInPlace(t *testing.T) {
	r, _ := internalRepo(t)
	random := randomBlobs(3, 1, 300<<10)[0]
	text := bytes.Repeat([]byte("custodia seals blobs in place. "), 10<<10)
	for _, data := range [][]byte{{}, {7}, random[:63], random[:64], random[:4096], random, text[:5000], text} {
		for _, compress := range []bool{false, true} {
			h := BlobHandle{Type: DataBlob, ID: r.BlobID(data)}
			var enc *zstd.Encoder
			if compress {
				enc = r.encoder
			}
			sealed := r.sealBlob(h, data, enc)
			stored := bytes.Clone(sealed)
			bufpool.Put(sealed)
			assert.LessOrEqual(t, len(stored), len(data)+1+crypto.Overhead, "%d bytes", len(data))
			got, err := r.openBlob(r.dataKey, h, stored, nil, location{length: uint32(len(stored)), rawLength: uint32(len(data))})
			require.NoError(t, err, "%d bytes, compress %v", len(data), compress)
			require.True(t, bytes.Equal(data, got), "%d bytes, compress %v", len(data), compress)
		}
	}
}

// saveFromTwoWriters saves blobs from two writers at once, as a backup's
// save workers do; wait on the group returned for them to finish.
func saveFromTwoWriters(t *testing.T, ctx context.Context, r *Repository, blobs [][]byte) *sync.WaitGroup {
	t.Helper()
	feed := make(chan []byte)
	var savers sync.WaitGroup
	for range 2 {
		savers.Go(func() {
			for b := range feed {
				_, err := r.SaveBlob(ctx, DataBlob, r.BlobID(b), b, true)
				assert.NoError(t, err)
			}
		})
	}
	go func() {
		for _, b := range blobs {
			feed <- b
		}
		close(feed)
	}()
	return &savers
}

// requireReadBack requires every blob to read back as saved and a check
// that reads every pack to find nothing; it returns the check's report.
func requireReadBack(t *testing.T, ctx context.Context, r *Repository, blobs [][]byte) *CheckReport {
	t.Helper()
	for i, b := range blobs {
		got, err := r.LoadBlob(ctx, BlobHandle{Type: DataBlob, ID: r.BlobID(b)}, nil)
		require.NoError(t, err, "blob %d", i)
		require.Equal(t, b, got, "blob %d", i)
	}
	rep, err := r.Check(ctx, CheckOptions{ReadData: true})
	require.NoError(t, err)
	assert.Empty(t, rep.Findings)
	return rep
}
