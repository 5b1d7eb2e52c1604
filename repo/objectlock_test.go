package repo_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"

	"github.com/custodia-backup/custodia/internal/testservers"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
	_ "github.com/custodia-backup/custodia/storage/cloud" // the S3 locker
)

// lockedRepo initialises a repository locked in mode for period on a
// fresh versitygw bucket with object lock, and returns it with its store
// and the bucket's URL.
func lockedRepo(t *testing.T, mode storage.LockMode, period time.Duration) (*repo.Repository, *storage.Store, string) {
	t.Helper()
	t.Cleanup(repo.SetMinLockPeriod(time.Second))
	ctx := context.Background()
	u := testservers.S3Locked(t)
	st, err := storage.Open(ctx, []string{u}, storage.WithShards(2, 1))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	r, err := repo.Init(ctx, st, password, fastArgon, repo.WithPackSize(1<<20), repo.WithObjectLock(mode, period))
	require.NoError(t, err)
	return r, st, u
}

// packRetention returns the latest retention date among the packs.
func packRetentions(t *testing.T, r *repo.Repository) map[string]storage.Retention {
	t.Helper()
	ctx := context.Background()
	out := map[string]storage.Retention{}
	for name, err := range r.Store().List(ctx, "packs/") {
		require.NoError(t, err)
		ret, err := r.Store().Retention(ctx, name)
		require.NoError(t, err)
		out[name] = ret
	}
	return out
}

func TestObjectLockInit(t *testing.T) {
	ctx := context.Background()
	defer repo.SetMinLockPeriod(time.Second)()
	// No site can lock: a local folder, an S3 bucket without object lock.
	for _, u := range []string{t.TempDir(), testservers.S3(t)} {
		st, err := storage.Open(ctx, []string{u}, storage.WithCreate())
		require.NoError(t, err)
		_, err = repo.Init(ctx, st, password, fastArgon, repo.WithObjectLock(storage.LockCompliance, time.Hour))
		require.ErrorIs(t, err, storage.ErrLockUnsupported, u)
		st.Close()
	}
	st, err := storage.Open(ctx, []string{testservers.S3Locked(t)})
	require.NoError(t, err)
	defer st.Close()
	_, err = repo.Init(ctx, st, password, fastArgon, repo.WithObjectLock("forever", time.Hour))
	require.ErrorIs(t, err, repo.ErrBadPolicy)
	_, err = repo.Init(ctx, st, password, fastArgon, repo.WithObjectLock(storage.LockGovernance, time.Millisecond))
	require.ErrorIs(t, err, repo.ErrBadPolicy)

	r, err := repo.Init(ctx, st, password, fastArgon, repo.WithObjectLock(storage.LockGovernance, time.Hour))
	require.NoError(t, err)
	saveFiles(t, r, "h", 1, 2, 3)
	require.NoError(t, r.Flush(ctx))

	// Reopened, the setting comes from the config; every object a restore
	// needs is locked, prune's and forget's bookkeeping is not.
	r2, err := repo.Open(ctx, st, password)
	require.NoError(t, err)
	c, ok := r2.ObjectLock()
	require.True(t, ok)
	assert.Equal(t, repo.ObjectLockConfig{Mode: storage.LockGovernance, Period: time.Hour}, c)
	for _, prefix := range []string{"config", "keys/", "packs/", "index/", "snapshots/", "audit/"} {
		n := 0
		for name, err := range r2.Store().List(ctx, prefix) {
			require.NoError(t, err)
			ret, err := r2.Store().Retention(ctx, name)
			require.NoError(t, err)
			assert.True(t, ret.LockedAt(time.Now().Add(50*time.Minute)), name)
			n++
		}
		assert.Positive(t, n, prefix)
	}
	entries, err := r2.Audit(ctx, time.Time{})
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	assert.Equal(t, "GOVERNANCE", entries[0].Args["object_lock"])

	// Prune refuses a margin that leaves no time to extend the locks.
	_, err = r2.Prune(ctx, repo.PruneOptions{Margin: 40 * time.Minute})
	require.ErrorIs(t, err, repo.ErrBadPolicy)
}

