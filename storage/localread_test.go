package storage

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// Range reads on a local site keep shard files open; rewriting or deleting
// an object through the Store must not serve stale bytes.
func TestLocalRangeReadsSeeRewrites(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 1)
	s := openStore(t, dirs)
	a, b := randBytes(50_000, 1), randBytes(50_000, 2)
	require.NoError(t, s.Put(ctx, "r/x", a))
	got, err := s.GetRange(ctx, "r/x", 100, 1000)
	require.NoError(t, err)
	require.True(t, bytes.Equal(a[100:1100], got))

	require.NoError(t, s.Put(ctx, "r/x", b))
	got, err = s.GetRange(ctx, "r/x", 100, 1000)
	require.NoError(t, err)
	require.True(t, bytes.Equal(b[100:1100], got), "a rewritten object is read anew")

	require.NoError(t, s.Delete(ctx, "r/x"))
	_, err = s.GetRange(ctx, "r/x", 100, 1000)
	require.ErrorIs(t, err, ErrNotFound)

	for i := range maxOpenShards + 10 { // more objects than open handles
		name := "r/many" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		data := randBytes(10_000, uint64(i))
		require.NoError(t, s.Put(ctx, name, data))
		got, err := s.GetRange(ctx, name, 5000, 100)
		require.NoError(t, err)
		require.True(t, bytes.Equal(data[5000:5100], got))
	}
	require.LessOrEqual(t, s.list[0].(*localSite).fds.ll.Len(), maxOpenShards)
}
