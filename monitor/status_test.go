package monitor_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/monitor"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/storage"
)

func backupStream(t *testing.T, r *repo.Repository, name string, opts ...backup.Option) *repo.Snapshot {
	t.Helper()
	res, err := backup.Stream(context.Background(), r, name, strings.NewReader("ledger "+name), opts...)
	require.NoError(t, err)
	return res.Snapshot
}

func at(t time.Time) monitor.Option { return monitor.WithClock(func() time.Time { return t }) }

func TestCheckFreshAndOverdue(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	daily := backupStream(t, r, "ledger.sql", backup.WithTags("daily"), backup.WithHost("db1"))
	backupStream(t, r, "invoices.sql", backup.WithTags("weekly"), backup.WithHost("db1"))

	rep, err := monitor.Check(ctx, r, at(daily.Time.Add(time.Hour)))
	require.NoError(t, err)
	require.Len(t, rep.Groups, 2)
	assert.Equal(t, "host db1, paths invoices.sql", rep.Groups[0].Group)
	assert.Equal(t, "host db1, paths ledger.sql", rep.Groups[1].Group)
	assert.Equal(t, daily.ID.String(), rep.Groups[1].Latest.ID)
	assert.InDelta(t, time.Hour, rep.Groups[1].Age, float64(time.Second))
	assert.True(t, rep.Healthy())
	require.Len(t, rep.Sites, 1)
	assert.True(t, rep.Sites[0].Reachable)

	// Two days later every group is overdue against the default 26 h.
	rep, err = monitor.Check(ctx, r, at(daily.Time.Add(48*time.Hour)))
	require.NoError(t, err)
	assert.False(t, rep.Healthy())
	assert.Len(t, rep.OverdueGroups(), 2)

	// A week's maximum age makes them fresh again.
	rep, err = monitor.Check(ctx, r, at(daily.Time.Add(48*time.Hour)), monitor.WithMaxAge(7*24*time.Hour))
	require.NoError(t, err)
	assert.True(t, rep.Healthy())
}

func TestCheckNamedGroups(t *testing.T) {
	ctx := context.Background()
	r, _ := fixture.NewRepo(t, "")
	first := backupStream(t, r, "a.sql", backup.WithTags("daily"))
	second := backupStream(t, r, "b.sql", backup.WithTags("daily", "critical"))
	require.False(t, second.Time.Before(first.Time))

	rep, err := monitor.Check(ctx, r, monitor.WithTag("daily"), monitor.WithTag("monthly"), at(second.Time.Add(time.Minute)))
	require.NoError(t, err)
	require.Len(t, rep.Groups, 2, "only the named groups")
	assert.Equal(t, "tag daily", rep.Groups[0].Group)
	assert.Equal(t, 2, rep.Groups[0].Snapshots)
	assert.Equal(t, second.ID.String(), rep.Groups[0].Latest.ID)
	assert.False(t, rep.Groups[0].Overdue)
	assert.Equal(t, "tag monthly", rep.Groups[1].Group)
	assert.Nil(t, rep.Groups[1].Latest)
	assert.True(t, rep.Groups[1].Overdue, "a tag never backed up is overdue")
	assert.Equal(t, []string{"tag monthly"}, rep.OverdueGroups())

	_, err = monitor.Check(ctx, r, monitor.WithMaxAge(-time.Hour))
	require.Error(t, err)
}

func TestCheckUnreachableSite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	st, err := storage.Open(ctx, []string{a, b}, storage.WithCreate(), storage.WithShards(2, 2))
	require.NoError(t, err)
	r, err := repo.Init(ctx, st, fixture.Password, fixture.FastArgon)
	require.NoError(t, err)
	s := backupStream(t, r, "ledger.sql")
	require.NoError(t, r.Close(ctx))
	require.NoError(t, st.Close())

	// Site b disappears; the repository still opens from site a's shards.
	missing := filepath.Join(dir, "gone")
	st, err = storage.Open(ctx, []string{a, missing}, storage.WithAllowUnreachable())
	require.NoError(t, err)
	defer st.Close()
	r, err = repo.Open(ctx, st, fixture.Password)
	require.NoError(t, err)
	defer r.Close(ctx)
	rep, err := monitor.Check(ctx, r, at(s.Time))
	require.NoError(t, err)
	assert.Empty(t, rep.OverdueGroups())
	assert.Equal(t, []string{"file://" + missing}, rep.UnreachableSites())
	assert.False(t, rep.Healthy())
}
