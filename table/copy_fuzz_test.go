package table

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzRelink: relinking a page with the identity gives its bytes back;
// relinking with another mapping changes only the page IDs; anything that
// is not a valid page is refused with ErrMalformed.
func FuzzRelink(f *testing.F) {
	var id ID
	for i := range id {
		id[i] = byte(i)
	}
	b := appendIndexHeader(nil, indexKindPages)
	b = appendPageRef(append(b, 2), PageRef{First: []byte("a"), Page: id, Records: 3})
	f.Add(appendPageRef(b, PageRef{First: []byte("b"), Page: id, Records: 1}))
	d := appendIndexHeader(nil, indexKindDelta)
	d = appendDeltaEntry(append(d, 2), DeltaEntry{Key: []byte("a"), Page: id, Ordinal: 1})
	f.Add(appendDeltaEntry(d, DeltaEntry{Key: []byte("b"), Deleted: true}))
	f.Add(buildPage([2]string{"a", "1"}, [2]string{"b", "2"}))
	f.Add([]byte("CIX1\x03\x01"))
	for _, v := range []string{vecPageV2, vecPageV3, vecPageV3Zstd, vecPageV3S2} {
		b, _ := hex.DecodeString(v)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		same, err := Pages{}.Relink(b, func(id ID) (ID, error) { return id, nil })
		if err != nil {
			assert.ErrorIs(t, err, ErrMalformed)
			return
		}
		require.Equal(t, b, same)
		flip := func(id ID) (ID, error) {
			for i := range id {
				id[i] ^= 0xa5
			}
			return id, nil
		}
		out, err := Pages{}.Relink(b, flip)
		require.NoError(t, err)
		require.Len(t, out, len(b))
		if bytes.HasPrefix(b, []byte(recordPageMagic)) {
			require.Equal(t, b, out)
			return
		}
		back, err := Pages{}.Relink(out, flip)
		require.NoError(t, err)
		require.Equal(t, b, back, "flipping twice gives the page back")
	})
}
