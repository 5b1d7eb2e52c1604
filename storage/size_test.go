package storage

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plantShard writes a sparse shard file for shard i of name whose
// header claims an object of objLen bytes (4+2) and whose size is size.
func plantShard(t *testing.T, dir, name string, i int, objLen uint64, size int64) {
	t.Helper()
	h := ShardHeader{DataShards: 4, ParityShards: 2, Index: i, ObjectLen: objLen, ShardLen: shardLen(objLen, 4)}
	var hdr [HeaderSize]byte
	putHeaderFields(hdr[:], &h)
	path := filepath.Join(dir, filepath.FromSlash(shardKey(name, i)))
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	f, err := os.Create(path)
	require.NoError(t, err)
	_, err = f.Write(hdr[:])
	require.NoError(t, err)
	require.NoError(t, f.Truncate(size))
	require.NoError(t, f.Close())
}

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A shard's reported size does not size memory: a 4 GiB shard whose
// header declares a small object is refused after its header.
func TestHugeReportedSizeFailsFast(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for i := range 6 {
		plantShard(t, dir, "keys/huge", i, 1000, 4<<30)
	}
	s := openStore(t, []string{dir})
	var err error
	var h Health
	n := allocated(func() { _, h, err = s.Get(ctx, "keys/huge") })
	require.ErrorIs(t, err, ErrUnrecoverable)
	assert.Less(t, n, uint64(1<<20), "bytes allocated")
	require.NotEmpty(t, h.Bad)
	assert.Contains(t, h.Bad[0].Err.Error(), "header says 338")
	for _, readData := range []bool{false, true} {
		n = allocated(func() { h, err = s.Check(ctx, "keys/huge", readData) })
		require.NoError(t, err)
		assert.False(t, h.Recoverable())
		assert.Less(t, n, uint64(1<<20), "bytes allocated")
	}
}

// A header that claims a large object, with a blob of the matching
// size, is refused by the reader's MaxSize before its data is read.
func TestMaxSizeRefusesLargeClaims(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const claim = 512 << 20
	for i := range 6 {
		plantShard(t, dir, "keys/big", i, claim, HeaderSize+claim/4)
	}
	s := openStore(t, []string{dir})
	var err error
	var h Health
	n := allocated(func() { _, h, err = s.Get(ctx, "keys/big", MaxSize(64<<10)) })
	require.ErrorIs(t, err, ErrUnrecoverable)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Less(t, n, uint64(1<<20), "bytes allocated")
	require.Len(t, h.Bad, 6, "every shard is read, each up to its header")
	assert.ErrorIs(t, h.Bad[0].Err, ErrTooLarge)

	n = allocated(func() { _, _, err = s.Verify(ctx, "keys/big", nil, MaxSize(64<<10)) })
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Less(t, n, uint64(1<<20), "bytes allocated")

	// Objects within the limit read as usual.
	data := randBytes(60<<10, 3)
	require.NoError(t, s.Put(ctx, "keys/small", data))
	got, _, err := s.Get(ctx, "keys/small", MaxSize(64<<10))
	require.NoError(t, err)
	assert.Equal(t, data, got)
	_, _, err = s.Get(ctx, "keys/small", MaxSize(1000))
	assert.ErrorIs(t, err, ErrTooLarge)
}
