package main

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

const testPassword = "correct horse battery staple"

// result is the outcome of one in-process run of the CLI.
type result struct {
	code   int
	stdout string
	stderr string
}

// tcli runs the CLI in-process with a fake environment.
type tcli struct {
	t   testing.TB
	env map[string]string
}

// newCLI returns a runner whose CUSTODIA_REPOSITORY names the given sites
// and whose CUSTODIA_PASSWORD is testPassword.
func newCLI(t testing.TB, sites ...string) *tcli {
	return &tcli{t: t, env: map[string]string{
		"CUSTODIA_REPOSITORY": strings.Join(sites, ","),
		"CUSTODIA_PASSWORD":   testPassword,
		"CUSTODIA_CACHE_DIR":  t.TempDir(),
	}}
}

// with returns a copy of c with one environment variable changed.
func (c *tcli) with(key, value string) *tcli {
	env := make(map[string]string, len(c.env)+1)
	for k, v := range c.env {
		env[k] = v
	}
	env[key] = value
	return &tcli{t: c.t, env: env}
}

func (c *tcli) run(args ...string) result {
	c.t.Helper()
	return c.runStdin(strings.NewReader(""), args...)
}

func (c *tcli) runStdin(stdin io.Reader, args ...string) result {
	c.t.Helper()
	var out, errb bytes.Buffer
	env := &cliEnv{stdin: stdin, stdout: &out, stderr: &errb, getenv: func(k string) string { return c.env[k] }}
	code := run(c.t.Context(), args, env)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// ok runs the CLI and requires exit status 0 and a silent stderr (no
// progress display off a terminal).
func (c *tcli) ok(args ...string) result {
	c.t.Helper()
	res := c.run(args...)
	require.Equal(c.t, exitOK, res.code, "custodia %v: stderr: %s", args, res.stderr)
	require.Empty(c.t, res.stderr, "custodia %v wrote to stderr on success", args)
	return res
}

// requireOneLineError requires exit status code, nothing on stdout and
// exactly one line on stderr starting "custodia: " and containing every
// string in contains (case-insensitively).
func requireOneLineError(t testing.TB, res result, code int, contains ...string) {
	t.Helper()
	require.Equal(t, code, res.code, "exit status; stdout: %q stderr: %q", res.stdout, res.stderr)
	require.Empty(t, res.stdout, "stdout of a failed command")
	requireOneStderrLine(t, res, contains...)
}

// requireOneStderrLine requires exactly one line on stderr, starting
// "custodia: ", with no stack trace, containing every string in contains.
func requireOneStderrLine(t testing.TB, res result, contains ...string) {
	t.Helper()
	require.True(t, strings.HasSuffix(res.stderr, "\n"), "stderr %q does not end in a newline", res.stderr)
	lines := strings.Split(strings.TrimSuffix(res.stderr, "\n"), "\n")
	require.Len(t, lines, 1, "stderr %q is not one line", res.stderr)
	require.True(t, strings.HasPrefix(lines[0], "custodia: "), "stderr %q does not start with \"custodia: \"", lines[0])
	require.NotContains(t, lines[0], "goroutine")
	require.NotContains(t, lines[0], "panic")
	require.NotContains(t, lines[0], testPassword, "the password leaked into an error message")
	for _, s := range contains {
		require.Contains(t, strings.ToLower(lines[0]), strings.ToLower(s))
	}
}

// newRepo creates an empty folder, initialises a repository there and
// returns a runner for it and the folder.
func newRepo(t testing.TB, args ...string) (*tcli, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo")
	c := newCLI(t, dir)
	c.ok(append([]string{"init"}, args...)...)
	return c, dir
}

// fastRepo creates a repository in a new folder as "custodia init" does
// (a local site, 4+2 shards), but through the library with a cheap
// Argon2id cost in its key slot, so that each of the many commands a test
// runs opens it in milliseconds instead of a third of a second. opts may
// change e.g. the pack size.
func fastRepo(t testing.TB, opts ...repo.InitOption) (*tcli, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "repo")
	ctx := t.Context()
	st, err := storage.Open(ctx, []string{dir}, storage.WithCreate())
	require.NoError(t, err)
	cheap := repo.WithArgon2(crypto.Argon2Params{Time: 1, MemoryKiB: 256, Threads: 1})
	r, err := repo.Init(ctx, st, []byte(testPassword), append([]repo.InitOption{cheap}, opts...)...)
	require.NoError(t, err)
	require.NoError(t, r.Close(ctx))
	require.NoError(t, st.Close())
	return newCLI(t, dir), dir
}

