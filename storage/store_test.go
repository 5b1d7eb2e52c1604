package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var memSeq atomic.Int64

// memURLs returns n fresh mem:// site URLs.
func memURLs(n int) []string {
	urls := make([]string, n)
	for i := range urls {
		urls[i] = fmt.Sprintf("mem://t%d", memSeq.Add(1))
	}
	return urls
}

// fileDirs returns n fresh local site folders.
func fileDirs(t *testing.T, n int) []string {
	dirs := make([]string, n)
	for i := range dirs {
		dirs[i] = t.TempDir()
	}
	return dirs
}

func openStore(t *testing.T, urls []string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), urls, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func randBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 99))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

func shardFile(dirs []string, name string, i int) string {
	return filepath.Join(dirs[i%len(dirs)], filepath.FromSlash(shardKey(name, i)))
}

// flipByte flips the bits mask of the byte at offset off of the file at
// path (a negative off counts from the end).
func flipByte(t *testing.T, path string, off int, mask byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	if off < 0 {
		off += len(b)
	}
	b[off] ^= mask
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

func badIndexes(h Health) []int {
	var out []int
	for _, p := range h.Bad {
		out = append(out, p.Index)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	const k = 4
	sizes := []int{0, 1, k - 1, k, k + 1, 1<<20 + 3}
	setups := map[string]func(t *testing.T) []string{
		"file1": func(t *testing.T) []string { return fileDirs(t, 1) },
		"file2": func(t *testing.T) []string { return fileDirs(t, 2) },
		"file3": func(t *testing.T) []string { return fileDirs(t, 3) },
		"mem1":  func(t *testing.T) []string { return memURLs(1) },
		"mem3":  func(t *testing.T) []string { return memURLs(3) },
	}
	for sname, setup := range setups {
		t.Run(sname, func(t *testing.T) {
			s := openStore(t, setup(t))
			for _, n := range sizes {
				name := "packs/ab/obj" + strconv.Itoa(n)
				data := randBytes(n, uint64(n))
				require.NoError(t, s.Put(ctx, name, data))
				got, h, err := s.Get(ctx, name)
				require.NoError(t, err, "size %d", n)
				assert.True(t, bytes.Equal(data, got), "size %d differs", n)
				assert.True(t, h.OK(), "size %d: %v", n, h.Bad)
				k, m := DefaultShards(len(s.Sites()))
				assert.Equal(t, k+m, h.Shards)
				hc, err := s.Check(ctx, name, true)
				require.NoError(t, err)
				assert.True(t, hc.OK())
			}
		})
	}
}

func TestShardPlacement(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 3)
	s := openStore(t, dirs)
	name := "packs/cd/placement"
	require.NoError(t, s.Put(ctx, name, randBytes(1000, 1)))
	for i := range 6 {
		for d, dir := range dirs {
			b, err := os.ReadFile(filepath.Join(dir, "packs", "cd", "placement."+strconv.Itoa(i)))
			if d == i%3 {
				require.NoError(t, err, "shard %d must be on site %d", i, d)
				h, _, err := DecodeShard(name, b)
				require.NoError(t, err)
				assert.Equal(t, i, h.Index)
				assert.Equal(t, 4, h.DataShards)
				assert.Equal(t, 2, h.ParityShards)
				assert.Equal(t, uint64(1000), h.ObjectLen)
				assert.Len(t, b, HeaderSize+250)
			} else {
				assert.ErrorIs(t, err, os.ErrNotExist, "shard %d must not be on site %d", i, d)
			}
		}
	}
	// Nothing else is written: no .attrs sidecars, no temporary files.
	for _, dir := range dirs {
		entries, err := os.ReadDir(filepath.Join(dir, "packs", "cd"))
		require.NoError(t, err)
		assert.Len(t, entries, 2)
		for _, e := range entries {
			_, _, ok := splitShardKey(e.Name())
			assert.True(t, ok, "unexpected file %s", e.Name())
		}
	}
	assert.Equal(t, []string{"file://" + filepath.ToSlash(dirs[0]), "file://" + filepath.ToSlash(dirs[1]), "file://" + filepath.ToSlash(dirs[2])}, s.Sites())
}

func TestMissingShards(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 2)
	s := openStore(t, dirs, WithShards(4, 2))
	data := randBytes(10_001, 7)
	for a := range 6 {
		for b := a + 1; b < 6; b++ {
			name := fmt.Sprintf("obj/%d-%d", a, b)
			require.NoError(t, s.Put(ctx, name, data))
			require.NoError(t, os.Remove(shardFile(dirs, name, a)))
			require.NoError(t, os.Remove(shardFile(dirs, name, b)))

			fresh := openStore(t, dirs, WithShards(4, 2)) // no cached state
			got, h, err := fresh.Get(ctx, name)
			require.NoError(t, err, "missing %d,%d", a, b)
			require.True(t, bytes.Equal(data, got), "missing %d,%d", a, b)
			// Get lists every missing shard it met; it meets every
			// missing data shard, and parity shards only when needed.
			for _, p := range h.Bad {
				assert.Contains(t, []int{a, b}, p.Index)
				assert.ErrorIs(t, p.Err, ErrShardMissing)
			}
			for _, i := range []int{a, b} {
				if i < 4 {
					assert.Contains(t, badIndexes(h), i)
				}
			}
			assert.True(t, h.Recoverable())
			for _, readData := range []bool{false, true} {
				hc, err := fresh.Check(ctx, name, readData)
				require.NoError(t, err)
				assert.Equal(t, []int{a, b}, badIndexes(hc))
				assert.Equal(t, dirs[a%2], strings.TrimPrefix(hc.Bad[0].Site, "file://"))
				assert.Equal(t, shardKey(name, a), hc.Bad[0].Key)
			}
		}
	}
}

