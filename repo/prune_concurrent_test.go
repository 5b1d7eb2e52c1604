package repo_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// forget --prune runs while two backups run, 20 rounds with randomised
// timing: every snapshot stays restorable and a check reading all data is
// clean. A backup may be refused with ErrPruneOverlap (rule W2), never
// anything else.
func TestPruneWhileBackingUp(t *testing.T) {
	ctx := context.Background()
	_, st := newRepo(t, "", repo.WithPackSize(1<<20))
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	var rmu sync.Mutex
	randN := func(n int) int { rmu.Lock(); defer rmu.Unlock(); return rng.IntN(n) }
	sleep := func(max time.Duration) { time.Sleep(time.Duration(randN(int(max)))) }

	margin := 400 * time.Millisecond
	var refused, saved, swept atomic.Int64
	backup := func(host string) error {
		sleep(50 * time.Millisecond)
		r, err := repo.Open(ctx, st, password)
		if err != nil {
			return err
		}
		base := uint64(randN(60))
		var seeds []uint64
		for i := range 4 + randN(6) {
			seeds = append(seeds, base+uint64(i*3))
		}
		// Stretch the backup between deduplication and snapshot.
		var nodes []repo.Node
		for _, s := range seeds {
			data := blobData(s, 100<<10)
			id := r.BlobID(data)
			if _, err := r.SaveBlob(ctx, repo.DataBlob, id, data, false); err != nil {
				return err
			}
			nodes = append(nodes, repo.Node{Name: fmtSeed(s), Type: repo.NodeFile, Size: uint64(len(data)), Content: []repo.ID{id}})
			sleep(15 * time.Millisecond)
		}
		sub, err := r.SaveTree(ctx, &repo.Tree{Nodes: dedupNodes(nodes)})
		if err != nil {
			return err
		}
		root, err := r.SaveTree(ctx, &repo.Tree{Nodes: []repo.Node{{Name: "dir", Type: repo.NodeDir, Subtree: &sub}}})
		if err != nil {
			return err
		}
		_, err = r.SaveSnapshot(ctx, &repo.Snapshot{Time: time.Now(), Host: host, Paths: []string{"/dir"}, Kind: repo.KindFiles, Tree: root})
		if errors.Is(err, repo.ErrPruneOverlap) {
			refused.Add(1)
			return nil
		}
		if err == nil {
			saved.Add(1)
		}
		return err
	}
	forgetPrune := func() error {
		sleep(100 * time.Millisecond)
		r, err := repo.Open(ctx, st, password, repo.WithoutIndex())
		if err != nil {
			return err
		}
		plan, _, err := r.PlanForget(ctx, repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 2}})
		if err != nil {
			return err
		}
		if _, err := r.Forget(ctx, plan); err != nil {
			return err
		}
		rep, err := r.Prune(ctx, repo.PruneOptions{Margin: margin, Memory: 1 << 20, TempDir: t.TempDir()})
		if err == nil {
			swept.Add(int64(rep.PacksDeleted))
		}
		return err
	}
	for round := range 20 {
		var wg sync.WaitGroup
		errs := make([]error, 3)
		wg.Go(func() { errs[0] = backup("a") })
		wg.Go(func() { errs[1] = backup("b") })
		wg.Go(func() { errs[2] = forgetPrune() })
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err, "round %d", round)
		}
	}
	// Let the last markers come due, and sweep them.
	time.Sleep(margin)
	require.NoError(t, forgetPrune())
	t.Logf("%d snapshots saved, %d refused by W2, %d packs deleted", saved.Load(), refused.Load(), swept.Load())
	require.Positive(t, swept.Load(), "the test must exercise deletion")
	requireRestorable(t, st)
	requireAllSnapshotsReadable(t, st)
}

func fmtSeed(s uint64) string { return "f" + leftPad(s) }

func leftPad(s uint64) string {
	b := []byte("000000")
	for i := 5; i >= 0 && s > 0; i-- {
		b[i] = byte('0' + s%10)
		s /= 10
	}
	return string(b)
}

func dedupNodes(nodes []repo.Node) []repo.Node {
	seen := map[string]bool{}
	var out []repo.Node
	for _, n := range nodes {
		if !seen[n.Name] {
			seen[n.Name] = true
			out = append(out, n)
		}
	}
	t := repo.Tree{Nodes: out}
	t.Sort()
	return t.Nodes
}

func requireAllSnapshotsReadable(t *testing.T, st *storage.Store) {
	t.Helper()
	r, err := repo.Open(context.Background(), st, password)
	require.NoError(t, err)
	n := 0
	for _, err := range r.Snapshots(context.Background()) {
		require.NoError(t, err)
		n++
	}
	require.Positive(t, n)
}
