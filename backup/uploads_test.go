package backup_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
)

// TestFilesGivesUploadSlotBack: a file backup uploads two packs at once
// for its duration only; the repository's writer is back at one upload
// afterwards, when the backup succeeded, when it failed, and when two
// backups into it overlapped.
func TestFilesGivesUploadSlotBack(t *testing.T) {
	ctx := context.Background()
	src, _ := fixture.SourceTree(t, "ledger", 1, fixture.WithChunkEdges())
	r, _ := fixture.NewRepo(t, "")

	_, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	assert.Equal(t, 1, r.Uploads(), "uploads after a backup")

	_, err = backup.Files(ctx, r, []string{t.TempDir() + "/missing"})
	require.Error(t, err)
	assert.Equal(t, 1, r.Uploads(), "uploads after a failed backup")

	other, _ := fixture.SourceTree(t, "payroll", 2, fixture.WithChunkEdges())
	var wg sync.WaitGroup
	for _, p := range []string{src, other} {
		wg.Go(func() {
			_, err := backup.Files(ctx, r, []string{p})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, 1, r.Uploads(), "uploads after two backups at once")
}