func TestCorruptShard(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 1)
	s := openStore(t, dirs)
	data := randBytes(4000, 3)
	for _, tc := range []struct {
		shard, offset int
		headerVisible bool // detectable by Check without reading data
	}{
		{1, HeaderSize + 17, false},  // data byte of a data shard
		{2, 9, true},                 // object length field
		{0, 60, false},               // shard hash field
		{5, HeaderSize + 999, false}, // last byte of a parity shard
		{3, 0, true},                 // magic
	} {
		name := fmt.Sprintf("c/%d-%d", tc.shard, tc.offset)
		require.NoError(t, s.Put(ctx, name, data))
		path := shardFile(dirs, name, tc.shard)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		b[tc.offset] ^= 0x40
		require.NoError(t, os.WriteFile(path, b, 0o644))

		fresh := openStore(t, dirs)
		got, h, err := fresh.Get(ctx, name)
		require.NoError(t, err)
		require.True(t, bytes.Equal(data, got))
		if tc.shard < 4 {
			require.Equal(t, []int{tc.shard}, badIndexes(h))
			assert.ErrorIs(t, h.Bad[0].Err, ErrShardCorrupt)
			assert.Contains(t, h.Bad[0].String(), fmt.Sprintf("%s: shard %d on file://", name, tc.shard))
		} else {
			assert.True(t, h.OK(), "parity shards are not read when data shards are intact")
		}
		hc, err := fresh.Check(ctx, name, true)
		require.NoError(t, err)
		require.Equal(t, []int{tc.shard}, badIndexes(hc))
		assert.ErrorIs(t, hc.Bad[0].Err, ErrShardCorrupt)
		hq, err := fresh.Check(ctx, name, false)
		require.NoError(t, err)
		if tc.headerVisible {
			assert.Equal(t, []int{tc.shard}, badIndexes(hq))
		} else {
			assert.True(t, hq.OK())
		}
	}
}

func TestTruncatedShard(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 1)
	s := openStore(t, dirs)
	data := randBytes(4000, 4)
	require.NoError(t, s.Put(ctx, "t/x", data))
	require.NoError(t, os.Truncate(shardFile(dirs, "t/x", 2), HeaderSize+10))
	require.NoError(t, os.Truncate(shardFile(dirs, "t/x", 4), 3))
	got, h, err := openStore(t, dirs).Get(ctx, "t/x")
	require.NoError(t, err)
	assert.Equal(t, data, got)
	assert.Equal(t, []int{2, 4}, badIndexes(h))
	hq, err := s.Check(ctx, "t/x", false)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 4}, badIndexes(hq))
}

