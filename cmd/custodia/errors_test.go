package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// backedUpRepo returns a repository holding one snapshot of a small tree,
// the runner and the repository folder.
func backedUpRepo(t *testing.T) (*tcli, string, string) {
	t.Helper()
	c, repoDir := fastRepo(t)
	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, filepath.Join(src, "invoices", "INV-0001.json"), []byte(`{"total": 100.00}`), 0o644)
	writeFile(t, filepath.Join(src, "customers.csv"), []byte("id,name\n1,王伟\n"), 0o600)
	c.ok("backup", src)
	return c, repoDir, src
}

// requireAbsent requires that nothing exists at path.
func requireAbsent(t testing.TB, path string) {
	t.Helper()
	_, err := os.Lstat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "%s was created", path)
}

// TestErrors runs each failure the acceptance criteria name: exit status
// 1, one line on stderr, and the repository and the target unchanged.
func TestErrors(t *testing.T) {
	t.Parallel()

	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		c, repoDir, src := backedUpRepo(t)
		before := state(t, repoDir)
		bad := c.with("CUSTODIA_PASSWORD", "not the password")
		target := filepath.Join(t.TempDir(), "out")
		for _, args := range [][]string{
			{"snapshots"},
			{"snapshots", "--json"},
			{"backup", src},
			{"restore", "latest", "--target", target},
			{"verify", "--read-data"},
			{"verify", "--repair"},
			{"stats", "--json"},
		} {
			requireOneLineError(t, bad.run(args...), exitFailure, "wrong password")
		}
		requireAbsent(t, target)
		require.Equal(t, before, state(t, repoDir))
		// The message names the problem without echoing the password.
		res := bad.run("snapshots")
		assert.NotContains(t, res.stderr, "not the password")
	})

	t.Run("unknown snapshot", func(t *testing.T) {
		t.Parallel()
		c, repoDir, _ := backedUpRepo(t)
		before := state(t, repoDir)
		for _, ref := range []string{"ffffffff", "0000", "not-an-id", "ab"} {
			target := filepath.Join(t.TempDir(), "out")
			requireOneLineError(t, c.run("restore", ref, "--target", target), exitFailure, "snapshot")
			requireAbsent(t, target)
		}
		require.Equal(t, before, state(t, repoDir))
	})

	t.Run("latest of an empty repository", func(t *testing.T) {
		t.Parallel()
		c, repoDir := fastRepo(t)
		before := state(t, repoDir)
		target := filepath.Join(t.TempDir(), "out")
		requireOneLineError(t, c.run("restore", "latest", "--target", target), exitFailure, "snapshot")
		requireAbsent(t, target)
		require.Equal(t, before, state(t, repoDir))
	})

	t.Run("uninitialised repository", func(t *testing.T) {
		t.Parallel()
		empty := t.TempDir()
		c := newCLI(t, empty)
		src := t.TempDir()
		writeFile(t, filepath.Join(src, "a.txt"), []byte("a"), 0o644)
		target := filepath.Join(t.TempDir(), "out")
		for _, args := range [][]string{
			{"snapshots"},
			{"backup", src},
			{"restore", "latest", "--target", target},
			{"verify"},
			{"stats"},
		} {
			requireOneLineError(t, c.run(args...), exitFailure, "init")
		}
		requireAbsent(t, target)
		entries, err := os.ReadDir(empty)
		require.NoError(t, err)
		require.Empty(t, entries, "commands wrote into an uninitialised folder")
	})

	t.Run("already initialised", func(t *testing.T) {
		t.Parallel()
		c, repoDir, _ := backedUpRepo(t)
		before := state(t, repoDir)
		requireOneLineError(t, c.run("init"), exitFailure, "already")
		requireOneLineError(t, c.with("CUSTODIA_PASSWORD", "another long passphrase").run("init"), exitFailure, "already")
		requireOneLineError(t, c.run("init", "--data-shards", "3", "--parity-shards", "1"), exitFailure, "already")
		require.Equal(t, before, state(t, repoDir))
		c.ok("snapshots") // still opens with the original password
	})

	t.Run("unreachable URL", func(t *testing.T) {
		t.Parallel()
		base := t.TempDir()
		src := filepath.Join(base, "src")
		writeFile(t, filepath.Join(src, "a.txt"), []byte("a"), 0o644)
		missing := filepath.Join(base, "no", "such", "repo")
		target := filepath.Join(base, "out")
		for _, url := range []string{missing, "file://" + filepath.ToSlash(missing)} {
			c := newCLI(t, url)
			for _, args := range [][]string{
				{"snapshots"},
				{"backup", src},
				{"restore", "latest", "--target", target},
				{"verify", "--read-data"},
				{"stats"},
			} {
				requireOneLineError(t, c.run(args...), exitFailure, "no/such/repo")
			}
		}
		requireAbsent(t, filepath.Join(base, "no"))
		requireAbsent(t, target)
	})

	t.Run("unsupported URL", func(t *testing.T) {
		t.Parallel()
		c := newCLI(t, "ftp://example.invalid/repo")
		requireOneLineError(t, c.run("snapshots"), exitFailure)
		requireOneLineError(t, c.run("init"), exitFailure)
	})

	t.Run("unwritable target", func(t *testing.T) {
		t.Parallel()
		c, repoDir, _ := backedUpRepo(t)
		before := state(t, repoDir)
		base := t.TempDir()
		file := filepath.Join(base, "regular-file")
		writeFile(t, file, []byte("keep me"), 0o644)
		// A target whose parent is a regular file cannot be created, even
		// by root.
		requireOneLineError(t, c.run("restore", "latest", "--target", filepath.Join(file, "out")), exitFailure)
		requireOneLineError(t, c.run("restore", "latest", "--target", filepath.Join(file, "a", "b")), exitFailure)
		// A target that is a regular file is not a folder.
		requireOneLineError(t, c.run("restore", "latest", "--target", file), exitFailure)
		requireOneLineError(t, c.run("restore", "latest", "--target", file, "--overwrite"), exitFailure)
		got, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.Equal(t, "keep me", string(got))
		require.Equal(t, before, state(t, repoDir))
	})

	t.Run("read-only target", func(t *testing.T) {
		t.Parallel()
		if os.Geteuid() == 0 {
			t.Skip("root writes into read-only folders")
		}
		c, repoDir, _ := backedUpRepo(t)
		before := state(t, repoDir)
		ro := filepath.Join(t.TempDir(), "ro")
		require.NoError(t, os.Mkdir(ro, 0o555))
		t.Cleanup(func() { os.Chmod(ro, 0o755) })
		requireOneLineError(t, c.run("restore", "latest", "--target", filepath.Join(ro, "out")), exitFailure)
		requireAbsent(t, filepath.Join(ro, "out"))
		require.Equal(t, before, state(t, repoDir))
	})

	t.Run("non-empty target", func(t *testing.T) {
		t.Parallel()
		c, repoDir, src := backedUpRepo(t)
		before := state(t, repoDir)
		target := t.TempDir()
		writeFile(t, filepath.Join(target, "notes.txt"), []byte("mine"), 0o644)
		targetBefore := state(t, target)
		requireOneLineError(t, c.run("restore", "latest", "--target", target), exitFailure, "not empty", "--overwrite")
		require.Equal(t, targetBefore, state(t, target))
		require.Equal(t, before, state(t, repoDir))

		// With --overwrite the snapshot is restored next to what was there,
		// replacing what is in its way.
		writeFile(t, filepath.Join(target, "src", "customers.csv"), []byte("stale copy, longer than the original"), 0o666)
		c.ok("restore", "latest", "--target", target, "--overwrite")
		requireSameTree(t, src, filepath.Join(target, "src"))
		got, err := os.ReadFile(filepath.Join(target, "notes.txt"))
		require.NoError(t, err)
		assert.Equal(t, "mine", string(got))
	})
}

