package backup_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/tablegen"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/table"
)

// records reads a CSV into records.
func records(t *testing.T, data []byte) []classify.Record {
	t.Helper()
	var out []classify.Record
	for rec, err := range classify.Read(bytes.NewReader(data), classify.CSV) {
		require.NoError(t, err)
		out = append(out, rec)
	}
	return out
}

func seqOf(recs []classify.Record) func(func(classify.Record, error) bool) {
	return func(yield func(classify.Record, error) bool) {
		for _, rec := range recs {
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// A full snapshot is the same whatever the order of its records: written
// as they come when they come in key order, through the sort when they
// do not from the start, and from the pages written so far merged with
// the sorted rest when they stop being in order late.
func TestTableFullAnyOrder(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	sorted := records(t, tablegen.Gen{Seed: 8}.CSV(4000, 1)) // ids 1..4000: key order
	shuffled := append([]classify.Record(nil), sorted...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	late := append([]classify.Record(nil), sorted...)
	late[3000], late[3990] = late[3990], late[3000] // in order up to record 3001 (of 3990's key)
	early := append([]classify.Record(nil), sorted...)
	early[0], early[1] = early[1], early[0]

	var first *repo.Snapshot
	for _, c := range []struct {
		name string
		recs []classify.Record
	}{{"sorted", sorted}, {"shuffled", shuffled}, {"out of order late", late}, {"out of order at once", early}, {"sorted again", sorted}} {
		s, err := backup.Table(ctx, r, "customers", custKey, seqOf(c.recs), backup.WithFull(), backup.WithSampleSize(100))
		require.NoError(t, err, c.name)
		assert.EqualValues(t, len(sorted), s.Table.Records, c.name)
		got := readAll(t, restore.Table(ctx, r, s))
		require.Len(t, got, len(sorted), c.name)
		for i := range got {
			id, _ := got[i].Get("id")
			require.Equal(t, fmt.Sprint(i+1), id.Value, "%s: key order", c.name)
		}
		if first == nil {
			first = s
			continue
		}
		// The same pages: the same index, and nothing new stored but the
		// snapshot's tree.
		assert.Equal(t, first.Table.Index, s.Table.Index, c.name)
		assert.Equal(t, first.Tree, s.Tree, c.name)
	}
}

// A duplicate key fails the backup whether it comes within the records in
// order, or after they stopped being in order, of a key written before.
func TestTableFullDuplicateWhileStreaming(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	recs := records(t, tablegen.Gen{Seed: 9}.CSV(3000, 1))
	for name, dup := range map[string][]classify.Record{
		"adjacent":        append(append(append([]classify.Record(nil), recs[:2000]...), recs[1999]), recs[2000:]...),
		"after the order": append(append(append([]classify.Record(nil), recs...), recs[2999]), recs[10]),
		"in the prefix":   append(append(append([]classify.Record(nil), recs...), recs[5]), recs[10]),
	} {
		_, err := backup.Table(ctx, r, "customers", custKey, seqOf(dup), backup.WithSampleSize(100))
		assert.ErrorIs(t, err, table.ErrDuplicateKey, name)
	}
	snaps, err := table.Snapshots(ctx, r, "customers")
	require.NoError(t, err)
	assert.Empty(t, snaps, "no snapshot of a failed backup")
}