func TestUnrecoverable(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 3)
	s := openStore(t, dirs)
	data := randBytes(5000, 5)
	require.NoError(t, s.Put(ctx, "u/x", data))
	for _, i := range []int{0, 3, 5} {
		require.NoError(t, os.Remove(shardFile(dirs, "u/x", i)))
	}
	_, h, err := openStore(t, dirs).Get(ctx, "u/x")
	require.ErrorIs(t, err, ErrUnrecoverable)
	assert.False(t, h.Recoverable())
	assert.Equal(t, []int{0, 3, 5}, badIndexes(h))
	_, err = s.GetRange(ctx, "u/x", 100, 10) // held by missing shard 0
	assert.ErrorIs(t, err, ErrUnrecoverable)
	got, err := s.GetRange(ctx, "u/x", 1300, 10) // held by intact shard 1
	require.NoError(t, err)
	assert.Equal(t, data[1300:1310], got)
	_, err = s.Repair(ctx, "u/x")
	assert.ErrorIs(t, err, ErrUnrecoverable)

	// A corrupt shard counts as lost too.
	require.NoError(t, s.Put(ctx, "u/y", data))
	require.NoError(t, os.Remove(shardFile(dirs, "u/y", 1)))
	require.NoError(t, os.Remove(shardFile(dirs, "u/y", 4)))
	require.NoError(t, os.WriteFile(shardFile(dirs, "u/y", 5), []byte("garbage"), 0o644))
	_, _, err = openStore(t, dirs).Get(ctx, "u/y")
	require.ErrorIs(t, err, ErrUnrecoverable)

	_, _, err = s.Get(ctx, "u/none")
	assert.ErrorIs(t, err, ErrNotFound)
	assert.NotErrorIs(t, err, ErrUnrecoverable)
	hc, err := s.Check(ctx, "u/none", false)
	assert.ErrorIs(t, err, ErrNotFound)
	assert.Len(t, hc.Bad, 6)
}

