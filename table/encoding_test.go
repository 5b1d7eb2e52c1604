package table

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/classify"
)

var sampleRecord = classify.Record{
	{Name: "id", Value: "42", Kind: classify.KindString},
	{Name: "姓名", Value: "王伟", Kind: classify.KindString},
	{Name: "amount", Value: "12.50", Kind: classify.KindNumber},
	{Name: "vip", Value: "true", Kind: classify.KindBool},
	{Name: "note", Kind: classify.KindNull},
	{Name: "tags", Value: "[]", Kind: classify.KindEmpty},
}

func TestRecordRoundTrip(t *testing.T) {
	b := AppendRecord(nil, sampleRecord)
	got, err := DecodeRecord(b)
	require.NoError(t, err)
	assert.Equal(t, sampleRecord, got)
	_, err = DecodeRecord(append(b, 0))
	assert.ErrorIs(t, err, ErrMalformed)
	_, err = DecodeRecord(b[:len(b)-1])
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestKeyOrder(t *testing.T) {
	k := func(v ...string) []byte { b, err := KeyOf(v...); require.NoError(t, err); return b }
	assert.Negative(t, CompareKeys(k("9"), k("10")), "shorter values first: integers sort numerically")
	assert.Negative(t, CompareKeys(k("C0001"), k("C0002")))
	assert.Negative(t, CompareKeys(k("a", "9"), k("a", "10")))
	assert.Negative(t, CompareKeys(k("a", "zz"), k("b", "a")))
	v, err := KeyValues(k("a", "", "王"))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "", "王"}, v)
	assert.Equal(t, "1,2", KeyString(k("1", "2")))

	key, err := EncodeKey(nil, sampleRecord, []string{"id", "姓名"})
	require.NoError(t, err)
	assert.Equal(t, k("42", "王伟"), key)
	_, err = EncodeKey(nil, sampleRecord, []string{"missing"})
	assert.ErrorIs(t, err, ErrKey)
	_, err = EncodeKey(nil, sampleRecord, []string{"note"})
	assert.ErrorIs(t, err, ErrKey)
}

// buildPage makes a version-1 record page of (key, value of field "v")
// entries.
func buildPage(entries ...[2]string) []byte {
	b := []byte(recordPageMagic)
	b = append(b, byte(len(entries)))
	for _, e := range entries {
		b = appendPageRecord(b, []byte(e[0]), AppendRecord(nil, classify.Record{{Name: "v", Value: e[1]}}))
	}
	return b
}

// buildPageV2 makes a version-2 record page of keys and encoded records.
func buildPageV2(t testing.TB, keys, recs [][]byte) []byte {
	names := newPageNames()
	var body []byte
	for i := range keys {
		var err error
		body, err = names.appendEntry(body, nil, keys[i], recs[i])
		require.NoError(t, err)
	}
	b := names.appendHeader([]byte(recordPageMagicV2))
	b = binary.AppendUvarint(b, uint64(len(keys)))
	return append(b, body...)
}

func entriesV2(t testing.TB, entries ...[2]string) []byte {
	var keys, recs [][]byte
	for _, e := range entries {
		keys = append(keys, []byte(e[0]))
		recs = append(recs, AppendRecord(nil, classify.Record{{Name: "v", Value: e[1]}, {Name: "w", Value: "x" + e[1]}}))
	}
	return buildPageV2(t, keys, recs)
}

func TestPageDecode(t *testing.T) {
	for _, build := range []func(...[2]string) []byte{buildPage, func(e ...[2]string) []byte { return entriesV2(t, e...) }} {
		p, err := DecodePage(build([2]string{"a", "1"}, [2]string{"b", "2"}))
		require.NoError(t, err)
		assert.Equal(t, 2, p.Len())
		i, ok := p.Find([]byte("b"))
		assert.True(t, ok)
		rec, err := DecodeRecord(p.Record(i))
		require.NoError(t, err)
		v, _ := rec.Get("v")
		assert.Equal(t, "2", v.Value)
		_, ok = p.Find([]byte("c"))
		assert.False(t, ok)
		_, err = DecodePage(build([2]string{"b", "1"}, [2]string{"a", "2"}))
		assert.ErrorIs(t, err, ErrMalformed, "keys out of order")
		_, err = DecodePage(build([2]string{"a", "1"}, [2]string{"a", "2"}))
		assert.ErrorIs(t, err, ErrMalformed, "duplicate keys")
		_, err = DecodePage(build())
		assert.ErrorIs(t, err, ErrMalformed, "empty page")
	}
}

