package repo_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
)

// snapAt returns a snapshot of host h at time ts (RFC 3339), with an ID
// whose first byte is n so that ties order predictably.
func snapAt(t *testing.T, n byte, ts string, tags ...string) *repo.Snapshot {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, ts)
	require.NoError(t, err)
	return &repo.Snapshot{ID: repo.ID{n}, Time: tm, Host: "h", Paths: []string{"/data"}, Kind: repo.KindFiles, Tags: tags}
}

// kept returns the first ID bytes of the kept snapshots, newest first.
func kept(t *testing.T, plan *repo.ForgetPlan) []byte {
	t.Helper()
	var out []byte
	for _, g := range plan.Groups {
		for _, d := range g.Keep {
			out = append(out, d.Snapshot.ID[0])
		}
	}
	return out
}

// series is a table of snapshot times spanning hours, days, ISO weeks,
// months and years (all UTC); the ID byte grows with time.
func series(t *testing.T) []*repo.Snapshot {
	times := []string{
		"2023-12-31T23:00:00Z", // 1: last of 2023 (ISO week 52 of 2023)
		"2024-01-01T10:00:00Z", // 2: ISO week 1 of 2024
		"2024-06-15T08:00:00Z", // 3
		"2024-06-30T08:00:00Z", // 4: last of June 2024
		"2025-01-06T09:00:00Z", // 5: Monday, week 2
		"2025-01-07T09:00:00Z", // 6: same week
		"2025-01-12T09:00:00Z", // 7: Sunday, same ISO week as 5 and 6
		"2025-01-13T09:00:00Z", // 8: next week
		"2025-01-13T10:15:00Z", // 9: same day, next hour
		"2025-01-13T10:45:00Z", // 10: same hour
	}
	var s []*repo.Snapshot
	for i, ts := range times {
		s = append(s, snapAt(t, byte(i+1), ts))
	}
	return s
}

func TestApplyForgetRules(t *testing.T) {
	utc := time.UTC
	cases := []struct {
		name   string
		policy repo.KeepPolicy
		want   []byte // kept, newest first
	}{
		{"last 3", repo.KeepPolicy{Last: 3}, []byte{10, 9, 8}},
		{"last all", repo.KeepPolicy{Last: -1}, []byte{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"hourly 3", repo.KeepPolicy{Hourly: 3}, []byte{10, 8, 7}},
		{"daily 3", repo.KeepPolicy{Daily: 3}, []byte{10, 7, 6}},
		{"daily all", repo.KeepPolicy{Daily: -1}, []byte{10, 7, 6, 5, 4, 3, 2, 1}},
		{"weekly 2", repo.KeepPolicy{Weekly: 2}, []byte{10, 7}},
		{"weekly 4", repo.KeepPolicy{Weekly: 4}, []byte{10, 7, 4, 3}},
		{"monthly 3", repo.KeepPolicy{Monthly: 3}, []byte{10, 4, 2}},
		{"yearly 5", repo.KeepPolicy{Yearly: 5}, []byte{10, 4, 1}},
		{"within 7d of newest", repo.KeepPolicy{Within: repo.Span{Days: 7}}, []byte{10, 9, 8, 7, 6}},
		{"within 1y", repo.KeepPolicy{Within: repo.Span{Years: 1}}, []byte{10, 9, 8, 7, 6, 5, 4, 3}},
		{"combined", repo.KeepPolicy{Last: 1, Daily: 2, Yearly: 2}, []byte{10, 7, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.policy.Location = utc
			plan, err := repo.ApplyForget(series(t), repo.ForgetOptions{Policy: c.policy})
			require.NoError(t, err)
			assert.Equal(t, c.want, kept(t, plan))
			require.Len(t, plan.Groups, 1)
			assert.Equal(t, 10, len(plan.Groups[0].Keep)+len(plan.Groups[0].Remove))
		})
	}
}

func TestApplyForgetReasons(t *testing.T) {
	plan, err := repo.ApplyForget(series(t), repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 1, Daily: 2, Location: time.UTC}})
	require.NoError(t, err)
	g := plan.Groups[0]
	assert.Equal(t, []string{"last snapshot", "daily snapshot"}, g.Keep[0].Reasons)
	assert.Equal(t, []string{"daily snapshot"}, g.Keep[1].Reasons)
	assert.Empty(t, g.Remove[0].Reasons)
}

