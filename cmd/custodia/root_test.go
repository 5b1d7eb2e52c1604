package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGlobalFlagsBeforeCommand: the global flags are accepted before the
// command's name as after it, as restic does.
func TestGlobalFlagsBeforeCommand(t *testing.T) {
	t.Parallel()
	_, repoDir := fastRepo(t)
	noEnv := newCLI(t).with("CUSTODIA_PASSWORD", testPassword)
	res := noEnv.ok("--repo", repoDir, "snapshots", "--json")
	assert.Equal(t, "[]\n", res.stdout)
	res = noEnv.ok("--json", "--repo="+repoDir, "snapshots")
	assert.Equal(t, "[]\n", res.stdout)
	res = noEnv.ok("snapshots", "--repo", repoDir)
	assert.Contains(t, res.stdout, "0 snapshots")
	res = noEnv.ok("-q", "--repo", repoDir, "verify")
	assert.Empty(t, res.stdout)
}

// TestHelp: every help goes to stdout with status 0, "help COMMAND" shows
// that command's flags, and an unknown topic is bad usage.
func TestHelp(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for _, cmd := range []string{"init", "backup", "restore", "snapshots", "verify", "stats", "classify", "version", "completion"} {
		for _, args := range [][]string{{"help", cmd}, {cmd, "--help"}, {cmd, "-h"}} {
			res := c.run(args...)
			require.Equal(t, exitOK, res.code, "%v: %s", args, res.stderr)
			require.Empty(t, res.stderr, "%v", args)
			require.Contains(t, res.stdout, "sage", "%v", args) // "Usage:"
			require.Contains(t, res.stdout, cmd, "%v", args)
		}
	}
	res := c.ok("help", "restore")
	assert.Contains(t, res.stdout, "--target")
	assert.Contains(t, res.stdout, "--include")
	assert.Contains(t, res.stdout, "--repo", "global flags are listed in a command's help")
	res = c.ok("help", "environment")
	for _, v := range []string{"CUSTODIA_REPOSITORY", "CUSTODIA_PASSWORD", "CUSTODIA_PASSWORD_FILE"} {
		assert.Contains(t, res.stdout, v)
	}
	res = c.ok("help")
	for _, cmd := range []string{"init", "backup", "restore", "snapshots", "verify", "stats", "version", "completion", "environment"} {
		assert.Contains(t, res.stdout, cmd)
	}
	requireOneLineError(t, c.run("help", "frobnicate"), exitUsage, "frobnicate")
}

// TestVersion: "version" and "--version" print the same line.
func TestVersion(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	v := c.ok("version").stdout
	assert.True(t, strings.HasPrefix(v, "custodia "), v)
	assert.Equal(t, v, c.ok("--version").stdout)
	var j versionJSON
	decodeJSON(t, c.ok("version", "--json").stdout, &j)
	assert.NotEmpty(t, j.Version)
	assert.NotEmpty(t, j.Go)
}

// TestCompletion: the shells' completion scripts are printed on stdout.
func TestCompletion(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		res := c.ok("completion", shell)
		assert.Contains(t, res.stdout, "custodia", shell)
	}
	res := c.run("__complete", "res")
	require.Equal(t, exitOK, res.code, res.stderr)
	assert.Contains(t, res.stdout, "restore")
}

// TestHints: the CLI adds what to do to the library's typed errors, whose
// own messages name no command or flag.
func TestHints(t *testing.T) {
	t.Parallel()
	c := newCLI(t, t.TempDir())
	requireOneLineError(t, c.run("snapshots"), exitFailure, "no custodia repository here", "run 'custodia init' first")
}

// TestSingleDashLongFlags: command lines written for the flag package the
// CLI used before cobra keep working ("-target DIR", "-json").
func TestSingleDashLongFlags(t *testing.T) {
	t.Parallel()
	c, _ := fastRepo(t)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "a.txt"), []byte("a"), 0o644)
	c.ok("backup", "-tag", "daily", src)
	var list []snapshotJSON
	decodeJSON(t, c.ok("snapshots", "-json").stdout, &list)
	require.Len(t, list, 1)
	assert.Equal(t, []string{"daily"}, list[0].Tags)
	out := filepath.Join(t.TempDir(), "out")
	c.ok("restore", "latest", "-target="+out, "-q")
	requireSameTree(t, src, filepath.Join(out, filepath.Base(src)))
	// A flag's value is left alone, and a name that is no flag stays an
	// error.
	c.runStdin(strings.NewReader("x"), "backup", "--stdin", "-stdin-name", "-json")
	assert.Equal(t, []string{"-json"}, c.snapshotsJSON()[1].Paths)
	requireOneLineError(t, c.run("snapshots", "-bogus"), exitUsage)
}
