package repo_test

// An independent reader of the table layouts of docs/FORMAT.md section 25,
// written from the document alone (it shares no code with package table),
// run on the section's test vectors.

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type indField struct {
	name, value string
	kind        byte
}

type indReader struct {
	b   []byte
	err error
}

func (r *indReader) varint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || (n > 1 && r.b[n-1] == 0) {
		r.err = errors.New("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *indReader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errors.New("truncated")
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *indReader) record() []indField {
	n := r.varint()
	var out []indField
	for i := uint64(0); i < n && r.err == nil; i++ {
		name := string(r.bytes(r.varint()))
		kind := r.bytes(1)
		value := string(r.bytes(r.varint()))
		if r.err == nil {
			out = append(out, indField{name, value, kind[0]})
		}
	}
	return out
}

func indKey(b []byte) []string {
	var out []string
	for len(b) >= 2 {
		n := int(b[0])<<8 | int(b[1])
		out = append(out, string(b[2:2+n]))
		b = b[2+n:]
	}
	return out
}

func unhex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestCompatTableVectors(t *testing.T) {
	wantRec := []indField{{"id", "7", 0}, {"name", "王伟", 0}, {"amount", "12.5", 1}, {"note", "", 3}}

	assert.Equal(t, []string{"7"}, indKey(unhex(t, "000137")))
	assert.Equal(t, []string{"C01", "2024"}, indKey(unhex(t, "0003433031000432303234")))

	r := &indReader{b: unhex(t, "04026964000137046e616d650006e78e8be4bc9f06616d6f756e74010431322e35046e6f74650300")}
	assert.Equal(t, wantRec, r.record())
	require.NoError(t, r.err)
	assert.Empty(t, r.b)

	// A record page: magic, count, then key and record per entry.
	r = &indReader{b: unhex(t, "4352503101030001372804026964000137046e616d650006e78e8be4bc9f06616d6f756e74010431322e35046e6f74650300")}
	assert.Equal(t, "CRP1", string(r.bytes(4)))
	require.EqualValues(t, 1, r.varint())
	assert.Equal(t, []string{"7"}, indKey(r.bytes(r.varint())))
	rec := &indReader{b: r.bytes(r.varint())}
	assert.Equal(t, wantRec, rec.record())
	require.NoError(t, r.err)
	assert.Empty(t, r.b)

	var pageID [32]byte
	for i := range pageID {
		pageID[i] = byte(i)
	}
	// A sparse index page.
	r = &indReader{b: unhex(t, "43495831010103000137000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f01")}
	assert.Equal(t, "CIX1", string(r.bytes(4)))
	assert.Equal(t, []byte{1}, r.bytes(1))
	require.EqualValues(t, 1, r.varint())
	assert.Equal(t, []string{"7"}, indKey(r.bytes(r.varint())))
	assert.Equal(t, pageID[:], r.bytes(32))
	assert.EqualValues(t, 1, r.varint())
	require.NoError(t, r.err)
	assert.Empty(t, r.b)

	// A delta index page: a put and a tombstone.
	r = &indReader{b: unhex(t, "4349583102020300013701000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f000300013800")}
	assert.Equal(t, "CIX1", string(r.bytes(4)))
	assert.Equal(t, []byte{2}, r.bytes(1))
	require.EqualValues(t, 2, r.varint())
	assert.Equal(t, []string{"7"}, indKey(r.bytes(r.varint())))
	assert.Equal(t, []byte{1}, r.bytes(1))
	assert.Equal(t, pageID[:], r.bytes(32))
	assert.EqualValues(t, 0, r.varint())
	assert.Equal(t, []string{"8"}, indKey(r.bytes(r.varint())))
	assert.Equal(t, []byte{0}, r.bytes(1))
	require.NoError(t, r.err)
	assert.Empty(t, r.b)
}
