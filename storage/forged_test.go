package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// forgeShard changes the data of shard i of name and recomputes its
// (unkeyed) shard hash, as anyone who can write the site can: the shard
// decodes as intact.
func forgeShard(t *testing.T, dirs []string, name string, i int) {
	t.Helper()
	path := shardFile(dirs, name, i)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	h, data, err := DecodeShard(name, b)
	require.NoError(t, err)
	data = bytes.Clone(data)
	for j := range data {
		data[j] ^= 0x5a
	}
	forged, err := EncodeShard(name, h, data)
	require.NoError(t, err)
	_, _, err = DecodeShard(name, forged)
	require.NoError(t, err, "the forged shard passes its checksum")
	require.NoError(t, os.WriteFile(path, forged, 0o600))
}

// assertForgedRepaired checks Get, Verify, Check and Repair on an object
// whose shards bad were forged.
func assertForgedRepaired(t *testing.T, s *Store, dirs []string, name string, data []byte, bad []int) {
	t.Helper()
	ctx := context.Background()
	// Get reads parity only when it needs it: a forged data shard makes it
	// read and judge them all, a forged parity shard goes unseen.
	var getSees []int
	if bad[0] < DefaultDataShards {
		getSees = bad
	}
	got, h, err := s.Get(ctx, name)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got), "Get returns the original bytes")
	assert.Equal(t, getSees, badIndexes(h), "Get names the forged shards it read")
	for _, p := range h.Bad {
		assert.ErrorIs(t, p.Err, ErrShardCorrupt)
	}

	got, h, err = s.Verify(ctx, name, nil)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))
	assert.Equal(t, bad, badIndexes(h), "Verify names every forged shard")
	// A forged shard disagrees with the others: the object hash finds it
	// even when the caller authenticates the object.
	got, h, err = s.Verify(ctx, name, nil, CallerAuthenticates())
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))
	assert.Equal(t, bad, badIndexes(h), "Verify with CallerAuthenticates names every forged shard")
	hc, err := s.Check(ctx, name, true)
	require.NoError(t, err)
	assert.Equal(t, bad, badIndexes(hc), "Check with data names every forged shard")

	hr, err := s.Repair(ctx, name)
	require.NoError(t, err)
	assert.Equal(t, bad, badIndexes(hr))
	hc, err = s.Check(ctx, name, true)
	require.NoError(t, err)
	assert.True(t, hc.OK(), "repaired: %v", hc)
	// The repaired shards are the original ones: the object reads from
	// them alone.
	for _, i := range bad {
		_, d, err := DecodeShard(name, mustRead(t, shardFile(dirs, name, i)))
		require.NoError(t, err)
		if i < DefaultDataShards {
			L := len(d)
			end := min((i+1)*L, len(data))
			assert.True(t, bytes.Equal(data[i*L:end], d[:end-i*L]), "shard %d rewritten with the original bytes", i)
		}
	}
	got, h, err = s.Get(ctx, name)
	require.NoError(t, err)
	assert.True(t, h.OK())
	assert.True(t, bytes.Equal(data, got))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// One site of six forges its shard of every object (4+2): the objects
// still read byte for byte, the shard is named, and Repair rewrites it.
func TestForgedShardSixSites(t *testing.T) {
	for _, forged := range []int{0, 2, 4} { // data shards, and a parity shard
		dirs := fileDirs(t, 6)
		s := openStore(t, dirs)
		data := randBytes(100_003, uint64(forged))
		require.NoError(t, s.Put(context.Background(), "packs/fo/rged", data))
		forgeShard(t, dirs, "packs/fo/rged", forged)
		assertForgedRepaired(t, s, dirs, "packs/fo/rged", data, []int{forged})
	}
}