// TestObjectLockPrune follows locked packs through prune: their locks are
// extended while a snapshot uses them; once unused they are condemned but
// left in place while locked, and deleted by a later prune after their
// locks lapse. Forget keeps a snapshot whose object is locked.
func TestObjectLockPrune(t *testing.T) {
	ctx := context.Background()
	const period = 16 * time.Second
	r, st, _ := lockedRepo(t, storage.LockGovernance, period)
	saveFiles(t, r, "h", seedRange(1, 20)...)
	second := saveFiles(t, r, "h", seedRange(21, 40)...)
	saveFiles(t, r, "h", append(seedRange(1, 5), seedRange(41, 45)...)...)
	require.NoError(t, r.Flush(ctx))
	packsBefore := countObjects(t, st, "packs/")

	// The snapshot object cannot be deleted, through custodia or with the
	// bucket's credential.
	require.ErrorIs(t, r.Store().Delete(ctx, "snapshots/"+second.String()), storage.ErrLocked)
	require.Error(t, st.Delete(ctx, "snapshots/"+second.String()))
	plan := &repo.ForgetPlan{Groups: []repo.ForgetGroup{{Remove: []repo.ForgetDecision{{Snapshot: mustSnapshot(t, r, second)}}}}}
	removed, err := r.Forget(ctx, plan)
	require.ErrorIs(t, err, storage.ErrLocked)
	assert.Empty(t, removed)
	policy, _, err := r.PlanForget(ctx, repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 1}})
	require.NoError(t, err)
	require.Len(t, policy.Groups, 1)
	assert.Empty(t, policy.Groups[0].Remove, "locked snapshots are kept")
	require.Len(t, policy.Groups[0].Keep, 3)
	assert.True(t, strings.HasPrefix(policy.Groups[0].Keep[2].Reasons[0], "object lock until "), policy.Groups[0].Keep[2].Reasons)

	// Shortly before the snapshot's lock lapses, every pack's lock ends
	// within half the period (the packs were written before it), and
	// prune extends them all to a period from then, leaving the snapshots'
	// locks alone. The checks are relative to when prune ran and to the
	// locks before it: on a loaded machine the saves above take seconds.
	sretBefore, err := r.Store().Retention(ctx, "snapshots/"+second.String())
	require.NoError(t, err)
	time.Sleep(time.Until(sretBefore.Latest.Add(-2 * time.Second)))
	opts := repo.PruneOptions{Margin: time.Second, Memory: 1 << 20, TempDir: t.TempDir()}
	before := packRetentions(t, r)
	pruned := time.Now()
	rep, err := r.Prune(ctx, opts)
	require.NoError(t, err)
	// The packs of the first save end before the snapshot's lock, so some
	// are due; packs written later (the third save's, when the saves are
	// slow) may not be, and need only end past half a period.
	assert.Positive(t, rep.LocksExtended)
	for name, ret := range packRetentions(t, r) {
		assert.False(t, ret.Earliest.Before(pruned.Add(period/2).Truncate(time.Second)), "%s: %v", name, ret.Earliest)
		if b, ok := before[name]; ok && b.Earliest.Before(pruned.Add(period/2)) {
			assert.False(t, ret.Earliest.Before(pruned.Add(period).Truncate(time.Second)), "%s due, not extended: %v", name, ret.Earliest)
		}
	}
	sret, err := r.Store().Retention(ctx, "snapshots/"+second.String())
	require.NoError(t, err)
	assert.Equal(t, sretBefore.Latest.Unix(), sret.Latest.Unix(), "snapshot locks are not extended")

	// Once the snapshot's lock lapses, forget removes it; prune condemns
	// its packs but leaves them while they are locked.
	time.Sleep(time.Until(sret.Latest.Add(time.Second)))
	removed, err = r.Forget(ctx, plan)
	require.NoError(t, err)
	require.Len(t, removed, 1)
	rep, err = r.Prune(ctx, opts)
	require.NoError(t, err)
	assert.Positive(t, rep.PacksMarkedUnused)
	time.Sleep(opts.Margin)
	rep, err = r.Prune(ctx, opts)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.MarkersSwept)
	assert.Positive(t, rep.PacksLocked)
	assert.Zero(t, rep.PacksDeleted, "locked packs are not deleted")
	assert.Equal(t, packsBefore, countObjects(t, st, "packs/"))
	requireRestorable(t, st)

	// After the locks lapse (the packs' own, and those of the index files
	// naming them, which the sweep superseded), a prune condemns the packs
	// again and a later one deletes them.
	deadline := time.Now().Add(4 * period)
	deleted := 0
	for deleted == 0 && time.Now().Before(deadline) {
		time.Sleep(opts.Margin)
		rep, err = r.Prune(ctx, opts)
		require.NoError(t, err)
		deleted += rep.PacksDeleted
	}
	assert.Positive(t, deleted)
	assert.Less(t, countObjects(t, st, "packs/"), packsBefore)
	requireRestorable(t, st)
}

