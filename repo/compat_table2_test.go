package repo_test

// The independent reader of compat_table_test.go, on the vectors of
// docs/FORMAT.md section 25 for version-2 record pages (a field-name table
// per page) and encrypted values stored raw (kind 5).

import (
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// indRecordV2 reads one record of a version-2 page: fields name their
// field by its index in the page's name table. A kind-5 value is the raw
// form of the text "enc:v2:" || base64url(value), of kind string (0).
func (r *indReader) recordV2(names []string) []indField {
	n := r.varint()
	var out []indField
	for i := uint64(0); i < n && r.err == nil; i++ {
		ni := r.varint()
		kind := r.bytes(1)
		value := string(r.bytes(r.varint()))
		if r.err != nil {
			break
		}
		if ni >= uint64(len(names)) {
			r.err = assert.AnError
			break
		}
		f := indField{names[ni], value, kind[0]}
		if f.kind == 5 {
			f = indField{f.name, "enc:v2:" + base64.RawURLEncoding.EncodeToString([]byte(value)), 0}
		}
		out = append(out, f)
	}
	return out
}

func TestCompatTableVectorsV2(t *testing.T) {
	sealed := "enc:v2:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJyg"

	// A record (section 25.3) whose encrypted value is stored raw.
	r := &indReader{b: unhex(t, "0202696400013704636172640529000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728")}
	rec := r.record()
	require.NoError(t, r.err)
	assert.Empty(t, r.b)
	require.Len(t, rec, 2)
	assert.Equal(t, indField{"id", "7", 0}, rec[0])
	assert.Equal(t, byte(5), rec[1].kind)
	assert.Equal(t, sealed, "enc:v2:"+base64.RawURLEncoding.EncodeToString([]byte(rec[1].value)))

	// A version-2 record page: magic, name table, count, then per entry
	// the key and the record with names by index.
	r = &indReader{b: unhex(t, "43525032030269640463617264046e616d6502030001370200000137010529000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728030001380200000138020006e78e8be4bc9f")}
	assert.Equal(t, "CRP2", string(r.bytes(4)))
	var names []string
	for range r.varint() {
		names = append(names, string(r.bytes(r.varint())))
	}
	assert.Equal(t, []string{"id", "card", "name"}, names)
	require.EqualValues(t, 2, r.varint())
	assert.Equal(t, []string{"7"}, indKey(r.bytes(r.varint())))
	assert.Equal(t, []indField{{"id", "7", 0}, {"card", sealed, 0}}, r.recordV2(names))
	assert.Equal(t, []string{"8"}, indKey(r.bytes(r.varint())))
	assert.Equal(t, []indField{{"id", "8", 0}, {"name", "王伟", 0}}, r.recordV2(names))
	require.NoError(t, r.err)
	assert.Empty(t, r.b)
}
