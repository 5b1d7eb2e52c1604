package drill_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/drill"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/table"
)

func customersCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("id,name,city\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,Customer %d,City %d\n", i+1, i+1, i%17)
	}
	return b.Bytes()
}

func TestDrillFilesAndTables(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, t.TempDir())
	src, tree := fixture.SourceTree(t, "src", 7)
	res, err := backup.Files(ctx, r, []string{src}, backup.WithTags("daily"))
	require.NoError(t, err)
	_, err = backup.Table(ctx, r, "customers", []string{"id"}, classify.Read(bytes.NewReader(customersCSV(500)), classify.CSV))
	require.NoError(t, err)

	var order []string
	rep, err := drill.Run(ctx, r, drill.WithTable("customers"), drill.WithFiles(), drill.WithSample(20),
		drill.WithRTO(time.Hour), drill.WithSeed(1), drill.OnItem(func(it drill.Item) { order = append(order, it.Kind) }))
	require.NoError(t, err)
	assert.Equal(t, "passed", rep.Verdict(), "%+v", rep.Items)
	assert.True(t, rep.WithinRTO)
	assert.Equal(t, []string{drill.KindTable, drill.KindFiles}, order, "tables before files at equal priority")
	require.Len(t, rep.Items, 2)

	tab := rep.Items[0]
	assert.Equal(t, "customers", tab.Name)
	assert.EqualValues(t, 500, tab.Records)
	require.Len(t, tab.Checks, 3, "read, count, sample")
	assert.Contains(t, tab.Checks[2].Name, "20 sampled records")

	files := rep.Items[1]
	assert.Equal(t, res.Snapshot.ID.String(), files.Snapshot)
	assert.Equal(t, uint64(tree.Files), files.Files)
	for _, c := range files.Checks {
		assert.True(t, c.Passed, c.Name, c.Detail)
	}
	assert.LessOrEqual(t, files.Available, rep.Duration)
	assert.Positive(t, rep.Throughput)
	assert.NotEmpty(t, rep.ID)
	assert.Empty(t, rep.History)

	// A second drill sees the first in its history; restoring only some
	// files checks them against what the restore wrote.
	rep2, err := drill.Run(ctx, r, drill.WithPaths("*/a*"))
	require.NoError(t, err)
	assert.True(t, rep2.Passed, "%+v", rep2.Items)
	require.Len(t, rep2.History, 1)
	assert.Equal(t, rep.ID, rep2.History[0].ID.String())
	assert.Less(t, rep2.Items[0].Files, uint64(tree.Files))

	// Nothing is left behind in the scratch folder.
	scratch := t.TempDir()
	_, err = drill.Run(ctx, r, drill.WithScratch(scratch), drill.WithoutRecord())
	require.NoError(t, err)
	left, err := os.ReadDir(scratch)
	require.NoError(t, err)
	assert.Empty(t, left)
	hist, _, err := r.Drills(ctx)
	require.NoError(t, err)
	assert.Len(t, hist, 2, "WithoutRecord records nothing")
}

func TestDrillSlowerThanRTO(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	_, err := backup.Stream(ctx, r, "ledger.sql", strings.NewReader(strings.Repeat("ledger line\n", 1000)))
	require.NoError(t, err)
	rep, err := drill.Run(ctx, r, drill.WithRTO(time.Nanosecond))
	require.NoError(t, err)
	assert.True(t, rep.Passed)
	assert.False(t, rep.WithinRTO)
	assert.Equal(t, "slow", rep.Verdict())
	assert.EqualValues(t, 12000, rep.Bytes)
}

