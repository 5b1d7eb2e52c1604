package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUnreadableFile backs up a folder holding a file the user cannot
// read: the file is reported and skipped, everything else is in the
// snapshot, and the exit status is 3.
func TestUnreadableFile(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("root reads files whatever their mode")
	}
	c, _ := fastRepo(t)
	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, filepath.Join(src, "ok.txt"), []byte("readable"), 0o644)
	writeFile(t, filepath.Join(src, "sub", "also-ok.txt"), []byte("readable too"), 0o644)
	secret := filepath.Join(src, "secret.txt")
	writeFile(t, secret, []byte("unreadable"), 0o644)
	require.NoError(t, os.Chmod(secret, 0))
	t.Cleanup(func() { os.Chmod(secret, 0o644) })

	res := c.run("backup", src)
	require.Equal(t, exitDamage, res.code, "stdout: %s stderr: %s", res.stdout, res.stderr)
	lines := strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n")
	for _, l := range lines {
		assert.True(t, strings.HasPrefix(l, "custodia: "), l)
	}
	assert.Contains(t, res.stderr, "secret.txt")

	list := c.snapshotsJSON()
	require.Len(t, list, 1, "the snapshot is saved despite the unreadable file")
	out := filepath.Join(t.TempDir(), "out")
	c.ok("restore", "latest", "--target", out)
	got, err := os.ReadFile(filepath.Join(out, "src", "ok.txt"))
	require.NoError(t, err)
	assert.Equal(t, "readable", string(got))
	got, err = os.ReadFile(filepath.Join(out, "src", "sub", "also-ok.txt"))
	require.NoError(t, err)
	assert.Equal(t, "readable too", string(got))
	requireAbsent(t, filepath.Join(out, "src", "secret.txt"))
}

// TestBackupMissingPath backs up an existing folder and a path that does
// not exist: the folder is saved, the path reported, exit status 3. With
// only missing paths nothing is saved and the status is 1.
func TestBackupMissingPath(t *testing.T) {
	t.Parallel()
	c, repoDir := fastRepo(t)
	base := t.TempDir()
	src := filepath.Join(base, "src")
	writeFile(t, filepath.Join(src, "a.txt"), []byte("a"), 0o644)
	missing := filepath.Join(base, "missing")

	before := state(t, repoDir)
	requireOneLineError(t, c.run("backup", missing), exitFailure, "missing")
	require.Equal(t, before, state(t, repoDir))

	res := c.run("backup", src, missing)
	require.Equal(t, exitDamage, res.code, "stdout: %s stderr: %s", res.stdout, res.stderr)
	for _, l := range strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n") {
		assert.True(t, strings.HasPrefix(l, "custodia: "), l)
	}
	assert.Contains(t, res.stderr, missing)
	list := c.snapshotsJSON()
	require.Len(t, list, 1)
	out := filepath.Join(t.TempDir(), "out")
	c.ok("restore", "latest", "--target", out)
	requireSameTree(t, src, filepath.Join(out, "src"))
}

// TestJSONOutputs checks the --json forms of init, backup, restore and
// verify are single JSON documents with the documented fields.
func TestJSONOutputs(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, dir)
	var initOut struct {
		ID           string   `json:"id"`
		Sites        []string `json:"sites"`
		DataShards   int      `json:"data_shards"`
		ParityShards int      `json:"parity_shards"`
	}
	decodeJSON(t, c.ok("init", "--json", "--data-shards", "3", "--parity-shards", "1").stdout, &initOut)
	assert.Len(t, initOut.ID, 64)
	assert.Equal(t, 3, initOut.DataShards)
	assert.Equal(t, 1, initOut.ParityShards)
	require.Len(t, initOut.Sites, 1)
	assert.Contains(t, initOut.Sites[0], dir)

	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, filepath.Join(src, "a.txt"), []byte("hello"), 0o644)
	var backupOut struct {
		Snapshot string   `json:"snapshot"`
		Errors   []string `json:"errors"`
	}
	decodeJSON(t, c.ok("backup", "--json", "--tag", "daily", "--host", "books-01", src).stdout, &backupOut)
	assert.Len(t, backupOut.Snapshot, 64)
	assert.Empty(t, backupOut.Errors)
	list := c.snapshotsJSON()
	require.Len(t, list, 1)
	assert.Equal(t, backupOut.Snapshot, list[0].ID)
	assert.Equal(t, []string{"daily"}, list[0].Tags)
	assert.Equal(t, "books-01", list[0].Host)

	var restoreOut struct {
		Snapshot string `json:"snapshot"`
		Files    int    `json:"files"`
		Bytes    int    `json:"bytes"`
	}
	decodeJSON(t, c.ok("restore", "latest", "--json", "--target", filepath.Join(t.TempDir(), "out")).stdout, &restoreOut)
	assert.Equal(t, backupOut.Snapshot, restoreOut.Snapshot)
	assert.Equal(t, 1, restoreOut.Files)
	assert.Equal(t, 5, restoreOut.Bytes)

	var verifyOut struct {
		OK       bool  `json:"ok"`
		Packs    int   `json:"packs"`
		Findings []any `json:"findings"`
	}
	decodeJSON(t, c.ok("verify", "--json", "--read-data").stdout, &verifyOut)
	assert.True(t, verifyOut.OK)
	assert.Positive(t, verifyOut.Packs)
	assert.Empty(t, verifyOut.Findings)
}

// TestCustomShards initialises a 3+1 repository: every object written
// then, by init and by later commands, has four shards, and the loss of
// one shard of every object is survived.
func TestCustomShards(t *testing.T) {
	t.Parallel()
	c, dir := newRepo(t, "--data-shards", "3", "--parity-shards", "1")
	src := sourceTree(t, 31)
	c.ok("backup", src)

	res := c.ok("stats", "--json")
	var st struct {
		DataShards   int `json:"data_shards"`
		ParityShards int `json:"parity_shards"`
	}
	decodeJSON(t, res.stdout, &st)
	assert.Equal(t, 3, st.DataShards)
	assert.Equal(t, 1, st.ParityShards)

	objects := shardFiles(t, "", dir)
	for _, name := range sortedKeys(objects) {
		assert.Equal(t, 4, len(objects[name]), "shards of %s in a 3+1 repository", name)
	}
	for j, name := range sortedKeys(objects) {
		shards := objects[name]
		require.NoError(t, os.Remove(shards[j%len(shards)].path))
	}
	restoreSame(t, c, src)
}
