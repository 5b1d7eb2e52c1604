package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCopyCLI(t *testing.T) {
	t.Parallel()
	c, _ := fastRepo(t)
	src := sourceTree(t, 3)
	c.ok("backup", "--tag", "books", src)
	writeFile(t, filepath.Join(src, "new.txt"), []byte("new"), 0o644)
	c.ok("backup", src)
	snaps := c.snapshotsJSON()

	// The destination: its own password and coding (2+2 on two folders).
	d1, d2 := filepath.Join(t.TempDir(), "d1"), filepath.Join(t.TempDir(), "d2")
	pwFile := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(pwFile, []byte("another long passphrase\n"), 0o600))
	dc := newCLI(t, d1, d2).with("CUSTODIA_PASSWORD", "another long passphrase")
	dc.ok("init", "--data-shards", "2", "--parity-shards", "2")

	requireOneLineError(t, c.run("copy"), exitUsage, "--to")
	requireOneLineError(t, c.run("copy", "--to", d1, "--to", d2), exitFailure, "destination")

	var rep map[string]any
	decodeJSON(t, c.ok("copy", "--to", d1, "--to", d2, "--to-password-file", pwFile, "--verify", "--json", snaps[0].ShortID).stdout, &rep)
	assert.EqualValues(t, 1, rep["copied"])
	assert.EqualValues(t, 1, rep["verified"])
	res := c.ok("copy", "--to", d1, "--to", d2, "--to-password-file", pwFile, "--verify")
	assert.Contains(t, res.stdout, "copied 1 snapshots (1 already there)")

	got := dc.snapshotsJSON()
	require.Len(t, got, 2)
	for i := range got {
		assert.Equal(t, snaps[i].ID, got[i].ID)
		assert.Equal(t, snaps[i].Tags, got[i].Tags)
	}
	out := filepath.Join(t.TempDir(), "out")
	dc.ok("restore", snaps[1].ShortID, "--target", out)
	requireSameTree(t, src, filepath.Join(out, filepath.Base(src)))
	dc.ok("verify", "--read-data")
}
