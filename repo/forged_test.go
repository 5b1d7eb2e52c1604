package repo_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// forgeSite rewrites the data of every shard file under dir and
// recomputes its (unkeyed) checksum, as anyone with write access to the
// site can. It returns how many shards it forged.
func forgeSite(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		require.NoError(t, err)
		key := filepath.ToSlash(rel)
		name := key[:len(key)-len(filepath.Ext(key))]
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		h, data, err := storage.DecodeShard(name, b)
		require.NoError(t, err, key)
		if len(data) == 0 {
			return nil
		}
		data = bytes.Clone(data)
		data[0] ^= 1
		forged, err := storage.EncodeShard(name, h, data)
		require.NoError(t, err)
		n++
		return os.WriteFile(path, forged, 0o600)
	}))
	return n
}

// One site's shards forged with valid checksums: the repository opens,
// every object reads byte for byte, and a check with repair rewrites the
// forged shards (issue 18, finding 1).
func TestForgedSiteIsOutvoted(t *testing.T) {
	for _, sites := range []int{6, 1} {
		ctx := context.Background()
		dirs := make([]string, sites)
		for i := range dirs {
			dirs[i] = t.TempDir()
		}
		st, err := storage.Open(ctx, dirs, storage.WithCreate())
		require.NoError(t, err)
		r, err := repo.Init(ctx, st, password, fastArgon)
		require.NoError(t, err)
		data := randomBytes(t, 300<<10)
		id := r.BlobID(data)
		_, err = r.SaveBlob(ctx, repo.DataBlob, id, data, false)
		require.NoError(t, err)
		tid, err := r.SaveTree(ctx, &repo.Tree{Nodes: []repo.Node{{Name: "f", Type: repo.NodeFile, Content: []repo.ID{id}}}})
		require.NoError(t, err)
		require.NoError(t, r.Flush(ctx))
		sid, err := r.SaveSnapshot(ctx, &repo.Snapshot{Kind: repo.KindFiles, Tree: tid, Host: "h"})
		require.NoError(t, err)
		require.NoError(t, st.Close())

		// On six sites the first site holds shard 0 of every object; on
		// one site, shard 0 of every object is forged too.
		if sites == 6 {
			require.Positive(t, forgeSite(t, dirs[0]))
		} else {
			require.Positive(t, forgeShardZero(t, dirs[0]))
		}

		st, err = storage.Open(ctx, dirs)
		require.NoError(t, err)
		defer st.Close()
		r, err = repo.Open(ctx, st, password)
		require.NoError(t, err, "%d sites: the forged key slot and config are outvoted", sites)
		snap, err := r.LoadSnapshot(ctx, sid)
		require.NoError(t, err)
		assert.Equal(t, tid, snap.Tree)
		got, err := r.LoadBlob(ctx, repo.BlobHandle{Type: repo.DataBlob, ID: id}, nil)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(data, got), "%d sites: byte-identical", sites)

		rep, err := r.Check(ctx, repo.CheckOptions{ReadData: true, Repair: true})
		require.NoError(t, err)
		assert.NotEmpty(t, rep.Findings, "the forged shards are reported")
		for _, f := range rep.Findings {
			assert.Equal(t, repo.Damaged, f.Severity, f.Message)
			assert.True(t, f.Repaired, f.Message)
		}
		rep, err = r.Check(ctx, repo.CheckOptions{ReadData: true})
		require.NoError(t, err)
		assert.Empty(t, rep.Findings, "%d sites: repaired", sites)
	}
}

// forgeShardZero forges shard 0 of every object of a one-site repository.
func forgeShardZero(t *testing.T, dir string) int {
	t.Helper()
	tmp := t.TempDir()
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".0" {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		dst := filepath.Join(tmp, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o700))
		return os.Rename(path, dst)
	}))
	n := forgeSite(t, tmp)
	require.NoError(t, filepath.WalkDir(tmp, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(tmp, path)
		return os.Rename(path, filepath.Join(dir, rel))
	}))
	return n
}

// plantSparseShards writes the six shard files (4+2) of object name, each
// sparse and declaring, in a well-formed header, an object of claim bytes.
func plantSparseShards(t *testing.T, dir, name string, claim uint64) {
	t.Helper()
	L := (claim + 3) / 4
	for i := range 6 {
		hdr := make([]byte, storage.HeaderSize)
		copy(hdr, "CSHD")
		hdr[4], hdr[5], hdr[6], hdr[7] = 1, 4, 2, byte(i)
		binary.BigEndian.PutUint64(hdr[8:], claim)
		binary.BigEndian.PutUint64(hdr[16:], L)
		path := filepath.Join(dir, filepath.FromSlash(name)+"."+strconv.Itoa(i))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
		require.NoError(t, os.WriteFile(path, hdr, 0o600))
		require.NoError(t, os.Truncate(path, int64(storage.HeaderSize+L)))
	}
}

// Planted key slots claiming 512 MiB objects do not size the memory of
// an open (issue 18, finding 3).
func TestPlantedHugeSlotsDoNotSizeMemory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := storage.Open(ctx, []string{dir}, storage.WithCreate())
	require.NoError(t, err)
	_, err = repo.Init(ctx, st, password, fastArgon)
	require.NoError(t, err)
	require.NoError(t, st.Close())
	for _, n := range []string{"keys/0000000000000000", "keys/ffffffffffffffff", "keys/1111111111111111", "keys/2222222222222222"} {
		plantSparseShards(t, dir, n, 512<<20)
	}
	st, err = storage.Open(ctx, []string{dir})
	require.NoError(t, err)
	defer st.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = repo.Open(ctx, st, password)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<20), "bytes allocated by Open")
}
