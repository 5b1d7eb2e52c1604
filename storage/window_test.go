package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// streamBytes returns n pseudo-random bytes for seed, generated a block at
// a time (byte-wise generation of megabytes is slow under the race
// detector).
func streamBytes(n int, seed uint64) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

// windowStats returns what the window cache of s holds: bytes counted,
// windows, and windows that a reader still holds (none once reads are
// over).
func windowStats(s *Store) (used int64, n, held int) {
	c := s.windows
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, w := range c.m {
		<-w.ready
		if w.refs != 1 {
			held++
		}
	}
	return c.used, len(c.m), held
}

// waitWindows waits for the reads in the background to end.
func waitWindows(s *Store) {
	c := s.windows
	c.mu.Lock()
	ws := make([]*window, 0, len(c.m))
	for _, w := range c.m {
		ws = append(ws, w)
	}
	c.mu.Unlock()
	for _, w := range ws {
		<-w.ready
	}
}

func TestWindowGeometry(t *testing.T) {
	c := newWindowCache(1, 0) // below the minimum: MinReadWindow
	W := int64(MinReadWindow)
	require.Equal(t, W, c.width)
	for _, tc := range []struct {
		size  int64
		count int64
	}{{HeaderSize, 1}, {HeaderSize + 1, 1}, {HeaderSize + W, 1}, {HeaderSize + W + 1, 2}, {HeaderSize + 3*W, 3}} {
		require.Equal(t, tc.count, c.count(tc.size), "size %d", tc.size)
		// The windows tile the blob, each starting where the one before
		// ended, the first at 0 and the last at the blob's end.
		var next int64
		for j := range tc.count {
			start, end := c.bounds(j, tc.size)
			require.Equal(t, next, start)
			require.Greater(t, end, start)
			for _, off := range []int64{start, end - 1} {
				require.Equal(t, j, c.index(off), "offset %d of a %d-byte blob", off, tc.size)
			}
			if j > 0 {
				require.Equal(t, int64(0), (start-HeaderSize)%W, "window %d starts off the alignment", j)
			}
			if j < tc.count-1 {
				require.Equal(t, W, end-start-map[bool]int64{true: HeaderSize}[j == 0])
			}
			next = end
		}
		require.Equal(t, tc.size, next)
	}
}

// Ranges read through windows (every bucket site is read so, mem too) are
// the object's bytes, whatever windows and shards they cross, from a fresh
// Store (no header cached) and after the windows were read.
func TestGetRangeWindows(t *testing.T) {
	ctx := context.Background()
	urls := memURLs(3)
	w, err := Open(ctx, urls, WithShards(2, 1))
	require.NoError(t, err)
	defer w.Close()
	objects := map[string][]byte{
		"packs/small":  streamBytes(3000, 1),                  // one window per shard
		"packs/exact":  streamBytes(4*MinReadWindow, 2),       // two windows per shard exactly
		"packs/uneven": streamBytes(5*MinReadWindow+12345, 3), // a short last window
	}
	for name, data := range objects {
		require.NoError(t, w.Put(ctx, name, data))
	}
	s, err := Open(ctx, urls, WithReadMemory(4*MinReadWindow))
	require.NoError(t, err)
	defer s.Close()
	rng := rand.New(rand.NewPCG(7, 7))
	for name, data := range objects {
		// Sequential reads (read ahead), then random ones.
		for off := 0; off < len(data); {
			n := min(len(data)-off, 1+rng.IntN(200<<10))
			got, err := s.GetRange(ctx, name, int64(off), int64(n))
			require.NoError(t, err)
			require.True(t, bytes.Equal(data[off:off+n], got), "%s [%d, %d)", name, off, off+n)
			off += n
		}
		for range 50 {
			off := rng.IntN(len(data))
			n := rng.IntN(len(data) - off + 1)
			got, err := s.GetRange(ctx, name, int64(off), int64(n))
			require.NoError(t, err)
			require.True(t, bytes.Equal(data[off:off+n], got), "%s [%d, %d)", name, off, off+n)
		}
	}
	waitWindows(s)
	used, n, held := windowStats(s)
	assert.LessOrEqual(t, used, int64(4*MinReadWindow), "the windows kept exceed the memory bound")
	assert.Positive(t, n)
	assert.Zero(t, held, "windows still held after the reads")
}

// Concurrent readers of one object share its windows and get its bytes.
func TestGetRangeWindowsConcurrent(t *testing.T) {
	ctx := context.Background()
	urls := memURLs(1)
	w, err := Open(ctx, urls)
	require.NoError(t, err)
	defer w.Close()
	data := streamBytes(9*MinReadWindow+777, 11)
	require.NoError(t, w.Put(ctx, "packs/shared", data))
	s, err := Open(ctx, urls, WithReadConcurrency(2), WithReadMemory(3*MinReadWindow))
	require.NoError(t, err)
	defer s.Close()
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 40 {
				off := rng.IntN(len(data))
				n := min(len(data)-off, rng.IntN(300<<10))
				got, err := s.GetRange(ctx, "packs/shared", int64(off), int64(n))
				if !assert.NoError(t, err) || !assert.True(t, bytes.Equal(data[off:off+n], got), "[%d, %d)", off, off+n) {
					return
				}
			}
		})
	}
	wg.Wait()
	waitWindows(s)
	used, _, held := windowStats(s)
	assert.LessOrEqual(t, used, int64(3*MinReadWindow))
	assert.Zero(t, held)
}

// An object written again or deleted through the Store is not served from
// the windows of its former content.
func TestGetRangeWindowsForgotten(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, memURLs(2))
	require.NoError(t, err)
	defer s.Close()
	a, b := streamBytes(100<<10, 1), streamBytes(100<<10, 2)
	require.NoError(t, s.Put(ctx, "idx/x", a))
	got, err := s.GetRange(ctx, "idx/x", 10, 1000)
	require.NoError(t, err)
	require.Equal(t, a[10:1010], got)
	require.NoError(t, s.Delete(ctx, "idx/x"))
	_, err = s.GetRange(ctx, "idx/x", 10, 1000)
	require.ErrorIs(t, err, ErrNotFound)
	require.NoError(t, s.Put(ctx, "idx/x", b))
	got, err = s.GetRange(ctx, "idx/x", 10, 1000)
	require.NoError(t, err)
	require.Equal(t, b[10:1010], got)
}

// A shard blob of the wrong size met through a window makes GetRange fall
// back to reading the object whole, which reconstructs it.
func TestGetRangeWindowsDamaged(t *testing.T) {
	ctx := context.Background()
	urls := memURLs(3)
	w, err := Open(ctx, urls, WithShards(2, 1))
	require.NoError(t, err)
	defer w.Close()
	data := streamBytes(3*MinReadWindow, 5)
	require.NoError(t, w.Put(ctx, "packs/d", data))
	// Shard 1 replaced by a shorter blob.
	bs := w.list[1].(*bucketSite)
	require.NoError(t, bs.bucket.WriteAll(ctx, shardKey("packs/d", 1), make([]byte, HeaderSize+10), nil))
	s, err := Open(ctx, urls)
	require.NoError(t, err)
	defer s.Close()
	off := int64(len(data) - 1000)
	got, err := s.GetRange(ctx, "packs/d", off, 1000)
	require.NoError(t, err)
	require.Equal(t, data[off:], got)
}
