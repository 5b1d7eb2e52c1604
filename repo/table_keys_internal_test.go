package repo

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
)

// A write-only bundle carries the table token key after the other keys
// (165 bytes); one written before (133 bytes) still opens, without it,
// and cannot back up tables.
func TestWriteOnlyBundleTokenKey(t *testing.T) {
	priv, pub, err := crypto.GenerateX25519()
	require.NoError(t, err)
	kb := &keyBundle{role: roleWriteOnly, chunkID: crypto.Key{1}, chunker: crypto.Key{2}, index: crypto.Key{3}, pub: pub, token: crypto.Key{5}}
	b := kb.encode()
	require.Len(t, b, 165)
	got, err := decodeBundle(b)
	require.NoError(t, err)
	assert.Equal(t, kb.token, got.token)

	field, token, wrapped, err := newWriteOnlyRepository(nil, got).WriteOnlyTableKeys()
	require.NoError(t, err)
	assert.Equal(t, kb.token, token)
	again, err := crypto.UnwrapKey(priv, wrapped)
	require.NoError(t, err)
	assert.True(t, field.Equal(again), "the field key is wrapped to the public key")
	_, _, wrapped2, err := newWriteOnlyRepository(nil, got).WriteOnlyTableKeys()
	require.NoError(t, err)
	assert.NotEqual(t, wrapped, wrapped2, "a fresh field key per snapshot")

	old, err := decodeBundle(b[:133])
	require.NoError(t, err)
	assert.True(t, old.token.IsZero())
	_, _, _, err = newWriteOnlyRepository(nil, old).WriteOnlyTableKeys()
	assert.ErrorIs(t, err, ErrNoTableKeys)
	_, err = decodeBundle(append(b[:133:133], make([]byte, 32)...))
	assert.ErrorIs(t, err, ErrMalformed, "an all-zero token key")
}
