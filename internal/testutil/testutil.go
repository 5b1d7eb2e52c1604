// Package testutil holds helpers shared by the tests of several packages:
// test repositories and deterministic source trees.
package testutil

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/gen"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// Password is the password of test repositories.
var Password = []byte("test password 测试")

// FastArgon keeps key slots cheap in tests.
var FastArgon = repo.WithArgon2(crypto.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1})

var memCount atomic.Int64

// NewRepo creates a repository in a fresh in-memory site (dir == "") or in
// the local folder dir.
func NewRepo(t testing.TB, dir string, opts ...repo.InitOption) (*repo.Repository, *storage.Store) {
	t.Helper()
	url := fmt.Sprintf("mem://testutil-%d", memCount.Add(1))
	if dir != "" {
		url = dir
	}
	st, err := storage.Open(context.Background(), []string{url}, storage.WithCreate())
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	r, err := repo.Init(context.Background(), st, Password, append([]repo.InitOption{FastArgon}, opts...)...)
	require.NoError(t, err)
	return r, st
}

// WriteTree writes a deterministic source tree into dir: files of edge-case
// sizes around the default chunk boundaries, text and random content, a
// symlink, an empty folder, unusual modes and names.
func WriteTree(t testing.TB, dir string) {
	t.Helper()
	files := map[string][]byte{
		"empty.txt":                   {},
		"one.bin":                     {0x42},
		"invoices/2026-01.jsonl":      gen.InvoiceText(1, 700<<10),
		"invoices/2026-02.jsonl":      gen.InvoiceText(2, 3<<20),
		"attachments/scan 001.pdf":    gen.RandomBytes(3, 512<<10),
		"attachments/scan-002.pdf":    gen.RandomBytes(4, 512<<10-1),
		"attachments/big/merged.pdf":  gen.RandomBytes(5, 8<<20+1),
		"客户/名单.csv":                   gen.InvoiceText(6, 10<<10),
		"deep/a/b/c/d/e/f/g/note.txt": []byte("deep\n"),
		"attachments/exact-max.bin":   gen.RandomBytes(7, 8<<20),
		"attachments/dup-of-scan.pdf": gen.RandomBytes(3, 512<<10),
	}
	mtime := time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
		require.NoError(t, os.Chtimes(p, mtime, mtime))
	}
	require.NoError(t, os.Chmod(filepath.Join(dir, "one.bin"), 0o600))
	require.NoError(t, os.Chmod(filepath.Join(dir, "deep/a/b/c/d/e/f/g/note.txt"), 0o751))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "empty-folder"), 0o700))
	require.NoError(t, os.Symlink("invoices/2026-01.jsonl", filepath.Join(dir, "latest.jsonl")))
	require.NoError(t, os.Symlink("/nonexistent/target", filepath.Join(dir, "dangling")))
	require.NoError(t, os.Chtimes(filepath.Join(dir, "deep"), mtime, mtime))
}

// RequireSameTree asserts that got holds exactly what want holds: names,
// types, contents, permission bits, file modification times and symlink
// targets.
func RequireSameTree(t testing.TB, want, got string) {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(want, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		rel, err := filepath.Rel(want, p)
		require.NoError(t, err)
		seen[rel] = true
		q := filepath.Join(got, rel)
		fw, err := os.Lstat(p)
		require.NoError(t, err)
		fg, err := os.Lstat(q)
		require.NoError(t, err, "missing in restore: %s", rel)
		require.Equal(t, fw.Mode(), fg.Mode(), "mode of %s", rel)
		switch {
		case fw.Mode().IsRegular():
			a, err := os.ReadFile(p)
			require.NoError(t, err)
			b, err := os.ReadFile(q)
			require.NoError(t, err)
			require.True(t, bytes.Equal(a, b), "content of %s differs", rel)
			require.True(t, fw.ModTime().Equal(fg.ModTime()), "mtime of %s: %v vs %v", rel, fw.ModTime(), fg.ModTime())
		case fw.Mode()&fs.ModeSymlink != 0:
			a, err := os.Readlink(p)
			require.NoError(t, err)
			b, err := os.Readlink(q)
			require.NoError(t, err)
			require.Equal(t, a, b, "symlink %s", rel)
		case fw.IsDir() && rel != ".":
			require.True(t, fw.ModTime().Equal(fg.ModTime()), "mtime of folder %s: %v vs %v", rel, fw.ModTime(), fg.ModTime())
		}
		return nil
	})
	require.NoError(t, err)
	err = filepath.WalkDir(got, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		rel, _ := filepath.Rel(got, p)
		require.True(t, seen[rel], "restore has an extra entry %s", rel)
		return nil
	})
	require.NoError(t, err)
}
