package repo_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/repo"
)

func TestDrillRecords(t *testing.T) {
	ctx := context.Background()
	r, st := fixture.NewRepo(t, "")
	base := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
	for i, d := range []repo.DrillRecord{
		{Time: base.Add(48 * time.Hour), Duration: 3 * time.Second, RTO: time.Minute, Passed: true, WithinRTO: true, Items: 2, Bytes: 10},
		{Time: base, Duration: 5 * time.Second, Passed: false, Items: 1, Failed: []string{"table invoices"}},
	} {
		id, err := r.SaveDrill(ctx, &d)
		require.NoError(t, err, i)
		require.False(t, id.IsZero())
	}
	got, bad, err := r.Drills(ctx)
	require.NoError(t, err)
	require.Empty(t, bad)
	require.Len(t, got, 2)
	assert.Equal(t, base, got[0].Time.UTC(), "oldest first")
	assert.Equal(t, []string{"table invoices"}, got[0].Failed)
	assert.Equal(t, 3*time.Second, got[1].Duration)

	// A record sealed under another key kind is damage, not history.
	names := []string{}
	for n, err := range st.List(ctx, "drills/") {
		require.NoError(t, err)
		names = append(names, n)
	}
	require.Len(t, names, 2)
	b, _, err := st.Get(ctx, names[0])
	require.NoError(t, err)
	b[len(b)-1] ^= 1
	require.NoError(t, st.Delete(ctx, names[0]))
	require.NoError(t, st.Put(ctx, names[0], b))
	got, bad, err = r.Drills(ctx)
	require.NoError(t, err)
	assert.Len(t, got, 1)
	assert.Len(t, bad, 1)
}
