package repo_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// blobData returns n pseudo-random (incompressible) bytes from seed.
func blobData(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// saveFiles writes a snapshot of one folder holding one file per seed,
// each file one 100 KiB blob, and returns its ID.
func saveFiles(t testing.TB, r *repo.Repository, host string, seeds ...uint64) repo.ID {
	t.Helper()
	ctx := context.Background()
	var nodes []repo.Node
	for _, s := range seeds {
		data := blobData(s, 100<<10)
		id := r.BlobID(data)
		_, err := r.SaveBlob(ctx, repo.DataBlob, id, data, false)
		require.NoError(t, err)
		nodes = append(nodes, repo.Node{Name: fmt.Sprintf("f%06d", s), Type: repo.NodeFile, Size: uint64(len(data)), Content: []repo.ID{id}})
	}
	sub, err := r.SaveTree(ctx, &repo.Tree{Nodes: dedupNodes(nodes)})
	require.NoError(t, err)
	root, err := r.SaveTree(ctx, &repo.Tree{Nodes: []repo.Node{{Name: "dir", Type: repo.NodeDir, Subtree: &sub}}})
	require.NoError(t, err)
	sid, err := r.SaveSnapshot(ctx, &repo.Snapshot{Time: time.Now(), Host: host, Paths: []string{"/dir"}, Kind: repo.KindFiles, Tree: root})
	require.NoError(t, err)
	return sid
}

// requireRestorable opens the repository afresh and reads every file of
// every snapshot, comparing it with the data its name's seed gives; then
// a check reading all data must find nothing.
func requireRestorable(t testing.TB, st *storage.Store) {
	t.Helper()
	ctx := context.Background()
	r, err := repo.Open(ctx, st, password)
	require.NoError(t, err)
	for s, err := range r.Snapshots(ctx) {
		require.NoError(t, err)
		root, err := r.LoadTree(ctx, s.Tree)
		require.NoError(t, err)
		sub, err := r.LoadTree(ctx, *root.Nodes[0].Subtree)
		require.NoError(t, err)
		for _, n := range sub.Nodes {
			var seed uint64
			_, err := fmt.Sscanf(n.Name, "f%d", &seed)
			require.NoError(t, err)
			got, err := r.LoadBlob(ctx, repo.BlobHandle{Type: repo.DataBlob, ID: n.Content[0]}, nil)
			require.NoError(t, err, "snapshot %s file %s", s.ID.String()[:8], n.Name)
			require.True(t, bytes.Equal(blobData(seed, 100<<10), got))
		}
	}
	rep, err := r.Check(ctx, repo.CheckOptions{ReadData: true})
	require.NoError(t, err)
	require.Empty(t, rep.Findings)
}

func countObjects(t testing.TB, st *storage.Store, prefix string) int {
	n := 0
	for _, err := range st.List(context.Background(), prefix) {
		require.NoError(t, err)
		n++
	}
	return n
}

func TestPruneTwoPhases(t *testing.T) {
	ctx := context.Background()
	r, st := newRepo(t, "", repo.WithPackSize(1<<20))
	// Three snapshots: 1..20, 21..40, and 1..5 + 41..45. Forgetting the
	// second leaves packs with blobs 21..40 unused.
	saveFiles(t, r, "h", seedRange(1, 20)...)
	second := saveFiles(t, r, "h", seedRange(21, 40)...)
	saveFiles(t, r, "h", append(seedRange(1, 5), seedRange(41, 45)...)...)
	packsBefore := countObjects(t, st, "packs/")
	require.NoError(t, st.Delete(ctx, "snapshots/"+second.String()))

	// The margin is long enough that the checks "before the margin" below
	// finish within it on a loaded machine under -race; the test then
	// waits only for what is left of it.
	margin := 4 * time.Second
	opts := repo.PruneOptions{Margin: margin, Memory: 1 << 20, TempDir: t.TempDir()}

	dry := opts
	dry.DryRun = true
	rep, err := r.Prune(ctx, dry)
	require.NoError(t, err)
	assert.Positive(t, rep.PacksMarkedUnused+rep.PacksRepacked)
	assert.Equal(t, 0, countObjects(t, st, "prune/"), "a dry run writes nothing")

	rep, err = r.Prune(ctx, opts)
	marked := time.Now() // the marker was written before this
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Snapshots)
	assert.Equal(t, int64(25+4), rep.UsedBlobs, "25 data blobs and 4 trees")
	assert.Positive(t, rep.PacksMarkedUnused+rep.PacksRepacked)
	assert.Equal(t, 0, rep.PacksDeleted, "phase 1 deletes nothing")

	// Before the margin, a second run sweeps nothing and marks nothing new
	// (it runs first, right after the marker, so that a slow machine stays
	// within the margin; the checks of phase 1's result come after it).
	rep, err = r.Prune(ctx, opts)
	require.NoError(t, err)
	assert.Equal(t, 0, rep.MarkersSwept)
	assert.Equal(t, 0, rep.PacksMarkedUnused+rep.PacksRepacked)
	assert.Equal(t, 1, rep.MarkersPending)
	assert.Equal(t, 1, countObjects(t, st, "prune/"))
	requireRestorable(t, st)

	time.Sleep(time.Until(marked.Add(margin)))
	rep, err = r.Prune(ctx, opts)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.MarkersSwept)
	assert.Positive(t, rep.PacksDeleted)
	assert.Positive(t, rep.BytesFreed)
	assert.Equal(t, 0, countObjects(t, st, "prune/"))
	assert.Less(t, countObjects(t, st, "packs/"), packsBefore)
	requireRestorable(t, st)

	// Nothing is left to do.
	time.Sleep(margin)
	rep, err = r.Prune(ctx, opts)
	require.NoError(t, err)
	assert.Equal(t, 0, rep.PacksMarkedUnused+rep.PacksRepacked+rep.UnindexedMarked)
}

