package repo

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzSnapshotCache decodes arbitrary snapshot cache files: what it keeps
// is only objects of the IDs asked for, each within the bound, and
// written again they decode to the same.
func FuzzSnapshotCache(f *testing.F) {
	rec := func(id ID, obj string) []byte {
		b := append(id[:], binary.BigEndian.AppendUint32(nil, uint32(len(obj)))...)
		return append(b, obj...)
	}
	f.Add([]byte(snapCacheMagic))
	f.Add(append([]byte(snapCacheMagic), rec(ID{1}, "one")...))
	f.Add(append(append([]byte(snapCacheMagic), rec(ID{1}, "one")...), rec(ID{2}, "two")...))
	f.Add(append(append([]byte(snapCacheMagic), rec(ID{3}, "three")...), 0xff, 0xff))
	f.Add([]byte("CUSTSNP2"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		want := map[ID]bool{{1}: true, {2}: true}
		got, err := decodeSnapshotCache(bytes.NewReader(b), want)
		if err != nil && len(got) == 0 {
			return
		}
		var ids []ID
		for id, obj := range got {
			require.True(t, want[id])
			require.LessOrEqual(t, len(obj), maxSnapCacheObject)
			ids = append(ids, id)
		}
		path := filepath.Join(dir, "snapshots")
		require.NoError(t, writeSnapshotCache(path, ids, got))
		again := readSnapshotCache(path, want)
		require.Equal(t, len(got), len(again))
		for id, obj := range got {
			require.Equal(t, obj, again[id])
		}
		require.NoError(t, os.Remove(path))
	})
}
