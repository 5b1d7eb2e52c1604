package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/testservers"
	"github.com/custodia-backup/custodia/storage/storagetest"
)

// fourSites is a repository over a local folder, S3, Azure and GCS, with
// the S3 site reached through a proxy that can put it down.
func fourSites(t *testing.T) (c *tcli, s3 *storagetest.Proxy, s3Bucket string) {
	t.Helper()
	s3Site := testservers.S3(t)
	azSite := testservers.Azure(t)
	gsSite := testservers.GCS(t)
	s3 = storagetest.NewProxy(t, storagetest.Target(t, s3Site))
	sites := []string{filepath.Join(t.TempDir(), "office"), storagetest.Via(t, s3, s3Site), azSite, gsSite}
	c = newCLI(t, sites...)
	c.ok("init", "--data-shards", "4", "--parity-shards", "2")
	return c, s3, strings.SplitN(strings.TrimPrefix(s3Site, "s3://"), "?", 2)[0]
}

// Issue 12's acceptance: back up to four providers with 4+2 coding, stop
// one server, back up again (exit 3, one line naming the site), restore
// byte-identical from the other three, start the server, repair, verify.
func TestFourSitesOneDown(t *testing.T) {
	c, s3, bucket := fourSites(t)
	src := sourceTree(t, 41)
	c.ok("backup", src)

	// stats --json: what each site holds, and that any one may be lost.
	var stats struct {
		PerSite []struct {
			Site    string `json:"site"`
			Objects int64  `json:"objects"`
			Bytes   int64  `json:"bytes"`
			Online  bool   `json:"online"`
		} `json:"per_site"`
		SiteTolerance int `json:"site_tolerance"`
	}
	decodeJSON(t, c.ok("stats", "--json").stdout, &stats)
	require.Equal(t, 1, stats.SiteTolerance)
	require.Len(t, stats.PerSite, 4)
	for _, u := range stats.PerSite {
		require.True(t, u.Online, u.Site)
		require.Positive(t, u.Objects, u.Site)
		require.Positive(t, u.Bytes, u.Site)
	}
	require.Contains(t, stats.PerSite[1].Site, bucket)

	s3.Stop()
	require.NoError(t, fixture.RandomFile(filepath.Join(src, "invoices", "late.bin"), 1<<20+5, 42))
	res := c.run("backup", src)
	requireOneStderrLine(t, res, bucket, "verify --repair")
	require.Equal(t, exitDamage, res.code, "stderr: %s", res.stderr)

	out := filepath.Join(t.TempDir(), "out")
	res = c.run("restore", "latest", "--target", out)
	require.Equal(t, exitOK, res.code, "restore with the S3 site down: %s", res.stderr)
	requireSameTree(t, src, filepath.Join(out, filepath.Base(src)))

	s3.Start()
	res = c.run("verify", "--read-data", "--repair")
	require.Contains(t, []int{exitOK, exitDamage}, res.code, "verify --repair: %s\n%s", res.stderr, res.stdout)
	c.ok("verify", "--read-data")
}

// With fewer writable shards than an object needs, the backup fails with
// one line and the repository stays as it was: no snapshot refers to what
// was not written.
func TestFourSitesTooFewWritable(t *testing.T) {
	c, s3, _ := fourSites(t)
	src := sourceTree(t, 43)
	c.ok("backup", src)
	before := c.snapshotsJSON()

	s3.Stop()
	res := c.run("backup", "--site-down", "safe", src)
	require.Equal(t, exitFailure, res.code, "stderr: %s", res.stderr)
	requireOneStderrLine(t, res)
	s3.Start()
	require.Equal(t, before, c.snapshotsJSON())
	c.ok("verify", "--read-data")
}

// With one server answering 503 to every other request, backup and
// restore still succeed and nothing is lost.
func TestFourSitesHalfFailing(t *testing.T) {
	c, s3, _ := fourSites(t)
	src := sourceTree(t, 44)
	s3.FailEvery(2)
	c.ok("backup", src)
	out := filepath.Join(t.TempDir(), "out")
	c.ok("restore", "latest", "--target", out)
	requireSameTree(t, src, filepath.Join(out, filepath.Base(src)))
	s3.FailEvery(0)
	c.ok("verify", "--read-data")
	require.Positive(t, s3.Faults())
}
