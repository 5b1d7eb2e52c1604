package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTwoPersonRestore is the worked example of 'custodia help key split'.
func TestTwoPersonRestore(t *testing.T) {
	c, _ := fastRepo(t)
	src := sourceTree(t, 3)
	nightly := "nightly backup machine passphrase"
	c.ok("key", "add", "--write-only", "--label", "nightly", "--new-password-file", passwordFile(t, nightly))
	c.ok("backup", "--quiet", src)
	dir := filepath.Join(t.TempDir(), "shares")
	res := c.ok("key", "split", "--shares", "3", "--threshold", "2", "--custodian", "alice", "--custodian", "bob", "--custodian", "carol", "--out", dir)
	assert.Contains(t, res.stdout, "any 2 of 3")
	for _, name := range []string{"alice", "bob", "carol"} {
		fi, err := os.Stat(filepath.Join(dir, name+".share"))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}

	// The old password no longer reads; the nightly backups go on.
	requireOneLineError(t, c.run("snapshots"), exitFailure, "wrong password")
	c.with("CUSTODIA_PASSWORD", nightly).ok("backup", "--quiet", src)

	out := filepath.Join(t.TempDir(), "out")
	noPW := c.with("CUSTODIA_PASSWORD", "")
	requireOneLineError(t, noPW.run("restore", "latest", "--target", out, "--share-file", filepath.Join(dir, "alice.share")), exitFailure, "2 of 3 custodians must take part", "alice")
	requireAbsent(t, out)
	// A share of another custodian tampered with is named.
	bad := filepath.Join(t.TempDir(), "bad.share")
	b, err := os.ReadFile(filepath.Join(dir, "bob.share"))
	require.NoError(t, err)
	b[20] ^= 1
	require.NoError(t, os.WriteFile(bad, b, 0o600))
	requireOneLineError(t, noPW.run("restore", "latest", "--target", out, "--share-file", filepath.Join(dir, "alice.share"), "--share-file", bad), exitFailure, "bad.share")

	noPW.ok("restore", "--quiet", "latest", "--target", out, "--share-file", filepath.Join(dir, "alice.share"), "--share-file", filepath.Join(dir, "carol.share"))
	requireSameTree(t, src, filepath.Join(out, filepath.Base(src)))
	res = noPW.ok("key", "list", "--share-file", filepath.Join(dir, "bob.share"), "--share-file", filepath.Join(dir, "carol.share"))
	assert.Contains(t, res.stdout, "write-only")
	for _, name := range []string{"alice", "bob", "carol"} {
		s, err := os.ReadFile(filepath.Join(dir, name+".share"))
		require.NoError(t, err)
		assert.NotContains(t, res.stdout, string(s[:40]), "key list never shows a share")
	}
}
