package repo_test

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
)

// TestSnapshotCache reads the snapshots of a repository through the local
// snapshot cache: it answers for the snapshots the sites list (one the
// sites can no longer give included), never for one they do not list;
// new snapshots join it; and a cache whose objects were swapped between
// snapshots, or of garbage, is read from the sites instead.
func TestSnapshotCache(t *testing.T) {
	ctx := context.Background()
	r, st := newRepo(t, "")
	a, b, c := saveFiles(t, r, "a", 1), saveFiles(t, r, "b", 2), saveFiles(t, r, "c", 3)
	cache := t.TempDir()
	hosts := func(opts ...repo.OpenOption) (map[repo.ID]string, int) {
		t.Helper()
		r, err := repo.Open(ctx, st, password, opts...)
		require.NoError(t, err)
		got, failed := map[repo.ID]string{}, 0
		for s, err := range r.Snapshots(ctx) {
			if err != nil {
				failed++
				continue
			}
			got[s.ID] = s.Host
		}
		return got, failed
	}
	cached := repo.WithPersistentIndexCache(cache)
	got, failed := hosts(cached)
	require.Equal(t, map[repo.ID]string{a: "a", b: "b", c: "c"}, got)
	require.Zero(t, failed)
	files, err := filepath.Glob(filepath.Join(cache, "index-v1", "*", "snapshots"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	path := files[0]

	// b's object on the sites no longer opens: only the cache has it.
	require.NoError(t, st.Put(ctx, "snapshots/"+b.String(), []byte("not a snapshot")))
	got, failed = hosts()
	require.Equal(t, map[repo.ID]string{a: "a", c: "c"}, got)
	require.Equal(t, 1, failed)
	got, failed = hosts(cached)
	require.Equal(t, map[repo.ID]string{a: "a", b: "b", c: "c"}, got)
	require.Zero(t, failed)

	// Deleted from the sites: gone, cached or not. A new one joins.
	require.NoError(t, st.Delete(ctx, "snapshots/"+c.String()))
	d := saveFiles(t, r, "d", 4)
	got, failed = hosts(cached)
	require.Equal(t, map[repo.ID]string{a: "a", b: "b", d: "d"}, got)
	require.Zero(t, failed)
	objs := readCacheFile(t, path)
	require.Len(t, objs, 3, "the cache holds what the sites list")

	// a's and d's objects swapped: neither opens under the other's ID,
	// both are read from the sites again.
	objs[a], objs[d] = objs[d], objs[a]
	writeCacheFile(t, path, objs)
	got, failed = hosts(cached)
	require.Equal(t, map[repo.ID]string{a: "a", b: "b", d: "d"}, got)
	require.Zero(t, failed)

	// Garbage: b, which only the cache had, fails like the sites' copy.
	require.NoError(t, os.WriteFile(path, []byte("CUSTSNP1 and then garbage"), 0o600))
	got, failed = hosts(cached)
	require.Equal(t, map[repo.ID]string{a: "a", d: "d"}, got)
	require.Equal(t, 1, failed)
}

// readCacheFile reads the snapshot cache file's records (magic ‖ ID ‖
// u32 length ‖ object …).
func readCacheFile(t *testing.T, path string) map[repo.ID][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "CUSTSNP1", string(b[:8]))
	objs := map[repo.ID][]byte{}
	for b = b[8:]; len(b) > 0; {
		var id repo.ID
		copy(id[:], b)
		n := binary.BigEndian.Uint32(b[32:])
		objs[id] = b[36 : 36+n]
		b = b[36+n:]
	}
	return objs
}

func writeCacheFile(t *testing.T, path string, objs map[repo.ID][]byte) {
	t.Helper()
	out := []byte("CUSTSNP1")
	for id, o := range objs {
		out = append(out, id[:]...)
		out = binary.BigEndian.AppendUint32(out, uint32(len(o)))
		out = append(out, o...)
	}
	require.NoError(t, os.WriteFile(path, out, 0o600))
}
