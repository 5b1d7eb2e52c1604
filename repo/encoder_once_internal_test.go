package repo

import (
	"context"
	"fmt"
	"github.com/custodia-backup/custodia/crypto"
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

// TestLargeIndexFileSealedAsBefore seals an index file larger than zstd's
// block size with an encoder of its own, as a writer does: the payload is
// byte for byte what the shared encoder gives, and the file opens to the
// same packs.
func TestLargeIndexFileSealedAsBefore(t *testing.T) {
	r, _ := internalRepo(t)
	packs := make([]IndexPack, 40)
	for i := range packs {
		packs[i] = IndexPack{ID: r.BlobID(fmt.Appendf(nil, "pack %d", i)), KeyID: r.dataKey.id}
		for j := range 100 {
			packs[i].Entries = append(packs[i].Entries, PackEntry{
				Handle: BlobHandle{Type: DataBlob, ID: r.BlobID(fmt.Appendf(nil, "blob %d %d", i, j))},
				Offset: uint32(j) << 14, Length: 1 << 14, RawLength: 1<<14 + uint32(j),
			})
		}
	}
	payload := encodeIndexFile(packs)
	require.Greater(t, len(payload), zstdBlockSize)
	enc := envelopeEncoder(len(payload))
	require.NotSame(t, zstdEncoder, enc)
	assert.Same(t, zstdEncoder, envelopeEncoder(zstdBlockSize))
	assert.Equal(t, encodePayload(nil, payload, zstdEncoder), encodePayload(nil, payload, enc))

	name := indexPrefix + "0123"
	keys := func(crypto.KeyID) (*sealKey, error) { return r.indexKey, nil }
	for _, p := range [][]IndexPack{packs, packs[:1], nil} {
		payload := encodeIndexFile(p)
		sealed := r.sealIndexFile(name, payload)
		// Sealed in place in a buffer the store codes in place.
		assert.GreaterOrEqual(t, cap(sealed), r.store.PutCapacity(len(sealed)))
		want := sealEnvelope(magicIndex, r.indexKey, name, payload)
		assert.Equal(t, len(want), len(sealed))
		assert.Equal(t, want[:envelopeHeader], sealed[:envelopeHeader])
		plain, err := openEnvelope(magicIndex, sealed, name, keys, 1<<30)
		require.NoError(t, err)
		assert.Equal(t, payload, plain)
		got, err := decodeIndexFile(plain)
		require.NoError(t, err)
		assert.Equal(t, len(p), len(got))
		if len(p) > 1 {
			assert.Equal(t, packs, got)
		}
	}
}