func TestApplyForgetTies(t *testing.T) {
	// Two snapshots at the same instant: the higher ID counts as newer, so
	// keep-last 1 keeps it and the daily bucket is filled by it.
	a := snapAt(t, 1, "2025-03-01T12:00:00Z")
	b := snapAt(t, 2, "2025-03-01T12:00:00Z")
	c := snapAt(t, 3, "2025-02-28T12:00:00Z")
	for _, order := range [][]*repo.Snapshot{{a, b, c}, {c, b, a}, {b, c, a}} {
		plan, err := repo.ApplyForget(order, repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 1, Location: time.UTC}})
		require.NoError(t, err)
		assert.Equal(t, []byte{2}, kept(t, plan))
		plan, err = repo.ApplyForget(order, repo.ForgetOptions{Policy: repo.KeepPolicy{Daily: 2, Location: time.UTC}})
		require.NoError(t, err)
		assert.Equal(t, []byte{2, 3}, kept(t, plan))
	}
}

func TestApplyForgetTimeZones(t *testing.T) {
	// Shanghai is UTC+8, New York UTC-5 in winter: the same instants fall
	// on other days and years.
	s := []*repo.Snapshot{
		snapAt(t, 1, "2024-12-31T15:00:00Z"), // Shanghai 2024-12-31 23:00; New York 10:00
		snapAt(t, 2, "2024-12-31T17:00:00Z"), // Shanghai 2025-01-01 01:00; New York 2024-12-31 12:00
		snapAt(t, 3, "2025-01-01T10:00:00Z"), // Shanghai 2025-01-01 18:00; New York 05:00
		snapAt(t, 4, "2025-01-01T20:00:00Z"), // Shanghai 2025-01-02 04:00; New York 2025-01-01 15:00
	}
	sh, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	cases := []struct {
		loc    *time.Location
		policy repo.KeepPolicy
		want   []byte
	}{
		{time.UTC, repo.KeepPolicy{Daily: 10}, []byte{4, 2}},
		{sh, repo.KeepPolicy{Daily: 10}, []byte{4, 3, 1}},
		{ny, repo.KeepPolicy{Daily: 10}, []byte{4, 2}},
		{time.UTC, repo.KeepPolicy{Yearly: 10}, []byte{4, 2}},
		{sh, repo.KeepPolicy{Yearly: 10}, []byte{4, 1}},
		{ny, repo.KeepPolicy{Yearly: 10}, []byte{4, 2}},
		{time.UTC, repo.KeepPolicy{Hourly: 10}, []byte{4, 3, 2, 1}},
	}
	for _, c := range cases {
		c.policy.Location = c.loc
		plan, err := repo.ApplyForget(s, repo.ForgetOptions{Policy: c.policy})
		require.NoError(t, err)
		assert.Equal(t, c.want, kept(t, plan), "%s %+v", c.loc, c.policy)
	}
	// Snapshot times parsed with another offset bucket the same.
	shifted := slices.Clone(s)
	for i, x := range shifted {
		y := *x
		y.Time = x.Time.In(time.FixedZone("X", -11*3600))
		shifted[i] = &y
	}
	plan, err := repo.ApplyForget(shifted, repo.ForgetOptions{Policy: repo.KeepPolicy{Daily: 10, Location: sh}})
	require.NoError(t, err)
	assert.Equal(t, []byte{4, 3, 1}, kept(t, plan))
}

func TestApplyForgetTagsAndFilters(t *testing.T) {
	s := []*repo.Snapshot{
		snapAt(t, 1, "2025-01-01T00:00:00Z", "monthly", "audit"),
		snapAt(t, 2, "2025-01-02T00:00:00Z", "monthly"),
		snapAt(t, 3, "2025-01-03T00:00:00Z"),
		snapAt(t, 4, "2025-01-04T00:00:00Z"),
	}
	other := snapAt(t, 5, "2025-01-01T00:00:00Z")
	other.Host = "other"
	all := append(slices.Clone(s), other)

	plan, err := repo.ApplyForget(all, repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 1, Tags: []string{"monthly,audit"}}})
	require.NoError(t, err)
	require.Len(t, plan.Groups, 2, "grouped by host and paths")
	assert.Equal(t, []byte{4, 1, 5}, kept(t, plan))
	assert.Equal(t, []string{"has tags monthly,audit"}, plan.Groups[0].Keep[1].Reasons)

	plan, err = repo.ApplyForget(all, repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 1}, Hosts: []string{"h"}})
	require.NoError(t, err)
	require.Len(t, plan.Groups, 1, "the other host is not selected")
	assert.Equal(t, []byte{4}, kept(t, plan))
	assert.Len(t, plan.Remove(), 3)

	plan, err = repo.ApplyForget(all, repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 1}, Tags: []string{"monthly"}})
	require.NoError(t, err)
	assert.Equal(t, []byte{2}, kept(t, plan), "only tagged snapshots are considered")
	assert.Equal(t, byte(1), plan.Remove()[0].ID[0])
}

