package cloud_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"

	"github.com/custodia-backup/custodia/internal/testservers"
	"github.com/custodia-backup/custodia/storage"
)

func everything(string) bool { return true }

// TestS3ObjectLockGovernance writes a locked object on versitygw and checks
// that neither Delete nor the bucket's own credential deletes or
// overwrites a shard, that the lock can be extended but not shortened,
// and that the object reads back intact.
func TestS3ObjectLockGovernance(t *testing.T) {
	ctx := context.Background()
	u := testservers.S3Locked(t)
	st, err := storage.Open(ctx, []string{u}, storage.WithShards(2, 1))
	require.NoError(t, err)
	defer st.Close()

	lockable, err := st.LockableSites(ctx)
	require.NoError(t, err)
	assert.Equal(t, []bool{true}, lockable)

	v, err := st.Locked(ctx, storage.ObjectLock{Mode: storage.LockGovernance, Period: time.Hour}, func(name string) bool { return name != "free" })
	require.NoError(t, err)
	data := make([]byte, 100_000)
	_, _ = rand.Read(data)
	before := time.Now()
	require.NoError(t, v.Put(ctx, "packs/ab/locked", data))
	require.NoError(t, v.Put(ctx, "free", data))

	r, err := v.Retention(ctx, "packs/ab/locked")
	require.NoError(t, err)
	assert.Equal(t, 3, r.Shards)
	assert.WithinDuration(t, before.Add(time.Hour), r.Earliest, time.Minute)
	assert.True(t, r.LockedAt(time.Now()))
	free, err := v.Retention(ctx, "free")
	require.NoError(t, err)
	assert.False(t, free.LockedAt(time.Now()), "an object the view does not lock")

	// The locking view refuses, before deleting any shard.
	err = v.Delete(ctx, "packs/ab/locked")
	require.ErrorIs(t, err, storage.ErrLocked)
	require.NoError(t, v.Delete(ctx, "free"))

	// The write credential itself cannot delete or overwrite a shard.
	b, err := blob.OpenBucket(ctx, u)
	require.NoError(t, err)
	defer b.Close()
	for i := range 3 {
		key := "packs/ab/locked." + strconv.Itoa(i)
		assert.Error(t, b.Delete(ctx, key), "delete shard %d", i)
		assert.Error(t, b.WriteAll(ctx, key, []byte("ransom"), nil), "overwrite shard %d", i)
	}
	got, _, err := st.Get(ctx, "packs/ab/locked")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(data, got))

	// Extending moves every shard's date; a shorter date is left alone.
	later := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	n, err := v.ExtendLock(ctx, "packs/ab/locked", later)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	r, err = v.Retention(ctx, "packs/ab/locked")
	require.NoError(t, err)
	assert.False(t, r.Earliest.Before(later), "earliest %v, want %v", r.Earliest, later)
	n, err = v.ExtendLock(ctx, "packs/ab/locked", time.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.Zero(t, n)
}

// TestS3ObjectLockComplianceExpires checks that a COMPLIANCE lock refuses
// deletion until its date and lets it go after.
func TestS3ObjectLockComplianceExpires(t *testing.T) {
	ctx := context.Background()
	u := testservers.S3Locked(t)
	st, err := storage.Open(ctx, []string{u}, storage.WithShards(1, 1))
	require.NoError(t, err)
	defer st.Close()
	v, err := st.Locked(ctx, storage.ObjectLock{Mode: storage.LockCompliance, Period: 2 * time.Second}, everything)
	require.NoError(t, err)
	require.NoError(t, v.Put(ctx, "snapshots/x", []byte("snapshot")))
	require.ErrorIs(t, v.Delete(ctx, "snapshots/x"), storage.ErrLocked)
	time.Sleep(3 * time.Second)
	require.NoError(t, v.Delete(ctx, "snapshots/x"))
	ok, err := st.Exists(ctx, "snapshots/x")
	require.NoError(t, err)
	assert.False(t, ok)
}

// TestS3ObjectLockUnsupported: a bucket without object lock, and a local
// folder, cannot lock.
func TestS3ObjectLockUnsupported(t *testing.T) {
	ctx := context.Background()
	st, err := storage.Open(ctx, []string{testservers.S3(t), t.TempDir()}, storage.WithShards(1, 1))
	require.NoError(t, err)
	defer st.Close()
	lockable, err := st.LockableSites(ctx)
	require.NoError(t, err)
	assert.Equal(t, []bool{false, false}, lockable)
	_, err = st.Locked(ctx, storage.ObjectLock{Mode: storage.LockCompliance, Period: time.Hour}, everything)
	require.ErrorIs(t, err, storage.ErrLockUnsupported)
	_, err = st.Locked(ctx, storage.ObjectLock{Mode: "forever", Period: time.Hour}, everything)
	require.ErrorIs(t, err, storage.ErrLockUnsupported)
}

// TestS3ObjectLockReadBackAsEnforced locks an object for a period with a
// fraction of a second and checks that the end Retention reads back is
// the end the site enforces: once it has passed, the object deletes.
// (Sent with its fraction, the lock read back a fraction early, and a
// delete right after it was refused.)
func TestS3ObjectLockReadBackAsEnforced(t *testing.T) {
	ctx := context.Background()
	u := testservers.S3Locked(t)
	st, err := storage.Open(ctx, []string{u}, storage.WithShards(2, 1))
	require.NoError(t, err)
	defer st.Close()
	const period = 2*time.Second + 700*time.Millisecond
	v, err := st.Locked(ctx, storage.ObjectLock{Mode: storage.LockGovernance, Period: period}, everything)
	require.NoError(t, err)
	for i := range 3 {
		// Three starts spread over a second: one of them sends a
		// fraction near the second's end.
		time.Sleep(time.Duration(i) * 330 * time.Millisecond)
		name := "packs/ab/short" + strconv.Itoa(i)
		require.NoError(t, v.Put(ctx, name, []byte("locked briefly")))
		r, err := v.Retention(ctx, name)
		require.NoError(t, err)
		require.True(t, r.LockedAt(time.Now()))
		time.Sleep(time.Until(r.Latest) + 20*time.Millisecond)
		require.False(t, r.LockedAt(time.Now()))
		require.NoError(t, v.Delete(ctx, name), "the lock read back ended at %v", r.Latest)
	}
}
