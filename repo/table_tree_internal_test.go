package repo

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pagesTree is a tree like a table's list of record pages: one file node
// naming n content IDs. Their last 24 bytes repeat, so that the tree
// compresses (a list of random IDs in hex is stored uncompressed at the
// fastest level).
func pagesTree(r *Repository, n int) *Tree {
	ids := make([]ID, n)
	for i := range ids {
		ids[i] = r.BlobID(fmt.Appendf(nil, "page %d", i))
		copy(ids[i][8:], "twenty-four repeated by")
	}
	return &Tree{Nodes: []Node{{Name: "pages", Type: NodeFile, Mode: 0o600, Content: ids, Size: uint64(n) << 14}}}
}

// TestSaveTableTreeStoresWhatSaveTreeStores encodes trees below and above
// zstd's block size at every compression level with the shared encoder
// and with an encoder of its own: the payloads are byte for byte the
// same, and a tree saved by SaveTableTree loads back equal.
func TestSaveTableTreeStoresWhatSaveTreeStores(t *testing.T) {
	ctx := context.Background()
	for _, c := range []Compression{CompressionFastest, CompressionDefault, CompressionBetter} {
		r, _ := internalRepo(t)
		r.useConfig(Config{Compression: c, PackSize: r.cfg.PackSize})
		for _, n := range []int{10, 900, 1024, 3000} {
			tr := pagesTree(r, n)
			b, err := EncodeTree(tr)
			require.NoError(t, err)
			shared := encodePayload(nil, b, r.encoder)
			own := encodePayload(nil, b, r.ownEncoder())
			if n >= 1024 {
				require.Greater(t, len(b), zstdBlockSize, "the tree must use zstd's history window")
				require.Equal(t, encZstd, shared[0], "%s, %d pages: compressed", c, n)
			}
			assert.Equal(t, shared, own, "%s, %d pages", c, n)

			id, err := r.SaveTableTree(ctx, tr)
			require.NoError(t, err)
			require.NoError(t, r.Flush(ctx))
			got, err := r.LoadTree(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, tr.Nodes[0].Content, got.Nodes[0].Content)
			want, err := r.SaveTree(ctx, tr)
			require.NoError(t, err)
			assert.Equal(t, want, id)
		}
	}
}