func TestApplyForgetRefusals(t *testing.T) {
	_, err := repo.ApplyForget(series(t), repo.ForgetOptions{})
	require.ErrorIs(t, err, repo.ErrBadPolicy)
	_, err = repo.ApplyForget(series(t), repo.ForgetOptions{Policy: repo.KeepPolicy{Last: -2}})
	require.ErrorIs(t, err, repo.ErrBadPolicy)
}

func TestApplyForgetFloors(t *testing.T) {
	s := []*repo.Snapshot{
		snapAt(t, 1, "2000-01-01T00:00:00Z", "invoice"), // 25 years old at now
		snapAt(t, 2, "2016-01-01T00:00:00Z", "invoice"), // 9 years old
		snapAt(t, 3, "2016-06-01T00:00:00Z", "daily"),
		snapAt(t, 4, "2025-01-01T00:00:00Z"),
	}
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	floors := []repo.RetentionFloor{{Tag: "invoice", Min: repo.Span{Years: 10}}}
	plan, err := repo.ApplyForget(s, repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 1}, Floors: floors, Now: now})
	require.NoError(t, err)
	assert.Equal(t, []byte{4, 2}, kept(t, plan))
	d := plan.Groups[0].Keep[1]
	require.NotNil(t, d.Floor, "the floor, not a rule, kept it")
	assert.Equal(t, "invoice", d.Floor.Tag)
	assert.Contains(t, strings.Join(d.Reasons, ";"), "retention floor: tag invoice kept 10y")

	// A snapshot kept by a rule and a floor names both, but no floor as
	// the one that held it.
	plan, err = repo.ApplyForget(s, repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 3}, Floors: floors, Now: now})
	require.NoError(t, err)
	assert.Nil(t, plan.Groups[0].Keep[2].Floor)
	assert.Len(t, plan.Groups[0].Keep[2].Reasons, 2)

	// Property: whatever the rules, no snapshot a floor holds is removed.
	policies := []repo.KeepPolicy{{Last: 1}, {Daily: 1}, {Yearly: 1}, {Within: repo.Span{Hours: 1}}, {Tags: []string{"x"}}}
	for _, p := range policies {
		plan, err := repo.ApplyForget(s, repo.ForgetOptions{Policy: p, Floors: floors, Now: now})
		require.NoError(t, err)
		for _, r := range plan.Remove() {
			assert.False(t, floors[0].Holds(r, now), "%+v removed %x", p, r.ID[0])
		}
	}
}

func TestParseSpan(t *testing.T) {
	good := map[string]repo.Span{
		"30y":        {Years: 30},
		"1y6m":       {Years: 1, Months: 6},
		"2w":         {Days: 14},
		"1y2m3w4d5h": {Years: 1, Months: 2, Days: 25, Hours: 5},
		"36h":        {Hours: 36},
	}
	for s, want := range good {
		got, err := repo.ParseSpan(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"", "y", "10", "10x", "1m1y", "1y1y", "-1d", "1.5y", "99999999999d"} {
		_, err := repo.ParseSpan(s)
		require.ErrorIs(t, err, repo.ErrBadPolicy, s)
	}
	sp, _ := repo.ParseSpan("1y2w")
	assert.Equal(t, "1y14d", sp.String())
	leap := time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)
	assert.Equal(t, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), repo.Span{Years: 1}.AddTo(leap))
}

func TestForgetRepository(t *testing.T) {
	ctx := context.Background()
	r, _ := newRepo(t, "")
	tree, err := r.SaveTree(ctx, &repo.Tree{})
	require.NoError(t, err)
	base := time.Now().Add(-48 * time.Hour).UTC()
	var ids []repo.ID
	for i := range 4 {
		tags := []string{}
		if i == 0 {
			tags = append(tags, "ledger")
		}
		id, err := r.SaveSnapshot(ctx, &repo.Snapshot{Time: base.Add(time.Duration(i) * time.Hour), Host: "h", Paths: []string{"/a"}, Kind: repo.KindFiles, Tree: tree, Tags: tags})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	_, err = r.SetRetentionFloor(ctx, "ledger", "", repo.Span{Years: 10})
	require.NoError(t, err)

	plan, warns, err := r.PlanForget(ctx, repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 1}})
	require.NoError(t, err)
	assert.Empty(t, warns)
	require.Len(t, plan.Remove(), 2)
	removed, err := r.Forget(ctx, plan)
	require.NoError(t, err)
	assert.Len(t, removed, 2)
	left, err := r.SnapshotIDs(ctx)
	require.NoError(t, err)
	assert.ElementsMatch(t, []repo.ID{ids[0], ids[3]}, left, "the floor kept the first, the rule the last")

	// A floor set between planning and forgetting is honoured.
	plan, _, err = r.PlanForget(ctx, repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 1}})
	require.NoError(t, err)
	require.Len(t, plan.Remove(), 0)
	_, err = r.RemoveRetentionFloor(ctx, "ledger", "")
	require.NoError(t, err)
	plan, _, err = r.PlanForget(ctx, repo.ForgetOptions{Policy: repo.KeepPolicy{Last: 1}})
	require.NoError(t, err)
	require.Len(t, plan.Remove(), 1)
	_, err = r.SetRetentionFloor(ctx, "ledger", "", repo.Span{Days: 30})
	require.NoError(t, err)
	removed, err = r.Forget(ctx, plan)
	require.ErrorIs(t, err, repo.ErrFloorHolds)
	assert.Empty(t, removed)
	left, err = r.SnapshotIDs(ctx)
	require.NoError(t, err)
	assert.Len(t, left, 2)
}

