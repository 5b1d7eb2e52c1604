package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/tablegen"
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

// TestCopyTableCLI: table snapshots (a full and an incremental, the key
// tokenized, level-1 fields encrypted) copied into a repository with
// another password restore there record by record and whole, equal to
// the source's; table verify passes on the copy; and a backup into the
// copy's repository continues the chain, finding the unchanged records.
func TestCopyTableCLI(t *testing.T) {
	t.Parallel()
	c, _ := fastRepo(t)
	g := tablegen.Gen{Seed: 77}
	v1 := writeTableFile(t, "customers.csv", g.CSV(500, 1))
	v2 := writeTableFile(t, "customers.csv", g.CSV(500, 2))
	v3 := writeTableFile(t, "customers.csv", g.CSV(500, 3))
	pol := writeTableFile(t, "p.yaml", []byte("fields:\n  \"customers.id\": tokenize\n  \"customers.resident_id\": encrypt\n"))
	c.ok("backup", "--quiet", "--table", "customers", "--key", "id", "--policy", pol, v1)
	c.ok("backup", "--quiet", "--table", "customers", "--key", "id", v2)
	files := sourceTree(t, 2)
	c.ok("backup", "--quiet", files)

	// The destination: another password, 2+1 shards on three folders.
	const pw = "a second repository's passphrase"
	pwFile := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(pwFile, []byte(pw+"\n"), 0o600))
	sites := []string{filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b"), filepath.Join(t.TempDir(), "c")}
	dc := newCLI(t, sites...).with("CUSTODIA_PASSWORD", pw)
	dc.ok("init", "--quiet", "--data-shards", "2", "--parity-shards", "1")
	to := []string{"copy", "--to", sites[0], "--to", sites[1], "--to", sites[2], "--to-password-file", pwFile}

	var rep map[string]any
	decodeJSON(t, c.ok(append(to, "--verify", "--json")...).stdout, &rep)
	assert.EqualValues(t, 3, rep["copied"])
	assert.EqualValues(t, 3, rep["verified"])
	decodeJSON(t, c.ok(append(to, "--verify", "--json")...).stdout, &rep)
	assert.EqualValues(t, 0, rep["copied"])
	assert.EqualValues(t, 3, rep["skipped"])
	assert.EqualValues(t, 3, rep["verified"], "the copies compared record by record again")

	var srcSnaps, dstSnaps []tableSnapshotJSON
	decodeJSON(t, c.ok("--json", "snapshots", "--table", "customers").stdout, &srcSnaps)
	decodeJSON(t, dc.ok("--json", "snapshots", "--table", "customers").stdout, &dstSnaps)
	require.Len(t, dstSnaps, 2)
	for i := range srcSnaps {
		assert.Equal(t, srcSnaps[i].ID, dstSnaps[i].ID)
		assert.Equal(t, srcSnaps[i].Kind, dstSnaps[i].Kind)
		assert.Equal(t, srcSnaps[i].Records, dstSnaps[i].Records)
		assert.Equal(t, srcSnaps[i].Decisions, dstSnaps[i].Decisions)
	}

	// The whole table and single records restore as from the source.
	restoreAll := func(r *tcli, snap string) []byte {
		out := filepath.Join(t.TempDir(), "out.csv")
		r.ok("restore", "--quiet", snap, "--table", "customers", "--format", "csv", "--output", out)
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		return b
	}
	for _, s := range srcSnaps {
		want := restoreAll(c, s.ShortID)
		assert.Equal(t, string(want), string(restoreAll(dc, s.ShortID)), "snapshot %s", s.Kind)
	}
	want := c.ok("restore", "latest", "--table", "customers", "--key", "7", "--key", "440").stdout
	got := dc.ok("restore", "latest", "--table", "customers", "--key", "7", "--key", "440").stdout
	assert.Equal(t, want, got)
	assert.Contains(t, got, `"email":"user7@example.cn"`, "found by its tokenized key")
	assert.Contains(t, got, `"resident_id":"`+g.Customer(7, 2).ResidentID+`"`, "level 1 decrypted in the copy")
	dc.ok("verify", "--table", "customers", "--sample", "50", "--against", v2)
	res := dc.run("verify", "--table", "customers", "--sample", "100000", "--against", v1)
	assert.Equal(t, exitDamage, res.code, res.stderr)
	dc.ok("verify", "--read-data")

	// The file snapshot came along too.
	out := filepath.Join(t.TempDir(), "files")
	dc.ok("restore", "latest", "--path", files, "--target", out)
	requireSameTree(t, files, filepath.Join(out, filepath.Base(files)))

	// Both repositories back up the next version: the copy's chain goes
	// on with the same changes found, and restores the same records.
	var bs, bd struct {
		Kind    string
		Changes struct{ Added, Changed, Deleted uint64 }
	}
	decodeJSON(t, c.ok("--json", "backup", "--table", "customers", "--key", "id", v3).stdout, &bs)
	decodeJSON(t, dc.ok("--json", "backup", "--table", "customers", "--key", "id", v3).stdout, &bd)
	assert.Equal(t, "incremental", bd.Kind)
	assert.Equal(t, bs, bd)
	assert.Positive(t, bd.Changes.Changed)
	assert.Equal(t, string(restoreAll(c, "latest")), string(restoreAll(dc, "latest")))
	dc.ok("verify", "--table", "customers", "--sample", "50", "--against", v3)
	dc.ok("verify", "--read-data")
}