func TestRepair(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 3)
	s := openStore(t, dirs)
	data := randBytes(30_000, 6)
	name := "r/obj"
	require.NoError(t, s.Put(ctx, name, data))
	orig := make([][]byte, 6)
	for i := range orig {
		var err error
		orig[i], err = os.ReadFile(shardFile(dirs, name, i))
		require.NoError(t, err)
	}
	require.NoError(t, os.Remove(shardFile(dirs, name, 1)))
	c := bytes.Clone(orig[4])
	c[HeaderSize+5] ^= 1
	require.NoError(t, os.WriteFile(shardFile(dirs, name, 4), c, 0o644))

	h, err := s.Repair(ctx, name)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 4}, badIndexes(h))
	assert.ErrorIs(t, h.Bad[0].Err, ErrShardMissing)
	assert.ErrorIs(t, h.Bad[1].Err, ErrShardCorrupt)

	hc, err := s.Check(ctx, name, true)
	require.NoError(t, err)
	assert.True(t, hc.OK(), "after repair: %v", hc.Bad)
	for i := range orig {
		b, err := os.ReadFile(shardFile(dirs, name, i))
		require.NoError(t, err)
		assert.Equal(t, orig[i], b, "shard %d rewritten identically", i)
	}
	h, err = s.Repair(ctx, name)
	require.NoError(t, err)
	assert.True(t, h.OK())

	// Empty objects repair too.
	require.NoError(t, s.Put(ctx, "r/empty", nil))
	require.NoError(t, os.Remove(shardFile(dirs, "r/empty", 2)))
	_, err = s.Repair(ctx, "r/empty")
	require.NoError(t, err)
	hc, err = s.Check(ctx, "r/empty", true)
	require.NoError(t, err)
	assert.True(t, hc.OK())
	_, err = s.Repair(ctx, "r/none")
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestGetRange(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 2)
	s := openStore(t, dirs)
	data := randBytes(1000, 8) // 4 data shards of 250 bytes
	require.NoError(t, s.Put(ctx, "g/x", data))
	ranges := [][2]int64{{0, 1}, {249, 2}, {100, 700}, {0, 1000}, {999, 1}, {250, 250}, {1000, 0}, {0, 0}, {750, 250}}
	for _, fresh := range []bool{false, true} {
		st := s
		if fresh {
			st = openStore(t, dirs) // header not cached: read from shard 0
		}
		for _, r := range ranges {
			got, err := st.GetRange(ctx, "g/x", r[0], r[1])
			require.NoError(t, err, "range %v", r)
			assert.Equal(t, data[r[0]:r[0]+r[1]], got, "range %v", r)
		}
		for _, r := range [][2]int64{{990, 20}, {1001, 0}, {-1, 5}, {0, -1}} {
			_, err := st.GetRange(ctx, "g/x", r[0], r[1])
			assert.ErrorIs(t, err, ErrInvalidRange, "range %v", r)
		}
	}
	_, err := s.GetRange(ctx, "g/none", 0, 1)
	assert.ErrorIs(t, err, ErrNotFound)

	// A missing data shard: GetRange falls back to reconstruction.
	require.NoError(t, os.Remove(shardFile(dirs, "g/x", 1)))
	for _, fresh := range []bool{false, true} {
		st := s
		if fresh {
			st = openStore(t, dirs)
		}
		got, err := st.GetRange(ctx, "g/x", 200, 100)
		require.NoError(t, err)
		assert.Equal(t, data[200:300], got)
	}
	// Shard 0 (which holds the header GetRange reads) missing, and a
	// truncated shard.
	require.NoError(t, s.Put(ctx, "g/x", data))
	require.NoError(t, os.Remove(shardFile(dirs, "g/x", 0)))
	require.NoError(t, os.Truncate(shardFile(dirs, "g/x", 3), HeaderSize+100))
	for _, r := range [][2]int64{{10, 20}, {700, 300}} {
		got, err := openStore(t, dirs).GetRange(ctx, "g/x", r[0], r[1])
		require.NoError(t, err)
		assert.Equal(t, data[r[0]:r[0]+r[1]], got)
	}
}

func TestList(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 3)
	s := openStore(t, dirs)
	names := []string{"b/1", "a/2", "a/1", "a/1.5", "a-b/1", "c"}
	for _, n := range names {
		require.NoError(t, s.Put(ctx, n, []byte(n)))
	}
	// Stray files are ignored: stranded temporary files, foreign blobs.
	require.NoError(t, os.WriteFile(filepath.Join(dirs[0], "a", "2.0.18a3f.tmp"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dirs[1], "a", "notes.txt"), nil, 0o644))
	// An object with a single surviving shard is still listed once.
	for i := 1; i < 6; i++ {
		_ = os.Remove(shardFile(dirs, "b/1", i))
	}

	collect := func(prefix string) []string {
		var out []string
		for n, err := range s.List(ctx, prefix) {
			require.NoError(t, err)
			out = append(out, n)
		}
		return out
	}
	assert.Equal(t, []string{"a-b/1", "a/1", "a/1.5", "a/2", "b/1", "c"}, collect(""))
	assert.Equal(t, []string{"a/1", "a/1.5", "a/2"}, collect("a/"))
	assert.Equal(t, []string{"a/1", "a/1.5"}, collect("a/1"))
	assert.Empty(t, collect("zzz"))
	n := 0
	for range s.List(ctx, "") {
		n++
		break
	}
	assert.Equal(t, 1, n)
}

