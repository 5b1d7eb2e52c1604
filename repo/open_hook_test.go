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
