package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"

	"github.com/custodia-backup/custodia/internal/testservers"
	"github.com/custodia-backup/custodia/repo"
)

// Issue 13's object lock through the CLI: init refuses without a site
// that can lock; a repository over a local folder and a versitygw bucket
// with object lock locks its S3 shards; forget keeps locked snapshots;
// after ransomware wipes the folder and tries to delete every object of
// the bucket with its credential, the data restores byte for byte.
func TestCLIObjectLock(t *testing.T) {
	local := filepath.Join(t.TempDir(), "office")
	bucketURL := testservers.S3Locked(t)

	res := newCLI(t, filepath.Join(t.TempDir(), "plain")).run("init", "--object-lock", "compliance")
	requireOneLineError(t, res, exitFailure, "object lock", "object-lock-enabled-for-bucket")
	requireOneLineError(t, newCLI(t, bucketURL).run("init", "--object-lock", "forever"), exitUsage, "--object-lock")
	requireOneLineError(t, newCLI(t, bucketURL).run("init", "--object-lock", "governance", "--lock-period", "2h"), exitUsage, "--lock-period")

	c := newCLI(t, local, bucketURL)
	out := c.ok("init", "--object-lock", "governance", "--lock-period", "1d").stdout
	assert.Contains(t, out, "objects are locked (governance, 1d)")
	assert.Contains(t, out, "not locked on file://"+local)

	src := sourceTree(t, 13)
	c.ok("backup", src)
	c.ok("backup", src)
	require.Len(t, c.snapshotsJSON(), 2)
	assert.Contains(t, c.ok("forget", "--keep-last", "1", "--dry-run").stdout, "object lock until")
	c.ok("forget", "--keep-last", "1")
	require.Len(t, c.snapshotsJSON(), 2, "a locked snapshot is kept")
	c.ok("prune", "--margin", "1s")

	// A key slot is locked too: removing one is refused in one line.
	added := c.ok("key", "add", "--json", "--label", "colleague", "--new-password-file", passwordFile(t, "a colleague's long passphrase"))
	var slot repo.KeyInfo
	decodeJSON(t, added.stdout, &slot)
	requireOneLineError(t, c.run("key", "remove", slot.ID), exitFailure, "locked", "retention date")

	// The attack: the local folder is wiped, and every object of the
	// bucket is deleted with the bucket's own credential.
	entries, err := os.ReadDir(local)
	require.NoError(t, err)
	for _, e := range entries {
		require.NoError(t, os.RemoveAll(filepath.Join(local, e.Name())))
	}
	ctx := context.Background()
	b, err := blob.OpenBucket(ctx, bucketURL)
	require.NoError(t, err)
	defer b.Close()
	it := b.List(nil)
	n := 0
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		n++
		assert.Error(t, b.Delete(ctx, obj.Key), obj.Key)
	}
	require.Positive(t, n)

	// The bucket's shards alone (2 of the 2+2) restore everything.
	target := filepath.Join(t.TempDir(), "restore")
	c.ok("restore", "latest", "--target", target)
	requireSameTree(t, src, filepath.Join(target, "books"))
}
