package table

import (
	"bytes"
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

func buildPage(entries ...[2]string) []byte {
	b := []byte(recordPageMagic)
	b = append(b, byte(len(entries)))
	for _, e := range entries {
		b = appendPageRecord(b, []byte(e[0]), []byte(e[1]))
	}
	return b
}

func TestPageDecode(t *testing.T) {
	p, err := DecodePage(buildPage([2]string{"a", "1"}, [2]string{"b", "2"}))
	require.NoError(t, err)
	assert.Equal(t, 2, p.Len())
	i, ok := p.Find([]byte("b"))
	assert.True(t, ok)
	assert.Equal(t, "2", string(p.Record(i)))
	_, ok = p.Find([]byte("c"))
	assert.False(t, ok)
	_, err = DecodePage(buildPage([2]string{"b", "1"}, [2]string{"a", "2"}))
	assert.ErrorIs(t, err, ErrMalformed, "keys out of order")
	_, err = DecodePage(buildPage([2]string{"a", "1"}, [2]string{"a", "2"}))
	assert.ErrorIs(t, err, ErrMalformed, "duplicate keys")
	_, err = DecodePage(buildPage())
	assert.ErrorIs(t, err, ErrMalformed, "empty page")
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
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePage(b)
		if err != nil {
			assert.ErrorIs(t, err, ErrMalformed)
			return
		}
		for i := 1; i < p.Len(); i++ {
			assert.Negative(t, bytes.Compare(p.Key(i-1), p.Key(i)))
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