// state records every file under dir (content hash, size, mode, mtime) so
// a test can require that a command changed nothing.
func state(t testing.TB, dir string) map[string]fixture.Entry {
	t.Helper()
	s, err := fixture.Snapshot(dir)
	require.NoError(t, err)
	return s
}

// requireSameTree requires that the tree at got is identical to the one at
// want: types, contents, modes, mtimes and link targets.
func requireSameTree(t testing.TB, want, got string) {
	t.Helper()
	fixture.RequireSameTree(t, want, got)
}

// diskUsage is the space the files under dir take on disk (allocated
// blocks), plus their apparent size.
func diskUsage(t testing.TB, dir string) (onDisk, apparent int64) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		onDisk += fixture.Allocated(fi)
		if fi.Mode().IsRegular() {
			apparent += fi.Size()
		}
		return nil
	})
	require.NoError(t, err)
	return onDisk, apparent
}

// shardFile is one stored shard of an object in a local site.
type shardFile struct {
	object string // object name, e.g. "packs/ab/ab12..."
	index  int
	path   string // file path
}

// shardFiles lists the shard files under the site folders, grouped by
// object name, each group sorted by shard index. With prefix, only objects
// whose names start with it.
func shardFiles(t testing.TB, prefix string, sites ...string) map[string][]shardFile {
	t.Helper()
	out := make(map[string][]shardFile)
	for _, site := range sites {
		err := filepath.WalkDir(site, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(site, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			dot := strings.LastIndexByte(rel, '.')
			if dot < 0 {
				return nil
			}
			i, err := strconv.Atoi(rel[dot+1:])
			if err != nil || !strings.HasPrefix(rel, prefix) {
				return nil
			}
			out[rel[:dot]] = append(out[rel[:dot]], shardFile{object: rel[:dot], index: i, path: p})
			return nil
		})
		require.NoError(t, err)
	}
	for _, s := range out {
		sort.Slice(s, func(i, j int) bool { return s[i].index < s[j].index })
	}
	return out
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// snapshotsJSON runs "snapshots --json" and decodes it.
func (c *tcli) snapshotsJSON() []snapshotJSON {
	c.t.Helper()
	res := c.ok("snapshots", "--json")
	var list []snapshotJSON
	require.NoError(c.t, json.Unmarshal([]byte(res.stdout), &list), "snapshots --json: %s", res.stdout)
	return list
}

// writeFile writes data to path, creating parent folders.
func writeFile(t testing.TB, path string, data []byte, mode fs.FileMode) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, data, mode))
}

// sourceTree writes a small invoice-like tree plus one multi-pack random
// file under a new folder and returns the tree's root.
func sourceTree(t testing.TB, seed uint64) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "books")
	_, err := fixture.WriteTree(src, seed)
	require.NoError(t, err)
	require.NoError(t, fixture.RandomFile(filepath.Join(src, "attachments", "contract.bin"), 3<<20+17, seed))
	return src
}

// decodeJSON requires s to be exactly one JSON document and decodes it.
func decodeJSON(t testing.TB, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	require.NoError(t, dec.Decode(v), "not JSON: %q", s)
	require.False(t, dec.More(), "more than one JSON document: %q", s)
}