func TestPruneRepacksMostlyUnusedPacks(t *testing.T) {
	ctx := context.Background()
	repo.FillOnePack(t) // the test is about one pack's share of live blobs
	r, st := newRepo(t, "", repo.WithPackSize(1<<20))
	// One pack of 9 blobs; keep 2 of them.
	var seeds []uint64
	for i := uint64(100); i < 109; i++ {
		seeds = append(seeds, i)
	}
	all := saveFiles(t, r, "h", seeds...)
	saveFiles(t, r, "h", 100, 101)
	require.NoError(t, st.Delete(ctx, "snapshots/"+all.String()))
	opts := repo.PruneOptions{Margin: 100 * time.Millisecond}
	rep, err := r.Prune(ctx, opts)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.PacksRepacked)
	assert.Equal(t, int64(2), rep.BlobsCopied)
	requireRestorable(t, st)
	time.Sleep(opts.Margin)
	rep, err = r.Prune(ctx, opts)
	require.NoError(t, err)
	assert.Equal(t, 0, rep.PacksRescued)
	assert.GreaterOrEqual(t, rep.PacksDeleted, 1)
	requireRestorable(t, st)

	// With MaxUnused 1 nothing is ever rewritten.
	saveFiles(t, r, "h", 200, 201, 202)
	ids, err := r.SnapshotIDs(ctx)
	require.NoError(t, err)
	for _, id := range ids {
		require.NoError(t, st.Delete(ctx, "snapshots/"+id.String()))
	}
	saveFiles(t, r, "h", 200)
	rep, err = r.Prune(ctx, repo.PruneOptions{Margin: time.Hour, MaxUnused: 1})
	require.NoError(t, err)
	assert.Equal(t, 0, rep.PacksRepacked)
}

