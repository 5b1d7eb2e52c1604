package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
)

// passwordFile writes pw to a 0600 file and returns its path.
func passwordFile(t *testing.T, pw string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(p, []byte(pw+"\n"), 0o600))
	return p
}

func keyList(t *testing.T, c *tcli) []repo.KeyInfo {
	t.Helper()
	var keys []repo.KeyInfo
	decodeJSON(t, c.ok("key", "list", "--json").stdout, &keys)
	return keys
}

// TestKeyCommands walks key list, add (full and write-only), the
// write-only role's refusals, remove and passwd, and scans every output
// for the passwords.
func TestKeyCommands(t *testing.T) {
	c, _ := fastRepo(t)
	const (
		officePW = "office safe passphrase 2026"
		nightPW  = "nightly backup machine passphrase"
		newPW    = "the changed passphrase of the office"
	)
	var outputs []result
	keep := func(r result) result { outputs = append(outputs, r); return r }

	keys := keyList(t, c)
	require.Len(t, keys, 1)
	first := keys[0]
	assert.Equal(t, repo.RoleFull, first.Role)
	assert.True(t, first.Current)

	keep(c.ok("key", "add", "--label", "office safe", "--new-password-file", passwordFile(t, officePW)))
	res := keep(c.ok("key", "add", "--write-only", "--label", "nightly", "--new-password-file", passwordFile(t, nightPW), "--json"))
	var wo repo.KeyInfo
	decodeJSON(t, res.stdout, &wo)
	assert.Equal(t, repo.RoleWriteOnly, wo.Role)
	assert.Equal(t, "nightly", wo.Label)
	res = keep(c.ok("key", "list"))
	assert.Contains(t, res.stdout, "write-only")
	assert.Contains(t, res.stdout, "office safe")

	// The write-only password backs up but reads nothing.
	src := sourceTree(t, 7)
	night := c.with("CUSTODIA_PASSWORD", nightPW)
	keep(night.ok("backup", "--quiet", src))
	for _, args := range [][]string{
		{"snapshots"},
		{"restore", "latest", "--target", filepath.Join(t.TempDir(), "out")},
		{"verify"},
		{"key", "add", "--new-password-file", passwordFile(t, "x")},
	} {
		res := keep(night.run(args...))
		requireOneLineError(t, res, exitFailure, "write-only")
	}
	// The full role restores what the write-only password backed up.
	out := filepath.Join(t.TempDir(), "out")
	keep(c.ok("restore", "--quiet", "latest", "--target", out))
	requireSameTree(t, src, filepath.Join(out, filepath.Base(src)))

	// remove: never the last slot that can read.
	office := c.with("CUSTODIA_PASSWORD", officePW)
	keep(office.ok("key", "remove", first.ID))
	var officeID string
	for _, k := range keyList(t, office) {
		if k.Label == "office safe" {
			officeID = k.ID
		}
	}
	requireOneLineError(t, keep(office.run("key", "remove", officeID)), exitFailure, "last key slot")
	requireOneLineError(t, keep(c.run("snapshots")), exitFailure, "wrong password")

	// passwd: the new password opens, the old one no longer does.
	keep(office.ok("key", "passwd", "--new-password-file", passwordFile(t, newPW)))
	requireOneLineError(t, keep(office.run("snapshots")), exitFailure, "wrong password")
	keep(c.with("CUSTODIA_PASSWORD", newPW).ok("snapshots"))

	for _, r := range outputs {
		for _, pw := range []string{testPassword, officePW, nightPW, newPW} {
			assert.NotContains(t, r.stdout+r.stderr, pw)
		}
	}
}

// TestKeyUsage: bad usage of key exits 2.
func TestKeyUsage(t *testing.T) {
	c, _ := fastRepo(t)
	for _, args := range [][]string{{"key"}, {"key", "frobnicate"}, {"key", "remove"}, {"key", "add", "--bogus"}} {
		res := c.run(args...)
		assert.Equal(t, exitUsage, res.code, "%v: %s", args, res.stderr)
		assert.True(t, strings.HasPrefix(res.stderr, "custodia: "), res.stderr)
	}
}
