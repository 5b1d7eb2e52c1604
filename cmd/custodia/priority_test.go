package main

import (
	"os"
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

// restore of several snapshots, or of several --table, restores the most
// critical first, each where it belongs, and says when each was available.
func TestRestoreSeveralByPriority(t *testing.T) {
	c, _ := fastRepo(t)
	dir := t.TempDir()
	docs := filepath.Join(dir, "srv", "documents")
	ledger := filepath.Join(dir, "srv", "ledger")
	writeFile(t, filepath.Join(docs, "INV-1.pdf"), []byte("%PDF"), 0o644)
	writeFile(t, filepath.Join(ledger, "2026.csv"), []byte("account,amount\n4000,1\n"), 0o644)
	c.ok("backup", "--priority", "4", docs)
	c.ok("backup", "--priority", "2", ledger)
	lines := filepath.Join(dir, "lines.csv")
	writeFile(t, lines, []byte("id,invoice,amount\n1,INV-1,10.00\n2,INV-1,5.00\n"), 0o644)
	invoices := filepath.Join(dir, "invoices.csv")
	writeFile(t, invoices, []byte("id,amount\nINV-1,15.00\n"), 0o644)
	c.ok("backup", "--table", "invoice_lines", "--key", "id", lines) // default 3
	c.ok("backup", "--table", "invoices", "--key", "id", "--priority", "1", invoices)
	list := c.snapshotsJSON()
	require.Len(t, list, 4)
	docsID, ledgerID := list[0].ShortID, list[1].ShortID

	target := filepath.Join(t.TempDir(), "restored")
	res := c.ok("restore", docsID, ledgerID, "--target", target)
	out := strings.Split(strings.TrimSpace(res.stdout), "\n")
	require.Len(t, out, 2, res.stdout)
	assert.Contains(t, out[0], "priority 2, snapshot "+ledgerID)
	assert.Contains(t, out[1], "priority 4, snapshot "+docsID)
	requireSameTree(t, ledger, filepath.Join(target, ledgerID, "ledger"))
	requireSameTree(t, docs, filepath.Join(target, docsID, "documents"))

	var items []restoreItemJSON
	decodeJSON(t, c.ok("--json", "restore", docsID, ledgerID, "--target", t.TempDir()).stdout, &items)
	require.Len(t, items, 2)
	assert.Equal(t, []int{2, 4}, []int{items[0].Priority, items[1].Priority})
	assert.Equal(t, list[1].ID, items[0].Snapshot)
	assert.LessOrEqual(t, items[0].AvailableAfter, items[1].AvailableAfter)
	assert.Equal(t, uint64(1), items[1].Files)

	tables := filepath.Join(t.TempDir(), "tables")
	res = c.ok("restore", "latest", "--table", "invoice_lines", "--table", "invoices", "--output", tables)
	out = strings.Split(strings.TrimSpace(res.stdout), "\n")
	require.Len(t, out, 2, res.stdout)
	assert.Contains(t, out[0], "priority 1")
	assert.Contains(t, out[0], "invoices.jsonl: 1 records")
	assert.Contains(t, out[1], "priority 3")
	assert.Contains(t, out[1], "invoice_lines.jsonl: 2 records")
	b, err := os.ReadFile(filepath.Join(tables, "invoices.jsonl"))
	require.NoError(t, err)
	// What the single-table form (unchanged) writes on standard output.
	assert.Equal(t, c.ok("restore", "latest", "--table", "invoices").stdout, string(b))
	assert.Contains(t, string(b), `"id":"INV-1"`)

	// A second run does not replace the files written.
	requireOneLineError(t, c.run("restore", "latest", "--table", "invoices", "--table", "invoice_lines"), exitUsage, "--output")
	requireOneLineError(t, c.run("restore", docsID, docsID, "--target", t.TempDir()), exitUsage, "twice")
	res = c.run("restore", "latest", "--table", "invoice_lines", "--table", "invoices", "--output", tables)
	assert.Equal(t, exitFailure, res.code)
	assert.Contains(t, res.stderr, "2 of 2 snapshots could not be restored")
}
