package repo

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// indexFiles lists the index files of st.
func indexFileCount(t *testing.T, r *Repository) int {
	t.Helper()
	n := 0
	for _, err := range r.store.List(context.Background(), indexPrefix) {
		require.NoError(t, err)
		n++
	}
	return n
}

// TestCheckpointWhileWriting shows that completed packs are named in index
// files while a writer keeps writing, before any Flush, and that a second
// Repository opened meanwhile finds their blobs.
func TestCheckpointWhileWriting(t *testing.T) {
	ctx := context.Background()
	r, st := internalRepo(t)
	r.ckpt.every = 1 // every completed pack is due
	before := indexFileCount(t, r)
	var ids []ID
	for range 6 { // each blob fills a pack of its own (8 MiB packs)
		data := make([]byte, 5<<20)
		_, _ = rand.Read(data)
		id := r.BlobID(data)
		_, err := r.SaveBlob(ctx, DataBlob, id, data, false)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	r.uploads.Wait()
	assert.Greater(t, indexFileCount(t, r), before, "no index file before Flush")

	other, err := Open(ctx, st, testPassword)
	require.NoError(t, err)
	found := 0
	for _, id := range ids {
		if other.idx.has(BlobHandle{Type: DataBlob, ID: id}) {
			found++
		}
	}
	assert.GreaterOrEqual(t, found, len(ids)-2, "blobs of completed packs are in the index (all but the open pack's and the one uploading)")
	require.NoError(t, r.Flush(ctx))
}
