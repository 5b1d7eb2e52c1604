package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/repo"
)

// TestRestoreLatestFilters: "restore latest" takes restic's --host, --tag
// and --path filters; they are bad usage with a snapshot ID.
func TestRestoreLatestFilters(t *testing.T) {
	t.Parallel()
	c, _ := fastRepo(t)
	base := t.TempDir()
	ledger := filepath.Join(base, "ledger")
	invoices := filepath.Join(base, "invoices")
	writeFile(t, filepath.Join(ledger, "2026.csv"), []byte("account,amount\n4000,12.50\n"), 0o644)
	writeFile(t, filepath.Join(invoices, "INV-1.xml"), []byte("<invoice/>"), 0o644)
	c.ok("backup", "--tag", "daily", "--tag", "ledger", "--host", "books-1", ledger)
	c.ok("backup", "--tag", "monthly", "--host", "books-2", invoices)
	c.runStdin(strings.NewReader("dump"), "backup", "--stdin", "--stdin-name", "db.sql", "--host", "db-1")

	restored := func(args ...string) string {
		t.Helper()
		out := filepath.Join(t.TempDir(), "out")
		c.ok(append([]string{"restore", "latest", "--target", out}, args...)...)
		return out
	}
	requireSameTree(t, ledger, filepath.Join(restored("--tag", "daily"), "ledger"))
	requireSameTree(t, ledger, filepath.Join(restored("--tag", "daily,ledger"), "ledger"))
	requireSameTree(t, invoices, filepath.Join(restored("--tag", "daily,ledger", "--tag", "monthly"), "invoices"))
	requireSameTree(t, ledger, filepath.Join(restored("--host", "books-1"), "ledger"))
	requireSameTree(t, invoices, filepath.Join(restored("--host", "books-1", "--host", "books-2"), "invoices"))
	requireSameTree(t, ledger, filepath.Join(restored("--path", ledger), "ledger"))
	requireSameTree(t, invoices, filepath.Join(restored("--path", invoices, "--tag", "monthly"), "invoices"))
	requireFileContent(t, filepath.Join(restored("--path", "db.sql"), "db.sql"), "dump")
	requireFileContent(t, filepath.Join(restored(), "db.sql"), "dump")

	for _, args := range [][]string{
		{"--tag", "weekly"},
		{"--tag", "daily,monthly"},
		{"--host", "books-3"},
		{"--path", filepath.Join(base, "elsewhere")},
		{"--host", "books-2", "--path", ledger},
	} {
		out := filepath.Join(t.TempDir(), "out")
		requireOneLineError(t, c.run(append([]string{"restore", "latest", "--target", out}, args...)...), exitFailure, "snapshot")
		requireAbsent(t, out)
	}
	// snapshots lists those passing the same filters.
	for _, tc := range []struct {
		args []string
		want int
	}{
		{nil, 3}, {[]string{"--tag", "daily"}, 1}, {[]string{"--tag", "daily", "--tag", "monthly"}, 2},
		{[]string{"--host", "db-1"}, 1}, {[]string{"--path", invoices}, 1}, {[]string{"--tag", "weekly"}, 0},
	} {
		var list []snapshotJSON
		decodeJSON(t, c.ok(append([]string{"snapshots", "--json"}, tc.args...)...).stdout, &list)
		assert.Len(t, list, tc.want, "%v", tc.args)
	}
	id := c.snapshotsJSON()[0].ID
	requireOneLineError(t, c.run("restore", id, "--target", t.TempDir(), "--tag", "daily"), exitUsage, "latest")
	requireOneLineError(t, c.run("restore", "latest", "--target", t.TempDir(), "--tag", ","), exitUsage, "--tag")
}

func requireFileContent(t testing.TB, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, string(got))
}

// TestVerifySubsetOfSmallRepository: --read-data-subset 10% of a two-pack
// repository reads one pack and says so.
func TestVerifySubsetOfSmallRepository(t *testing.T) {
	t.Parallel()
	c, _ := fastRepo(t, repo.WithPackSize(1<<20))
	src := t.TempDir()
	require.NoError(t, fixture.RandomFile(filepath.Join(src, "a.bin"), 3<<20/2, 1))
	c.ok("backup", src)
	var rep verifyJSON
	decodeJSON(t, c.ok("verify", "--read-data-subset", "10%", "--json").stdout, &rep)
	require.GreaterOrEqual(t, rep.Packs, 2)
	assert.Equal(t, (rep.Packs+9)/10, rep.PacksRead)
	assert.Positive(t, rep.BlobsRead)
	res := c.ok("verify", "--read-data-subset", "10")
	assert.Contains(t, res.stdout, "read 1 of ")
}

