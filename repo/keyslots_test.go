package repo_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

// plantSlot stores a key slot with the given Argon2id parameters and a
// random sealed part, without ever running Argon2id: what a hostile site
// can write.
func plantSlot(t *testing.T, st *storage.Store, name string, p crypto.Argon2Params) {
	t.Helper()
	s := crypto.PasswordSlot{Params: p, Sealed: make([]byte, crypto.Overhead+37)}
	_, _ = rand.Read(s.Salt[:])
	_, _ = rand.Read(s.Sealed)
	b, err := s.MarshalBinary()
	require.NoError(t, err)
	require.NoError(t, st.Put(context.Background(), name, b))
}

// allocated returns how many bytes fn allocated.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileSlotBounded: a planted slot asking for the most Argon2id cost
// the format allows (100 passes over 4 GiB) is never run, whether the
// password is right or wrong.
func TestHostileSlotBounded(t *testing.T) {
	ctx := context.Background()
	_, st := newRepo(t, "")
	plantSlot(t, st, "keys/0000000000000000", crypto.Argon2Params{Time: 100, MemoryKiB: 4 << 20, Threads: 1})

	var err error
	n := allocated(func() {
		var r *repo.Repository
		r, err = repo.Open(ctx, st, password)
		if err == nil {
			err = r.Close(ctx)
		}
	})
	require.NoError(t, err)
	assert.Less(t, n, uint64(64<<20), "opening allocated %d bytes", n)

	n = allocated(func() { _, err = repo.Open(ctx, st, []byte("not the password")) })
	assert.Less(t, n, uint64(64<<20), "a failed open allocated %d bytes", n)
	require.ErrorIs(t, err, repo.ErrSlotLimit)
	assert.NotErrorIs(t, err, repo.ErrWrongPassword, "a slot that was not tried is no proof of a wrong password")
	assert.Contains(t, err.Error(), "keys/0000000000000000")
}

// TestCheapSlotsFirst: a costly slot within the limits is not run while a
// cheaper slot opens with the password, even when its name sorts first.
func TestCheapSlotsFirst(t *testing.T) {
	ctx := context.Background()
	_, st := newRepo(t, "")
	plantSlot(t, st, "keys/0000000000000000", crypto.Argon2Params{Time: 1, MemoryKiB: 128 << 10, Threads: 1})
	var err error
	n := allocated(func() { _, err = repo.Open(ctx, st, password) })
	require.NoError(t, err)
	assert.Less(t, n, uint64(100<<20), "the 128 MiB slot was run: %d bytes allocated", n)
}

// TestSlotTotalWork: many planted slots within the per-slot limit cost at
// most the total work of one open.
func TestSlotTotalWork(t *testing.T) {
	ctx := context.Background()
	_, st := newRepo(t, "")
	for _, name := range []string{"keys/1000000000000000", "keys/2000000000000000", "keys/3000000000000000", "keys/4000000000000000"} {
		plantSlot(t, st, name, crypto.Argon2Params{Time: 1, MemoryKiB: 1 << 10, Threads: 1})
	}
	limits := repo.SlotLimits{MaxMemoryKiB: 1 << 10, MaxWork: 1 << 10, MaxTotalWork: 2 << 10}
	_, err := repo.Open(ctx, st, []byte("wrong"), repo.WithSlotLimits(limits))
	require.ErrorIs(t, err, repo.ErrSlotLimit)
	assert.Contains(t, err.Error(), "used all the Argon2id work")
	// The real slot is the cheapest, so the right password still opens.
	r, err := repo.Open(ctx, st, password, repo.WithSlotLimits(limits))
	require.NoError(t, err)
	require.NoError(t, r.Close(ctx))
}

// TestForeignSlotPassedOver: a slot copied from another repository with
// the same password opens but does not authenticate this config; Open
// goes on to the repository's own slot.
func TestForeignSlotPassedOver(t *testing.T) {
	ctx := context.Background()
	a, stA := newRepo(t, "")
	_, stB := newRepo(t, "")
	var own string
	for name, err := range stA.List(ctx, "keys/") {
		require.NoError(t, err)
		own = name
	}
	for name, err := range stB.List(ctx, "keys/") {
		require.NoError(t, err)
		b, _, err := stB.Get(ctx, name)
		require.NoError(t, err)
		require.NoError(t, stA.Put(ctx, "keys/0000000000000000", b))
	}
	r, err := repo.Open(ctx, stA, password)
	require.NoError(t, err)
	assert.Equal(t, a.Config().ID, r.Config().ID)

	// With only the foreign slot left, the error says what happened.
	require.NoError(t, stA.Delete(ctx, own))
	_, err = repo.Open(ctx, stA, password)
	require.Error(t, err)
	assert.NotErrorIs(t, err, repo.ErrWrongPassword)
	assert.ErrorIs(t, err, repo.ErrMalformed)
	assert.Contains(t, err.Error(), "copied from another repository")
}

// TestUnsupportedSlotVersion: a slot of a newer version is reported as
// unsupported, never as a wrong password, and does not stop the others.
func TestUnsupportedSlotVersion(t *testing.T) {
	ctx := context.Background()
	_, st := newRepo(t, "")
	s := crypto.PasswordSlot{Params: crypto.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}, Sealed: make([]byte, crypto.Overhead+37)}
	b, err := s.MarshalBinary()
	require.NoError(t, err)
	b[8] = 2 // version
	require.NoError(t, st.Put(ctx, "keys/0000000000000000", b))

	r, err := repo.Open(ctx, st, password)
	require.NoError(t, err)
	require.NoError(t, r.Close(ctx))

	_, err = repo.Open(ctx, st, []byte("wrong"))
	require.ErrorIs(t, err, repo.ErrUnsupported)
	assert.NotErrorIs(t, err, repo.ErrWrongPassword)
	assert.NotErrorIs(t, err, repo.ErrMalformed)
}

// TestDamagedSlotNotWrongPassword: a slot whose shards are lost, or whose
// bytes are not a slot, is reported as damage.
func TestDamagedSlotNotWrongPassword(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	_, st := newRepo(t, dir)
	require.NoError(t, st.Put(ctx, "keys/1111111111111111", []byte("not a key slot")))

	r, err := repo.Open(ctx, st, password)
	require.NoError(t, err, "a damaged slot must not stop the others")
	require.NoError(t, r.Close(ctx))
	_, err = repo.Open(ctx, st, []byte("wrong"))
	require.ErrorIs(t, err, repo.ErrMalformed)
	assert.NotErrorIs(t, err, repo.ErrWrongPassword)

	// Lose three of the six shards of the only real slot.
	require.NoError(t, st.Delete(ctx, "keys/1111111111111111"))
	matches, err := filepath.Glob(filepath.Join(dir, "keys", "*"))
	require.NoError(t, err)
	require.Len(t, matches, 6)
	for _, m := range matches[:3] {
		require.NoError(t, os.Remove(m))
	}
	_, err = repo.Open(ctx, st, password)
	require.ErrorIs(t, err, repo.ErrMalformed)
	assert.NotErrorIs(t, err, repo.ErrWrongPassword)
}

// TestInitRefusesCostlySlots: Init does not write a slot that Open would
// skip.
func TestInitRefusesCostlySlots(t *testing.T) {
	st := newStore(t, "")
	_, err := repo.Init(context.Background(), st, password, repo.WithArgon2(crypto.Argon2Params{Time: 4, MemoryKiB: 256 << 10, Threads: 4}))
	require.ErrorIs(t, err, repo.ErrSlotLimit)
}
