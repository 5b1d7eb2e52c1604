package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A two-site repository created with the defaults survives the loss of
// either site; init refuses a coding that would not, naming the override;
// stats shows the tolerance and verify warns about an accepted one (issue
// 8, trap 1).
func TestTwoSitesSurviveALostSite(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	sites := []string{filepath.Join(base, "office"), filepath.Join(base, "cloud")}
	c := newCLI(t, sites...)

	res := c.run("init", "--data-shards", "4", "--parity-shards", "2")
	requireOneLineError(t, res, exitFailure, "4+2 shards on 2 sites", "--allow-site-loss")

	c.ok("init")
	src := sourceTree(t, 31)
	c.ok("backup", src)
	res = c.ok("stats")
	assert.Contains(t, res.stdout, "2+2 shards over 2 sites")
	assert.Contains(t, res.stdout, "any 1 site may be lost")

	entries, err := os.ReadDir(sites[1])
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	for _, e := range entries {
		require.NoError(t, os.RemoveAll(filepath.Join(sites[1], e.Name())))
	}
	out := filepath.Join(t.TempDir(), "out")
	c.ok("restore", "latest", "--target", out)
	requireSameTree(t, src, filepath.Join(out, filepath.Base(src)))

	// An accepted 4+2 on two sites: verify warns, stats says so.
	other := []string{filepath.Join(base, "a"), filepath.Join(base, "b")}
	o := newCLI(t, other...)
	o.ok("init", "--data-shards", "4", "--parity-shards", "2", "--allow-site-loss")
	res = o.run("verify")
	assert.Equal(t, exitOK, res.code, res.stderr)
	requireOneStderrLine(t, res, "warning", "losing that site would lose the repository")
	assert.Contains(t, o.ok("stats").stdout, "the loss of any one site loses data")
}
