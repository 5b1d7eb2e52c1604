package backup_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
)

// socketIn leaves a Unix socket file at dir/name.
func socketIn(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
	require.NoError(t, err)
	l.SetUnlinkOnClose(false)
	require.NoError(t, l.Close())
	return p
}

// TestSpecialFilesRoundTrip backs up a tree with every kind of entry
// (hard links, sparse files, extended attributes and an ACL, a named pipe,
// device nodes and other owners as root, odd names, modes and times) and
// restores it with every property the same. A socket is left out with a
// note.
func TestSpecialFilesRoundTrip(t *testing.T) {
	ctx := context.Background()
	src, tree := fixture.SourceTree(t, "books", 3, fixture.WithSpecialFiles())
	sock := socketIn(t, filepath.Join(src, "special"), "app.sock")
	r, _ := fixture.NewRepo(t, "")

	res, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	require.Empty(t, res.Errors)
	require.Len(t, res.Notes, 1)
	assert.Equal(t, sock, res.Notes[0].Path)
	assert.ErrorIs(t, res.Notes[0], backup.ErrSocket)
	st := res.Snapshot.Stats
	assert.Equal(t, uint64(tree.Special), st.Special)
	assert.Equal(t, uint64(tree.Files), st.Files)
	// Holes are not read, and a file with three names is read once.
	holes := uint64(64<<20-4096) + (8<<20 - 1<<20 - 4096) + 4<<20
	assert.LessOrEqual(t, st.Bytes, uint64(tree.Bytes)-holes, "holes were read as data")
	assert.Equal(t, uint64(tree.Files-tree.Hardlinks), st.FilesNew, "a hard-linked file was read more than once")
	fi, err := os.Stat(filepath.Dir(sock))
	require.NoError(t, err)
	require.NoError(t, os.Remove(sock))
	require.NoError(t, os.Chtimes(filepath.Dir(sock), fi.ModTime(), fi.ModTime()))

	target := t.TempDir()
	rres, err := restore.Snapshot(ctx, r, res.Snapshot, target)
	require.NoError(t, err)
	require.Empty(t, rres.Errors)
	assert.Equal(t, uint64(tree.Hardlinks), rres.Hardlinks)
	assert.Equal(t, uint64(tree.Special), rres.Special)
	fixture.RequireSameTree(t, src, filepath.Join(target, "books"))

	// Again, from the parent: no file is read.
	again, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	assert.Zero(t, again.Snapshot.Stats.FilesNew+again.Snapshot.Stats.FilesChanged)
	assert.Less(t, again.Snapshot.Stats.Bytes, uint64(tree.Bytes)-holes)
}

// TestHardLinkIncludeOneName restores one name of a hard-linked file:
// it is a plain file with the content.
func TestHardLinkIncludeOneName(t *testing.T) {
	ctx := context.Background()
	src, _ := fixture.SourceTree(t, "books", 3, fixture.WithSpecialFiles())
	r, _ := fixture.NewRepo(t, "")
	res, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	target := t.TempDir()
	_, err = restore.Snapshot(ctx, r, res.Snapshot, target, restore.WithInclude("books/links/second-name.pdf"))
	require.NoError(t, err)
	want, err := fixture.Snapshot(src)
	require.NoError(t, err)
	got, err := fixture.Snapshot(filepath.Join(target, "books"))
	require.NoError(t, err)
	g := got["links/second-name.pdf"]
	assert.Equal(t, want["links/second-name.pdf"].SHA256, g.SHA256)
	assert.Equal(t, uint64(1), g.Links)
	assert.Empty(t, g.LinkedWith)
}

// TestNoXattrs leaves extended attributes out at backup, or at restore.
func TestNoXattrs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the test tree has extended attributes on Linux only")
	}
	ctx := context.Background()
	src, _ := fixture.SourceTree(t, "books", 3, fixture.WithSpecialFiles())
	r, _ := fixture.NewRepo(t, "")
	restored := func(s *repo.Snapshot, opts ...restore.Option) map[string]fixture.Entry {
		target := t.TempDir()
		_, err := restore.Snapshot(ctx, r, s, target, opts...)
		require.NoError(t, err)
		snap, err := fixture.Snapshot(filepath.Join(target, "books"))
		require.NoError(t, err)
		return snap
	}
	with, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	without, err := backup.Files(ctx, r, []string{src}, backup.WithoutXattrs(), backup.WithoutParent())
	require.NoError(t, err)

	assert.Equal(t, "scanner-3", restored(with.Snapshot)["xattrs/invoice.xml"].Xattrs["user.custodia.origin"])
	assert.Empty(t, restored(without.Snapshot)["xattrs/invoice.xml"].Xattrs)
	assert.Empty(t, restored(with.Snapshot, restore.WithoutXattrs())["xattrs/invoice.xml"].Xattrs)
	assert.Empty(t, restored(with.Snapshot, restore.WithoutXattrs())["xattrs/acl.txt"].Xattrs)
}

// TestSparseGiB restores a 1 GiB file holding 1 MiB of data with about
// 1 MiB allocated (the time is measured by BenchmarkRestoreSparse).
func TestSparseGiB(t *testing.T) {
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "vm")
	require.NoError(t, os.Mkdir(src, 0o755))
	data := writeSparseGiB(t, filepath.Join(src, "disk.img"))
	r, _ := fixture.NewRepo(t, "")
	res, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	assert.Less(t, res.Snapshot.Stats.Bytes, uint64(2<<20), "holes were read")

	target := t.TempDir()
	_, err = restore.Snapshot(ctx, r, res.Snapshot, target)
	require.NoError(t, err)
	p := filepath.Join(target, "vm", "disk.img")
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, int64(1<<30), fi.Size())
	assert.Less(t, fixture.Allocated(fi), int64(2<<20), "holes were written as data")
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	got := make([]byte, len(data)+2)
	_, err = f.ReadAt(got, 512<<20-1)
	require.NoError(t, err)
	assert.Equal(t, byte(0), got[0])
	assert.Equal(t, data, got[1:len(got)-1])
	assert.Equal(t, byte(0), got[len(got)-1])
}

// writeSparseGiB writes a 1 GiB file with 1 MiB of random data at 512 MiB
// and returns the data.
func writeSparseGiB(t testing.TB, p string) []byte {
	t.Helper()
	data := fixture.RandomBytes(11, 1<<20)
	f, err := os.Create(p)
	require.NoError(t, err)
	_, err = f.WriteAt(data, 512<<20)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(1<<30))
	require.NoError(t, f.Close())
	return data
}

// BenchmarkRestoreSparse restores a 1 GiB file holding 1 MiB of data.
func BenchmarkRestoreSparse(b *testing.B) {
	ctx := context.Background()
	src := filepath.Join(b.TempDir(), "vm")
	require.NoError(b, os.Mkdir(src, 0o755))
	writeSparseGiB(b, filepath.Join(src, "disk.img"))
	r, _ := fixture.NewRepo(b, "")
	res, err := backup.Files(ctx, r, []string{src})
	require.NoError(b, err)
	for b.Loop() {
		target := b.TempDir()
		if _, err := restore.Snapshot(ctx, r, res.Snapshot, target); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(target)
		b.StartTimer()
	}
}
