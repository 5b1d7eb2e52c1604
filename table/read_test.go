package table_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/tablegen"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/table"
)

// TestOneRecordReadsFewObjects checks the bound of FORMAT.md 25.8: a record
// is found from at most three blobs (one delta page, one index page, one
// record page) besides the snapshot, whichever layer holds it.
func TestOneRecordReadsFewObjects(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	g := tablegen.Gen{Seed: 7}
	n := 60000
	var snaps []*repo.Snapshot
	for v := 1; v <= 2; v++ {
		s, err := backup.Table(ctx, r, "customers", []string{"id"}, classify.Read(bytes.NewReader(g.CSV(n, v)), classify.CSV))
		require.NoError(t, err)
		snaps = append(snaps, s)
	}
	last := snaps[1]
	require.NotEmpty(t, last.Table.Delta)
	require.Greater(t, len(last.Table.Index), 1, "a table large enough for several index pages")
	all, err := table.NewReader(r, last)
	require.NoError(t, err)
	var keys [][]byte
	for e, err := range all.All(ctx) {
		require.NoError(t, err)
		keys = append(keys, bytes.Clone(e.Key))
	}
	require.EqualValues(t, last.Table.Records, len(keys))
	worst := 0
	for i := 0; i < len(keys); i += 97 {
		rd, err := table.NewReader(r, last)
		require.NoError(t, err)
		_, ok, err := rd.Get(ctx, keys[i])
		require.NoError(t, err)
		require.True(t, ok)
		worst = max(worst, rd.Loads())
	}
	assert.LessOrEqual(t, worst, 3, "blobs read for one record, besides the snapshot object")
	// A key that is not there costs no more.
	rd, _ := table.NewReader(r, last)
	missing, _ := table.KeyOf("999999999")
	_, ok, err := rd.Get(ctx, missing)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.LessOrEqual(t, rd.Loads(), 3)
}
