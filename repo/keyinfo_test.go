package repo_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/repo"
)

var cheapKey = repo.WithKeyArgon2(crypto.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1})

func TestKeyManagement(t *testing.T) {
	ctx := context.Background()
	r, st := newRepo(t, "")
	keys, err := r.Keys(ctx)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	first := keys[0]
	assert.Equal(t, repo.RoleFull, first.Role)
	assert.True(t, first.Current)
	assert.NotEmpty(t, first.Host)
	assert.False(t, first.Created.IsZero())

	second := []byte("a second, longer passphrase")
	info, err := r.AddKey(ctx, second, repo.RoleFull, repo.WithLabel("office safe"), cheapKey)
	require.NoError(t, err)
	assert.Equal(t, "office safe", info.Label)

	r2, err := repo.Open(ctx, st, second)
	require.NoError(t, err)
	keys, err = r2.Keys(ctx)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	for _, k := range keys {
		assert.Equal(t, k.ID == info.ID, k.Current, "current slot")
	}

	// The last slot that can read cannot be removed; a write-only slot
	// does not count.
	_, err = r2.AddKey(ctx, []byte("nightly backup machine"), repo.RoleWriteOnly, cheapKey)
	require.NoError(t, err)
	require.NoError(t, r2.RemoveKey(ctx, first.ID))
	err = r2.RemoveKey(ctx, info.ID)
	require.ErrorIs(t, err, repo.ErrLastKey)
	require.ErrorIs(t, r2.RemoveKey(ctx, "0123456789abcdef"), repo.ErrKeyNotFound)
	_, err = repo.Open(ctx, st, password)
	require.ErrorIs(t, err, repo.ErrWrongPassword, "the removed slot no longer opens")

	// passwd: the new password opens, the old one no longer does.
	third := []byte("the third passphrase of this test")
	n, err := r2.ChangePassword(ctx, third, cheapKey)
	require.NoError(t, err)
	assert.Equal(t, "office safe", n.Label, "the description is kept")
	_, err = repo.Open(ctx, st, second)
	require.ErrorIs(t, err, repo.ErrWrongPassword)
	r3, err := repo.Open(ctx, st, third)
	require.NoError(t, err)
	assert.False(t, r3.WriteOnly())
	keys, err = r3.Keys(ctx)
	require.NoError(t, err)
	roles := map[repo.KeyRole]int{}
	for _, k := range keys {
		roles[k.Role]++
	}
	assert.Equal(t, map[repo.KeyRole]int{repo.RoleFull: 1, repo.RoleWriteOnly: 1}, roles)
}
