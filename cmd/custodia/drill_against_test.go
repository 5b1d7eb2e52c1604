package main

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/drill"
)

func TestDrillAgainstCLI(t *testing.T) {
	c, _ := fastRepo(t)
	docs := filepath.Join(t.TempDir(), "documents")
	require.NoError(t, os.MkdirAll(docs, 0o755))
	for _, name := range []string{"INV-1.xml", "INV-2.xml", "INV-3.pdf"} {
		require.NoError(t, os.WriteFile(filepath.Join(docs, name), []byte(strings.Repeat(name, 300)), 0o644))
	}
	path := filepath.Join(t.TempDir(), "invoices.db")
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer TEXT, total TEXT);
INSERT INTO invoices VALUES (1, 'Acme', '120.00'), (2, 'Globex', '75.50'), (3, 'Initech', '9.99')`)
	require.NoError(t, err)
	c.ok("backup", docs)
	c.ok("backup", "--table", "invoices", "--key", "id", "--from", "sqlite://"+path)

	// Unchanged sources: passed, and the source line says so.
	res := c.ok("drill", "--table", "invoices", "--against", "sqlite://"+path, "--against", docs, "--sample", "10")
	assert.Contains(t, res.stdout, "against live table invoices: 3 of 3 sampled equal")
	assert.Contains(t, res.stdout, "against "+docs+": 3 of 3 sampled equal")
	assert.Contains(t, res.stdout, "source: the live source equals the snapshot in all 6 sampled files and records")

	// The sources move on: still exit 0 (the restored data is what was
	// stored), the changes named, in the text and in the JSON report.
	require.NoError(t, os.WriteFile(filepath.Join(docs, "INV-2.xml"), []byte("<invoice>corrected</invoice>"), 0o644))
	_, err = db.Exec(`UPDATE invoices SET total = '80.00' WHERE id = 2`)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	res = c.ok("drill", "--table", "invoices", "--against", "invoices=sqlite://"+path, "--against", docs)
	assert.Contains(t, res.stdout, "documents/INV-2.xml: "+drill.ChangeModified)
	assert.Contains(t, res.stdout, "2: "+drill.ChangeRecord)
	assert.Contains(t, res.stdout, "source: the live source changed since the snapshot: 2 of 6 sampled files and records differ; the restored data is what the repository stored")
	report := filepath.Join(t.TempDir(), "drill.json")
	c.ok("drill", "--table", "invoices", "--against", "sqlite://"+path, "--against", docs, "--report", report)
	b, err := os.ReadFile(report)
	require.NoError(t, err)
	var rep drill.Report
	require.NoError(t, json.Unmarshal(b, &rep))
	assert.Contains(t, rep.SourceVerdict, "2 of 6")

	// Every drill left an audit entry with its outcome and RTO verdict.
	res = c.ok("--json", "audit")
	assert.Equal(t, 3, strings.Count(res.stdout, `"op":"drill"`), res.stdout)
	assert.Contains(t, res.stdout, `"rto_verdict":"none set"`)

	// Bad input: one line, and never the DSN (it may hold a password).
	secret := "postgres://backup:s3cret-pw@127.0.0.1:1/shop"
	res = c.run("drill", "--table", "invoices", "--against", secret)
	require.Equal(t, exitFailure, res.code, res.stderr)
	requireOneStderrLine(t, res)
	assert.NotContains(t, res.stderr, "s3cret-pw")
	requireOneLineError(t, c.run("drill", "--table", "invoices", "--against", "orders=sqlite://"+path), exitUsage, "table orders is not drilled")
	requireOneLineError(t, c.run("drill", "--against", "sqlite://"+path), exitUsage, "--table")
	requireOneLineError(t, c.run("drill", "--against", filepath.Join(t.TempDir(), "gone")), exitUsage, "--against")
}
