package repo_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
)

// WithAfterUnlock runs once when the password opens a slot, and not at
// all when it opens none.
func TestOpenAfterUnlock(t *testing.T) {
	ctx := context.Background()
	_, st := newRepo(t, t.TempDir())
	calls := 0
	hook := repo.WithAfterUnlock(func() { calls++ })

	_, err := repo.Open(ctx, st, []byte("wrong"), hook)
	require.ErrorIs(t, err, repo.ErrWrongPassword)
	assert.Zero(t, calls)

	_, err = repo.Open(ctx, st, password, hook)
	require.NoError(t, err)
	assert.Equal(t, 1, calls)
}

// WithBeforeUnlock runs once before the key derivation, whether the
// password then opens a slot or not, and before WithAfterUnlock.
func TestOpenBeforeUnlock(t *testing.T) {
	ctx := context.Background()
	_, st := newRepo(t, t.TempDir())
	var order []string
	before := repo.WithBeforeUnlock(func() { order = append(order, "before") })
	after := repo.WithAfterUnlock(func() { order = append(order, "after") })

	_, err := repo.Open(ctx, st, []byte("wrong"), before, after)
	require.ErrorIs(t, err, repo.ErrWrongPassword)
	assert.Equal(t, []string{"before"}, order)

	order = nil
	_, err = repo.Open(ctx, st, password, before, after)
	require.NoError(t, err)
	assert.Equal(t, []string{"before", "after"}, order)
}