func TestDeleteExists(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 3)
	s := openStore(t, dirs)
	require.NoError(t, s.Put(ctx, "d/x", []byte("hello")))
	require.NoError(t, s.Put(ctx, "d/x.1", []byte("neighbour")))
	ok, err := s.Exists(ctx, "d/x")
	require.NoError(t, err)
	assert.True(t, ok)

	require.NoError(t, os.Remove(shardFile(dirs, "d/x", 0)))
	ok, err = s.Exists(ctx, "d/x")
	require.NoError(t, err)
	assert.True(t, ok, "any shard makes the object exist")

	require.NoError(t, s.Delete(ctx, "d/x"))
	ok, err = s.Exists(ctx, "d/x")
	require.NoError(t, err)
	assert.False(t, ok)
	for i := range 6 {
		assert.NoFileExists(t, shardFile(dirs, "d/x", i))
	}
	got, _, err := s.Get(ctx, "d/x.1")
	require.NoError(t, err, "deleting d/x must not touch d/x.1")
	assert.Equal(t, []byte("neighbour"), got)
	require.NoError(t, s.Delete(ctx, "d/x"), "deleting a missing object is fine")
	_, err = s.GetRange(ctx, "d/x", 0, 1)
	assert.ErrorIs(t, err, ErrNotFound, "no stale cached header after Delete")
}

func TestCreate(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, fileDirs(t, 2))
	require.NoError(t, s.Create(ctx, "snap/1", []byte("one")))
	err := s.Create(ctx, "snap/1", []byte("two"))
	assert.ErrorIs(t, err, ErrExists)
	got, _, err := s.Get(ctx, "snap/1")
	require.NoError(t, err)
	assert.Equal(t, []byte("one"), got)
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	missing := filepath.Join(t.TempDir(), "nope", "deeper")
	_, err := Open(ctx, []string{missing})
	require.ErrorIs(t, err, ErrSiteUnreachable)
	assert.Contains(t, err.Error(), "file://"+filepath.ToSlash(missing))
	assert.NotContains(t, err.Error(), "\n")
	assert.NoDirExists(t, missing)

	s, err := Open(ctx, []string{missing}, WithCreate())
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.DirExists(t, missing)

	file := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = Open(ctx, []string{file})
	assert.ErrorIs(t, err, ErrSiteUnreachable)

	_, err = Open(ctx, nil)
	assert.ErrorIs(t, err, ErrInvalidSiteURL)
	d := t.TempDir()
	_, err = Open(ctx, []string{d, "file://" + d})
	assert.ErrorIs(t, err, ErrInvalidSiteURL, "same site twice")
	_, err = Open(ctx, []string{"ftp://x/y"})
	assert.ErrorIs(t, err, ErrInvalidSiteURL)

	for _, km := range [][2]int{{0, 2}, {-1, 0}, {4, -1}, {200, 56}} {
		_, err := Open(ctx, memURLs(1), WithShards(km[0], km[1]))
		assert.ErrorIs(t, err, ErrInvalidShards, "%v", km)
	}
	s, err = Open(ctx, memURLs(1), WithShards(200, 55))
	require.NoError(t, err)
	k, m := s.Shards()
	assert.Equal(t, [2]int{200, 55}, [2]int{k, m})
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close twice")
	require.ErrorIs(t, s.Put(ctx, "x", nil), ErrClosed)
}

func TestSecretsRedacted(t *testing.T) {
	ctx := context.Background()
	raw := "mem://bucket?sas_token=TOPSECRET%2Fvalue"
	_, err := Open(ctx, []string{raw})
	require.ErrorIs(t, err, ErrSiteUnreachable)
	assert.NotContains(t, err.Error(), "TOPSECRET")
	assert.Contains(t, err.Error(), "mem://bucket?sas_token=xxxxx")

	for in, want := range map[string]string{
		"s3://user:pa55word@bucket/x?region=eu-west-1&secret_key=abc%2Bdef": "s3://user:xxxxx@bucket/x?region=eu-west-1&secret_key=xxxxx",
		"azblob://container?sig=s1g&sv=2020":                                "azblob://container?sig=xxxxx&sv=2020",
		"gs://bucket?access_token=tok":                                      "gs://bucket?access_token=xxxxx",
		"file:///plain/path":                                                "file:///plain/path",
	} {
		assert.Equal(t, want, redactURL(in))
	}
	_, err = ParseSiteURL("bogus://user:hunter2@host")
	require.ErrorIs(t, err, ErrInvalidSiteURL)
	assert.NotContains(t, err.Error(), "hunter2")
}

