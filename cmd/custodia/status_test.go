package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/monitor"
)

func TestStatus(t *testing.T) {
	c, _ := fastRepo(t)
	c.runStdinOK(t, "invoices 2026-11", "backup", "--stdin", "--stdin-name", "invoices.sql", "--tag", "daily")

	res := c.ok("status")
	assert.Contains(t, res.stdout, "ok       host ")
	assert.Contains(t, res.stdout, "paths invoices.sql")
	assert.Contains(t, res.stdout, "reachable")

	res = c.ok("status", "--tag", "daily", "--max-age", "2d")
	assert.Contains(t, res.stdout, "tag daily: newest")

	// A tag never backed up is overdue: the report on stdout, one line on
	// stderr, exit 3.
	res = c.run("status", "--tag", "daily", "--tag", "weekly")
	require.Equal(t, exitDamage, res.code, res.stderr)
	assert.Contains(t, res.stdout, "OVERDUE  tag weekly: no snapshot")
	requireOneStderrLine(t, res, "overdue: tag weekly")

	res = c.run("--json", "status", "--table", "customers")
	require.Equal(t, exitDamage, res.code)
	var rep monitor.Report
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &rep))
	require.Len(t, rep.Groups, 1)
	assert.Equal(t, "customers", rep.Groups[0].Table)
	assert.True(t, rep.Groups[0].Overdue)

	requireOneLineError(t, c.run("status", "--max-age", "soon"), exitUsage, "--max-age")
	requireOneLineError(t, c.run("status", "extra"), exitUsage, "no arguments")
}

// runStdinOK runs the CLI with stdin and requires success.
func (c *tcli) runStdinOK(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	res := c.runStdin(strings.NewReader(stdin), args...)
	require.Equal(t, exitOK, res.code, "custodia %v: %s", args, res.stderr)
	return res
}
