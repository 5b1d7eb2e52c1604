package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/storage/storagetest"
)

// TestBackendRoundTrip runs the CLI's whole cycle on every kind of site —
// local folder, mem, S3, Azure and GCS (the cloud ones on the test
// servers) — init, backup, restore and verify, the restore compared byte
// for byte (contents, modes, times, links) with the source, then an
// incremental backup after a change restored again. The source holds a
// file of several read windows, so remote range reads cross windows and
// shards.
func TestBackendRoundTrip(t *testing.T) {
	for _, b := range storagetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel() // the cloud sites mostly wait on the network
			c := newCLI(t, b.New(t))
			c.ok("init")
			src := sourceTree(t, 61)
			c.ok("backup", src)
			out := filepath.Join(t.TempDir(), "out")
			c.ok("restore", "latest", "--target", out)
			requireSameTree(t, src, filepath.Join(out, filepath.Base(src)))
			c.ok("verify", "--read-data")

			require.NoError(t, fixture.RandomFile(filepath.Join(src, "invoices", "late.bin"), 2<<20+3, 62))
			c.ok("backup", src)
			require.Len(t, c.snapshotsJSON(), 2)
			out2 := filepath.Join(t.TempDir(), "out2")
			c.ok("restore", "latest", "--target", out2)
			requireSameTree(t, src, filepath.Join(out2, filepath.Base(src)))
			res := c.ok("verify", "--read-data")
			require.Contains(t, res.stdout, "no problems found")
		})
	}
}
