package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// threeSites initialises a 4+2 repository over three local sites given
// with repeated --repo flags, backs up a tree and returns the runner (with
// no CUSTODIA_REPOSITORY), the flags, the site folders and the source.
func threeSites(t *testing.T, seed uint64) (*tcli, []string, []string, string) {
	t.Helper()
	base := t.TempDir()
	sites := []string{filepath.Join(base, "office"), filepath.Join(base, "city"), filepath.Join(base, "cloud")}
	flags := []string{"--repo", sites[0], "--repo", sites[1], "--repo", sites[2]}
	c := newCLI(t)
	c.ok(append([]string{"init"}, flags...)...)
	src := sourceTree(t, seed)
	c.ok(append([]string{"backup"}, append(flags, src)...)...)
	return c, flags, sites, src
}

// TestMultipleSites spreads a repository over three sites, two shards of
// every object on each, and restores after one site's contents are lost.
func TestMultipleSites(t *testing.T) {
	t.Parallel()
	c, flags, sites, src := threeSites(t, 21)

	// Shard i of every object lives on site i mod 3.
	objects := shardFiles(t, "", sites...)
	require.NotEmpty(t, objects)
	for _, name := range sortedKeys(objects) {
		shards := objects[name]
		require.Len(t, shards, 6, name)
		for _, s := range shards {
			rel, err := filepath.Rel(sites[s.index%3], s.path)
			require.NoError(t, err)
			assert.True(t, filepath.IsLocal(rel), "shard %d of %s is at %s, not on site %d", s.index, name, s.path, s.index%3)
		}
	}

	// The same repository named by CUSTODIA_REPOSITORY, comma-separated.
	env := c.with("CUSTODIA_REPOSITORY", sites[0]+","+sites[1]+", "+sites[2])
	require.Len(t, env.snapshotsJSON(), 1)

	// Lose everything on the middle site.
	entries, err := os.ReadDir(sites[1])
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	for _, e := range entries {
		require.NoError(t, os.RemoveAll(filepath.Join(sites[1], e.Name())))
	}

	out := filepath.Join(t.TempDir(), "out")
	env.ok("restore", "latest", "--target", out)
	requireSameTree(t, src, filepath.Join(out, filepath.Base(src)))

	res := env.run("verify")
	requireDamageExit(t, res, exitDamage, "still readable")
	res = c.run(append([]string{"verify", "--repair"}, flags...)...)
	requireDamageExit(t, res, exitDamage, "repaired")
	res = c.ok(append([]string{"verify", "--read-data"}, flags...)...)
	assert.Contains(t, res.stdout, "no problems found")
	// (restore and verify appended audit entries meanwhile: more objects)
	again := shardFiles(t, "", sites[1])
	for name := range objects {
		assert.Contains(t, again, name, "the lost site holds its shards again")
	}
}

// TestMultipleSitesOneMissing removes one site's folder altogether, as
// when a mount or a cloud bucket is gone: with 4+2 over three sites the
// data is still readable from the other two.
func TestMultipleSitesOneMissing(t *testing.T) {
	t.Parallel()
	_, flags, sites, src := threeSites(t, 22)
	require.NoError(t, os.RemoveAll(sites[2]))
	c := newCLI(t)

	out := filepath.Join(t.TempDir(), "out")
	res := c.run(append([]string{"restore", "latest", "--target", out}, flags...)...)
	require.Equal(t, exitOK, res.code, "restore with one of three sites missing: %s", res.stderr)
	requireSameTree(t, src, filepath.Join(out, filepath.Base(src)))
	res = c.run(append([]string{"verify"}, flags...)...)
	assert.Equal(t, exitDamage, res.code, "verify with one of three sites missing: %s\n%s", res.stderr, res.stdout)
}

// TestMultipleSitesBackupAfterLoss backs up while one site is empty: the
// new snapshot is written and restorable.
func TestMultipleSitesBackupAfterLoss(t *testing.T) {
	t.Parallel()
	c, flags, sites, src := threeSites(t, 23)
	entries, err := os.ReadDir(sites[0])
	require.NoError(t, err)
	for _, e := range entries {
		require.NoError(t, os.RemoveAll(filepath.Join(sites[0], e.Name())))
	}
	writeFile(t, filepath.Join(src, "invoices", "2026", "INV-2026-0001.json"), []byte(`{"total": 1.00}`), 0o644)
	res := c.run(append([]string{"backup"}, append(flags, src)...)...)
	if res.code != exitOK {
		requireOneLineError(t, res, exitFailure)
		t.Skipf("backup refused with a site lost: %s", res.stderr)
	}
	out := filepath.Join(t.TempDir(), "out")
	c.ok(append([]string{"restore", "latest", "--target", out}, flags...)...)
	requireSameTree(t, src, filepath.Join(out, filepath.Base(src)))
}
