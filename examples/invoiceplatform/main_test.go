package main

import (
	"bytes"
	"database/sql"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInvoicePlatform runs the example's week and checks what it claims:
// the schedule's snapshot kinds, the alerts (Thursday's failed backup, then
// the three overdue groups, nothing else), the drill, the restore order and
// the restored data against what the last backup saw.
func TestInvoicePlatform(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	var alerts []Alert
	res, err := run(t.Context(), config{dir: dir, keep: true}, &out, func(a Alert) { alerts = append(alerts, a) })
	require.NoError(t, err, out.String())
	for i := 1; i <= 6; i++ {
		assert.Contains(t, out.String(), string(rune('0'+i))+". ")
	}

	want := []string{"full", "incremental", "incremental", "differential", "incremental"} // Thursday failed
	assert.Equal(t, want, res.Kinds["invoices"])
	assert.Equal(t, want, res.Kinds["invoice_lines"])

	require.Len(t, alerts, 4, "%v", alerts)
	assert.Equal(t, "backup failed", alerts[0].Subject)
	assert.Contains(t, alerts[0].Detail, "Thursday")
	assert.Contains(t, alerts[0].Detail, "site unreachable")
	for i, group := range []string{"table invoices", "table invoice_lines", "tag documents"} {
		assert.Equal(t, "backup overdue", alerts[1+i].Subject)
		assert.True(t, strings.HasPrefix(alerts[1+i].Detail, group+":"), alerts[1+i].Detail)
	}
	assert.Equal(t, alerts, res.Alerts)

	d := res.Drill
	assert.True(t, d.Passed, "%v", d.Failed())
	assert.True(t, d.WithinRTO)
	require.Len(t, d.Items, 3)
	assert.Equal(t, []string{"invoices", "invoice_lines"}, []string{d.Items[0].Name, d.Items[1].Name})
	assert.EqualValues(t, len(res.AtBackup["invoices"])+len(res.AtBackup["invoice_lines"]), d.Records)
	html, err := os.ReadFile(filepath.Join(dir, "drill.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), "<svg")

	assert.Equal(t, []string{"invoices", "invoice_lines", "documents"}, res.Order)

	// The hook hears of a drill slower than its RTO through the events.
	var late []Alert
	slow, err := runDrill(t.Context(), config{dir: dir, rto: time.Nanosecond}, res.Repo, alertOn("drill", "a drill", func(a Alert) { late = append(late, a) }))
	require.NoError(t, err)
	assert.Equal(t, "slow", slow.Verdict())
	require.NotEmpty(t, late)
	assert.Equal(t, "drill warning", late[0].Subject, "%v", late)
	assert.Len(t, slow.History, 1, "the example's drill is recorded in the repository")

	// The restored database, read with database/sql rather than the
	// example's own reader: every invoice of Friday night, none of
	// Saturday's, and the bank accounts in clear.
	db, err := sql.Open("sqlite", filepath.Join(res.Data, "invoices.db"))
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM invoices`).Scan(&n))
	assert.Equal(t, 500, n)
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM invoices WHERE buyer_bank_account LIKE '中国工商银行杭州分行 6222%'`).Scan(&n))
	assert.Equal(t, 500, n)
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM invoice_lines`).Scan(&n))
	assert.Equal(t, len(res.AtBackup["invoice_lines"]), n)
	require.Len(t, res.Lost, 25)
	for _, no := range res.Lost {
		require.NoError(t, db.QueryRow(`SELECT count(*) FROM invoices WHERE invoice_no = ?`, no).Scan(&n))
		assert.Zero(t, n, no)
	}
	assert.Equal(t, res.AtBackup, res.Restored)
	assert.Len(t, res.DocsAtBackup, 1000)

	// No stored byte holds a bank account number in clear.
	accounts := map[string]bool{}
	for _, rec := range res.AtBackup["invoices"] {
		f, ok := rec.Get("buyer_bank_account")
		require.True(t, ok)
		acct := f.Value[strings.Index(f.Value, "6222"):]
		require.Len(t, acct, 19)
		accounts[acct] = true
	}
	files, hits := scanAccounts(t, res.Repo, accounts)
	assert.Greater(t, files, 10)
	assert.Zero(t, hits, "bank account numbers in clear in the repository")
	// The scan finds them where they are in clear: the restored database.
	_, hits = scanAccounts(t, res.Data, accounts)
	assert.Positive(t, hits)
}

// scanAccounts counts the files under root and the places in them where one
// of the 19-digit account numbers appears.
func scanAccounts(t *testing.T, root string, accounts map[string]bool) (files, hits int) {
	require.NoError(t, filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for i := 0; ; {
			j := bytes.Index(b[i:], []byte("6222"))
			if j < 0 || i+j+19 > len(b) {
				return nil
			}
			if accounts[string(b[i+j:i+j+19])] {
				hits++
			}
			i += j + 1
		}
	}))
	return files, hits
}

// TestInvoicePlatformCommand runs "go run ./examples/invoiceplatform" from
// the module root, as the README says, when a go tool is at hand.
func TestInvoicePlatformCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	cmd := exec.CommandContext(t.Context(), goTool, "run", "./examples/invoiceplatform", "-dir", t.TempDir())
	cmd.Dir = filepath.Join("..", "..")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	assert.True(t, strings.HasPrefix(string(b), "1. "), "%s", b)
	assert.Contains(t, string(b), "ALERT backup failed")
	assert.Contains(t, string(b), "6. the restored database equals")
}
