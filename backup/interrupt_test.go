package backup_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/storage"
)

// incompressibleTree writes n files of 2 MiB random data and returns the
// folder.
func incompressibleTree(t *testing.T, n int) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "scans")
	require.NoError(t, os.Mkdir(src, 0o755))
	for i := range n {
		require.NoError(t, fixture.RandomFile(filepath.Join(src, fmt.Sprintf("scan-%02d.pdf", i)), 2<<20, uint64(i)+50))
	}
	return src
}

// fullBackupStored is what a backup of src adds to an empty repository.
func fullBackupStored(t *testing.T, src string) uint64 {
	t.Helper()
	r, _ := fixture.NewRepo(t, "", repo.WithPackSize(1<<20))
	res, err := backup.Files(context.Background(), r, []string{src})
	require.NoError(t, err)
	return res.Snapshot.Stats.StoredAdded
}

// packBytes sums the sizes of the pack objects completely written to the
// local site dir (every shard of the default 4+2 present), as the sealed
// bytes they hold: four sixths of their shard files.
func packBytes(t *testing.T, dir string) uint64 {
	t.Helper()
	shards := map[string][]int64{}
	err := filepath.WalkDir(filepath.Join(dir, "packs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		dot := strings.LastIndexByte(p, '.')
		if _, err := strconv.Atoi(p[dot+1:]); err != nil {
			return nil // a temporary file
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		shards[p[:dot]] = append(shards[p[:dot]], fi.Size())
		return nil
	})
	require.NoError(t, err)
	var n uint64
	for _, s := range shards {
		if len(s) == storage.DefaultDataShards+storage.DefaultParityShards {
			for _, size := range s {
				n += uint64(size) * storage.DefaultDataShards / uint64(len(s))
			}
		}
	}
	return n
}

// requireRerunReuses reopens the repository in dir, backs up src again and
// requires that it stores less than 10% of what the stopped backup had
// written again: all but that much of the written data is found in the
// index.
func requireRerunReuses(t *testing.T, dir, src string, full uint64) {
	t.Helper()
	written := packBytes(t, dir)
	require.Greater(t, written, full/5, "the first attempt stopped too early to show anything")
	require.Less(t, written, full*9/10, "the first attempt was not stopped part way")
	st, err := storage.Open(context.Background(), []string{dir})
	require.NoError(t, err)
	defer st.Close()
	r, err := repo.Open(context.Background(), st, fixture.Password)
	require.NoError(t, err)
	res, err := backup.Files(context.Background(), r, []string{src})
	require.NoError(t, err)
	fixture.RequireSameTree(t, src, restoreOf(t, r, res.Snapshot, "scans"))
	reused := full - min(full, res.Snapshot.Stats.StoredAdded)
	again := written - min(written, reused)
	t.Logf("full backup %d B; first attempt wrote %d B; the rerun stored %d B, %d B of them again", full, written, res.Snapshot.Stats.StoredAdded, again)
	assert.Less(t, again, written/10, "the rerun stored again more than 10%% of what the first attempt had written")
}

// TestInterruptedBackupIsReused cancels a backup half way; the next backup
// finds what it had written in the index.
func TestInterruptedBackupIsReused(t *testing.T) {
	src := incompressibleTree(t, 12)
	full := fullBackupStored(t, src)
	dir := filepath.Join(t.TempDir(), "repo")
	r, _ := fixture.NewRepo(t, dir, repo.WithPackSize(1<<20))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	_, err := backup.Files(ctx, r, []string{src}, backup.WithWorkers(2),
		backup.WithProgress(func(p backup.Progress) {
			if p.Added >= 12<<20 {
				once.Do(cancel)
			}
		}, time.Millisecond))
	require.ErrorIs(t, err, context.Canceled)
	requireRerunReuses(t, dir, src, full)
}

// TestFailedBackupIsReused makes pack writes fail half way (the packs
// folder of the site is replaced by a file, as a full disk would refuse
// them); once it is back the next backup reuses what was written.
func TestFailedBackupIsReused(t *testing.T) {
	src := incompressibleTree(t, 12)
	full := fullBackupStored(t, src)
	dir := filepath.Join(t.TempDir(), "repo")
	r, _ := fixture.NewRepo(t, dir, repo.WithPackSize(1<<20))
	packs := filepath.Join(dir, "packs")

	var once sync.Once
	broken := make(chan struct{})
	breakSite := func() {
		require.NoError(t, os.Rename(packs, packs+".away"))
		require.NoError(t, os.WriteFile(packs, nil, 0o600))
		close(broken)
	}
	_, err := backup.Files(context.Background(), r, []string{src}, backup.WithWorkers(2),
		backup.WithProgress(func(p backup.Progress) {
			if p.Added >= 12<<20 {
				once.Do(breakSite)
			}
		}, time.Millisecond))
	require.Error(t, err)
	// A breakSite still running (the backup failed on its rename before it
	// closed broken) is waited for: Do returns once a concurrent Do is done.
	once.Do(func() {})
	select {
	case <-broken:
	default:
		t.Fatal("the backup ended before the site was broken")
	}
	require.NoError(t, os.Remove(packs))
	require.NoError(t, os.Rename(packs+".away", packs))
	requireRerunReuses(t, dir, src, full)
}

// restoreOf restores s into a new folder and returns the path of its entry
// name there.
func restoreOf(t *testing.T, r *repo.Repository, s *repo.Snapshot, name string) string {
	t.Helper()
	target := t.TempDir()
	_, err := restore.Snapshot(context.Background(), r, s, target)
	require.NoError(t, err)
	return filepath.Join(target, name)
}
