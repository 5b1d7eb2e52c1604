package storage

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerify(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 1)
	s := openStore(t, dirs)
	data := randBytes(100_000, 11)
	for _, shard := range []int{1, 5} { // a data shard, a parity shard
		name := fmt.Sprintf("v/%d", shard)
		require.NoError(t, s.Put(ctx, name, data))
		got, h, err := s.Verify(ctx, name, nil)
		require.NoError(t, err)
		require.True(t, h.OK())
		require.True(t, bytes.Equal(data, got))

		flipByte(t, shardFile(dirs, name, shard), HeaderSize+10, 1)
		got, h, err = openStore(t, dirs).Verify(ctx, name, make([]byte, 0, 200_000))
		require.NoError(t, err)
		require.True(t, bytes.Equal(data, got), "reconstructed around the bad shard")
		assert.Equal(t, []int{shard}, badIndexes(h), "every shard is checked, parity too")
	}
	for _, i := range []int{0, 2, 4} {
		require.NoError(t, os.Remove(shardFile(dirs, "v/1", i)))
	}
	_, _, err := s.Verify(ctx, "v/1", nil)
	require.ErrorIs(t, err, ErrUnrecoverable)
	_, _, err = s.Verify(ctx, "v/none", nil)
	require.ErrorIs(t, err, ErrNotFound)
}

func ExampleStore_Verify() {
	ctx := context.Background()
	s, _ := Open(ctx, []string{"mem://example-verify"})
	_ = s.Put(ctx, "objects/a", []byte("invoice 2026-0001"))
	data, h, err := s.Verify(ctx, "objects/a", nil)
	fmt.Println(string(data), h.OK(), err)
	// Output: invoice 2026-0001 true <nil>
}

// After Get read an object around a corrupt shard, range reads of it are
// served from the verified copy instead of the corrupt shard.
func TestGetCachesRepairedObjectForRanges(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 1)
	s := openStore(t, dirs)
	data := randBytes(40_000, 5)
	require.NoError(t, s.Put(ctx, "g/x", data))
	flipByte(t, shardFile(dirs, "g/x", 0), HeaderSize+3, 0xff)

	fresh := openStore(t, dirs)
	got, err := fresh.GetRange(ctx, "g/x", 0, 16)
	require.NoError(t, err)
	require.False(t, bytes.Equal(data[:16], got), "a range read cannot see the corruption")
	whole, h, err := fresh.Get(ctx, "g/x")
	require.NoError(t, err)
	require.False(t, h.OK())
	require.True(t, bytes.Equal(data, whole))
	got, err = fresh.GetRange(ctx, "g/x", 0, 16)
	require.NoError(t, err)
	require.True(t, bytes.Equal(data[:16], got), "later range reads use the verified copy")
}

// Verify reads the data shards of local sites straight into the object;
// every way a data shard can be wrong still ends in the right bytes (or
// ErrUnrecoverable) and the bad shard named, whatever buffer the caller
// passes.
func TestVerifyLocalPlacedReads(t *testing.T) {
	ctx := context.Background()
	data := randBytes(300_001, 21)
	older := randBytes(300_001, 22) // an older write of the same size
	shorter := randBytes(100_000, 23)
	damage := map[string]func(t *testing.T, dirs []string, name string){
		"corrupt": func(t *testing.T, dirs []string, name string) {
			flipByte(t, shardFile(dirs, name, 2), -1, 0x40)
		},
		"truncated": func(t *testing.T, dirs []string, name string) {
			require.NoError(t, os.Truncate(shardFile(dirs, name, 2), HeaderSize+10))
		},
		"header only": func(t *testing.T, dirs []string, name string) {
			require.NoError(t, os.Truncate(shardFile(dirs, name, 2), HeaderSize-1))
		},
		"stale same size": func(t *testing.T, dirs []string, name string) {
			replaceShard(t, dirs, name, 2, older)
		},
		"stale other size, first": func(t *testing.T, dirs []string, name string) {
			replaceShard(t, dirs, name, 0, shorter)
		},
		"a folder": func(t *testing.T, dirs []string, name string) {
			p := shardFile(dirs, name, 1)
			require.NoError(t, os.Remove(p))
			require.NoError(t, os.Mkdir(p, 0o755))
		},
	}
	for what, spoil := range damage {
		for _, buf := range [][]byte{nil, make([]byte, 0, 10), make([]byte, 5, 1<<20)} {
			dirs := fileDirs(t, 1)
			s := openStore(t, dirs)
			require.NoError(t, s.Put(ctx, "p/x", data))
			spoil(t, dirs, "p/x")
			got, h, err := openStore(t, dirs).Verify(ctx, "p/x", buf)
			require.NoError(t, err, what)
			assert.True(t, bytes.Equal(data, got), "%s: the object is reconstructed", what)
			assert.Len(t, h.Bad, 1, "%s: %v", what, h)
		}
	}
}

