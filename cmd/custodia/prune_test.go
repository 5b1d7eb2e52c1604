package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/tablegen"
	"github.com/custodia-backup/custodia/repo"
)

func TestForgetPruneCLI(t *testing.T) {
	t.Parallel()
	c, _ := fastRepo(t, repo.WithPackSize(1<<20))
	first := sourceTree(t, 1)
	c.ok("backup", first)
	// The second backup's big file is new data that forget leaves unused.
	require.NoError(t, os.Remove(filepath.Join(first, "attachments", "contract.bin")))
	writeFile(t, filepath.Join(first, "attachments", "contract.bin"), blobData(99, 2<<20), 0o644)
	c.ok("backup", first)
	snaps := c.snapshotsJSON()
	require.Len(t, snaps, 2)

	requireOneLineError(t, c.run("prune", "--max-unused", "0"), exitUsage, "--max-unused")
	requireOneLineError(t, c.run("forget", "--keep-last", "1", "--prune", "--json"), exitUsage, "--prune")

	var rep repo.PruneReport
	decodeJSON(t, c.ok("prune", "--dry-run", "--json").stdout, &rep)
	assert.True(t, rep.DryRun)
	assert.Zero(t, rep.PacksMarkedUnused+rep.PacksRepacked, "nothing is unused yet")

	// forget --prune marks the first snapshot's own data...
	res := c.ok("forget", "--keep-last", "1", "--prune", "--margin", "300ms")
	assert.Contains(t, res.stdout, "removed 1 snapshots")
	assert.Contains(t, res.stdout, "marked data is deleted by a prune run after")
	time.Sleep(300 * time.Millisecond)
	// ...and a later prune deletes it.
	decodeJSON(t, c.ok("prune", "--margin", "300ms", "--json", "--max-memory", "1").stdout, &rep)
	assert.Equal(t, 1, rep.MarkersSwept)
	assert.Positive(t, rep.PacksDeleted)
	assert.Positive(t, rep.BytesFreed)

	c.ok("verify", "--read-data")
	out := filepath.Join(t.TempDir(), "restore")
	c.ok("restore", "latest", "--target", out)
	requireSameTree(t, first, filepath.Join(out, filepath.Base(first)))
}

// blobData returns n pseudo-random bytes from seed.
func blobData(seed uint64, n int) []byte {
	b := make([]byte, n)
	x := seed*0x9e3779b97f4a7c15 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

// A snapshot write cut short (3 of 6 shards) is informational for verify
// (exit 0) and removed by prune one margin later.
func TestVerifyAndPruneIncompleteWrite(t *testing.T) {
	t.Parallel()
	c, dir := fastRepo(t)
	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, filepath.Join(src, "a"), []byte("a"), 0o644)
	c.ok("backup", src)
	c.ok("backup", src)
	snaps := c.snapshotsJSON()
	name := "snapshots/" + snaps[1].ID
	for i := range 3 {
		require.NoError(t, os.Remove(filepath.Join(dir, name+"."+string(rune('0'+i)))))
	}
	res := c.run("verify", "--read-data")
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stdout, "incomplete write or delete, not referenced: "+name)
	var v verifyJSON
	decodeJSON(t, c.run("verify", "--json").stdout, &v)
	assert.True(t, v.OK)
	assert.Equal(t, []string{name}, v.Incomplete)

	c.ok("prune", "--margin", "200ms")
	time.Sleep(200 * time.Millisecond)
	var rep repo.PruneReport
	decodeJSON(t, c.ok("prune", "--margin", "200ms", "--json").stdout, &rep)
	assert.Equal(t, 1, rep.IncompleteDeleted)
	decodeJSON(t, c.ok("verify", "--json").stdout, &v)
	assert.Empty(t, v.Incomplete)
}

// Table snapshots are grouped by table, and prune keeps every blob a kept
// table snapshot needs (its tree reaches them all).
func TestForgetPruneTables(t *testing.T) {
	t.Parallel()
	c, _ := fastRepo(t)
	g := tablegen.Gen{Seed: 5}
	for v := range 4 {
		args := []string{"backup", "--table", "customers", "--key", "id"}
		if v == 2 {
			args = append(args, "--full")
		}
		c.ok(append(args, writeTableFile(t, "customers.csv", g.CSV(300, v+1)))...)
	}
	c.ok("backup", "--table", "invoices", "--key", "id", writeTableFile(t, "invoices.csv", g.CSV(50, 9)))
	var plan forgetJSON
	decodeJSON(t, c.ok("forget", "--keep-last", "1", "--table", "customers", "--json").stdout, &plan)
	require.Len(t, plan.Groups, 1)
	assert.Equal(t, "customers", plan.Groups[0].Group.Table)
	assert.Len(t, plan.Removed, 3)
	c.ok("prune", "--margin", "200ms")
	time.Sleep(200 * time.Millisecond)
	var rep repo.PruneReport
	decodeJSON(t, c.ok("prune", "--margin", "200ms", "--json").stdout, &rep)
	assert.Equal(t, 2, rep.Snapshots)
	assert.Positive(t, rep.PacksDeleted+rep.PacksRescued+rep.PacksRepacked)
	c.ok("verify", "--read-data")
	out := filepath.Join(t.TempDir(), "out.csv")
	res := c.run("restore", "latest", "--table", "customers", "--format", "csv", "--output", out)
	require.Equal(t, exitOK, res.code, res.stderr)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Positive(t, len(got))
}

// TestPruneRemovesTemporariesCLI: prune --json counts the stale
// temporary files it removed.
func TestPruneRemovesTemporariesCLI(t *testing.T) {
	t.Parallel()
	c, dir := fastRepo(t)
	src := sourceTree(t, 1)
	c.ok("backup", "--quiet", src)
	stale := filepath.Join(dir, "snapshots", strings.Repeat("ab", 32)+".2.7.tmp")
	require.NoError(t, os.WriteFile(stale, []byte("cut short"), 0o600))
	old := time.Now().Add(-48 * time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))
	var rep repo.PruneReport
	decodeJSON(t, c.ok("prune", "--json", "--margin", "24h").stdout, &rep)
	assert.Equal(t, 1, rep.TemporariesRemoved)
	assert.NoFileExists(t, stale)
	assert.Contains(t, c.ok("prune", "--dry-run").stdout, "would mark")
	c.ok("verify", "--read-data")
}
