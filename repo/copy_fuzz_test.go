package repo

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
)

func FuzzDecodeTableKeys(f *testing.F) {
	good, err := encodeTableKeys(crypto.Key{1, 2, 3}, crypto.Key{4, 5, 6}, ID{7})
	require.NoError(f, err)
	f.Add(good)
	f.Add([]byte(`{"field":"00","token":"11"}`))
	f.Add([]byte(`{"field":"` + string(make([]byte, 64)) + `"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		field, token, err := decodeTableKeys(b)
		requireTyped(t, err)
		if err != nil {
			return
		}
		require.False(t, field.IsZero() || token.IsZero())
		again, err := encodeTableKeys(field, token, ID{})
		require.NoError(t, err)
		f2, t2, err := decodeTableKeys(again)
		require.NoError(t, err)
		require.Equal(t, field, f2)
		require.Equal(t, token, t2)
	})
}