func TestDrillDamagedPack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, _ := fixture.NewRepo(t, dir)
	_, err := backup.Stream(ctx, r, "invoices.xml", bytes.NewReader(fixture.RandomBytes(3, 300<<10)))
	require.NoError(t, err)
	// Damage every shard of every pack: more than the parity can mend.
	n := 0
	require.NoError(t, filepath.WalkDir(filepath.Join(dir, "packs"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b[len(b)-10] ^= 0xff
		n++
		return os.WriteFile(p, b, 0o600)
	}))
	require.Positive(t, n)
	rep, err := drill.Run(ctx, r)
	require.NoError(t, err)
	assert.Equal(t, "failed", rep.Verdict())
	assert.Equal(t, []string{"files invoices.xml"}, rep.Failed())
	assert.False(t, rep.Items[0].Checks[0].Passed)
	assert.NotEmpty(t, rep.Items[0].Checks[0].Detail)

	hist, _, err := r.Drills(ctx)
	require.NoError(t, err)
	require.Len(t, hist, 1)
	assert.False(t, hist[0].Passed)
	assert.Equal(t, []string{"files invoices.xml"}, hist[0].Failed)
}

func TestDrillBadInput(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	_, err := drill.Run(ctx, r)
	assert.ErrorIs(t, err, drill.ErrNothingToDrill)
	_, err = drill.Run(ctx, r, drill.WithTable("nope"))
	assert.ErrorIs(t, err, table.ErrNoTable)
	_, err = drill.Run(ctx, r, drill.WithSample(-1))
	assert.Error(t, err)
	_, err = backup.Stream(ctx, r, "x", strings.NewReader("x"))
	require.NoError(t, err)
	_, err = drill.Run(ctx, r, drill.WithSnapshot("ffffffff"))
	assert.ErrorIs(t, err, repo.ErrSnapshotNotFound)
}

func TestReportRenderings(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	_, err := backup.Table(ctx, r, "invoices", []string{"id"}, classify.Read(bytes.NewReader(customersCSV(50)), classify.CSV))
	require.NoError(t, err)
	for range 3 {
		_, err = drill.Run(ctx, r, drill.WithTable("invoices"), drill.WithRTO(time.Minute))
		require.NoError(t, err)
	}
	rep, err := drill.Run(ctx, r, drill.WithTable("invoices"), drill.WithRTO(time.Minute))
	require.NoError(t, err)
	require.Len(t, rep.History, 3)

	var html, md, js bytes.Buffer
	require.NoError(t, rep.WriteHTML(&html))
	require.NoError(t, rep.WriteMarkdown(&md))
	require.NoError(t, rep.WriteJSON(&js))
	assert.Contains(t, html.String(), `<span class="verdict passed">passed</span>`)
	assert.Equal(t, 4, strings.Count(html.String(), `<rect class="bar ok"`), "three earlier drills and this one")
	assert.Contains(t, html.String(), "RTO 1m0s (far above)")
	assert.Contains(t, md.String(), "| 1 | table invoices |")
	assert.Contains(t, md.String(), "## Earlier drills")
	assert.Contains(t, js.String(), `"within_rto": true`)
}

func TestDrillPriorityOrder(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	_, err := backup.Stream(ctx, r, "ledger.sql", strings.NewReader("ledger"), backup.WithPriority(1))
	require.NoError(t, err)
	_, err = backup.Table(ctx, r, "crm_notes", []string{"id"}, classify.Read(bytes.NewReader(customersCSV(10)), classify.CSV), backup.WithTablePriority(5))
	require.NoError(t, err)
	_, err = backup.Table(ctx, r, "invoices", []string{"id"}, classify.Read(bytes.NewReader(customersCSV(10)), classify.CSV))
	require.NoError(t, err)
	rep, err := drill.Run(ctx, r, drill.WithTable("crm_notes"), drill.WithTable("invoices"), drill.WithFiles())
	require.NoError(t, err)
	var got []string
	for _, it := range rep.Items {
		got = append(got, fmt.Sprintf("%d %s", it.Priority, it.Name))
	}
	assert.Equal(t, []string{"1 ledger.sql", "3 invoices", "5 crm_notes"}, got, "critical first")
}
