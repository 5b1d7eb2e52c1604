package backup_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/chunk"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/sizechannel"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
)

// oneFileBackup backs up one file of random content onto a fresh local
// site and returns the packs a provider sees there.
func oneFileBackup(t *testing.T, size int, seed uint64) []sizechannel.Object {
	t.Helper()
	ctx := context.Background()
	site := t.TempDir()
	r, _ := fixture.NewRepo(t, site)
	src := filepath.Join(t.TempDir(), "scan.pdf")
	data := fixture.RandomBytes(seed, size)
	require.NoError(t, os.WriteFile(src, data, 0o600))
	res, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	require.NoError(t, r.Close(ctx))

	// The padded packs read back byte for byte.
	dst := t.TempDir()
	_, err = restore.Snapshot(ctx, r, res.Snapshot, dst)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(dst, "scan.pdf"))
	require.NoError(t, err)
	require.Equal(t, data, got)

	objs, err := sizechannel.Observe(site)
	require.NoError(t, err)
	return sizechannel.Packs(objs)
}

// TestOneFileBackupPackSizes backs up ten files a few bytes apart, each
// alone: unpadded, their packs were each file's size plus one constant, so
// a provider read the size off to the byte. Padded, the ten backups show
// at most two pack sizes, none of them the file size plus a constant.
func TestOneFileBackupPackSizes(t *testing.T) {
	const base = 300_000
	sizes := map[int64]bool{}
	offsets := map[int64]bool{}
	for i := range 10 {
		size := base + 37*i
		packs := oneFileBackup(t, size, uint64(i))
		require.Len(t, packs, 1, "the root tree shares the data's pack")
		require.Equal(t, 2, packs[0].Entries(), "file and root tree")
		sizes[packs[0].Size] = true
		offsets[packs[0].Size-int64(size)] = true
		assert.Greater(t, packs[0].BlobArea(), int64(size)+sizechannel.SealedOverhead+300,
			"the blob area holds padding beyond the sealed file and tree")
	}
	assert.LessOrEqual(t, len(sizes), 2, "pack sizes %v", sizes)
	assert.Len(t, offsets, 10, "pack size minus file size is no constant")
}

// TestFullPacksStayWithinTarget backs up a file of many chunks into 1 MiB
// packs: every pack, padding included, stays within the target size (the
// padding of a full pack does not round it up past it), and the file
// restores byte for byte.
func TestFullPacksStayWithinTarget(t *testing.T) {
	ctx := context.Background()
	site := t.TempDir()
	r, _ := fixture.NewRepo(t, site, repo.WithPackSize(1<<20),
		repo.WithChunker(chunk.Params{Min: 16 << 10, Avg: 64 << 10, Max: 256 << 10}))
	src := filepath.Join(t.TempDir(), "ledger.bin")
	data := fixture.RandomBytes(7, 5<<20)
	require.NoError(t, os.WriteFile(src, data, 0o600))
	res, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	require.NoError(t, r.Close(ctx))
	objs, err := sizechannel.Observe(site)
	require.NoError(t, err)
	packs := sizechannel.Packs(objs)
	require.GreaterOrEqual(t, len(packs), 5)
	// A pack is cut only when a chunk (at most 256 KiB) fits in neither
	// open pack, so all but the last two are at least 3/4 full.
	full := 0
	for _, p := range packs {
		assert.LessOrEqual(t, p.Size, int64(1<<20), p.Name)
		if p.Size > 3<<18-1<<10 {
			full++
		}
	}
	assert.GreaterOrEqual(t, full, len(packs)-2, "packs cut before they were full")
	dst := t.TempDir()
	_, err = restore.Snapshot(ctx, r, res.Snapshot, dst)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(dst, "ledger.bin"))
	require.NoError(t, err)
	require.Equal(t, data, got)
}