// TestInitPasswordLength: init refuses a password shorter than 12
// characters unless --insecure-password is given.
func TestInitPasswordLength(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "repo")
	short := newCLI(t, dir).with("CUSTODIA_PASSWORD", "elevenchars")
	requireOneLineError(t, short.run("init"), exitUsage, "12", "--insecure-password")
	requireAbsent(t, dir)
	// Characters, not bytes: twelve non-ASCII letters are enough.
	newCLI(t, filepath.Join(t.TempDir(), "repo")).with("CUSTODIA_PASSWORD", "密码密码密码密码密码密码").ok("init", "--quiet")
	short.ok("init", "--insecure-password", "--quiet")
	short.ok("snapshots")
}

// TestPasswordFileReadableByOthers: a password file others can read works,
// with one warning on stderr.
func TestPasswordFileReadableByOthers(t *testing.T) {
	t.Parallel()
	c, _ := fastRepo(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	writeFile(t, pwFile, []byte(testPassword+"\n"), 0o644)
	noEnv := c.with("CUSTODIA_PASSWORD", "")
	res := noEnv.run("snapshots", "--password-file", pwFile)
	require.Equal(t, exitOK, res.code, res.stderr)
	requireOneStderrLine(t, res, "warning", pwFile, "chmod 600")
	res = noEnv.with("CUSTODIA_PASSWORD_FILE", pwFile).run("snapshots")
	require.Equal(t, exitOK, res.code, res.stderr)
	requireOneStderrLine(t, res, "warning", "chmod 600")
}

// TestLs lists a snapshot's root, a folder and a file, recursively and as
// JSON, by the paths restore --include takes.
func TestLs(t *testing.T) {
	t.Parallel()
	c, _ := fastRepo(t)
	src := filepath.Join(t.TempDir(), "books")
	_, err := fixture.WriteTree(src, 3)
	require.NoError(t, err)
	c.ok("backup", src)

	// Every path under the source, as ls names them.
	var want []string
	require.NoError(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(filepath.Dir(src), p)
		want = append(want, filepath.ToSlash(rel))
		return err
	}))
	slices.Sort(want)

	var all []lsEntry
	decodeJSON(t, c.ok("ls", "latest", "--recursive", "--json").stdout, &all)
	got := make([]string, len(all))
	for i, e := range all {
		got[i] = e.Path
	}
	slices.Sort(got)
	assert.Equal(t, want, got)

	res := c.ok("ls", "latest")
	require.Equal(t, 1, strings.Count(res.stdout, "\n"), res.stdout)
	assert.True(t, strings.HasPrefix(res.stdout, "drwx"), res.stdout)
	assert.True(t, strings.HasSuffix(res.stdout, " books/\n"), res.stdout)

	var top []lsEntry
	decodeJSON(t, c.ok("--json", "ls", "latest", "books").stdout, &top)
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	require.Len(t, top, len(entries))
	for i, e := range top {
		assert.Equal(t, "books/"+entries[i].Name(), e.Path)
	}
	// A file lists itself, with its size.
	for _, e := range all {
		if e.Type == repo.NodeFile {
			var one []lsEntry
			decodeJSON(t, c.ok("ls", "latest", e.Path, "--json").stdout, &one)
			require.Len(t, one, 1)
			assert.Equal(t, e, one[0])
			break
		}
	}
	requireOneLineError(t, c.run("ls", "latest", "books/no-such-file"), exitFailure, "no such file")
	requireOneLineError(t, c.run("ls"), exitUsage)
	requireOneLineError(t, c.run("ls", "latest", "a", "b"), exitUsage)
	var empty []lsEntry
	emptyDir := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.Mkdir(emptyDir, 0o755))
	c.ok("backup", emptyDir)
	decodeJSON(t, c.ok("ls", "latest", "empty", "--json").stdout, &empty)
	assert.Empty(t, empty)
}
