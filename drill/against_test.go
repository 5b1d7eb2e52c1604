package drill_test

import (
	"bytes"
	"context"
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
)

// ledgerTree writes a folder of n files of different sizes and returns it.
func ledgerTree(t *testing.T, n int) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "ledger")
	require.NoError(t, os.MkdirAll(filepath.Join(src, "2026"), 0o755))
	for i := range n {
		name := filepath.Join(src, "2026", "f"+string(rune('a'+i))+".csv")
		require.NoError(t, os.WriteFile(name, fixture.RandomBytes(uint64(i), 100+i*3000), 0o644))
	}
	return src
}

func TestDrillAgainstFiles(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	src := ledgerTree(t, 6)
	_, err := backup.Files(ctx, r, []string{src})
	require.NoError(t, err)

	// Unchanged: every sampled file equals the live one.
	rep, err := drill.Run(ctx, r, drill.WithAgainstFiles(src), drill.WithSample(100), drill.WithoutRecord())
	require.NoError(t, err)
	require.True(t, rep.Passed, "%+v", rep.Items)
	it := rep.Items[0]
	require.NotNil(t, it.Against)
	assert.Equal(t, 6, it.Against.Sampled)
	assert.Equal(t, 6, it.Against.Same)
	assert.Empty(t, it.Against.Changed)
	assert.Equal(t, "the live source equals the snapshot in all 6 sampled files and records", rep.SourceVerdict)
	assert.Contains(t, it.Checks[len(it.Checks)-1].Name, "6 sampled files re-hashed on disk")
	assert.True(t, it.Checks[len(it.Checks)-1].Passed)

	// The source moves on: one file edited, one removed, one changed in
	// place with its size and time kept. The drill still passes (the
	// restored data is what was stored) and names each change.
	edited := filepath.Join(src, "2026", "fa.csv")
	require.NoError(t, os.WriteFile(edited, []byte("changed after the backup\n"), 0o644))
	require.NoError(t, os.Remove(filepath.Join(src, "2026", "fb.csv")))
	inPlace := filepath.Join(src, "2026", "fc.csv")
	fi, err := os.Stat(inPlace)
	require.NoError(t, err)
	b, err := os.ReadFile(inPlace)
	require.NoError(t, err)
	b[10] ^= 0xff
	require.NoError(t, os.WriteFile(inPlace, b, 0o644))
	require.NoError(t, os.Chtimes(inPlace, fi.ModTime(), fi.ModTime()))

	rep, err = drill.Run(ctx, r, drill.WithAgainstFiles(src), drill.WithSample(100))
	require.NoError(t, err)
	assert.True(t, rep.Passed, "a changed source is not a failed drill: %+v", rep.Items)
	it = rep.Items[0]
	assert.Equal(t, 6, it.Against.Sampled)
	assert.Equal(t, 3, it.Against.Same)
	assert.Equal(t, []drill.Change{
		{Name: "ledger/2026/fa.csv", What: drill.ChangeModified},
		{Name: "ledger/2026/fb.csv", What: drill.ChangeRemoved},
		{Name: "ledger/2026/fc.csv", What: drill.ChangeInPlace},
	}, it.Against.Changed)
	assert.Contains(t, rep.SourceVerdict, "3 of 6 sampled files and records differ")
	assert.Contains(t, rep.SourceVerdict, "1 of them with the snapshot's size and modification time")
	assert.Contains(t, rep.SourceVerdict, "the restored data is what the repository stored")

	var md, html bytes.Buffer
	require.NoError(t, rep.WriteMarkdown(&md))
	require.NoError(t, rep.WriteHTML(&html))
	assert.Contains(t, md.String(), "## Compared with the live source")
	assert.Contains(t, md.String(), "  - ledger/2026/fb.csv: "+drill.ChangeRemoved)
	assert.Contains(t, html.String(), "<code>ledger/2026/fc.csv</code>")

	// A sample smaller than the folder compares that many files.
	rep, err = drill.Run(ctx, r, drill.WithAgainstFiles(src), drill.WithSample(2), drill.WithoutRecord())
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Items[0].Against.Sampled)
}

