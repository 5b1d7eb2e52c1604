package storage

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPutParity puts objects whose parity is coded into a buffer of their
// own: the object is left as it was, its shard files are byte for byte
// those Put writes, and it reads back with any two shards lost.
func TestPutParity(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 2)
	s := openStore(t, dirs, WithShards(4, 2))
	for _, n := range []int{1, 4, 10_001, 1 << 20} {
		data := randBytes(n, uint64(n))
		buf := make([]byte, n, s.DataCapacity(n))
		copy(buf, data)
		parity := bytes.Repeat([]byte{0xa5}, s.ParityLen(n)) // left over from an earlier pack
		require.Less(t, cap(buf), s.PutCapacity(n), "no room for parity in place")

		require.NoError(t, s.PutParity(ctx, "obj/parity", buf, parity))
		assert.Equal(t, data, buf, "the object is unchanged")
		require.NoError(t, s.Put(ctx, "obj/plain", data))
		for i := range 6 {
			a, err := os.ReadFile(shardFile(dirs, "obj/parity", i))
			require.NoError(t, err)
			b, err := os.ReadFile(shardFile(dirs, "obj/plain", i))
			require.NoError(t, err)
			// The names differ, so the hashes in the headers differ;
			// the coded bytes are the same.
			assert.Equal(t, b[HeaderSize:], a[HeaderSize:], "shard %d of %d bytes", i, n)
		}
		require.NoError(t, os.Remove(shardFile(dirs, "obj/parity", 0)))
		require.NoError(t, os.Remove(shardFile(dirs, "obj/parity", 3)))
		got, _, err := openStore(t, dirs, WithShards(4, 2)).Get(ctx, "obj/parity")
		require.NoError(t, err, "%d bytes", n)
		assert.True(t, bytes.Equal(data, got), "%d bytes", n)
	}
}
