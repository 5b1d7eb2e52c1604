package backup_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/testhook"
	"github.com/custodia-backup/custodia/restore"
)

// appendWhileRead makes the file at path change while backup reads it:
// a row is appended after its data was read and before backup looks at
// its metadata again, on each of its first `times` reads (on every read
// when times < 0). It returns the number of reads seen.
func appendWhileRead(t *testing.T, path string, times int) *int {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	row := fixture.InvoiceText(1, 512)
	reads := new(int)
	t.Cleanup(testhook.OnFileRead(path, func() {
		*reads++
		if times < 0 || *reads <= times {
			_, err := f.Write(row)
			assert.NoError(t, err)
		}
	}))
	return reads
}

// TestFileChangingWhileRead backs up a database file that a writer
// appends to during every read: the file is read twice, then stored with
// a warning, and the snapshot counts it; the other files are not
// affected.
func TestFileChangingWhileRead(t *testing.T) {
	ctx := context.Background()
	src, tree := fixture.SourceTree(t, "books", 4)
	db := filepath.Join(src, "ledger.db")
	require.NoError(t, fixture.RandomFile(db, 8<<20, 4))
	r, _ := fixture.NewRepo(t, "")

	reads := appendWhileRead(t, db, -1)
	res, err := backup.Files(ctx, r, []string{src}, backup.WithWorkers(2))
	require.NoError(t, err)
	assert.Equal(t, 2, *reads)
	assert.Equal(t, []string{db}, res.Changed)
	assert.Equal(t, uint64(1), res.Snapshot.Stats.ChangedWhileRead)
	assert.Equal(t, uint64(tree.Files+1), res.Snapshot.Stats.Files)
	assert.Empty(t, res.Errors)
}

// TestFileChangedOnceIsReadAgain backs up a file that changes during its
// first read only: it is read again, stored without a warning, and the
// restore holds its final content.
func TestFileChangedOnceIsReadAgain(t *testing.T) {
	ctx := context.Background()
	src, tree := fixture.SourceTree(t, "books", 4)
	db := filepath.Join(src, "ledger.db")
	require.NoError(t, fixture.RandomFile(db, 8<<20, 4))
	r, _ := fixture.NewRepo(t, "")

	reads := appendWhileRead(t, db, 1)
	res, err := backup.Files(ctx, r, []string{src}, backup.WithWorkers(2))
	require.NoError(t, err)
	assert.Equal(t, 2, *reads)
	assert.Empty(t, res.Changed)
	assert.Zero(t, res.Snapshot.Stats.ChangedWhileRead)
	assert.Equal(t, uint64(tree.Files+1), res.Snapshot.Stats.Files)
	assert.Empty(t, res.Errors)

	target := t.TempDir()
	_, err = restore.Snapshot(ctx, r, res.Snapshot, target)
	require.NoError(t, err)
	fixture.RequireSameTree(t, src, filepath.Join(target, "books"))
}
