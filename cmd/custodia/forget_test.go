package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
)

func TestForgetAndRetentionCLI(t *testing.T) {
	c, dir := fastRepo(t)
	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, filepath.Join(src, "a.txt"), []byte("one"), 0o644)
	c.ok("backup", "--tag", "invoice", src)
	writeFile(t, filepath.Join(src, "a.txt"), []byte("two"), 0o644)
	c.ok("backup", src)
	writeFile(t, filepath.Join(src, "a.txt"), []byte("three"), 0o644)
	c.ok("backup", src)
	snaps := c.snapshotsJSON()
	require.Len(t, snaps, 3)

	requireOneLineError(t, c.run("forget"), exitUsage, "--keep")
	requireOneLineError(t, c.run("forget", "--keep-within", "3x"), exitUsage, "keep-within")
	requireOneLineError(t, c.run("retention", "set", "--tag", "invoice"), exitUsage, "--min")
	requireOneLineError(t, c.run("retention", "set", "--tag", "a", "--table", "b", "--min", "1y"), exitUsage, "exactly one")
	requireOneLineError(t, c.run("retention", "remove", "--tag", "nope"), exitFailure, "no retention floor")

	res := c.ok("retention", "set", "--tag", "invoice", "--min", "10y")
	assert.Contains(t, res.stdout, "tag invoice: kept 10y")
	var floors []floorJSON
	decodeJSON(t, c.ok("retention", "list", "--json").stdout, &floors)
	require.Len(t, floors, 1)
	assert.Equal(t, "invoice", floors[0].Tag)
	assert.Equal(t, "10y", floors[0].Min)

	// Dry run: nothing goes, every decision has its reasons.
	var plan forgetJSON
	decodeJSON(t, c.ok("forget", "--keep-last", "1", "--dry-run", "--json").stdout, &plan)
	assert.True(t, plan.DryRun)
	require.Len(t, plan.Groups, 1)
	g := plan.Groups[0]
	require.Len(t, g.Keep, 2)
	assert.Equal(t, snaps[2].ID, g.Keep[0].ID)
	assert.Equal(t, []string{"last snapshot"}, g.Keep[0].Reasons)
	assert.Equal(t, snaps[0].ID, g.Keep[1].ID)
	assert.Equal(t, "tag invoice 10y", g.Keep[1].Floor)
	require.Len(t, g.Remove, 1)
	assert.Equal(t, snaps[1].ID, g.Remove[0].ID)
	assert.Empty(t, plan.Removed)
	require.Len(t, c.snapshotsJSON(), 3)

	res = c.ok("forget", "--keep-last", "1", "--dry-run")
	assert.Contains(t, res.stdout, "would remove  "+snaps[1].ShortID)
	assert.Contains(t, res.stdout, "retention floor: tag invoice kept 10y (held by the floor")

	res = c.ok("forget", "--keep-last", "1")
	assert.Contains(t, res.stdout, "removed 1 snapshots")
	left := c.snapshotsJSON()
	require.Len(t, left, 2)
	assert.Equal(t, snaps[0].ID, left[0].ID)
	assert.Equal(t, snaps[2].ID, left[1].ID)

	// Filters: another host's snapshots are not considered.
	decodeJSON(t, c.ok("forget", "--keep-last", "1", "--host", "no-such-host", "--json").stdout, &plan)
	assert.Empty(t, plan.Groups)

	// Shortening is allowed outside append-only mode, then append-only
	// refuses forget and floor changes with one line.
	c.ok("retention", "set", "--tag", "invoice", "--min", "1d")
	res = c.ok("retention", "append-only")
	assert.Contains(t, res.stdout, "append-only")
	requireOneLineError(t, c.run("forget", "--keep-last", "1"), exitFailure, "append-only")
	requireOneLineError(t, c.run("retention", "remove", "--tag", "invoice"), exitFailure, "append-only")
	requireOneLineError(t, c.run("retention", "set", "--tag", "invoice", "--min", "1h"), exitFailure, "append-only")
	requireOneLineError(t, c.run("prune"), exitFailure, "append-only")
	c.ok("retention", "set", "--tag", "invoice", "--min", "30y")
	_, err := os.Stat(dir)
	require.NoError(t, err)
}

// TestLifecycleAuditCLI: audit --json shows floor changes (weakenings
// marked), forget with the snapshots it removed, and prune.
func TestLifecycleAuditCLI(t *testing.T) {
	t.Parallel()
	c, _ := fastRepo(t)
	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, filepath.Join(src, "a.txt"), []byte("one"), 0o644)
	c.ok("backup", "--quiet", "--tag", "invoice", src)
	writeFile(t, filepath.Join(src, "a.txt"), []byte("two"), 0o644)
	c.ok("backup", "--quiet", src)
	snaps := c.snapshotsJSON()
	require.Len(t, snaps, 2)

	c.ok("retention", "set", "--tag", "invoice", "--min", "10y")
	c.ok("retention", "set", "--tag", "invoice", "--min", "1y")
	c.ok("retention", "remove", "--tag", "invoice")
	c.ok("forget", "--keep-last", "1", "--dry-run")
	c.ok("forget", "--keep-last", "1")
	c.ok("prune", "--dry-run")
	c.ok("prune", "--margin", "1h")

	var entries []repo.AuditEntry
	decodeJSON(t, c.ok("audit", "--json").stdout, &entries)
	var ops []string
	for _, e := range entries {
		ops = append(ops, e.Op)
	}
	require.Equal(t, []string{"init", "backup", "backup", "retention set", "retention set", "retention remove", "forget", "prune"}, ops)
	assert.Equal(t, map[string]string{"subject": "tag invoice", "min": "10y", "weakened": "false"}, entries[3].Args)
	assert.Equal(t, map[string]string{"subject": "tag invoice", "min": "1y", "was": "10y", "weakened": "true"}, entries[4].Args)
	assert.Equal(t, map[string]string{"subject": "tag invoice", "was": "1y", "weakened": "true"}, entries[5].Args)
	assert.Equal(t, map[string]string{"removed": "1", "snapshots": snaps[0].ID}, entries[6].Args)
	assert.Contains(t, entries[7].Args, "packs_deleted")
	for _, e := range entries {
		assert.Equal(t, "ok", e.Outcome, e.Op)
	}
	assert.Contains(t, c.ok("audit").stdout, "weakened=true")
}
