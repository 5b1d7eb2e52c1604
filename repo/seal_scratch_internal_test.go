package repo

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/storage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSaveBlobScratch saves blobs of every kind through one SealScratch —
// compressible, incompressible, empty, tiny, exactly as large as its
// buffer takes and one byte larger — and reads each back: the buffer is
// made once, at twice the average chunk, reused for every blob that fits,
// never grown by one that does not, and the packs check.
func TestSaveBlobScratch(t *testing.T) {
	ctx := context.Background()
	st, err := storage.Open(ctx, []string{fmt.Sprintf("mem://sealscratch-%d", internalCount.Add(1))}, storage.WithCreate())
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	const avg = 32 << 10
	r, err := Init(ctx, st, testPassword, WithArgon2(cheapArgon), WithChunker(chunk.Params{Min: 16 << 10, Avg: avg, Max: 256 << 10}))
	require.NoError(t, err)

	random := randomBlobs(40, 1, 2*avg+1)[0]
	text := bytes.Repeat([]byte("scratch buffers seal one blob after another. "), 2*avg/40)
	blobs := [][]byte{text[:60<<10], random[:60<<10], {}, {9}, random[:2*avg], random, text[:2*avg], random[:100]}
	var s SealScratch
	var first *byte
	for i, b := range blobs {
		fresh, err := r.SaveBlobScratch(ctx, DataBlob, r.BlobID(b), b, true, &s)
		require.NoError(t, err, "blob %d", i)
		assert.True(t, fresh, "blob %d", i)
		require.Len(t, s.buf, sealedRoom(2*avg), "the buffer after blob %d", i)
		if first == nil {
			first = &s.buf[0]
		}
		assert.Same(t, first, &s.buf[0], "the buffer is reused, blob %d", i)
	}
	require.NoError(t, r.Flush(ctx))
	for i, b := range blobs {
		got, err := r.LoadBlob(ctx, BlobHandle{Type: DataBlob, ID: r.BlobID(b)}, nil)
		require.NoError(t, err, "blob %d", i)
		require.True(t, bytes.Equal(b, got), "blob %d", i)
	}
	rep, err := r.Check(ctx, CheckOptions{ReadData: true})
	require.NoError(t, err)
	assert.Empty(t, rep.Findings)
	assert.Equal(t, len(blobs), rep.BlobsRead)
}

// TestSealScratchRelease keeps the scratch's own buffer and gives any
// other back to the pool, and takes a nil scratch.
func TestSealScratchRelease(t *testing.T) {
	r, _ := internalRepo(t)
	data := bytes.Repeat([]byte{1, 2, 3}, 1000)
	h := BlobHandle{Type: DataBlob, ID: r.BlobID(data)}
	var s SealScratch
	sealed := r.sealBlobWith(&s, h, data, r.encoder)
	require.NotEmpty(t, s.buf)
	assert.Same(t, &s.buf[0], &sealed[0], "sealed in the scratch buffer")
	s.release(sealed)
	assert.NotEmpty(t, s.buf, "the scratch keeps its buffer")

	pooled := r.sealBlobWith(nil, h, data, r.encoder)
	assert.NotSame(t, &s.buf[0], &pooled[0])
	(*SealScratch)(nil).release(pooled)
	s.release(r.sealBlob(h, data, nil))
	assert.NotEmpty(t, s.buf)
}
