package backup_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/tablegen"
)

// The last progress report of a table backup counts every record read and
// the bytes the snapshot says it read.
func TestTableProgressLastReport(t *testing.T) {
	r, _ := fixture.NewRepo(t, "")
	data := tablegen.Gen{Seed: 4}.CSV(500, 1)
	var reports []backup.TableProgress
	s, err := backup.Table(context.Background(), r, "customers", []string{"id"}, classify.Read(bytes.NewReader(data), classify.CSV),
		backup.WithTableProgress(func(p backup.TableProgress) { reports = append(reports, p) }, time.Hour))
	require.NoError(t, err)
	require.Len(t, reports, 1, "an hour's interval: only the last report")
	last := reports[0]
	assert.True(t, last.Done)
	assert.EqualValues(t, 500, last.Records)
	assert.Equal(t, s.Stats.Bytes, last.Bytes)
	assert.Equal(t, s.Stats.BytesAdded, last.Added)
	assert.Positive(t, last.Elapsed)
}
