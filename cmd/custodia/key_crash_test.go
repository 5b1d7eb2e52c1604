//go:build unix

package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/testhook"
)

// keyCrashChildEnv holds the JSON crashChild of a child process.
const keyCrashChildEnv = "CUSTODIA_TEST_KEY_CRASH_CHILD"

// crashChild is what a child process runs: the CLI with Args and Env,
// killing itself with SIGKILL at its KillAt-th step (internal/testhook).
type crashChild struct {
	Args   []string
	Env    map[string]string
	KillAt int
}

// TestKeyCrashChild is the child of the kill -9 tests below.
func TestKeyCrashChild(t *testing.T) {
	spec := os.Getenv(keyCrashChildEnv)
	if spec == "" {
		t.Skip("run by TestKeySplitKilled and TestKeyRotateKilled")
	}
	var c crashChild
	require.NoError(t, json.Unmarshal([]byte(spec), &c))
	steps := 0
	defer testhook.OnStep(func(string) {
		if steps++; steps == c.KillAt {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	})()
	env := &cliEnv{stdin: strings.NewReader(""), stdout: os.Stdout, stderr: os.Stderr, getenv: func(k string) string { return c.Env[k] }}
	require.Equal(t, exitOK, run(context.Background(), c.Args, env))
}

// runKilled runs the CLI in a child process that kills itself at step
// killAt, and reports whether it was killed (false: it finished first).
func runKilled(t *testing.T, c *tcli, killAt int, args ...string) bool {
	t.Helper()
	spec, err := json.Marshal(crashChild{Args: args, Env: c.env, KillAt: killAt})
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^TestKeyCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), keyCrashChildEnv+"="+string(spec))
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		ws, ok := exit.Sys().(syscall.WaitStatus)
		require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "child failed without being killed: %v\n%s", err, out)
		return true
	}
	require.NoError(t, err, "%s", out)
	return false
}

// copyDir copies the folder src to a new folder and returns it.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "repo")
	require.NoError(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	}))
	return dst
}

// shareFiles returns --share-file arguments for the first n share files
// in dir, or nil if fewer than n are there.
func shareArgs(t *testing.T, dir string, n int) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.share"))
	require.NoError(t, err)
	if len(files) < n {
		return nil
	}
	var args []string
	for _, f := range files[:n] {
		args = append(args, "--share-file", f)
	}
	return args
}

// requireRestores restores the latest snapshot with the given access
// arguments and compares it with src.
func requireRestores(t *testing.T, c *tcli, src string, access []string, what string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	res := c.run(append([]string{"restore", "--quiet", "latest", "--target", out}, access...)...)
	require.Equal(t, exitOK, res.code, "%s: %s", what, res.stderr)
	requireSameTree(t, src, filepath.Join(out, filepath.Base(src)))
}

// TestKeySplitKilled kills 'key split --out DIR' after each of its steps
// (custody record, each share file, each removal) and checks that the
// repository then opens and restores: with the password while it still
// has a slot, with two of the share files once it has not, and that the
// split can be run again.
func TestKeySplitKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process per step")
	}
	tmpl, dir := fastRepo(t)
	src := sourceTree(t, 4)
	tmpl.ok("backup", "--quiet", src)
	for killAt := 1; ; killAt++ {
		c := newCLI(t, copyDir(t, dir))
		shares := filepath.Join(t.TempDir(), "shares")
		split := []string{"key", "split", "--shares", "3", "--threshold", "2", "--custodian", "alice", "--custodian", "bob", "--custodian", "carol", "--out", shares}
		killed := runKilled(t, c, killAt, split...)
		res := c.run("snapshots")
		if res.code == exitOK {
			requireRestores(t, c, src, nil, "the password after a kill")
			if killed {
				// The split can be done again.
				c.ok(append(split[:len(split)-1], filepath.Join(t.TempDir(), "again"))...)
			}
		} else {
			require.Regexp(t, "wrong password|split among custodians", res.stderr, "step %d", killAt)
			access := shareArgs(t, shares, 2)
			require.NotNil(t, access, "the password no longer opens, so two shares must be on disk (step %d)", killAt)
			requireRestores(t, c.with("CUSTODIA_PASSWORD", ""), src, access, "two shares after a kill")
		}
		if !killed {
			require.Greater(t, killAt, 5, "split has at least a record, three shares and a removal")
			return
		}
	}
}

// TestKeyRotateKilled kills 'key rotate' after each of its steps (keyring,
// new slot description, new slot, removal of the old slot and of its
// description) and checks that the password then opens the repository,
// restores, backs up, and rotates again; the same for a split repository
// rotated by two custodians.
func TestKeyRotateKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process per step")
	}
	tmpl, dir := fastRepo(t)
	src, src2 := sourceTree(t, 5), sourceTree(t, 6)
	tmpl.ok("backup", "--quiet", src)
	for killAt := 1; ; killAt++ {
		c := newCLI(t, copyDir(t, dir))
		killed := runKilled(t, c, killAt, "key", "rotate")
		requireRestores(t, c, src, nil, "the password after a kill")
		c.ok("key", "rotate")
		c.ok("backup", "--quiet", src2)
		requireRestores(t, c, src2, nil, "after rotating again")
		if !killed {
			require.Greater(t, killAt, 5)
			break
		}
	}

	// A split repository, rotated by alice and bob.
	shares := filepath.Join(t.TempDir(), "shares")
	tmpl.ok("key", "split", "--shares", "3", "--threshold", "2", "--custodian", "alice", "--custodian", "bob", "--custodian", "carol", "--out", shares)
	old := shareArgs(t, shares, 2)
	for killAt := 1; ; killAt++ {
		c := newCLI(t, copyDir(t, dir)).with("CUSTODIA_PASSWORD", "")
		out := filepath.Join(t.TempDir(), "new-shares")
		killed := runKilled(t, c, killAt, append([]string{"key", "rotate", "--out", out}, old...)...)
		if res := c.run(append([]string{"snapshots"}, old...)...); res.code == exitOK {
			requireRestores(t, c, src, old, "the old shares after a kill")
		} else {
			require.Contains(t, res.stderr, "wrong custody share", "step %d", killAt)
			access := shareArgs(t, out, 2)
			require.NotNil(t, access, "the old shares no longer open, so two new ones must be on disk (step %d)", killAt)
			requireRestores(t, c, src, access, "the new shares after a kill")
		}
		if !killed {
			require.Greater(t, killAt, 5)
			return
		}
	}
}
