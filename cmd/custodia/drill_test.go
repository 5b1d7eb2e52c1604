package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/drill"
)

func TestDrillCLI(t *testing.T) {
	c, dir := fastRepo(t)
	c.runStdinOK(t, strings.Repeat("invoice 2026-11\n", 500), "backup", "--stdin", "--stdin-name", "invoices.xml")

	report := filepath.Join(t.TempDir(), "drill.html")
	res := c.ok("drill", "--rto", "1h", "--report", report)
	assert.Contains(t, res.stdout, "ok      files invoices.xml")
	assert.Contains(t, res.stdout, "drill passed: 1 items")
	html, err := os.ReadFile(report)
	require.NoError(t, err)
	assert.Contains(t, string(html), "<!DOCTYPE html>")

	// Slower than the RTO: exit 3 with one line.
	res = c.run("drill", "--rto", "1ns")
	require.Equal(t, exitDamage, res.code, res.stderr)
	requireOneStderrLine(t, res, "over the rto")

	res = c.run("--json", "drill")
	require.Equal(t, exitOK, res.code, res.stderr)
	var rep drill.Report
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &rep))
	assert.Len(t, rep.History, 2)

	md := filepath.Join(t.TempDir(), "drill.md")
	c.ok("drill", "--report", md)
	b, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Contains(t, string(b), "# Restore drill")

	requireOneLineError(t, c.run("drill", "--report", "x.pdf"), exitUsage, "--report")
	requireOneLineError(t, c.run("drill", "--rto", "soon"), exitUsage, "--rto")
	requireOneLineError(t, c.run("drill", "--table", "nope"), exitFailure, "nope")

	// A damaged pack: exit 1, the item named.
	require.NoError(t, filepath.WalkDir(filepath.Join(dir, "packs"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b[len(b)-10] ^= 0xff
		return os.WriteFile(p, b, 0o600)
	}))
	res = c.run("drill")
	require.Equal(t, exitFailure, res.code, res.stderr)
	assert.Contains(t, res.stdout, "FAILED  files invoices.xml")
	requireOneStderrLine(t, res, "drill failed: files invoices.xml")
}