// On one site holding all six shards (4+2), any two may be forged.
func TestForgedShardsOneSite(t *testing.T) {
	for _, forged := range [][]int{{1, 3}, {0, 5}, {4, 5}} {
		dirs := fileDirs(t, 1)
		s := openStore(t, dirs)
		data := randBytes(70_001, 7)
		require.NoError(t, s.Put(context.Background(), "keys/slot", data))
		for _, i := range forged {
			forgeShard(t, dirs, "keys/slot", i)
		}
		assertForgedRepaired(t, s, dirs, "keys/slot", data, forged)
	}
}

// Three forged shards of 4+2 leave no four that agree: the object is
// unrecoverable, never wrong bytes.
func TestTooManyForgedShards(t *testing.T) {
	dirs := fileDirs(t, 1)
	s := openStore(t, dirs)
	data := randBytes(5000, 8)
	require.NoError(t, s.Put(context.Background(), "o/x", data))
	for _, i := range []int{0, 2, 5} {
		forgeShard(t, dirs, "o/x", i)
	}
	_, _, err := s.Get(context.Background(), "o/x")
	require.ErrorIs(t, err, ErrUnrecoverable)
	h, err := s.Check(context.Background(), "o/x", true)
	require.NoError(t, err)
	assert.False(t, h.Recoverable(), "no shard can be trusted: %v", h)
	_, err = s.Repair(context.Background(), "o/x")
	assert.ErrorIs(t, err, ErrUnrecoverable)
}

// A site that writes a complete other write of the object (with its own
// object hash) wins no vote it should not: with an authenticator, the
// write that authenticates is chosen and the other is named.
func TestAuthenticateChoosesTheAuthenticWrite(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 1)
	s := openStore(t, dirs, WithShards(2, 4))
	data := randBytes(3000, 9)
	require.NoError(t, s.Put(ctx, "snapshots/ab", data))
	fake := randBytes(3000, 10)
	for i := range 3 { // a tie, 3 against 3: the forged write has the lowest indexes
		other := fileDirs(t, 1)
		require.NoError(t, openStore(t, other, WithShards(2, 4)).Put(ctx, "snapshots/ab", fake))
		require.NoError(t, os.WriteFile(shardFile(dirs, "snapshots/ab", i), mustRead(t, shardFile(other, "snapshots/ab", i)), 0o600))
	}
	errForged := errors.New("not authentic")
	auth := Authenticate(func(b []byte) error {
		if !bytes.Equal(b, data) {
			return errForged
		}
		return nil
	})
	got, h, err := s.Get(ctx, "snapshots/ab", auth)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))
	assert.Equal(t, []int{0, 1, 2}, badIndexes(h))

	hr, err := s.Repair(ctx, "snapshots/ab", auth)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 2}, badIndexes(hr))
	got, h, err = s.Get(ctx, "snapshots/ab")
	require.NoError(t, err)
	assert.True(t, h.OK())
	assert.True(t, bytes.Equal(data, got))

	// When nothing authenticates, the authenticator's error is returned.
	_, _, err = s.Get(ctx, "snapshots/ab", Authenticate(func([]byte) error { return errForged }))
	assert.ErrorIs(t, err, errForged)
}

// A forged byte of a parity shard past the first block that verification
// codes parity in (parityBlock) is found: every block is compared.
func TestForgedParityLateInLargeShard(t *testing.T) {
	dirs := fileDirs(t, 6)
	s := openStore(t, dirs)
	data := randBytes(3<<20+5, 7) // shards of 768 KiB: three blocks and a bit
	name := "packs/la/rge"
	require.NoError(t, s.Put(context.Background(), name, data))
	path := shardFile(dirs, name, 5)
	h, shard, err := DecodeShard(name, mustRead(t, path))
	require.NoError(t, err)
	shard = bytes.Clone(shard)
	shard[len(shard)-1] ^= 1 // in the last, partial block
	forged, err := EncodeShard(name, h, shard)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, forged, 0o600))
	assertForgedRepaired(t, s, dirs, name, data, []int{5})
}
