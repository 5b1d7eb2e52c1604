package backup_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
)

// TestFilesGivesUploadSlotBack: a file backup uploads two packs at once
// for its duration only; the repository's writer is back at one upload
// afterwards, when the backup succeeded as when it failed.
func TestFilesGivesUploadSlotBack(t *testing.T) {
	ctx := context.Background()
	src, _ := fixture.SourceTree(t, "ledger", 1, fixture.WithChunkEdges())
	r, _ := fixture.NewRepo(t, "")

	_, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	assert.Equal(t, 1, r.SetUploads(1), "uploads after a backup")

	_, err = backup.Files(ctx, r, []string{t.TempDir() + "/missing"})
	require.Error(t, err)
	assert.Equal(t, 1, r.SetUploads(1), "uploads after a failed backup")
}