func TestDrillAgainstTable(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	_, err := backup.Table(ctx, r, "customers", []string{"id"}, classify.Read(bytes.NewReader(customersCSV(50)), classify.CSV))
	require.NoError(t, err)

	same := classify.Read(bytes.NewReader(customersCSV(50)), classify.CSV)
	rep, err := drill.Run(ctx, r, drill.WithTable("customers"), drill.WithAgainstTable("customers", same), drill.WithSample(100), drill.WithoutRecord())
	require.NoError(t, err)
	require.True(t, rep.Passed, "%+v", rep.Items)
	require.NotNil(t, rep.Items[0].Against)
	assert.Equal(t, 50, rep.Items[0].Against.Sampled)
	assert.Equal(t, 50, rep.Items[0].Against.Same)

	// The live table gained a record and changed one.
	live := strings.Replace(string(customersCSV(51)), "7,Customer 7,", "7,Customer Seven,", 1)
	rep, err = drill.Run(ctx, r, drill.WithTable("customers"), drill.WithAgainstTable("customers", classify.Read(strings.NewReader(live), classify.CSV)),
		drill.WithSample(100), drill.WithoutRecord())
	require.NoError(t, err)
	assert.True(t, rep.Passed)
	assert.ElementsMatch(t, []drill.Change{{Name: "7", What: drill.ChangeRecord}, {Name: "51", What: drill.ChangeAdded}}, rep.Items[0].Against.Changed)
	assert.Contains(t, rep.SourceVerdict, "2 of 51 sampled files and records differ")

	// A live source that cannot be read fails the item: the comparison
	// asked for did not run.
	broken := classify.Read(strings.NewReader("id,name\n1,a,b,c\n"), classify.CSV)
	rep, err = drill.Run(ctx, r, drill.WithTable("customers"), drill.WithAgainstTable("customers", broken), drill.WithoutRecord())
	require.NoError(t, err)
	assert.False(t, rep.Passed)
	assert.Equal(t, []string{"table customers"}, rep.Failed())

	// A live source for an item the drill does not restore is refused.
	_, err = drill.Run(ctx, r, drill.WithTable("customers"), drill.WithAgainstTable("orders", same))
	assert.ErrorContains(t, err, "table orders")
	_, err = drill.Run(ctx, r, drill.WithTable("customers"), drill.WithAgainstFiles(t.TempDir()))
	assert.ErrorContains(t, err, "restores no files")
}

func TestDrillAuditEntry(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	_, err := backup.Stream(ctx, r, "ledger.sql", strings.NewReader("ledger"))
	require.NoError(t, err)
	rep, err := drill.Run(ctx, r, drill.WithRTO(time.Hour))
	require.NoError(t, err)
	slow, err := drill.Run(ctx, r, drill.WithRTO(time.Nanosecond))
	require.NoError(t, err)
	_, err = drill.Run(ctx, r, drill.WithoutRecord())
	require.NoError(t, err)

	var drills []repo.AuditEntry
	entries, err := r.Audit(ctx, time.Time{})
	require.NoError(t, err)
	for _, e := range entries {
		if e.Op == drill.AuditOp {
			drills = append(drills, e)
		}
	}
	require.Len(t, drills, 2, "WithoutRecord leaves no entry")
	assert.Equal(t, "ok", drills[0].Outcome)
	assert.Equal(t, rep.ID, drills[0].Args["drill"])
	assert.Equal(t, "passed", drills[0].Args["verdict"])
	assert.Equal(t, "met", drills[0].Args["rto_verdict"])
	assert.Equal(t, "1h0m0s", drills[0].Args["rto"])
	assert.Contains(t, drills[0].Args["items"], "files ledger.sql @")
	assert.Equal(t, slow.ID, drills[1].Args["drill"])
	assert.Equal(t, "missed", drills[1].Args["rto_verdict"])
	assert.True(t, strings.HasPrefix(drills[1].Outcome, "failed: slower than the RTO"), drills[1].Outcome)
}