// replaceShard puts shard i of another object's write in place of shard i
// of name (as a write interrupted between shards leaves it).
func replaceShard(t *testing.T, dirs []string, name string, i int, other []byte) {
	t.Helper()
	odirs := fileDirs(t, 1)
	require.NoError(t, openStore(t, odirs).Put(context.Background(), name, other))
	b, err := os.ReadFile(shardFile(odirs, name, i))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(shardFile(dirs, name, i), b, 0o644))
}

// Verify's outcome for a shard is that of the first site where it is
// found, as for Get and Check: a corrupt copy off its home site is
// reported as corrupt, and a corrupt home copy is reported even when
// another site holds a good one.
func TestVerifyReportsTheSiteWhereAShardIsFound(t *testing.T) {
	ctx := context.Background()
	data := randBytes(50_000, 31)
	corrupt := func(t *testing.T, p string) { flipByte(t, p, HeaderSize+5, 1) }

	dirs := fileDirs(t, 3)
	s := openStore(t, dirs, WithShards(2, 1))
	require.NoError(t, s.Put(ctx, "m/x", data))
	// Shard 0 moves from its home (site 0) to site 1 and is corrupted there.
	home := shardFile(dirs, "m/x", 0)
	moved := filepath.Join(dirs[1], filepath.FromSlash(shardKey("m/x", 0)))
	require.NoError(t, os.Rename(home, moved))
	corrupt(t, moved)
	checked, err := s.Check(ctx, "m/x", true)
	require.NoError(t, err)
	got, h, err := s.Verify(ctx, "m/x", nil)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))
	require.Equal(t, []int{0}, badIndexes(h))
	assert.ErrorIs(t, h.Bad[0].Err, ErrShardCorrupt)
	assert.Equal(t, checked.Bad, h.Bad, "Verify and Check agree")

	dirs = fileDirs(t, 2)
	s = openStore(t, dirs, WithShards(2, 1))
	require.NoError(t, s.Put(ctx, "m/y", data))
	good := filepath.Join(dirs[1], filepath.FromSlash(shardKey("m/y", 0)))
	b, err := os.ReadFile(shardFile(dirs, "m/y", 0))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(good, b, 0o644)) // a good copy on site 1
	corrupt(t, shardFile(dirs, "m/y", 0))            // the home copy is bad
	checked, err = s.Check(ctx, "m/y", true)
	require.NoError(t, err)
	_, h, err = s.Verify(ctx, "m/y", nil)
	require.NoError(t, err)
	assert.Equal(t, []int{0}, badIndexes(h), "the corrupt home copy is reported")
	assert.Equal(t, checked.Bad, h.Bad)
}

// An object written with other coding than the store's is verified
// without placing its shards, and the buffer is sized by the object.
func TestVerifyOtherCoding(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 1)
	data := randBytes(1<<20, 41)
	require.NoError(t, openStore(t, dirs, WithShards(2, 1)).Put(ctx, "c/x", data))
	s := openStore(t, dirs, WithShards(10, 2))
	got, h, err := s.Verify(ctx, "c/x", nil)
	require.NoError(t, err)
	assert.True(t, h.OK())
	assert.True(t, bytes.Equal(data, got))
	assert.LessOrEqual(t, cap(got), len(data)+2, "no buffer of 10 shards of the object's size")
}
