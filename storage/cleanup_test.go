package storage

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// plantFile writes a file under dir whose last change was age ago.
func plantFile(t *testing.T, dir, rel string, age time.Duration) string {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	require.NoError(t, os.WriteFile(path, []byte("partial shard"), 0o600))
	when := time.Now().Add(-age)
	require.NoError(t, os.Chtimes(path, when, when))
	return path
}

func TestStaleTemporariesRemovedByFirstWrite(t *testing.T) {
	dirs := fileDirs(t, 2)
	stale := []string{
		plantFile(t, dirs[0], "packs/ab/ab12.3.00c0ffee00c0ffee.tmp", 2*time.Hour), // ours
		plantFile(t, dirs[1], "index/0f.1.18c2a4f1e5b3d7a9.tmp", 3*time.Hour),      // the file bucket's
	}
	keep := []string{
		plantFile(t, dirs[0], "packs/ab/ab34.0.00c0ffee00c0ffef.tmp", 10*time.Minute), // a write in progress
		plantFile(t, dirs[0], "notes.tmp", 5*time.Hour),                               // not a shard's
		plantFile(t, dirs[1], "packs/ab/ab12.3", 5*time.Hour),                         // a shard
	}
	s, err := Open(context.Background(), dirs)
	require.NoError(t, err)
	for _, p := range stale {
		require.FileExists(t, p, "opening removes nothing")
	}
	require.NoError(t, s.Put(context.Background(), "snapshots/x", []byte("x")))
	require.NoError(t, s.Close()) // waits for the cleanup
	for _, p := range stale {
		assert.NoFileExists(t, p)
	}
	for _, p := range keep {
		assert.FileExists(t, p)
	}
}

func TestRemoveStaleTemporaries(t *testing.T) {
	dirs := fileDirs(t, 1)
	young := plantFile(t, dirs[0], "keys/k.0.1.tmp", 20*time.Minute)
	old := plantFile(t, dirs[0], "keys/k.1.2.tmp", 2*time.Hour)
	s := openStore(t, append(dirs, memURLs(1)...), WithStaleTemporaryAge(-1))
	require.NoError(t, s.Put(context.Background(), "keys/k", []byte("slot")))
	assert.FileExists(t, old, "disabled at write")
	n, err := s.RemoveStaleTemporaries(context.Background(), 15*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.NoFileExists(t, young)
	assert.NoFileExists(t, old)
}

func TestIsTemporary(t *testing.T) {
	for name, want := range map[string]bool{
		"ab12.3.00c0ffee00c0ffee.tmp":  true,
		"config.0.1.tmp":               true,
		"ab12.3.tmp":                   false, // no random part
		"ab12.00c0ffee.tmp":            false, // no shard index
		"ab12.3.XYZ.tmp":               false,
		"ab12.3.00c0ffee00c0ffee0.tmp": false, // 17 digits
		"notes.tmp":                    false,
		"ab12.3":                       false,
	} {
		assert.Equal(t, want, isTemporary(name), name)
	}
}