func TestPruneRescuesAndWriterRules(t *testing.T) {
	ctx := context.Background()
	r, st := newRepo(t, "", repo.WithPackSize(1<<20))
	old := saveFiles(t, r, "h", 1, 2, 3)
	require.NoError(t, st.Delete(ctx, "snapshots/"+old.String()))

	// A backup opened before the prune relies on blob 1 (deduplicated).
	early, err := repo.Open(ctx, st, password)
	require.NoError(t, err)
	data1 := blobData(1, 100<<10)
	assert.True(t, early.HasBlob(repo.BlobHandle{Type: repo.DataBlob, ID: early.BlobID(data1)}))

	// W2 below must save within Margin/2 of the marker, on a loaded
	// machine under -race too.
	margin := 8 * time.Second
	opts := repo.PruneOptions{Margin: margin}
	rep, err := r.Prune(ctx, opts)
	marked := time.Now() // the marker was written before this
	require.NoError(t, err)
	require.Positive(t, rep.PacksMarkedUnused)

	// W2: the early writer saves its snapshot within Margin/2 (first,
	// right after the marker, so a slow machine stays within it): allowed;
	// phase 2 must then rescue the pack of blob 1.
	saveFiles(t, early, "early", 1)

	// W1: a writer opened after the marker does not deduplicate against
	// the condemned pack: it stores blob 2 again.
	late, err := repo.Open(ctx, st, password)
	require.NoError(t, err)
	data2 := blobData(2, 100<<10)
	assert.False(t, late.HasBlob(repo.BlobHandle{Type: repo.DataBlob, ID: late.BlobID(data2)}))
	saveFiles(t, late, "late", 2)

	time.Sleep(time.Until(marked.Add(margin)))
	rep, err = r.Prune(ctx, opts)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.MarkersSwept)
	assert.Equal(t, 1, rep.PacksRescued, "blob 1's pack was needed again")
	requireRestorable(t, st)

	// W2 refused: a writer that relied on a pack condemned after it
	// opened, saving later than Margin/2 after the marker.
	gone := saveFiles(t, r, "h", 7, 8)
	require.NoError(t, st.Delete(ctx, "snapshots/"+gone.String()))
	slow, err := repo.Open(ctx, st, password)
	require.NoError(t, err)
	short := repo.PruneOptions{Margin: 200 * time.Millisecond}
	_, err = r.Prune(ctx, short)
	require.NoError(t, err)
	time.Sleep(short.Margin / 2)
	data7 := blobData(7, 100<<10)
	id7 := slow.BlobID(data7)
	_, err = slow.SaveBlob(ctx, repo.DataBlob, id7, data7, false)
	require.NoError(t, err)
	tree, err := slow.SaveTree(ctx, &repo.Tree{Nodes: []repo.Node{{Name: "f000007", Type: repo.NodeFile, Size: uint64(len(data7)), Content: []repo.ID{id7}}}})
	require.NoError(t, err)
	_, err = slow.SaveSnapshot(ctx, &repo.Snapshot{Time: time.Now(), Host: "slow", Paths: []string{"/x"}, Kind: repo.KindFiles, Tree: tree})
	require.ErrorIs(t, err, repo.ErrPruneOverlap)
	requireRestorable(t, st)
}

func TestPruneCleansUnindexedAndIncomplete(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, st := newRepo(t, dir, repo.WithPackSize(1<<20))
	saveFiles(t, r, "h", 1)
	// A pack no index names, and a snapshot left with 3 of 6 shards.
	require.NoError(t, st.Put(ctx, "packs/ab/ab"+fmt.Sprintf("%062d", 1), []byte("an interrupted backup's pack")))
	stray := "snapshots/" + fmt.Sprintf("%064d", 7)
	require.NoError(t, st.Put(ctx, stray, []byte("a snapshot whose write was cut short")))
	for i := range 3 {
		require.NoError(t, deleteShard(st, dir, stray, i))
	}
	opts := repo.PruneOptions{Margin: 100 * time.Millisecond}
	rep, err := r.Prune(ctx, opts)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.UnindexedMarked)
	assert.Equal(t, 1, rep.IncompleteMarked)
	time.Sleep(opts.Margin)
	rep, err = r.Prune(ctx, opts)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.PacksDeleted)
	assert.Equal(t, 1, rep.IncompleteDeleted)
	ok, err := st.Exists(ctx, stray)
	require.NoError(t, err)
	assert.False(t, ok)
	requireRestorable(t, st)
}

func TestPruneRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, st := newRepo(t, dir)
	id := saveFiles(t, r, "h", 1)
	_, err := r.Prune(ctx, repo.PruneOptions{MaxUnused: 2})
	require.ErrorIs(t, err, repo.ErrBadPolicy)
	// A snapshot damaged beyond repair (corrupt, not just missing shards)
	// stops prune: its data would look unused.
	name := "snapshots/" + id.String()
	for i := range 3 {
		require.NoError(t, corruptShard(dir, name, i))
	}
	_, err = r.Prune(ctx, repo.PruneOptions{})
	require.ErrorIs(t, err, repo.ErrPruneUnsafe)
	assert.Equal(t, 0, countObjects(t, st, "prune/"))

	r2, st2 := newRepo(t, "")
	require.NoError(t, r2.SetAppendOnly(ctx))
	_, err = r2.Prune(ctx, repo.PruneOptions{})
	require.ErrorIs(t, err, repo.ErrAppendOnly)
	assert.Equal(t, 0, countObjects(t, st2, "prune/"))
}

// deleteShard removes shard i of object name from the local site dir.
func deleteShard(_ *storage.Store, dir, name string, i int) error {
	return os.Remove(filepath.Join(dir, name+"."+strconv.Itoa(i)))
}

// corruptShard flips a byte of shard i's header hash of object name.
func corruptShard(dir, name string, i int) error {
	p := filepath.Join(dir, name+"."+strconv.Itoa(i))
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	b[60] ^= 0xff
	return os.WriteFile(p, b, 0o600)
}

// seedRange returns the seeds a..b of saveFiles.
func seedRange(a, b uint64) []uint64 {
	var s []uint64
	for i := a; i <= b; i++ {
		s = append(s, i)
	}
	return s
}
