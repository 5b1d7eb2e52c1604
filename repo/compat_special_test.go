//go:build linux

package repo_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/mkvectors/source"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
)

// specialDir is the committed vector repository of the special tree
// (hard links, a sparse file, extended attributes, a named pipe, a device
// node; FORMAT.md 14.1). Never regenerate it in place.
const specialDir = "testdata/v1-special"

// writeSpecialSource writes the special tree as the vectors hold it.
func writeSpecialSource(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, source.WriteSpecial(dir))
	return dir
}

// TestFormatV1SpecialVectors restores the special vector set with the
// library: every property of every entry is the source's (the device node
// only as root, which alone can make it).
func TestFormatV1SpecialVectors(t *testing.T) {
	ctx := context.Background()
	want := writeSpecialSource(t)
	r, err := v1Open(t, copyVectors(t, specialDir), source.Password)
	require.NoError(t, err)
	var snaps []*repo.Snapshot
	for s, err := range r.Snapshots(ctx) {
		require.NoError(t, err)
		snaps = append(snaps, s)
	}
	require.Len(t, snaps, 1)
	got := t.TempDir()
	res, err := restore.Snapshot(ctx, r, snaps[0], got)
	require.NoError(t, err)
	if os.Geteuid() == 0 {
		assert.Empty(t, res.Errors)
	}
	diffs, err := fixture.Diff(want, got, true)
	require.NoError(t, err)
	require.Empty(t, diffs)
	assert.Equal(t, uint64(2), res.Hardlinks)
}

// specialNode is a tree node with the fields of FORMAT.md 14.1.
type specialNode struct {
	specNode
	Inode   uint64      `json:"inode"`
	Device  uint64      `json:"device"`
	Links   uint64      `json:"links"`
	Rdev    uint64      `json:"rdev"`
	Sparse  bool        `json:"sparse"`
	Extents [][2]uint64 `json:"extents"`
	Xattrs  []struct {
		Name  string `json:"name"`
		Value []byte `json:"value"`
	} `json:"xattrs"`
}

// TestFormatV1SpecialSpecReader reads the special vector set with the
// independent reader and checks each entry of FORMAT.md 14.1 against the
// source: hard-link groups, the sparse file's extents and content, the
// extended attributes, the named pipe and the device node.
func TestFormatV1SpecialSpecReader(t *testing.T) {
	dir := specialDir
	want := writeSpecialSource(t)
	k, ok := specUnlock(t, dir, source.Password)
	require.True(t, ok)
	blobs := specReadBlobs(t, dir, k)
	blob := func(typ byte, hexID string) []byte {
		id, err := hex.DecodeString(hexID)
		require.NoError(t, err)
		b, ok := blobs[[33]byte(append([]byte{typ}, id...))]
		require.True(t, ok, "blob %d %s not indexed", typ, hexID)
		return b
	}
	snapFiles, err := filepath.Glob(filepath.Join(dir, "snapshots", "*.0"))
	require.NoError(t, err)
	require.Len(t, snapFiles, 1)
	name := "snapshots/" + strings.TrimSuffix(filepath.Base(snapFiles[0]), ".0")
	raw := specEnvelope(t, k, specObject(t, dir, name), "CSNP", name, k.data)
	s := specJSONKeys(t, raw, []string{"time", "host", "paths", "kind", "tree", "stats"}, []string{"username", "tags", "parent"})
	specJSONKeys(t, s["stats"], []string{"files", "dirs", "bytes", "files_new", "files_changed", "files_unchanged", "blobs_added", "bytes_added", "stored_added", "duration_ns"},
		[]string{"symlinks", "errors", "special", "changed_while_read"})
	var tree string
	require.NoError(t, json.Unmarshal(s["tree"], &tree))

	links := map[[2]uint64][]string{}
	seen := map[string]specialNode{}
	var walk func(hexID, rel string)
	walk = func(hexID, rel string) {
		top := specJSONKeys(t, blob(1, hexID), []string{"nodes"}, nil)
		var nodes []json.RawMessage
		require.NoError(t, json.Unmarshal(top["nodes"], &nodes))
		for _, raw := range nodes {
			specJSONKeys(t, raw, []string{"name", "type", "mode", "mtime", "uid", "gid"}, specNodeOptional)
			var n specialNode
			require.NoError(t, json.Unmarshal(raw, &n))
			p := path.Join(rel, n.Name)
			seen[p] = n
			local := filepath.Join(want, filepath.FromSlash(p))
			switch n.Type {
			case "dir":
				walk(n.Subtree, p)
			case "file":
				var data []byte
				for _, id := range n.Content {
					data = append(data, blob(0, id)...)
				}
				if n.Sparse {
					whole := make([]byte, n.Size)
					for _, e := range n.Extents {
						require.LessOrEqual(t, e[0]+e[1], n.Size)
						copy(whole[e[0]:e[0]+e[1]], data[:e[1]])
						data = data[e[1]:]
					}
					require.Empty(t, data, "content beyond the extents")
					data = whole
				}
				b, err := os.ReadFile(local)
				require.NoError(t, err)
				assert.True(t, bytes.Equal(b, data), "content of %s", p)
				if n.Links > 1 {
					links[[2]uint64{n.Device, n.Inode}] = append(links[[2]uint64{n.Device, n.Inode}], p)
				}
			}
		}
	}
	walk(tree, "")

	require.Len(t, links, 1)
	for _, names := range links {
		slices.Sort(names)
		assert.Equal(t, []string{"special/archive/linked-c.csv", "special/linked-a.csv", "special/linked-b.csv"}, names)
	}
	assert.Equal(t, uint64(3), seen["special/linked-b.csv"].Links)
	disk := seen["special/disk.img"]
	assert.True(t, disk.Sparse)
	assert.Equal(t, [][2]uint64{{source.SparseOffset, 4096}}, disk.Extents)
	assert.Equal(t, uint64(source.SparseSize), disk.Size)
	xattrs := map[string]string{}
	for _, x := range seen["special/tagged.xml"].Xattrs {
		xattrs[x.Name] = string(x.Value)
	}
	assert.Equal(t, source.SpecialXattrs(), xattrs)
	assert.Equal(t, "fifo", seen["special/pipe"].Type)
	assert.Equal(t, uint32(0o620), seen["special/pipe"].Mode)
	assert.Equal(t, "chardev", seen["special/null"].Type)
	assert.Equal(t, uint64(0x103), seen["special/null"].Rdev, "st_rdev of device (1, 3) on Linux")
}
