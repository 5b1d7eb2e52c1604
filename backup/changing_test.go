package backup_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
)

// TestFileChangingWhileRead backs up a database file that a writer
// goroutine appends to all the time: the file is read twice, then stored
// with a warning, and the snapshot counts it; the other files are not
// affected.
func TestFileChangingWhileRead(t *testing.T) {
	ctx := context.Background()
	src, tree := fixture.SourceTree(t, "books", 4)
	db := filepath.Join(src, "ledger.db")
	require.NoError(t, fixture.RandomFile(db, 48<<20, 4))
	r, _ := fixture.NewRepo(t, "")

	f, err := os.OpenFile(db, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	defer f.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		row := fixture.InvoiceText(1, 512)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := f.Write(row); err != nil {
				t.Error(err)
				return
			}
			time.Sleep(100 * time.Microsecond)
		}
	})
	res, err := backup.Files(ctx, r, []string{src}, backup.WithWorkers(2))
	close(stop)
	wg.Wait()
	require.NoError(t, err)
	assert.Equal(t, []string{db}, res.Changed)
	assert.Equal(t, uint64(1), res.Snapshot.Stats.ChangedWhileRead)
	assert.Equal(t, uint64(tree.Files+1), res.Snapshot.Stats.Files)
	assert.Empty(t, res.Errors)
}
