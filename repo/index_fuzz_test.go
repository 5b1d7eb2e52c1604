package repo

import (
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzIndexCacheRecord decodes arbitrary records of the index cache and of
// its sort runs: an error wrapping ErrMalformed or an entry that encodes
// back to the same bytes.
func FuzzIndexCacheRecord(f *testing.F) {
	e := idxEntry{id: ID{1, 2, 3}, typ: TreeBlob, loc: location{pack: 3, offset: 10, length: 20, rawLength: 30}}
	f.Add(appendIdxRecord(nil, &e), 4)
	f.Add(make([]byte, idxRecordSize), 1)
	f.Add([]byte{1, 2}, 0)
	f.Add(appendIdxRecord(nil, &e), -24)
	f.Fuzz(func(t *testing.T, rec []byte, packs int) {
		k := min(len(rec), idxKeySize)
		got, err := decodeIdxRecord(rec[:k], rec[k:], packs)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformed)
			return
		}
		require.Equal(t, rec, appendIdxRecord(nil, &got))
		require.Less(t, int(got.loc.pack), packs)
	})
}

// FuzzIndexCacheFile writes a cache file, overwrites some of its bytes
// and reads it back: every lookup and the full scan give the places
// written or an error wrapping ErrMalformed, never another place.
func FuzzIndexCacheFile(f *testing.F) {
	f.Add(uint16(0), []byte{1})
	f.Add(uint16(500), []byte("changed bytes"))
	f.Add(uint16(9000), make([]byte, 40))
	f.Fuzz(func(t *testing.T, at uint16, patch []byte) {
		c := newIndexCache(t.TempDir(), 8<<10)
		var want []idxEntry
		for i := range 200 {
			e := idxEntry{typ: BlobType(i % 2), loc: location{pack: int32(i % 5), offset: uint32(i), length: 7, rawLength: uint32(i * 3)}}
			e.id[0], e.id[1], e.id[31] = byte(i/7), byte(i), byte(i*13)
			want = append(want, e)
		}
		sortEntries(want)
		seg, err := c.write(len(want), 5, seqOK(func(yield func(idxEntry) bool) {
			for _, e := range want {
				if !yield(e) {
					return
				}
			}
		}))
		require.NoError(t, err)
		s := seg.(*diskSegment)
		defer s.close()
		if len(patch) > 0 {
			_, err := s.f.WriteAt(patch, int64(at))
			require.NoError(t, err)
		}
		for _, e := range want {
			loc, ok, err := s.get(e.handle())
			if err != nil {
				require.ErrorIs(t, err, ErrMalformed)
				continue
			}
			// A record the patch did not reach is found; one in a
			// block it reached fails to authenticate.
			require.True(t, ok, "%x", e.id)
			require.Equal(t, e.loc, loc)
		}
		i := 0
		for e, err := range s.all {
			if err != nil {
				require.True(t, errors.Is(err, ErrMalformed), "%v", err)
				break
			}
			require.Equal(t, want[i], e)
			i++
		}
		if _, ok, err := s.get(BlobHandle{ID: ID{0xff}}); err == nil {
			require.False(t, ok, "a blob never written")
		}
	})
}

// sortEntries sorts entries in segment order.
func sortEntries(e []idxEntry) { slices.SortFunc(e, cmpEntry) }
