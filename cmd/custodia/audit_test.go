package main

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
)

// TestAuditCommand: operations are listed, the chain verifies, a
// checkpoint catches a truncated tail, and an edited entry is named.
func TestAuditCommand(t *testing.T) {
	c, dir := fastRepo(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "a.txt"), []byte("ledger"), 0o644)
	c.ok("backup", "--quiet", src)
	c.ok("restore", "--quiet", "latest", "--target", filepath.Join(t.TempDir(), "out"))
	c.ok("verify", "--quiet")

	var entries []repo.AuditEntry
	decodeJSON(t, c.ok("audit", "--json").stdout, &entries)
	var ops []string
	for _, e := range entries {
		ops = append(ops, e.Op)
	}
	assert.Equal(t, []string{"init", "backup", "restore", "verify"}, ops)
	assert.Equal(t, filepath.Join(src), strings.TrimSpace(entries[1].Args["paths"]))
	assert.Contains(t, c.ok("audit").stdout, "restore")
	var none []repo.AuditEntry
	decodeJSON(t, c.ok("audit", "--json", "--since", time.Now().Add(time.Hour).Format(time.RFC3339)).stdout, &none)
	assert.Empty(t, none)

	cp := filepath.Join(t.TempDir(), "cp.json")
	require.NoError(t, os.WriteFile(cp, []byte(c.ok("audit", "--checkpoint").stdout), 0o600))
	assert.Contains(t, c.ok("audit", "--verify", "--checkpoint", cp).stdout, "complete and unaltered")

	// Truncate the tail: the chain alone cannot tell, the checkpoint can.
	files, err := filepath.Glob(filepath.Join(dir, "audit", "*"))
	require.NoError(t, err)
	sort.Strings(files)
	last := strings.TrimSuffix(filepath.Base(files[len(files)-1]), filepath.Ext(files[len(files)-1]))
	lastFiles, err := filepath.Glob(filepath.Join(dir, "audit", last+".*"))
	require.NoError(t, err)
	for _, f := range lastFiles {
		require.NoError(t, os.Remove(f))
	}
	c.ok("audit", "--verify")
	res := c.run("audit", "--verify", "--checkpoint", cp)
	require.Equal(t, exitDamage, res.code, res.stderr)
	assert.Contains(t, res.stderr, "truncated")

	// Usage.
	assert.Equal(t, exitUsage, c.run("audit", "--since", "yesterday-ish").code)
	assert.Equal(t, exitUsage, c.run("audit", "--verify", "--since", "1h").code)
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-11-29T10:00:00Z": time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC),
		"24h":                  now.Add(-24 * time.Hour),
		"7d":                   now.AddDate(0, 0, -7),
	} {
		got, err := parseSince(in, now)
		require.NoError(t, err, in)
		assert.True(t, want.Equal(got), in)
	}
	for _, bad := range []string{"", "d", "-1h", "7x", "2026-13-01"} {
		_, err := parseSince(bad, now)
		assert.Error(t, err, bad)
	}
}
