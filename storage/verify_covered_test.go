package storage

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replaceWrite rewrites every shard of name (k+m on dirs) as a consistent
// write of other: parity coded from it and every shard hash valid, but
// each header keeping the object hash of the original write, as a site
// writer who replaces the whole object but not its hash would.
func replaceWrite(t *testing.T, dirs []string, name string, other []byte) {
	t.Helper()
	var hdr ShardHeader
	for i := range DefaultDataShards + DefaultParityShards {
		h, _, err := DecodeShard(name, mustRead(t, shardFile(dirs, name, i)))
		require.NoError(t, err)
		if i == 0 {
			hdr = h
		}
	}
	require.Equal(t, uint64(len(other)), hdr.ObjectLen)
	k, m, L := hdr.DataShards, hdr.ParityShards, int(hdr.ShardLen)
	body := make([]byte, (k+m)*L)
	copy(body, other)
	shards := make([][]byte, k+m)
	for i := range shards {
		shards[i] = body[i*L : (i+1)*L]
	}
	enc, err := encoder(k, m)
	require.NoError(t, err)
	require.NoError(t, enc.Encode(shards))
	for i := range shards {
		h := hdr
		h.Index = i
		b, err := EncodeShard(name, h, shards[i])
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(shardFile(dirs, name, i), b, 0o600))
	}
}

// With CallerAuthenticates, Verify still checks every shard's checksum
// and every parity shard against the data shards; only the object hash
// of a write whose shards all agree is left to the caller.
func TestVerifyCallerAuthenticates(t *testing.T) {
	ctx := context.Background()
	const name = "packs/co/vered"
	data := randBytes(300_007, 11)
	setup := func(t *testing.T) ([]string, *Store) {
		dirs := fileDirs(t, 1)
		s := openStore(t, dirs)
		require.NoError(t, s.Put(ctx, name, data))
		return dirs, s
	}

	t.Run("intact", func(t *testing.T) {
		_, s := setup(t)
		got, h, err := s.Verify(ctx, name, nil, CallerAuthenticates())
		require.NoError(t, err)
		assert.True(t, h.OK(), "%v", h)
		assert.True(t, bytes.Equal(data, got))
	})

	// A flipped byte anywhere in a shard file, header or data, is still
	// caught by the shard's checksum (or its header's checks) and the
	// object is still the original one.
	for _, c := range []struct {
		name       string
		shard, off int
	}{
		{"data shard's data", 1, HeaderSize + 100},
		{"parity shard's data", 5, -1},
		{"shard hash field", 2, hashedHeaderLen + 3},
		{"object hash field", 4, 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			dirs, s := setup(t)
			flipByte(t, shardFile(dirs, name, c.shard), c.off, 0x10)
			got, h, err := s.Verify(ctx, name, nil, CallerAuthenticates())
			require.NoError(t, err)
			assert.True(t, bytes.Equal(data, got))
			assert.Equal(t, []int{c.shard}, badIndexes(h))
			assert.ErrorIs(t, h.Bad[0].Err, ErrShardCorrupt)
		})
	}

	// A parity shard forged with a valid checksum disagrees with the data
	// shards: it is named (the parity is still compared).
	t.Run("forged parity", func(t *testing.T) {
		dirs, s := setup(t)
		forgeShard(t, dirs, name, 4)
		got, h, err := s.Verify(ctx, name, nil, CallerAuthenticates())
		require.NoError(t, err)
		assert.True(t, bytes.Equal(data, got))
		assert.Equal(t, []int{4}, badIndexes(h))
	})

	// Every shard replaced consistently under the old object hash: only
	// the object hash tells. Without the option Verify refuses the
	// object; with it, the object is returned for the caller's
	// authentication to judge (and Check and Get, which ignore the
	// option, still refuse it).
	t.Run("every shard replaced", func(t *testing.T) {
		dirs, s := setup(t)
		other := bytes.Clone(data)
		other[1234] ^= 1
		replaceWrite(t, dirs, name, other)

		_, h, err := s.Verify(ctx, name, nil)
		require.ErrorIs(t, err, ErrUnrecoverable)
		assert.Equal(t, []int{0, 1, 2, 3, 4, 5}, badIndexes(h), "no shard can be trusted")

		got, h, err := s.Verify(ctx, name, nil, CallerAuthenticates())
		require.NoError(t, err)
		assert.True(t, h.OK())
		assert.True(t, bytes.Equal(other, got), "the caller's authentication judges it")

		hc, err := s.Check(ctx, name, true, CallerAuthenticates())
		require.NoError(t, err)
		assert.False(t, hc.Recoverable(), "Check ignores the option: %v", hc)
	})
}