func TestParseSiteURL(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	for in, want := range map[string]string{
		"/var/backup":             "file:///var/backup",
		"/var/backup/":            "file:///var/backup",
		"/var/../srv/b":           "file:///srv/b",
		"rel/dir":                 "file://" + filepath.ToSlash(filepath.Join(wd, "rel/dir")),
		".":                       "file://" + filepath.ToSlash(wd),
		"file:///abs/path":        "file:///abs/path",
		"file://localhost/abs/p":  "file:///abs/p",
		"file://./rel":            "file://" + filepath.ToSlash(filepath.Join(wd, "rel")),
		"/with space/and%percent": "file:///with%20space/and%25percent",
		"mem://name":              "mem://name",
		"mem://":                  "mem://",
		"s3://bucket?region=us-east-1&endpoint=http://localhost:9000": "s3://bucket?region=us-east-1&endpoint=http://localhost:9000",
		"gs://bucket":                          "gs://bucket",
		"azblob://container":                   "azblob://container",
		"s3://bucket/repo-a":                   "s3://bucket?prefix=repo-a%2F",
		"s3://bucket/repo-a/?region=eu-west-1": "s3://bucket?prefix=repo-a%2F&region=eu-west-1",
		"gs://bucket/firm/ledger":              "gs://bucket?prefix=firm%2Fledger%2F",
		"azblob://container/x":                 "azblob://container?prefix=x%2F",
		"s3://bucket/":                         "s3://bucket/",
		"s3://bucket?prefix=given":             "s3://bucket?prefix=given",
	} {
		got, err := ParseSiteURL(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "  ", "ftp://host/x", "file://otherhost/x", "file:///x?create_dir=1", "s3://", "gs:///path", "file://", "http://[::1",
		"s3://bucket/a?prefix=b", "s3://bucket/a//b", "gs://bucket/a/../b", "azblob://c/./x"} {
		_, err := ParseSiteURL(in)
		assert.ErrorIs(t, err, ErrInvalidSiteURL, "%q", in)
		if err != nil {
			assert.NotContains(t, err.Error(), "\n")
		}
	}
	// A parsed file URL opens the folder it names, including escapes.
	dir := filepath.Join(t.TempDir(), "a b%c")
	require.NoError(t, os.Mkdir(dir, 0o755))
	u, err := ParseSiteURL(dir)
	require.NoError(t, err)
	s := openStore(t, []string{u})
	require.NoError(t, s.Put(context.Background(), "o", []byte("x")))
	assert.FileExists(t, filepath.Join(dir, "o.0"))
}

func TestNames(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, memURLs(1))
	for _, bad := range []string{"", "/abs", "a//b", "a/", "a/../b", "a../b", "x/b..", "./a", "a b", "ä", "a\x00", strings.Repeat("a", MaxNameLen+1)} {
		assert.ErrorIs(t, s.Put(ctx, bad, nil), ErrInvalidName, "%q", bad)
		_, _, err := s.Get(ctx, bad)
		assert.ErrorIs(t, err, ErrInvalidName, "%q", bad)
	}
	for _, good := range []string{"a", "packs/ab/ab12", "x.y", "k_e-y=1+2", "a.3", "a..b/c", strings.Repeat("a", MaxNameLen)} {
		require.NoError(t, s.Put(ctx, good, []byte(good)), good)
		got, _, err := s.Get(ctx, good)
		require.NoError(t, err)
		assert.Equal(t, good, string(got))
	}
	assert.Equal(t, []string{"a", "a.3"}, slices.Collect(func(yield func(string) bool) {
		for n, err := range s.List(ctx, "a") {
			require.NoError(t, err)
			if len(n) < 5 && !yield(n) {
				return
			}
		}
	}))
}