func TestRetentionFloors(t *testing.T) {
	ctx := context.Background()
	r, st := newRepo(t, "")
	_, err := r.SetRetentionFloor(ctx, "", "", repo.Span{Years: 1})
	require.ErrorIs(t, err, repo.ErrBadPolicy)
	_, err = r.SetRetentionFloor(ctx, "a", "t", repo.Span{Years: 1})
	require.ErrorIs(t, err, repo.ErrBadPolicy)
	_, err = r.SetRetentionFloor(ctx, "a", "", repo.Span{})
	require.ErrorIs(t, err, repo.ErrBadPolicy)

	ch, err := r.SetRetentionFloor(ctx, "invoice", "", repo.Span{Years: 10})
	require.NoError(t, err)
	assert.False(t, ch.Weakened)
	_, err = r.SetRetentionFloor(ctx, "", "customers", repo.Span{Years: 30})
	require.NoError(t, err)
	ch, err = r.SetRetentionFloor(ctx, "invoice", "", repo.Span{Years: 15})
	require.NoError(t, err)
	assert.False(t, ch.Weakened, "lengthening")
	require.Len(t, ch.Old, 1)
	ch, err = r.SetRetentionFloor(ctx, "invoice", "", repo.Span{Years: 5})
	require.NoError(t, err)
	assert.True(t, ch.Weakened, "shortening")

	// Reopened, the floors are read back from the repository.
	r2, err := repo.Open(ctx, st, password)
	require.NoError(t, err)
	floors, err := r2.RetentionFloors(ctx)
	require.NoError(t, err)
	require.Len(t, floors, 2)
	assert.Equal(t, "table customers", floors[0].Subject())
	assert.Equal(t, repo.Span{Years: 30}, floors[0].Min)
	assert.Equal(t, "tag invoice", floors[1].Subject())
	assert.Equal(t, repo.Span{Years: 5}, floors[1].Min)

	_, err = r2.RemoveRetentionFloor(ctx, "nope", "")
	require.ErrorIs(t, err, repo.ErrFloorNotFound)
	ch, err = r2.RemoveRetentionFloor(ctx, "invoice", "")
	require.NoError(t, err)
	assert.True(t, ch.Weakened)
	floors, err = r2.RetentionFloors(ctx)
	require.NoError(t, err)
	require.Len(t, floors, 1)

	// A damaged floor is an error, never silently ignored.
	require.NoError(t, st.Put(ctx, "retention/"+strings.Repeat("ab", 32), []byte("CRTN\x01garbage garbage garbage garbage garbage garbage garbage garbage")))
	_, err = r2.RetentionFloors(ctx)
	require.ErrorIs(t, err, repo.ErrMalformed)
}

func TestAppendOnly(t *testing.T) {
	ctx := context.Background()
	r, _ := newRepo(t, "")
	_, err := r.SetRetentionFloor(ctx, "invoice", "", repo.Span{Years: 10})
	require.NoError(t, err)
	on, err := r.AppendOnly(ctx)
	require.NoError(t, err)
	assert.False(t, on)
	require.NoError(t, r.SetAppendOnly(ctx))
	require.NoError(t, r.SetAppendOnly(ctx), "idempotent")
	on, err = r.AppendOnly(ctx)
	require.NoError(t, err)
	assert.True(t, on)

	_, err = r.Forget(ctx, &repo.ForgetPlan{})
	require.ErrorIs(t, err, repo.ErrAppendOnly)
	_, err = r.RemoveRetentionFloor(ctx, "invoice", "")
	require.ErrorIs(t, err, repo.ErrAppendOnly)
	_, err = r.SetRetentionFloor(ctx, "invoice", "", repo.Span{Years: 1})
	require.ErrorIs(t, err, repo.ErrAppendOnly)
	_, err = r.SetRetentionFloor(ctx, "invoice", "", repo.Span{Years: 20})
	require.NoError(t, err, "lengthening a floor is allowed")
}
