package testdata

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteTreeDeterministic(t *testing.T) {
	a, b, c := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b"), filepath.Join(t.TempDir(), "c")
	ta, err := WriteTree(a, 7)
	require.NoError(t, err)
	tb, err := WriteTree(b, 7)
	require.NoError(t, err)
	_, err = WriteTree(c, 8)
	require.NoError(t, err)
	assert.Equal(t, ta, tb)
	assert.Positive(t, ta.Files)
	assert.Equal(t, 3, ta.Symlinks)

	diffs, err := Diff(a, b, true)
	require.NoError(t, err)
	assert.Empty(t, diffs)
	diffs, err = Diff(a, c, true)
	require.NoError(t, err)
	assert.NotEmpty(t, diffs, "another seed gives another tree")

	snap, err := Snapshot(a)
	require.NoError(t, err)
	assert.Equal(t, "dir", snap["archive/empty"].Type)
	assert.Equal(t, "file", snap["archive/EMPTY.txt"].Type)
	assert.Zero(t, snap["archive/EMPTY.txt"].Size)
	assert.Equal(t, os.FileMode(0o755), snap["bin/export.sh"].Mode)
	assert.Equal(t, os.FileMode(0o444), snap["archive/README-readonly.txt"].Mode)
	assert.Equal(t, "../no/such/file", snap["archive/dangling"].Target)
	var n int
	var size int64
	for _, e := range snap {
		if e.Type == "file" {
			n++
			size += e.Size
		}
	}
	assert.Equal(t, ta.Files, n)
	assert.Equal(t, ta.Bytes, size)
}

// TestDiffDetects shows that Diff reports each kind of difference.
func TestDiffDetects(t *testing.T) {
	mutations := map[string]func(root string) error{
		"content": func(r string) error {
			return os.WriteFile(filepath.Join(r, "ledger", "2024.csv"), []byte("date,account\n"), 0o600)
		},
		"same size content": func(r string) error {
			p := filepath.Join(r, "attachments", "scan-003.pdf")
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[100] ^= 1
			fi, _ := os.Stat(p)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				return err
			}
			return os.Chtimes(p, fi.ModTime(), fi.ModTime())
		},
		"mode": func(r string) error { return os.Chmod(filepath.Join(r, "bin", "export.sh"), 0o744) },
		"mtime": func(r string) error {
			p := filepath.Join(r, "customers", "customers.jsonl")
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			return os.Chtimes(p, fi.ModTime(), fi.ModTime().Add(time.Nanosecond))
		},
		"folder mtime": func(r string) error {
			return os.Chtimes(filepath.Join(r, "archive", "empty"), Epoch, Epoch)
		},
		"link target": func(r string) error {
			p := filepath.Join(r, "current")
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Symlink("invoices/2024", p)
		},
		"missing": func(r string) error { return os.Remove(filepath.Join(r, "archive", "EMPTY.txt")) },
		"extra":   func(r string) error { return os.WriteFile(filepath.Join(r, "extra"), nil, 0o644) },
		"type": func(r string) error {
			p := filepath.Join(r, "archive", "empty")
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.WriteFile(p, nil, 0o755)
		},
	}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
			_, err := WriteTree(a, 3)
			require.NoError(t, err)
			_, err = WriteTree(b, 3)
			require.NoError(t, err)
			require.NoError(t, mutate(b))
			diffs, err := Diff(a, b, true)
			require.NoError(t, err)
			// Adding or removing an entry also changes its folder's mtime.
			assert.NotEmpty(t, diffs)
			assert.LessOrEqual(t, len(diffs), 2, "%q", diffs)
		})
	}
}

func TestRandomFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, RandomFile(filepath.Join(dir, "a"), 3<<20+1, 5))
	require.NoError(t, RandomFile(filepath.Join(dir, "b"), 3<<20+1, 5))
	require.NoError(t, RandomFile(filepath.Join(dir, "c"), 3<<20+1, 6))
	a, err := os.ReadFile(filepath.Join(dir, "a"))
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(dir, "b"))
	require.NoError(t, err)
	c, err := os.ReadFile(filepath.Join(dir, "c"))
	require.NoError(t, err)
	assert.Len(t, a, 3<<20+1)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a, c)
	require.NoError(t, RandomFile(filepath.Join(dir, "empty"), 0, 1))
	fi, err := os.Stat(filepath.Join(dir, "empty"))
	require.NoError(t, err)
	assert.Zero(t, fi.Size())
}