// TestStaleShard: a shard left over from an earlier write of the same name
// with other content is detected and not used.
func TestStaleShard(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 1)
	s := openStore(t, dirs)
	a, b := randBytes(800, 1), randBytes(800, 2)
	require.NoError(t, s.Put(ctx, "st/o", b))
	stale, err := os.ReadFile(shardFile(dirs, "st/o", 2))
	require.NoError(t, err)
	require.NoError(t, s.Put(ctx, "st/o", a))
	require.NoError(t, os.WriteFile(shardFile(dirs, "st/o", 2), stale, 0o644))
	got, h, err := openStore(t, dirs).Get(ctx, "st/o")
	require.NoError(t, err)
	assert.Equal(t, a, got)
	require.Equal(t, []int{2}, badIndexes(h))
	assert.ErrorIs(t, h.Bad[0].Err, ErrShardCorrupt)
	assert.Contains(t, h.Bad[0].Err.Error(), "another write")
	// A shard of another object (same length) is rejected by its hash.
	require.NoError(t, s.Put(ctx, "st/p", b))
	other, err := os.ReadFile(shardFile(dirs, "st/p", 1))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(shardFile(dirs, "st/o", 1), other, 0o644))
	got, h, err = openStore(t, dirs).Get(ctx, "st/o")
	require.NoError(t, err)
	assert.Equal(t, a, got)
	assert.Equal(t, []int{1, 2}, badIndexes(h))
}

// TestSelfDescribing: objects are read with the k and m they were written
// with, whatever the reading Store is configured for, and even when the
// site list is given in another order.
func TestSelfDescribing(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 3)
	data := randBytes(9999, 11)
	w := openStore(t, dirs, WithShards(5, 3))
	require.NoError(t, w.Put(ctx, "sd/o", data))
	require.NoError(t, os.Remove(shardFile(dirs, "sd/o", 1)))

	r := openStore(t, []string{dirs[2], dirs[0], dirs[1]}, WithShards(2, 1))
	got, h, err := r.Get(ctx, "sd/o")
	require.NoError(t, err)
	assert.Equal(t, data, got)
	assert.Equal(t, 8, h.Shards)
	assert.Equal(t, 5, h.DataShards)
	assert.Equal(t, []int{1}, badIndexes(h))
	hc, err := r.Check(ctx, "sd/o", true)
	require.NoError(t, err)
	assert.Equal(t, []int{1}, badIndexes(hc))
	got, err = r.GetRange(ctx, "sd/o", 1990, 30)
	require.NoError(t, err)
	assert.Equal(t, data[1990:2020], got)
}

func TestAllowUnreachable(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 3)
	s := openStore(t, dirs)
	data := randBytes(4321, 12)
	require.NoError(t, s.Put(ctx, "o/x", data))
	lost := dirs[1] + ".lost"
	require.NoError(t, os.Rename(dirs[1], lost))

	_, err := Open(ctx, dirs)
	require.ErrorIs(t, err, ErrSiteUnreachable)
	d := openStore(t, dirs, WithAllowUnreachable())
	assert.Equal(t, []string{"file://" + filepath.ToSlash(dirs[1])}, d.Unreachable())
	got, h, err := d.Get(ctx, "o/x")
	require.NoError(t, err)
	assert.Equal(t, data, got)
	require.Equal(t, []int{1, 4}, badIndexes(h), "shards 1 and 4 live on the lost site")
	assert.ErrorIs(t, h.Bad[0].Err, ErrShardUnreadable)
	err = d.Put(ctx, "o/y", data)
	assert.ErrorIs(t, err, ErrSiteUnreachable)
	hc, err := d.Check(ctx, "o/x", false)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 4}, badIndexes(hc))
	names := slices.Collect(func(yield func(string) bool) {
		for n, err := range d.List(ctx, "") {
			require.NoError(t, err)
			if !yield(n) {
				return
			}
		}
	})
	assert.Contains(t, names, "o/x")
	_, err = Open(ctx, []string{lost + "x", lost + "y"}, WithAllowUnreachable())
	assert.ErrorIs(t, err, ErrSiteUnreachable, "no site reachable")
	assert.NotContains(t, err.Error(), "\n", "errors are one line")
}

