package drill

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/restore"
)

// A restore that wrote other bytes than the repository stored fails the
// check, which names the files, whatever the live source holds.
func TestCompareFilesRestoredDiffersFromStored(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	src := filepath.Join(t.TempDir(), "invoices")
	require.NoError(t, os.MkdirAll(src, 0o755))
	for i, name := range []string{"a.xml", "b.pdf", "c.xml"} {
		require.NoError(t, os.WriteFile(filepath.Join(src, name), fixture.RandomBytes(uint64(i), 5000+i*70000), 0o644))
	}
	res, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)
	target := filepath.Join(t.TempDir(), "restore")
	_, err = restore.Snapshot(ctx, r, res.Snapshot, target)
	require.NoError(t, err)
	o := &options{againstFiles: src, sample: 10, seed: 1}

	check, cmp := compareFiles(ctx, r, res.Snapshot, target, o)
	require.True(t, check.Passed, check.Detail)
	assert.Equal(t, 3, cmp.Same)

	// One restored file flipped (same size), one cut short.
	flipped := filepath.Join(target, "invoices", "b.pdf")
	b, err := os.ReadFile(flipped)
	require.NoError(t, err)
	b[len(b)/2] ^= 1
	require.NoError(t, os.WriteFile(flipped, b, 0o644))
	require.NoError(t, os.Truncate(filepath.Join(target, "invoices", "c.xml"), 100))

	check, cmp = compareFiles(ctx, r, res.Snapshot, target, o)
	assert.False(t, check.Passed)
	assert.Contains(t, check.Detail, "invoices/b.pdf: restored bytes differ from the stored content")
	assert.Contains(t, check.Detail, "invoices/c.xml: restored 100 bytes, the snapshot holds 145000")
	assert.Equal(t, 1, cmp.Sampled, "only the file restored right is compared with the source")
	assert.Equal(t, 1, cmp.Same)
}
