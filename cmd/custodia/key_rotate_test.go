package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
)

// TestKeyRotate: after key rotate the rotated password reads old and new
// snapshots, a colleague's old password reads only the old ones, key list
// shows the generations, and the old password can be removed.
func TestKeyRotate(t *testing.T) {
	c, _ := fastRepo(t)
	const colleague = "a former colleague's passphrase"
	src1, src2 := sourceTree(t, 1), sourceTree(t, 2)
	c.ok("backup", "--quiet", src1)
	added := c.ok("key", "add", "--json", "--label", "colleague", "--new-password-file", passwordFile(t, colleague))
	var old repo.KeyInfo
	decodeJSON(t, added.stdout, &old)
	first := c.snapshotsJSON()[0].ID

	res := c.ok("key", "rotate")
	assert.Contains(t, res.stdout, "generation 1")
	assert.Contains(t, res.stdout, old.ID, "the colleague's slot is named as left on the older generation")
	c.ok("backup", "--quiet", src2)
	snaps := c.snapshotsJSON()
	require.Len(t, snaps, 2)
	second := snaps[1].ID

	for _, k := range keyList(t, c) {
		switch {
		case k.Current:
			assert.Equal(t, 1, k.Generation)
		case k.ID == old.ID:
			assert.Equal(t, 0, k.Generation)
		}
	}
	assert.Contains(t, c.ok("key", "list").stdout, "colleague (older generation)")

	// The colleague's password reads the first snapshot, not the second.
	cc := c.with("CUSTODIA_PASSWORD", colleague)
	out := filepath.Join(t.TempDir(), "old")
	cc.ok("restore", "--quiet", first, "--target", out)
	requireSameTree(t, src1, filepath.Join(out, filepath.Base(src1)))
	requireOneLineError(t, cc.run("restore", second, "--target", filepath.Join(t.TempDir(), "new")), exitFailure, "unknown key")
	requireOneLineError(t, cc.run("key", "rotate"), exitFailure, "older master-key generation")

	// It can be removed, after which it opens nothing.
	c.ok("key", "remove", old.ID)
	requireOneLineError(t, cc.run("snapshots"), exitFailure, "wrong password")
	out = filepath.Join(t.TempDir(), "new")
	c.ok("restore", "--quiet", second, "--target", out)
	requireSameTree(t, src2, filepath.Join(out, filepath.Base(src2)))
	c.ok("verify", "--read-data")
	c.ok("audit", "--verify")
}

// TestKeyRotateCustody: T custodians rotate a split repository; the new
// shares go to --out, the old ones open nothing.
func TestKeyRotateCustody(t *testing.T) {
	c, _ := fastRepo(t)
	src := sourceTree(t, 3)
	c.ok("backup", "--quiet", src)
	dir := filepath.Join(t.TempDir(), "shares")
	c.ok("key", "split", "--shares", "3", "--threshold", "2", "--custodian", "alice", "--custodian", "bob", "--custodian", "carol", "--out", dir)
	noPW := c.with("CUSTODIA_PASSWORD", "")
	share := func(d, name string) string { return filepath.Join(d, name+".share") }

	requireOneLineError(t, noPW.run("key", "rotate", "--share-file", share(dir, "alice"), "--share-file", share(dir, "bob")), exitUsage, "--out")
	dir2 := filepath.Join(t.TempDir(), "new-shares")
	res := noPW.ok("key", "rotate", "--share-file", share(dir, "alice"), "--share-file", share(dir, "bob"), "--out", dir2)
	assert.Contains(t, res.stdout, "generation 1")
	for _, name := range []string{"alice", "bob", "carol"} {
		fi, err := os.Stat(share(dir2, name))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
	requireOneLineError(t, noPW.run("snapshots", "--share-file", share(dir, "alice"), "--share-file", share(dir, "carol")), exitFailure, "wrong custody share")
	out := filepath.Join(t.TempDir(), "out")
	noPW.ok("restore", "--quiet", "latest", "--target", out, "--share-file", share(dir2, "carol"), "--share-file", share(dir2, "bob"))
	requireSameTree(t, src, filepath.Join(out, filepath.Base(src)))
}
