package backup_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
)

func TestFilesRoundTrip(t *testing.T) {
	ctx := context.Background()
	src, tree := fixture.SourceTree(t, "ledger", 1, fixture.WithChunkEdges())
	r, _ := fixture.NewRepo(t, "")

	res, err := backup.Files(ctx, r, []string{src}, backup.WithTags("t1"), backup.WithWorkers(3))
	require.NoError(t, err)
	require.Empty(t, res.Errors)
	s := res.Snapshot
	assert.Equal(t, []string{src}, s.Paths)
	assert.Equal(t, []string{"t1"}, s.Tags)
	assert.Equal(t, uint64(tree.Files), s.Stats.Files)
	assert.Nil(t, s.Parent)

	target := t.TempDir()
	rres, err := restore.Snapshot(ctx, r, s, target)
	require.NoError(t, err)
	assert.Equal(t, uint64(tree.Files), rres.Files)
	assert.Empty(t, rres.Errors)
	fixture.RequireSameTree(t, src, filepath.Join(target, "ledger"))
}

func TestIncrementalSkipsUnchangedFiles(t *testing.T) {
	ctx := context.Background()
	src, _ := fixture.SourceTree(t, "ledger", 1, fixture.WithChunkEdges())
	r, _ := fixture.NewRepo(t, "")

	first, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	second, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	require.NotNil(t, second.Snapshot.Parent)
	assert.Equal(t, first.Snapshot.ID, *second.Snapshot.Parent)
	st := second.Snapshot.Stats
	assert.Equal(t, st.Files, st.FilesSkipped, "no file is read again")
	assert.Less(t, st.StoredAdded, first.Snapshot.Stats.StoredAdded/100, "a re-run adds < 1%%")
	assert.Equal(t, first.Snapshot.Tree, second.Snapshot.Tree, "same data, same tree")

	// Append to one file: only it is read, and only its last chunks are new.
	p := filepath.Join(src, "sizes/invoices.jsonl")
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.Write(fixture.InvoiceText(99, 1000))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	third, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	st = third.Snapshot.Stats
	assert.Equal(t, uint64(1), st.FilesChanged)
	assert.Equal(t, st.Files-1, st.FilesSkipped)
	assert.Less(t, st.BytesAdded, uint64(3<<20), "the unchanged chunks of the file dedup")

	target := t.TempDir()
	_, err = restore.Snapshot(ctx, r, third.Snapshot, target)
	require.NoError(t, err)
	fixture.RequireSameTree(t, src, filepath.Join(target, "ledger"))
}

func TestDedupAcrossHostsAndPaths(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	data := fixture.RandomBytes(1, 5<<20)
	require.NoError(t, os.MkdirAll(a, 0o755))
	require.NoError(t, os.MkdirAll(b, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(a, "x.pdf"), data, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(b, "copy.pdf"), data, 0o644))
	r, _ := fixture.NewRepo(t, "")
	first, err := backup.Files(ctx, r, []string{a}, backup.WithHost("host-a"))
	require.NoError(t, err)
	second, err := backup.Files(ctx, r, []string{b}, backup.WithHost("host-b"))
	require.NoError(t, err)
	assert.Nil(t, second.Snapshot.Parent)
	assert.Greater(t, first.Snapshot.Stats.StoredAdded, uint64(5<<20))
	assert.Less(t, second.Snapshot.Stats.StoredAdded, uint64(10<<10), "same content from another host is stored once")
}

func TestStream(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	data := fixture.InvoiceText(5, 4<<20)
	res, err := backup.Stream(ctx, r, "ledger.sql", bytes.NewReader(data), backup.WithTags("db"))
	require.NoError(t, err)
	assert.Equal(t, repo.KindStream, res.Snapshot.Kind)
	assert.Equal(t, uint64(len(data)), res.Snapshot.Stats.Bytes)
	target := t.TempDir()
	_, err = restore.Snapshot(ctx, r, res.Snapshot, target)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(target, "ledger.sql"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))

	_, err = backup.Stream(ctx, r, "../evil", bytes.NewReader(nil))
	require.Error(t, err)
}

func TestUnreadableFilesAreReported(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	ctx := context.Background()
	src := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(src, "ok.txt"), []byte("ok"), 0o644))
	secret := filepath.Join(src, "secret.txt")
	require.NoError(t, os.WriteFile(secret, []byte("no"), 0o000))
	r, _ := fixture.NewRepo(t, "")
	res, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	require.Len(t, res.Errors, 1)
	assert.Equal(t, secret, res.Errors[0].Path)
	assert.ErrorIs(t, res.Errors[0], os.ErrPermission)
	assert.Equal(t, uint64(1), res.Snapshot.Stats.Errors)
}

