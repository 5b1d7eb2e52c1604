//go:build unix

package repo_test

import (
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// pruneChildEnv names the repository folder a child process prunes;
// pruneChildTempEnv the parent's folder for its spill files (a killed child
// never runs t.TempDir's cleanup, so the parent owns the folder).
const (
	pruneChildEnv     = "CUSTODIA_TEST_PRUNE_CHILD"
	pruneChildTempEnv = "CUSTODIA_TEST_PRUNE_CHILD_TEMP"
)

// TestPruneChild is the child of TestPruneKilled: it prunes the repository
// named by the environment until it is killed.
func TestPruneChild(t *testing.T) {
	dir := os.Getenv(pruneChildEnv)
	if dir == "" {
		t.Skip("run by TestPruneKilled")
	}
	ctx := context.Background()
	st, err := storage.Open(ctx, []string{dir})
	require.NoError(t, err)
	r, err := repo.Open(ctx, st, password, repo.WithoutIndex())
	require.NoError(t, err)
	// A tiny margin: each run sweeps what the run before marked, so kills
	// land in both phases; little memory: blob IDs spill.
	_, err = r.Prune(ctx, repo.PruneOptions{Margin: time.Millisecond, Memory: 1 << 20, TempDir: os.Getenv(pruneChildTempEnv), MaxUnused: 0.3})
	require.NoError(t, err)
}

// kill -9 of a prune at 20 random instants: after each, the repository
// verifies with every blob read, every snapshot restores, and prune runs
// again to completion.
func TestPruneKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns 40 processes")
	}
	ctx := context.Background()
	dir := t.TempDir()
	_, st := newRepo(t, dir, repo.WithPackSize(1<<20))
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	next := uint64(0)
	// newWork saves a snapshot sharing half its files with the previous
	// one and forgets all but the last two, so every prune has packs to
	// delete and packs to rewrite.
	newWork := func() {
		var seeds []uint64
		for i := range 40 {
			if i%2 == 0 {
				seeds = append(seeds, next+uint64(i))
			} else {
				seeds = append(seeds, 1000+next+uint64(i))
			}
		}
		next += 20
		// A writer opens the repository for each backup (§19.6).
		r, err := repo.Open(ctx, st, password)
		require.NoError(t, err)
		saveFiles(t, r, "h", seeds...)
		plan, _, err := r.PlanForget(ctx, repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 2}})
		require.NoError(t, err)
		_, err = r.Forget(ctx, plan)
		require.NoError(t, err)
	}
	spill := t.TempDir()
	child := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPruneChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), pruneChildEnv+"="+dir, pruneChildTempEnv+"="+spill)
		return cmd
	}
	// Calibrate: how long one uninterrupted prune takes.
	newWork()
	newWork()
	start := time.Now()
	out, err := child().CombinedOutput()
	require.NoError(t, err, "%s", out)
	full := time.Since(start)

	for i := range 20 {
		newWork()
		cmd := child()
		require.NoError(t, cmd.Start())
		delay := time.Duration(rng.Int64N(int64(full)))
		time.Sleep(delay)
		_ = cmd.Process.Kill() // SIGKILL
		_ = cmd.Wait()

		// Whatever the instant, the repository verifies and restores.
		requireRestorable(t, st)
		// And prune runs again to completion.
		r2, err := repo.Open(ctx, st, password)
		require.NoError(t, err)
		_, err = r2.Prune(ctx, repo.PruneOptions{Margin: time.Millisecond, Memory: 1 << 20, TempDir: t.TempDir(), MaxUnused: 0.3})
		require.NoError(t, err, "prune after a kill at %v (step %d)", delay, i)
		requireRestorable(t, st)
	}
}
