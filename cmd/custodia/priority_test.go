package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// backup --priority and --priority-file store the recovery priority, and
// snapshots shows it (3 when none was given).
func TestBackupPriority(t *testing.T) {
	c, _ := fastRepo(t)
	dir := t.TempDir()
	invoices := filepath.Join(dir, "srv", "invoices")
	archive := filepath.Join(dir, "srv", "archive")
	writeFile(t, filepath.Join(invoices, "INV-1.xml"), []byte("<Invoice/>"), 0o644)
	writeFile(t, filepath.Join(archive, "2019.zip"), []byte("old"), 0o644)
	pf := filepath.Join(dir, "priorities.yaml")
	writeFile(t, pf, []byte("- table: invoices\n  priority: 1\n- path: "+invoices+"\n  priority: 2\n- path: "+archive+"\n  priority: 5\n"), 0o644)
	csv := filepath.Join(dir, "invoices.csv")
	writeFile(t, csv, []byte("id,amount\n1,10.00\n"), 0o644)

	c.ok("backup", "--priority-file", pf, invoices)                                  // 2 from the map
	c.ok("backup", "--priority-file", pf, "--priority", "4", invoices)               // the flag wins
	c.ok("backup", "--priority-file", pf, archive)                                   // 5
	c.ok("backup", filepath.Join(dir, "srv"))                                        // none: 3
	c.ok("backup", "--priority-file", pf, "--table", "invoices", "--key", "id", csv) // 1
	c.runStdin(strings.NewReader("-- dump"), "backup", "--stdin", "--priority", "1")

	list := c.snapshotsJSON()
	require.Len(t, list, 6)
	var got []int
	for _, s := range list {
		got = append(got, s.Priority)
	}
	assert.Equal(t, []int{2, 4, 5, 3, 1, 1}, got)
	res := c.ok("snapshots")
	assert.Contains(t, strings.SplitN(res.stdout, "\n", 2)[0], "Prio")

	requireOneLineError(t, c.run("backup", "--priority", "0", invoices), exitUsage, "--priority")
	requireOneLineError(t, c.run("backup", "--priority", "6", invoices), exitUsage, "--priority")
	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, []byte("- table: invoices\n  priority: 9\n"), 0o644)
	requireOneLineError(t, c.run("backup", "--priority-file", bad, invoices), exitFailure, "bad.yaml", "priority")
	assert.Len(t, c.snapshotsJSON(), 6, "nothing saved by a rejected backup")
}