// TestInterrupted cancels the context of a backup before it starts: exit
// status 1, "interrupted", and no snapshot is saved.
func TestInterrupted(t *testing.T) {
	t.Parallel()
	c, _, src := backedUpRepo(t)
	writeFile(t, filepath.Join(src, "new.txt"), []byte("new"), 0o644)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return c.env[k] }}
	code := run(ctx, []string{"backup", src}, env)
	requireOneLineError(t, result{code: code, stdout: out.String(), stderr: errb.String()}, exitFailure, "interrupted")
	require.Len(t, c.snapshotsJSON(), 1, "an interrupted backup saved a snapshot")
}

// TestUsage checks that bad usage exits with status 2 and one line, and
// that help exits 0.
func TestUsage(t *testing.T) {
	t.Parallel()
	repoDir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, repoDir)
	for _, args := range [][]string{
		{"frobnicate"},
		{"backup", "--bogus", "x"},
		{"backup"},
		{"backup", "--stdin", "somefile"},
		{"restore", "latest"},
		{"restore", "--target", "x"},
		{"restore", "latest", "--target", "x", "--include", "["},
		{"snapshots", "extra"},
		{"stats", "extra"},
		{"verify", "extra"},
		{"verify", "--read-data", "--read-data-subset", "10"},
		{"verify", "--read-data-subset", "0"},
		{"verify", "--read-data-subset", "ten"},
		{"verify", "--read-data-subset", "101%"},
		{"init", "extra"},
		{"init", "--data-shards", "0"},
		{"init", "--parity-shards", "-1"},
		{"init", "--data-shards", "200", "--parity-shards", "100"},
		{"init", "--data-shards", "four"},
		{"init", "--compression", "max"},
	} {
		res := c.run(args...)
		requireOneLineError(t, res, exitUsage)
	}
	requireAbsent(t, repoDir)

	// No repository or no password given.
	noRepo := c.with("CUSTODIA_REPOSITORY", "")
	requireOneLineError(t, noRepo.run("snapshots"), exitUsage, "CUSTODIA_REPOSITORY")
	requireOneLineError(t, noRepo.run("init"), exitUsage, "CUSTODIA_REPOSITORY")
	noPassword := c.with("CUSTODIA_PASSWORD", "")
	requireOneLineError(t, noPassword.run("init"), exitUsage, "CUSTODIA_PASSWORD")
	requireAbsent(t, repoDir)

	// No command: help on stdout, status 2; help and -h: status 0.
	res := c.run()
	assert.Equal(t, exitUsage, res.code)
	assert.Contains(t, res.stdout, "Usage:")
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"backup", "-h"}, {"restore", "--help"}, {"verify", "-h"}} {
		res := c.run(args...)
		assert.Equal(t, exitOK, res.code, "%v", args)
		assert.Contains(t, res.stdout, "Usage:", "%v", args)
		assert.Empty(t, res.stderr, "%v", args)
	}
	res = c.run("restore", "-h")
	assert.True(t, strings.Contains(res.stdout, "-target") && strings.Contains(res.stdout, "-include"), res.stdout)
	requireAbsent(t, repoDir)
}