func TestBadPaths(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	_, err := backup.Files(ctx, r, nil)
	require.ErrorIs(t, err, backup.ErrNoPaths)

	res, err := backup.Files(ctx, r, []string{filepath.Join(t.TempDir(), "missing")})
	require.Error(t, err)
	require.Len(t, res.Errors, 1)
	ids, err := r.SnapshotIDs(ctx)
	require.NoError(t, err)
	assert.Empty(t, ids, "no snapshot when nothing could be read")

	d := t.TempDir()
	x, y := filepath.Join(d, "x", "same"), filepath.Join(d, "y", "same")
	require.NoError(t, os.MkdirAll(x, 0o755))
	require.NoError(t, os.MkdirAll(y, 0o755))
	_, err = backup.Files(ctx, r, []string{x, y})
	require.ErrorContains(t, err, "same name")
}

func TestCancel(t *testing.T) {
	src, _ := fixture.SourceTree(t, "ledger", 1)
	r, _ := fixture.NewRepo(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := backup.Files(ctx, r, []string{src})
	require.ErrorIs(t, err, context.Canceled)
	ids, err := r.SnapshotIDs(context.Background())
	require.NoError(t, err)
	assert.Empty(t, ids)
}

func TestProgress(t *testing.T) {
	src, _ := fixture.SourceTree(t, "ledger", 1)
	r, _ := fixture.NewRepo(t, "")
	var last backup.Progress
	res, err := backup.Files(context.Background(), r, []string{src},
		backup.WithProgress(func(p backup.Progress) { last = p }, time.Millisecond))
	require.NoError(t, err)
	assert.True(t, last.Done, "a last report when the backup ends")
	assert.Equal(t, res.Snapshot.Stats.Files, last.Files)
	assert.Equal(t, res.Snapshot.Stats.Bytes, last.Bytes)

	var rlast restore.Progress
	rres, err := restore.Snapshot(context.Background(), r, res.Snapshot, t.TempDir(),
		restore.WithProgress(func(p restore.Progress) { rlast = p }, time.Millisecond))
	require.NoError(t, err)
	assert.True(t, rlast.Done)
	assert.Equal(t, rres.Bytes, rlast.Bytes)
}

// Several writers back up into one repository at once, each with its own
// Repository (as separate processes would), sharing chunks.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, st := fixture.NewRepo(t, dir)
	shared := fixture.RandomBytes(42, 3<<20)
	var srcs []string
	for i := range 3 {
		src := filepath.Join(t.TempDir(), fmt.Sprintf("host%d", i))
		require.NoError(t, os.MkdirAll(src, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(src, "shared.pdf"), shared, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(src, "own.jsonl"), fixture.InvoiceText(uint64(i), 2<<20), 0o644))
		srcs = append(srcs, src)
	}
	snaps := make([]*repo.Snapshot, len(srcs))
	errs := make([]error, len(srcs))
	var wg sync.WaitGroup
	for i, src := range srcs {
		wg.Go(func() {
			r, err := repo.Open(ctx, st, fixture.Password)
			if err != nil {
				errs[i] = err
				return
			}
			res, err := backup.Files(ctx, r, []string{src}, backup.WithHost(fmt.Sprintf("host%d", i)))
			if err == nil {
				snaps[i] = res.Snapshot
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	r, err := repo.Open(ctx, st, fixture.Password)
	require.NoError(t, err)
	ids, err := r.SnapshotIDs(ctx)
	require.NoError(t, err)
	assert.Len(t, ids, 3)
	for i, s := range snaps {
		target := t.TempDir()
		_, err := restore.Snapshot(ctx, r, s, target)
		require.NoError(t, err)
		fixture.RequireSameTree(t, srcs[i], filepath.Join(target, filepath.Base(srcs[i])))
	}
	rep, err := r.Check(ctx, repo.CheckOptions{ReadData: true})
	require.NoError(t, err)
	assert.False(t, rep.Damaged(), "%v", rep.Findings)
}

// TestMissingPathNextToGoodOnes backs up a folder together with a path that
// does not exist: the snapshot lists only the folder, and the next backup
// of the same arguments finds it as its parent and reads nothing again.
func TestMissingPathNextToGoodOnes(t *testing.T) {
	ctx := context.Background()
	src, _ := fixture.SourceTree(t, "ledger", 1)
	missing := filepath.Join(filepath.Dir(src), "gone")
	r, _ := fixture.NewRepo(t, "")

	first, err := backup.Files(ctx, r, []string{src, missing})
	require.NoError(t, err)
	require.Len(t, first.Errors, 1)
	assert.Equal(t, missing, first.Errors[0].Path)
	assert.ErrorIs(t, first.Errors[0], os.ErrNotExist)
	assert.Equal(t, []string{src}, first.Snapshot.Paths, "only the paths backed up are stored")

	second, err := backup.Files(ctx, r, []string{src, missing})
	require.NoError(t, err)
	require.NotNil(t, second.Snapshot.Parent, "the parent is found by the paths that exist")
	assert.Equal(t, first.Snapshot.ID, *second.Snapshot.Parent)
	st := second.Snapshot.Stats
	assert.Equal(t, st.Files, st.FilesSkipped, "no file is read again")

	// The same folder alone has the same parent too.
	third, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	require.NotNil(t, third.Snapshot.Parent)
	assert.Equal(t, second.Snapshot.ID, *third.Snapshot.Parent)
}