func mustSnapshot(t *testing.T, r *repo.Repository, id repo.ID) *repo.Snapshot {
	t.Helper()
	s, err := r.LoadSnapshot(context.Background(), id)
	require.NoError(t, err)
	return s
}

// TestObjectLockAttack plays ransomware holding the bucket's write
// credential: it tries to delete and overwrite every object. The locked
// objects survive and every snapshot restores; only the unlocked
// bookkeeping (here the retention floor) is gone.
func TestObjectLockAttack(t *testing.T) {
	ctx := context.Background()
	// GOVERNANCE: the attacker's requests do not carry the bypass header,
	// and the test's cleanup can remove the objects.
	r, st, u := lockedRepo(t, storage.LockGovernance, time.Hour)
	saveFiles(t, r, "h", 1, 2, 3)
	saveFiles(t, r, "h", 3, 4, 5)
	require.NoError(t, r.Flush(ctx))
	span, err := repo.ParseSpan("10y")
	require.NoError(t, err)
	_, err = r.SetRetentionFloor(ctx, "invoice", "", span)
	require.NoError(t, err)

	b, err := blob.OpenBucket(ctx, u)
	require.NoError(t, err)
	defer b.Close()
	var keys []string
	it := b.List(nil)
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			break
		}
		keys = append(keys, obj.Key)
	}
	require.NotEmpty(t, keys)
	deleted := 0
	for _, k := range keys {
		if b.WriteAll(ctx, k, []byte("encrypted by ransomware"), nil) == nil && !strings.HasPrefix(k, "retention/") {
			t.Errorf("overwrote %s", k)
		}
		if b.Delete(ctx, k) == nil {
			deleted++
			assert.True(t, strings.HasPrefix(k, "retention/"), "deleted %s", k)
		}
	}
	assert.Positive(t, deleted, "the retention floor is not locked")
	requireRestorable(t, st)
}

// TestObjectLockSitesUnreachable: when the S3 site cannot be reached, a
// locked repository still opens (with a warning) and reads, but prune and
// forget refuse, since they could not tell locked objects from others.
func TestObjectLockSitesUnreachable(t *testing.T) {
	ctx := context.Background()
	t.Cleanup(repo.SetMinLockPeriod(time.Second))
	local := t.TempDir()
	bucket := testservers.S3Locked(t)
	st, err := storage.Open(ctx, []string{local, bucket}, storage.WithShards(2, 2))
	require.NoError(t, err)
	r, err := repo.Init(ctx, st, password, fastArgon, repo.WithObjectLock(storage.LockGovernance, time.Hour))
	require.NoError(t, err)
	id := saveFiles(t, r, "h", 1, 2)
	require.NoError(t, r.Close(ctx))
	require.NoError(t, st.Close())

	// The same bucket behind a port nobody listens on.
	gone := strings.Replace(bucket, "endpoint=http%3A%2F%2F127.0.0.1%3A", "endpoint=http%3A%2F%2F127.0.0.1%3A1", 1)
	require.NotEqual(t, bucket, gone)
	st2, err := storage.Open(ctx, []string{local, gone}, storage.WithAllowUnreachable())
	require.NoError(t, err)
	defer st2.Close()
	r2, err := repo.Open(ctx, st2, password)
	require.NoError(t, err)
	warned := false
	for _, w := range r2.Warnings() {
		warned = warned || errors.Is(w, repo.ErrLockConfigured)
	}
	assert.True(t, warned, "opening warns that new objects are written unlocked: %v", r2.Warnings())
	_, err = r2.LoadSnapshot(ctx, id)
	require.NoError(t, err, "reads work from the local shards")
	_, err = r2.Prune(ctx, repo.PruneOptions{Margin: time.Second})
	require.ErrorIs(t, err, repo.ErrLockConfigured)
	_, _, err = r2.PlanForget(ctx, repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 1}})
	require.ErrorIs(t, err, repo.ErrLockConfigured)
}
