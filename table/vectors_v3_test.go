package table

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/classify"
)

// The vectors of docs/FORMAT.md section 25.4 for version-3 record pages:
// the two records of the version-2 vector (text stored raw, method 0),
// and four records whose text is compressed (method 1, zstd; method 2,
// S2).
const (
	vecPageV3 = "43525033" + "00" + "2d" + "2d" +
		"030269640463617264046e616d65" + "02" +
		"030001370200000137010529" + "030001380200000138020006e78e8be4bc9f" +
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728"
	vecPageV3Zstd = "435250330182045b28b52ffd4000020185020072440f16803102ff57ee29632318c666ee3234b50cb6e47de701a98fa927ea23ea390878fa797a16a2b5c1511c2b8ba9f7aee9a3e949564015c410001c590c330400f08ff44081a509fe213df9986619" +
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728"
	vecPageV3S2 = "43525033028204588204a003026964046e6f74650463617264040300013102000001310100707061696420696e2066756c6c3b20110e15005220030001320300000132117c150063180205290300013301fb003315006e0034017c003415006b" +
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728"
)

// buildPageV3 makes a version-3 record page of keys and encoded records
// as the writer does at the fastest level.
func buildPageV3(t testing.TB, keys, recs [][]byte) []byte {
	return buildPageV3With(t, textEncoder(""), keys, recs)
}

// buildPageV3With is buildPageV3 with the text compressed by enc.
func buildPageV3With(t testing.TB, enc textCompressor, keys, recs [][]byte) []byte {
	names := newPageNames()
	var body, sealed []byte
	for i := range keys {
		var err error
		body, err = names.appendEntry(body, &sealed, keys[i], recs[i])
		require.NoError(t, err)
	}
	text := names.appendHeader(nil)
	text = binary.AppendUvarint(text, uint64(len(keys)))
	text = append(text, body...)
	page, _ := appendPageV3(nil, enc, nil, text, sealed)
	return page
}

// zstdVectorRecords are the records of vecPageV3Zstd: keys 1 to 4, a note
// repeated in each, and an encrypted card in the second.
func zstdVectorRecords() ([][]byte, []classify.Record) {
	var keys [][]byte
	var recs []classify.Record
	for i := 1; i <= 4; i++ {
		k, _ := KeyOf(fmt.Sprint(i))
		rec := classify.Record{{Name: "id", Value: fmt.Sprint(i)}, {Name: "note", Value: strings.Repeat("paid in full; ", 8)}}
		if i == 2 {
			rec = append(rec, classify.Field{Name: "card", Value: vecSealedText})
		}
		keys, recs = append(keys, k), append(recs, rec)
	}
	return keys, recs
}

func TestFormatVectorsV3(t *testing.T) {
	r1 := classify.Record{{Name: "id", Value: "7"}, {Name: "card", Value: vecSealedText}}
	r2 := classify.Record{{Name: "id", Value: "8"}, {Name: "name", Value: "王伟"}}
	k1, _ := KeyOf("7")
	k2, _ := KeyOf("8")
	page := buildPageV3(t, [][]byte{k1, k2}, [][]byte{AppendRecord(nil, r1), AppendRecord(nil, r2)})
	assert.Equal(t, vecPageV3, hex.EncodeToString(page))

	keys, want := zstdVectorRecords()
	var encs [][]byte
	for _, rec := range want {
		encs = append(encs, AppendRecord(nil, rec))
	}
	// The compressed text depends on the encoder: a later zstd may write
	// other bytes for the same page, which read the same.
	t.Logf("this zstd encoder: %x", buildPageV3With(t, fastestZstd(), keys, encs))
	zpage, err := hex.DecodeString(vecPageV3Zstd)
	require.NoError(t, err)
	assert.Equal(t, textZstd, zpage[4], "method 1")
	// The fastest level writes S2 (method 2).
	s2page := buildPageV3(t, keys, encs)
	assert.Equal(t, vecPageV3S2, hex.EncodeToString(s2page))
	assert.Equal(t, textS2, s2page[4], "method 2")

	for _, c := range []struct {
		page []byte
		keys [][]byte
		recs []classify.Record
	}{{page, [][]byte{k1, k2}, []classify.Record{r1, r2}}, {zpage, keys, want}, {s2page, keys, want}} {
		p, err := DecodePage(c.page)
		require.NoError(t, err)
		require.Equal(t, len(c.recs), p.Len())
		for i, want := range c.recs {
			assert.Equal(t, c.keys[i], p.Key(i))
			got, err := DecodeRecord(p.Record(i))
			require.NoError(t, err)
			assert.Equal(t, want, got)
		}
	}
}

// An S2 page whose announced text length is not the block's is malformed,
// found before any buffer of that length is made.
func TestPageV3S2Lengths(t *testing.T) {
	page, err := hex.DecodeString(vecPageV3S2)
	require.NoError(t, err)
	require.Equal(t, byte(0x82), page[5], "uvarint(len(text)) = 514")
	for _, textLen := range []byte{0x81, 0x83} {
		bad := append([]byte(nil), page...)
		bad[5] = textLen
		_, err := DecodePage(bad)
		assert.ErrorIs(t, err, ErrMalformed, "text length %x", textLen)
	}
	bad := append([]byte(nil), page...)
	bad[4] = 3
	_, err = DecodePage(bad)
	assert.ErrorIs(t, err, ErrMalformed, "method 3")
}