// TestSealedValuesRaw checks that an encrypted value's text form is stored
// as its raw bytes (kind 5) and read back as the same text, from pages of
// either version, and that the text form of such a value is not canonical.
func TestSealedValuesRaw(t *testing.T) {
	raw := bytes.Repeat([]byte{0xfb}, minSealed+18)
	text := classify.EncryptedPrefix + base64.RawURLEncoding.EncodeToString(raw)
	rec := classify.Record{{Name: "id", Value: "1"}, {Name: "card", Value: text}, {Name: "short", Value: classify.EncryptedPrefix + "AAAA"}}
	enc := AppendRecord(nil, rec)
	assert.True(t, bytes.Contains(enc, raw), "stored raw")
	assert.False(t, bytes.Contains(enc, []byte(text)), "not as text")
	got, err := DecodeRecord(enc)
	require.NoError(t, err)
	assert.Equal(t, rec, got)

	// A version-1 page holds the text: it reads as the same canonical record.
	var v1 []byte
	v1 = append(append(v1, recordPageMagic...), 1)
	v1 = appendRecordV1(v1, []byte("k"), rec)
	p, err := DecodePage(v1)
	require.NoError(t, err)
	assert.Equal(t, enc, p.Record(0))

	// The text form inside a record of the canonical encoding is malformed.
	bad := []byte{1, 4, 'c', 'a', 'r', 'd', 0, byte(len(text))}
	_, err = DecodeRecord(append(bad, text...))
	assert.ErrorIs(t, err, ErrMalformed)
	_, err = DecodeRecord([]byte{1, 1, 'x', kindSealed, 3, 1, 2, 3})
	assert.ErrorIs(t, err, ErrMalformed, "too short to be a ciphertext")
}

// appendRecordV1 appends a version-1 page entry: the record as written
// before encrypted values were stored raw.
func appendRecordV1(dst, key []byte, rec classify.Record) []byte {
	var r []byte
	r = binary.AppendUvarint(r, uint64(len(rec)))
	for _, f := range rec {
		r = binary.AppendUvarint(r, uint64(len(f.Name)))
		r = append(r, f.Name...)
		r = append(r, byte(f.Kind))
		r = binary.AppendUvarint(r, uint64(len(f.Value)))
		r = append(r, f.Value...)
	}
	return appendPageRecord(dst, key, r)
}

func TestIndexDecode(t *testing.T) {
	var id ID
	id[0] = 7
	b := appendIndexHeader(nil, indexKindPages)
	b = append(b, 2)
	b = appendPageRef(b, PageRef{First: []byte("a"), Page: id, Records: 3})
	b = appendPageRef(b, PageRef{First: []byte("m"), Page: id, Records: 1})
	refs, err := DecodePageIndex(b)
	require.NoError(t, err)
	assert.Equal(t, []PageRef{{[]byte("a"), id, 3}, {[]byte("m"), id, 1}}, refs)
	_, err = DecodeDeltaIndex(b)
	assert.ErrorIs(t, err, ErrMalformed, "wrong kind")

	d := appendIndexHeader(nil, indexKindDelta)
	d = append(d, 2)
	d = appendDeltaEntry(d, DeltaEntry{Key: []byte("a"), Deleted: true})
	d = appendDeltaEntry(d, DeltaEntry{Key: []byte("b"), Page: id, Ordinal: 5})
	es, err := DecodeDeltaIndex(d)
	require.NoError(t, err)
	assert.Equal(t, []DeltaEntry{{Key: []byte("a"), Deleted: true}, {Key: []byte("b"), Page: id, Ordinal: 5}}, es)
	bad := bytes.Clone(d)
	bad[len(bad)-35] = 9 // the second entry's operation
	_, err = DecodeDeltaIndex(bad)
	assert.ErrorIs(t, err, ErrMalformed)
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(AppendRecord(nil, sampleRecord))
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := DecodeRecord(b)
		if err != nil {
			assert.ErrorIs(t, err, ErrMalformed)
			return
		}
		// Whatever decodes encodes back to the same bytes.
		assert.Equal(t, b, AppendRecord(nil, rec))
	})
}

