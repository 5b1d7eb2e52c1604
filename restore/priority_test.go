package restore_test

import (
	"bytes"
	"context"
	"errors"
	"iter"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
)

// All restores the critical items first, whatever order they are given
// in, and reports each as it becomes available, with what it restored.
func TestAllRestoresByPriority(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	src, _ := fixture.SourceTree(t, "ledger", 1)

	files, err := backup.Files(ctx, r, []string{src}) // no priority: 3
	require.NoError(t, err)
	dump := fixture.InvoiceText(7, 50_000)
	stream, err := backup.Stream(ctx, r, "dump.sql", bytes.NewReader(dump), backup.WithPriority(5))
	require.NoError(t, err)
	invoices, err := backup.Table(ctx, r, "invoices", []string{"id"},
		classify.Read(strings.NewReader("id,amount\n1,10.00\n2,20.00\n3,30.00\n"), classify.CSV), backup.WithTablePriority(1))
	require.NoError(t, err)
	assert.Equal(t, 1, invoices.Priority)
	assert.Equal(t, 5, stream.Snapshot.Priority)
	assert.Equal(t, repo.DefaultPriority, files.Snapshot.RecoveryPriority())

	target := t.TempDir() + "/files"
	var out bytes.Buffer
	var ids []string
	items := []restore.Item{
		{Snapshot: stream.Snapshot, Stream: &out},
		{Snapshot: files.Snapshot, Target: target},
		{Snapshot: invoices, Records: func(recs iter.Seq2[classify.Record, error]) error {
			for rec, err := range recs {
				if err != nil {
					return err
				}
				ids = append(ids, rec[0].Value)
			}
			return nil
		}},
	}
	assert.Equal(t, []int{2, 1, 0}, restore.PriorityOrder(items))

	var got []*restore.Available
	for a, err := range restore.All(ctx, r, items) {
		require.NoError(t, err)
		got = append(got, a)
	}
	require.Len(t, got, 3)
	assert.Equal(t, []int{2, 1, 0}, []int{got[0].Index, got[1].Index, got[2].Index})
	assert.Equal(t, []int{1, 3, 5}, []int{got[0].Priority, got[1].Priority, got[2].Priority})
	assert.Equal(t, uint64(3), got[0].Records)
	assert.Equal(t, []string{"1", "2", "3"}, ids)
	assert.Equal(t, files.Snapshot.Stats.Files, got[1].Files)
	assert.Equal(t, uint64(len(dump)), got[2].Bytes)
	assert.Equal(t, dump, out.Bytes())
	fixture.RequireSameTree(t, src, target+"/ledger")
	for i := 1; i < len(got); i++ {
		assert.False(t, got[i].At.Before(got[i-1].At), "available in order")
		assert.GreaterOrEqual(t, got[i].After, got[i-1].After)
	}

	// An override puts the stream first; a table without a record
	// consumer fails alone, and the others are still restored.
	items[0].Priority = 1
	items[0].Stream = &bytes.Buffer{}
	items[1].Target = t.TempDir()
	items[2].Records = nil
	var order []int
	var errs []error
	for a, err := range restore.All(ctx, r, items) {
		order = append(order, a.Index)
		errs = append(errs, err)
	}
	assert.Equal(t, []int{0, 2, 1}, order)
	assert.NoError(t, errs[0])
	assert.True(t, errors.Is(errs[1], restore.ErrNoDestination))
	assert.NoError(t, errs[2])
}

func TestBadPriorityFailsBeforeReading(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	_, err := backup.Stream(ctx, r, "x", strings.NewReader("x"), backup.WithPriority(6))
	require.ErrorIs(t, err, repo.ErrPriority)
	_, err = backup.Files(ctx, r, []string{t.TempDir()}, backup.WithPriority(-1))
	require.ErrorIs(t, err, repo.ErrPriority)
	_, err = backup.Table(ctx, r, "t", []string{"id"}, classify.Read(strings.NewReader("id\n1\n"), classify.CSV), backup.WithTablePriority(9))
	require.ErrorIs(t, err, repo.ErrPriority)
	n := 0
	for _, err := range r.Snapshots(ctx) {
		require.NoError(t, err)
		n++
	}
	assert.Zero(t, n, "no snapshot saved")
}