// TestCreateWithSiteUnreachableLeavesNothing: a Create that fails because
// a site is down removes every shard it may have written on the others,
// those whose writes it cancelled included, so that verify never finds a
// fragment too small to read (an audit append during an outage).
func TestCreateWithSiteUnreachableLeavesNothing(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 3)
	openStore(t, dirs)
	require.NoError(t, os.RemoveAll(dirs[2]))
	d := openStore(t, dirs, WithAllowUnreachable())
	for i := range 40 {
		err := d.Create(ctx, fmt.Sprintf("a/%02d", i), randBytes(1000+i*997, uint64(i)))
		require.ErrorIs(t, err, ErrSiteUnreachable)
	}
	for n, err := range d.List(ctx, "a/") {
		require.NoError(t, err)
		t.Errorf("a failed Create left shards of %s", n)
	}
}

func TestCancelledPutLeavesNothing(t *testing.T) {
	dirs := fileDirs(t, 1)
	s := openStore(t, dirs)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Put(ctx, "x/y", randBytes(100_000, 1))
	require.ErrorIs(t, err, context.Canceled)
	entries, _ := os.ReadDir(filepath.Join(dirs[0], "x"))
	assert.Empty(t, entries)
	_, _, err = s.Get(ctx, "x/y")
	assert.ErrorIs(t, err, context.Canceled)
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, append(fileDirs(t, 1), memURLs(2)...), WithConcurrency(3))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for j := range 4 {
				name := fmt.Sprintf("cc/%d/%d", g, j)
				data := randBytes(5000+g*j, uint64(g*10+j))
				if err := s.Put(ctx, name, data); err != nil {
					errs <- err
					return
				}
				got, _, err := s.Get(ctx, name)
				if err != nil || !bytes.Equal(got, data) {
					errs <- fmt.Errorf("%s: %v", name, err)
					return
				}
				part, err := s.GetRange(ctx, name, 100, 1000)
				if err != nil || !bytes.Equal(part, data[100:1100]) {
					errs <- fmt.Errorf("%s range: %v", name, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestShardProblemString(t *testing.T) {
	p := ShardProblem{Index: 3, Site: "file:///x", Key: "packs/ab/ab12.3", Err: fmt.Errorf("%w: checksum mismatch", ErrShardCorrupt)}
	assert.Equal(t, "packs/ab/ab12: shard 3 on file:///x: shard corrupt: checksum mismatch", p.String())
	h := Health{Object: "packs/ab/ab12", Shards: 6, DataShards: 4, Bad: []ShardProblem{p}}
	assert.False(t, h.OK())
	assert.True(t, h.Recoverable())
	assert.Equal(t, "packs/ab/ab12: 1 of 6 shards bad", h.String())
	assert.True(t, errors.Is(h.Bad[0].Err, ErrShardCorrupt))
}

func TestSplitShardKey(t *testing.T) {
	for key, want := range map[string]struct {
		name string
		i    int
		ok   bool
	}{
		"a.0": {"a", 0, true}, "p/x.254": {"p/x", 254, true}, "a.3.12": {"a.3", 12, true},
		"a.255": {}, "a.01": {}, "a.": {}, ".1": {}, "a": {}, "a.1.ff.tmp": {}, "a.x": {}, "a.1234": {},
	} {
		n, i, ok := splitShardKey(key)
		assert.Equal(t, want.ok, ok, key)
		if ok {
			assert.Equal(t, want.name, n, key)
			assert.Equal(t, want.i, i, key)
		}
	}
}

func TestPutFailureNamesSite(t *testing.T) {
	ctx := context.Background()
	dirs := fileDirs(t, 2)
	s := openStore(t, dirs)
	// A file where site 1 needs a folder: its shard writes fail.
	require.NoError(t, os.WriteFile(filepath.Join(dirs[1], "packs"), nil, 0o644))
	err := s.Put(ctx, "packs/ff/x", randBytes(1000, 1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "storage: put packs/ff/x: shard ")
	assert.Contains(t, err.Error(), " on file://"+filepath.ToSlash(dirs[1])+": ")
	assert.NotContains(t, err.Error(), "\n")
	// Nothing partial is visible on the failing site.
	_, err = os.Stat(filepath.Join(dirs[1], "packs", "ff"))
	assert.Error(t, err)
}
