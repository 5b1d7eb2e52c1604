package repo

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
)

func TestPadme(t *testing.T) {
	for n, want := range map[int]int{
		0: 0, 1: 1, 2: 2, 3: 3, 9: 10, 96: 96, 100: 104, 101: 104,
		1 << 20: 1 << 20, 1<<20 + 1: 1<<20 + 32<<10, 300_000: 303_104,
	} {
		assert.Equal(t, want, padme(n), "padme(%d)", n)
	}
	prev := 0
	for n := 1; n < 1<<31; n = n*5/4 + 7 {
		p := padme(n)
		require.GreaterOrEqual(t, p, n)
		require.Equal(t, p, padme(p), "a Padmé length is its own padding")
		require.GreaterOrEqual(t, p, prev, "monotone")
		require.LessOrEqual(t, float64(p-n), 0.12*float64(n)+1)
		if n > 1<<20 {
			require.LessOrEqual(t, float64(p-n), 0.032*float64(n))
		}
		prev = p
	}
	assert.Equal(t, maxPackSize, paddedPackSize(maxPackSize-5))
	assert.Equal(t, maxPackSize+3, paddedPackSize(maxPackSize+3))
}

// testPack builds a pack of blobs sealed under dataKey, padded when pad.
func testPack(t *testing.T, indexKey, dataKey *sealKey, id ID, sizes []int, pad bool) ([]byte, []PackEntry, [][]byte) {
	t.Helper()
	p := &packBuilder{id: id}
	var plains [][]byte
	for i, n := range sizes {
		plain := make([]byte, n)
		plain[0] = byte(i)
		h := BlobHandle{Type: DataBlob, ID: ID{byte(i + 1)}}
		p.add(h, dataKey.aead.Seal(nil, plain, blobAD(h)), n)
		plains = append(plains, plain)
	}
	if pad {
		p.finish(indexKey, dataKey.id)
	} else { // as writers did before padding
		trailer := encodePackTrailer(dataKey.id, p.entries)
		n := len(p.buf)
		p.buf = indexKey.aead.Seal(p.buf, trailer, packTrailerAD(p.id))
		p.buf = binary.BigEndian.AppendUint32(p.buf, uint32(len(p.buf)-n))
	}
	return p.buf, p.entries, plains
}

// TestPackPaddingRoundTrip writes padded packs of many sizes: each has a
// Padmé length, its trailer and padding authenticate, its blobs open at
// the places the trailer gives, and a pack without padding (as written
// before) parses too.
func TestPackPaddingRoundTrip(t *testing.T) {
	ik := newSealKey(keyIndex, crypto.Key{1})
	dk := newSealKey(keyData, crypto.Key{2})
	for _, sizes := range [][]int{{1}, {10, 20}, {300_000}, {1 << 20, 5, 70_000}, {100, 100, 100, 100, 100}} {
		for _, pad := range []bool{true, false} {
			id := ID{byte(len(sizes)), byte(sizes[0])}
			pack, entries, plains := testPack(t, ik, dk, id, sizes, pad)
			blobEnd := int(entries[len(entries)-1].Offset + entries[len(entries)-1].Length)
			unpadded := blobEnd + crypto.Overhead + 24 + len(sizes)*packEntrySize + 4
			if pad {
				assert.Equal(t, padme(len(pack)), len(pack), "padded to a Padmé length")
				assert.GreaterOrEqual(t, len(pack), unpadded+packPadMin)
			} else {
				assert.Equal(t, unpadded, len(pack))
			}
			keyID, got, err := parsePack(ik, id, pack)
			require.NoError(t, err)
			assert.Equal(t, dk.id, keyID)
			require.Equal(t, entries, got)
			for i, e := range got {
				plain, err := dk.aead.Open(nil, pack[e.Offset:e.Offset+e.Length], blobAD(e.Handle))
				require.NoError(t, err)
				assert.Equal(t, plains[i], plain)
			}
		}
	}
}

// TestPackPaddingTampered: padding that does not authenticate, is sealed
// for another pack, or holds data is damage a check reports.
func TestPackPaddingTampered(t *testing.T) {
	ik := newSealKey(keyIndex, crypto.Key{1})
	dk := newSealKey(keyData, crypto.Key{2})
	id := ID{7}
	pack, entries, _ := testPack(t, ik, dk, id, []int{5000, 300}, true)
	end := int(entries[1].Offset + entries[1].Length)
	start := len(pack) - 4 - int(binary.BigEndian.Uint32(pack[len(pack)-4:]))
	require.Greater(t, start-end, crypto.Overhead)

	bad := append([]byte(nil), pack...)
	bad[end+crypto.NonceSize+1] ^= 1
	_, _, err := parsePack(ik, id, bad)
	require.ErrorIs(t, err, ErrMalformed)

	// Padding sealed for another pack.
	other := append([]byte(nil), pack...)
	copy(other[end:start], appendPadding(nil, ik, ID{8}, start-end))
	_, _, err = parsePack(ik, id, other)
	require.ErrorIs(t, err, ErrMalformed)

	// Padding that holds data, though sealed with the right key.
	data := append([]byte(nil), pack...)
	sealed := ik.aead.Seal(nil, append(make([]byte, start-end-crypto.Overhead-1), 1), packPaddingAD(id))
	copy(data[end:start], sealed)
	_, _, err = parsePack(ik, id, data)
	require.ErrorIs(t, err, ErrMalformed)
}

func FuzzCheckPackPadding(f *testing.F) {
	ik := newSealKey(keyIndex, crypto.Key{5})
	pad := appendPadding([]byte{1, 2, 3}, ik, ID{9}, 100)
	f.Add(pad, uint32(3))
	f.Add([]byte{0, 0, 0, 0}, uint32(0))
	f.Fuzz(func(t *testing.T, b []byte, end uint32) {
		if int(end) > len(b) {
			end = uint32(len(b))
		}
		e := []PackEntry{{Handle: BlobHandle{Type: DataBlob}, Offset: 0, Length: end}}
		err := checkPackPadding(ik, ID{9}, b, e, len(b))
		requireTyped(t, err)
	})
}
