package storagetest_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/storage"
	"github.com/custodia-backup/custodia/storage/storagetest"
)

// Reading an object from a cloud site in small ranges, as a restore reads a
// pack's blobs, makes one request per aligned window, not one per range:
// the provider sees which windows were read, never where a range starts or
// ends (issue 18), and the reads are few.
func TestRangeReadsAreAlignedWindows(t *testing.T) {
	for _, b := range storagetest.Cloud() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			site, p := proxied(t, b)
			// One data shard, so the object is one blob: 3 windows and a bit.
			w := openStore(t, site, storage.WithShards(1, 1))
			data := payload(900, 3*storage.MinReadWindow+5000)
			require.NoError(t, w.Put(ctx, "packs/win", data))

			st := openStore(t, site, storage.WithShards(1, 1), storage.WithReadWindow(storage.MinReadWindow))
			before := len(p.Ranges())
			const piece = 40 << 10
			for off := 0; off < len(data); off += piece {
				n := min(piece, len(data)-off)
				got, err := st.GetRange(ctx, "packs/win", int64(off), int64(n))
				require.NoError(t, err)
				require.True(t, bytes.Equal(data[off:off+n], got), "[%d, %d)", off, off+n)
			}
			reads := p.Ranges()[before:]
			const W, H = storage.MinReadWindow, storage.HeaderSize
			size := H + len(data)
			want := map[string]bool{}
			for start := 0; start < size; start += W {
				end, from := min(size, H+start+W), H+start
				if start == 0 {
					from = 0
				}
				want[fmt.Sprintf("bytes=%d-%d", from, end-1)] = true
			}
			require.NotEmpty(t, reads)
			seen := map[string]bool{}
			for _, r := range reads {
				require.True(t, want[r], "range %s is not an aligned window of the blob (windows %v)", r, want)
				require.False(t, seen[r], "window %s read twice", r)
				seen[r] = true
			}
			require.Len(t, seen, len(want), "%d ranges of %d bytes took %d reads", (len(data)+piece-1)/piece, piece, len(reads))
		})
	}
}