func FuzzDecodePage(f *testing.F) {
	f.Add(buildPage([2]string{"a", "1"}, [2]string{"b", "2"}))
	f.Add([]byte("CRP1"))
	f.Add(entriesV2(f, [2]string{"a", "1"}, [2]string{"b", "2"}))
	raw := bytes.Repeat([]byte{7}, minSealed)
	f.Add(buildPageV2(f, [][]byte{[]byte("k")}, [][]byte{AppendRecord(nil, classify.Record{{Name: "c", Value: classify.EncryptedPrefix + base64.RawURLEncoding.EncodeToString(raw)}})}))
	f.Add([]byte("CRP2"))
	f.Add(buildPageV3(f, [][]byte{[]byte("k")}, [][]byte{AppendRecord(nil, classify.Record{{Name: "c", Value: classify.EncryptedPrefix + base64.RawURLEncoding.EncodeToString(raw)}})}))
	for _, v := range []string{vecPageV3, vecPageV3Zstd, vecPageV3S2} {
		b, _ := hex.DecodeString(v)
		f.Add(b)
	}
	f.Add([]byte("CRP3"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePage(b)
		if err != nil {
			assert.ErrorIs(t, err, ErrMalformed)
			return
		}
		for i := 1; i < p.Len(); i++ {
			assert.Negative(t, bytes.Compare(p.Key(i-1), p.Key(i)))
		}
		for i := range p.Len() {
			rec, err := DecodeRecord(p.Record(i))
			require.NoError(t, err, "a page's records are canonical")
			assert.Equal(t, p.Record(i), AppendRecord(nil, rec))
		}
		if string(b[:4]) == recordPageMagicV2 {
			// A version-2 page decodes only from its one encoding.
			keys, recs := make([][]byte, p.Len()), make([][]byte, p.Len())
			for i := range keys {
				keys[i], recs[i] = p.Key(i), p.Record(i)
			}
			assert.Equal(t, b, buildPageV2(t, keys, recs))
		}
		if string(b[:4]) == recordPageMagicV3 && b[4] == textRaw {
			// So does a version-3 page whose text is stored raw, when
			// this writer would not compress it.
			keys, recs := make([][]byte, p.Len()), make([][]byte, p.Len())
			for i := range keys {
				keys[i], recs[i] = p.Key(i), p.Record(i)
			}
			if again := buildPageV3(t, keys, recs); again[4] == textRaw {
				assert.Equal(t, b, again)
			}
		}
	})
}

func FuzzDecodeIndex(f *testing.F) {
	var id ID
	b := appendIndexHeader(nil, indexKindPages)
	b = appendPageRef(append(b, 1), PageRef{First: []byte("a"), Page: id, Records: 3})
	f.Add(b)
	d := appendIndexHeader(nil, indexKindDelta)
	d = appendDeltaEntry(append(d, 1), DeltaEntry{Key: []byte("a"), Page: id, Ordinal: 1})
	f.Add(d)
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := DecodePageIndex(b); err != nil {
			assert.ErrorIs(t, err, ErrMalformed)
		}
		if _, err := DecodeDeltaIndex(b); err != nil {
			assert.ErrorIs(t, err, ErrMalformed)
		}
	})
}

func FuzzKeyValues(f *testing.F) {
	k, _ := KeyOf("a", "bc")
	f.Add(k)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := KeyValues(b)
		if err != nil {
			assert.ErrorIs(t, err, ErrMalformed)
			return
		}
		again, err := KeyOf(v...)
		require.NoError(t, err)
		assert.Equal(t, b, again)
	})
}
