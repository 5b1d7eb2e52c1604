package repo_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/repo"
)

// TestFindLatest: "latest" under host, tag and path filters is the newest
// snapshot passing all of them, with restic's semantics (any host, any tag
// group whose tags are all present, every path).
func TestFindLatest(t *testing.T) {
	ctx := context.Background()
	r, _ := newRepo(t, "")
	tid, err := r.SaveTree(ctx, &repo.Tree{Nodes: []repo.Node{{Name: "a", Type: repo.NodeFile}}})
	require.NoError(t, err)
	save := func(day int, host string, tags []string, paths ...string) repo.ID {
		s := &repo.Snapshot{Kind: repo.KindFiles, Tree: tid, Host: host, Tags: tags, Paths: paths}
		s.Time = s.Time.AddDate(2025, 0, day)
		id, err := r.SaveSnapshot(ctx, s)
		require.NoError(t, err)
		return id
	}
	ledgerA := save(1, "a", []string{"daily", "ledger"}, "/srv/ledger")
	both := save(2, "a", []string{"daily"}, "/srv/ledger", "/srv/invoices")
	monthlyB := save(3, "b", []string{"monthly"}, "/srv/invoices")
	newest := save(4, "c", nil, "/srv/other")

	for _, tc := range []struct {
		name string
		f    repo.SnapshotFilter
		want repo.ID
	}{
		{"no filter", repo.SnapshotFilter{}, newest},
		{"host", repo.SnapshotFilter{Hosts: []string{"a"}}, both},
		{"any host", repo.SnapshotFilter{Hosts: []string{"a", "b"}}, monthlyB},
		{"tag", repo.SnapshotFilter{Tags: [][]string{{"daily"}}}, both},
		{"all tags of a group", repo.SnapshotFilter{Tags: [][]string{{"daily", "ledger"}}}, ledgerA},
		{"any group", repo.SnapshotFilter{Tags: [][]string{{"daily", "ledger"}, {"monthly"}}}, monthlyB},
		{"path", repo.SnapshotFilter{Paths: []string{"/srv/ledger"}}, both},
		{"every path", repo.SnapshotFilter{Paths: []string{"/srv/invoices", "/srv/ledger"}}, both},
		{"path and host", repo.SnapshotFilter{Paths: []string{"/srv/invoices"}, Hosts: []string{"b"}}, monthlyB},
	} {
		got, err := r.FindLatest(ctx, tc.f)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, got.ID, tc.name)
	}
	for _, f := range []repo.SnapshotFilter{
		{Hosts: []string{"nobody"}},
		{Tags: [][]string{{"weekly"}}},
		{Tags: [][]string{{"monthly", "ledger"}}},
		{Paths: []string{"/srv"}},
		{Hosts: []string{"b"}, Paths: []string{"/srv/ledger"}},
	} {
		_, err := r.FindLatest(ctx, f)
		require.ErrorIs(t, err, repo.ErrSnapshotNotFound, "%+v", f)
	}
}
