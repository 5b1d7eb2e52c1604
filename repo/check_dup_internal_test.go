package repo

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckBlobTwiceInOnePack shows that verify accepts a pack holding a
// blob twice when the index names one of its places, and still reports an
// index naming a place the pack's trailer does not have.
func TestCheckBlobTwiceInOnePack(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		shift uint32 // moves the indexed place away from both copies
		lost  bool
	}{{"index names a copy", 0, false}, {"index names no copy", 1, true}} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := internalRepo(t)
			data := []byte("one blob, stored twice in the same pack")
			h := BlobHandle{Type: DataBlob, ID: r.BlobID(data)}
			sealed := r.dataKey.aead.Seal(nil, encodePayload(nil, data, nil), blobAD(h))
			pid, err := randomID()
			require.NoError(t, err)
			p := &packBuilder{id: pid, buf: make([]byte, 0, 1<<20)}
			p.add(h, sealed, len(data))
			p.add(h, sealed, len(data))
			p.finish(r.indexKey, r.dataKey.id)
			require.NoError(t, r.store.Put(ctx, packName(pid), p.buf))
			named := p.entries[1]
			named.Offset += tc.shift
			r.idx.add(IndexPack{ID: pid, KeyID: r.dataKey.id, Entries: []PackEntry{named}})

			rep, err := r.Check(ctx, CheckOptions{ReadData: true})
			require.NoError(t, err)
			assert.Equal(t, 2, rep.BlobsRead)
			if !tc.lost {
				assert.Empty(t, rep.Findings)
				return
			}
			require.Len(t, rep.Findings, 1)
			assert.Contains(t, rep.Findings[0].Message, "trailer and index disagree")
		})
	}
}
