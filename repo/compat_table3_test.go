package repo_test

// The independent reader of compat_table_test.go, on the vectors of
// docs/FORMAT.md section 25.4 for version-3 record pages: the text of a
// version-2 page with each encrypted value's bytes moved to a section of
// their own after it, the text stored raw, as one zstd frame or as one S2
// block.

import (
	"encoding/base64"
	"encoding/binary"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pageV3 splits a version-3 page into its text (decompressed) and the
// section of encrypted values.
func pageV3(t *testing.T, b []byte) (text, sealed []byte) {
	r := &indReader{b: b}
	require.Equal(t, "CRP3", string(r.bytes(4)))
	method := r.bytes(1)
	textLen := r.varint()
	stored := r.bytes(r.varint())
	require.NoError(t, r.err)
	switch method[0] {
	case 0:
		text = stored
	case 1:
		d, err := zstd.NewReader(nil)
		require.NoError(t, err)
		defer d.Close()
		text, err = d.DecodeAll(stored, nil)
		require.NoError(t, err)
	case 2:
		text = s2Block(t, stored)
	default:
		t.Fatalf("method %d", method[0])
	}
	require.EqualValues(t, textLen, len(text))
	return text, r.b
}

// recordV3 reads one record of a version-3 page's text: as in version 2,
// but a kind-5 value is only its length, its bytes the next ones of the
// sealed section.
func (r *indReader) recordV3(names []string, sealed *indReader) []indField {
	n := r.varint()
	var out []indField
	for i := uint64(0); i < n && r.err == nil; i++ {
		ni := r.varint()
		kind := r.bytes(1)
		if r.err != nil || ni >= uint64(len(names)) {
			r.err = assert.AnError
			break
		}
		var value string
		if kind[0] == 5 {
			value = "enc:v2:" + base64.RawURLEncoding.EncodeToString(sealed.bytes(r.varint()))
			kind[0] = 0
		} else {
			value = string(r.bytes(r.varint()))
		}
		out = append(out, indField{names[ni], value, kind[0]})
	}
	return out
}

func TestCompatTableVectorsV3(t *testing.T) {
	enc := "enc:v2:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJyg"
	note := ""
	for range 8 {
		note += "paid in full; "
	}
	for _, c := range []struct {
		page string
		want [][]indField
	}{
		{"43525033002d2d030269640463617264046e616d6502030001370200000137010529030001380200000138020006e78e8be4bc9f000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728",
			[][]indField{{{"id", "7", 0}, {"card", enc, 0}}, {{"id", "8", 0}, {"name", "王伟", 0}}}},
		{"435250330182045b28b52ffd4000020185020072440f16803102ff57ee29632318c666ee3234b50cb6e47de701a98fa927ea23ea390878fa797a16a2b5c1511c2b8ba9f7aee9a3e949564015c410001c590c330400f08ff44081a509fe213df9986619000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728",
			[][]indField{
				{{"id", "1", 0}, {"note", note, 0}},
				{{"id", "2", 0}, {"note", note, 0}, {"card", enc, 0}},
				{{"id", "3", 0}, {"note", note, 0}},
				{{"id", "4", 0}, {"note", note, 0}},
			}},
		{"43525033028204588204a003026964046e6f74650463617264040300013102000001310100707061696420696e2066756c6c3b20110e15005220030001320300000132117c150063180205290300013301fb003315006e0034017c003415006b000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728",
			[][]indField{
				{{"id", "1", 0}, {"note", note, 0}},
				{{"id", "2", 0}, {"note", note, 0}, {"card", enc, 0}},
				{{"id", "3", 0}, {"note", note, 0}},
				{{"id", "4", 0}, {"note", note, 0}},
			}},
	} {
		text, sealedBytes := pageV3(t, unhex(t, c.page))
		r, sealed := &indReader{b: text}, &indReader{b: sealedBytes}
		var names []string
		for range r.varint() {
			names = append(names, string(r.bytes(r.varint())))
		}
		require.EqualValues(t, len(c.want), r.varint())
		for i, want := range c.want {
			key := indKey(r.bytes(r.varint()))
			assert.Equal(t, []string{want[0].value}, key)
			assert.Equal(t, want, r.recordV3(names, sealed), "record %d", i)
		}
		require.NoError(t, r.err)
		require.NoError(t, sealed.err)
		assert.Empty(t, r.b)
		assert.Empty(t, sealed.b, "every encrypted value's bytes used")
	}
}

// s2Block decodes an S2 block (github.com/klauspost/compress/s2's block
// format, Snappy's plus repeat copies), written from the format's
// description rather than with the library: uvarint(decoded length), then
// elements by the low two bits of their tag byte — 0 a literal, 1 a copy
// with an 11-bit offset (offset 0: repeat the last offset, with a longer
// length), 2 and 3 copies with 16- and 32-bit offsets.
func s2Block(t *testing.T, b []byte) []byte {
	n, k := binary.Uvarint(b)
	require.Positive(t, k)
	b = b[k:]
	le := func(m int) int { // m little-endian bytes after the tag
		require.Greater(t, len(b), m)
		v := 0
		for i := m; i >= 1; i-- {
			v = v<<8 | int(b[i])
		}
		return v
	}
	var out []byte
	offset := 0
	for len(b) > 0 {
		tag := b[0]
		var length int
		switch tag & 3 {
		case 0:
			x, h := int(tag>>2), 1
			if x >= 60 {
				h = x - 58
				x = le(h - 1)
			}
			require.GreaterOrEqual(t, len(b), h+x+1)
			out = append(out, b[h:h+x+1]...)
			b = b[h+x+1:]
			continue
		case 1:
			code := int(tag>>2) & 7
			o := int(tag&0xe0)<<3 | le(1)
			b = b[2:]
			length = code + 4
			if o != 0 {
				offset = o
			} else {
				extra := map[int]int{5: 1, 6: 2, 7: 3}[code]
				if extra > 0 {
					b = append([]byte{0}, b...) // le reads after a tag byte
					v := le(extra)
					b = b[1+extra:]
					length = 4 + v + map[int]int{5: 4, 6: 1 << 8, 7: 1 << 16}[code]
				}
			}
		case 2:
			length, offset = 1+int(tag>>2), le(2)
			b = b[3:]
		case 3:
			length, offset = 1+int(tag>>2), le(4)
			b = b[5:]
		}
		require.True(t, offset > 0 && offset <= len(out), "copy offset %d at %d", offset, len(out))
		for range length {
			out = append(out, out[len(out)-offset])
		}
	}
	require.EqualValues(t, n, len(out))
	return out
}
