package repo_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// requireCachedIndexRight opens st with the cache of dir and requires the
// index an open without it holds, and every blob of every snapshot
// readable through it. It returns the index files the open read.
func requireCachedIndexRight(t *testing.T, st *storage.Store, dir string) int {
	t.Helper()
	ctx := context.Background()
	plain, err := repo.Open(ctx, st, password)
	require.NoError(t, err)
	r, err := repo.Open(ctx, st, password, repo.WithPersistentIndexCache(dir))
	require.NoError(t, err)
	wantBlobs, wantPacks := repo.IndexState(t, plain)
	gotBlobs, gotPacks := repo.IndexState(t, r)
	require.Equal(t, wantPacks, gotPacks)
	require.Equal(t, wantBlobs, gotBlobs)
	for s, err := range r.Snapshots(ctx) {
		require.NoError(t, err)
		root, err := r.LoadTree(ctx, s.Tree)
		require.NoError(t, err)
		sub, err := r.LoadTree(ctx, *root.Nodes[0].Subtree)
		require.NoError(t, err)
		for _, n := range sub.Nodes {
			_, err := r.LoadBlob(ctx, repo.BlobHandle{Type: repo.DataBlob, ID: n.Content[0]}, nil)
			require.NoError(t, err)
		}
	}
	return repo.IndexFilesRead(r)
}

// A prune between opens: its marker condemns packs (the cache, written
// without, is rebuilt), its sweep rewrites index files (the cache covers
// files that are gone, and is rebuilt); every open holds the index an
// open without the cache holds.
func TestPersistIndexAcrossPrune(t *testing.T) {
	ctx := context.Background()
	r, st := newRepo(t, "", repo.WithPackSize(1<<20))
	saveFiles(t, r, "h", seedRange(1, 12)...)
	second := saveFiles(t, r, "h", seedRange(13, 24)...)
	saveFiles(t, r, "h", append(seedRange(1, 3), seedRange(25, 28)...)...)
	dir := t.TempDir()
	files := countObjects(t, st, "index/")
	assert.Equal(t, files, requireCachedIndexRight(t, st, dir), "the first open reads every index file")
	assert.Equal(t, 0, requireCachedIndexRight(t, st, dir), "the second reads none")

	require.NoError(t, st.Delete(ctx, "snapshots/"+second.String()))
	margin := 2 * time.Second
	opts := repo.PruneOptions{Margin: margin, Memory: 1 << 20, TempDir: t.TempDir()}
	_, err := r.Prune(ctx, opts)
	marked := time.Now()
	require.NoError(t, err)
	require.Equal(t, 1, countObjects(t, st, "prune/"))
	files = countObjects(t, st, "index/")
	assert.Equal(t, files, requireCachedIndexRight(t, st, dir), "a marker condemned packs: rebuilt")
	assert.Equal(t, 0, requireCachedIndexRight(t, st, dir))

	time.Sleep(time.Until(marked.Add(margin)))
	rep, err := r.Prune(ctx, opts)
	require.NoError(t, err)
	require.Positive(t, rep.PacksDeleted)
	files = countObjects(t, st, "index/")
	assert.Equal(t, files, requireCachedIndexRight(t, st, dir), "index files rewritten: rebuilt")
	assert.Equal(t, 0, requireCachedIndexRight(t, st, dir))
}

// A write-only session keeps a cache of its own beside the full role's
// (the two trust different packs): alternating opens of both rebuild
// neither, and each holds the index its role holds without the cache.
func TestPersistIndexWriteOnly(t *testing.T) {
	ctx := context.Background()
	full, wo, st := writeOnlyRepo(t)
	// No blob in two packs: a write-only session trusts every pack, and
	// which of two equal places a reader keeps is its choice (§13).
	writeSnapshot(t, full, []byte("invoice 1, stored by the full key\n"))
	writeSnapshot(t, wo, []byte("invoice 2, stored by the backup machine\n"))
	dir := t.TempDir()
	open := func(pw []byte, opts ...repo.OpenOption) *repo.Repository {
		r, err := repo.Open(ctx, st, pw, opts...)
		require.NoError(t, err)
		return r
	}
	files := countObjects(t, st, "index/")
	for round := range 2 {
		for _, pw := range [][]byte{password, writeOnlyPassword} {
			r := open(pw, repo.WithPersistentIndexCache(dir))
			want := files
			if round > 0 {
				want = 0
			}
			assert.Equal(t, want, repo.IndexFilesRead(r), "round %d, write-only %v", round, r.WriteOnly())
			wantBlobs, wantPacks := repo.IndexState(t, open(pw))
			gotBlobs, gotPacks := repo.IndexState(t, r)
			require.Equal(t, wantPacks, gotPacks)
			require.Equal(t, wantBlobs, gotBlobs)
		}
	}
}
