package table_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/tablegen"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/storage"
	"github.com/custodia-backup/custodia/table"
)

// allRecords restores every record of s.
func allRecords(t *testing.T, r *repo.Repository, s *repo.Snapshot) []classify.Record {
	t.Helper()
	var out []classify.Record
	for rec, err := range restore.Table(context.Background(), r, s) {
		require.NoError(t, err)
		out = append(out, rec)
	}
	return out
}

// TestCopyTableSnapshots copies a full and an incremental (key tokenized,
// a field encrypted) from a to b and on from b to c, three repositories
// with their own keys: every copy restores the same records, whole and
// by key, and the keys travel with the copies.
func TestCopyTableSnapshots(t *testing.T) {
	ctx := context.Background()
	a, _ := fixture.NewRepo(t, "")
	g := tablegen.Gen{Seed: 5}
	policy := backup.WithPolicy("fields:\n  \"customers.id\": tokenize\n  \"customers.resident_id\": encrypt\n")
	var snaps []*repo.Snapshot
	for v := 1; v <= 2; v++ {
		s, err := backup.Table(ctx, a, "customers", []string{"id"}, classify.Read(bytes.NewReader(g.CSV(3000, v)), classify.CSV), policy)
		require.NoError(t, err)
		snaps = append(snaps, s)
	}
	require.Equal(t, repo.TableIncremental, snaps[1].Table.Kind)

	b, bStore := fixture.NewRepo(t, "")
	_, err := repo.CopySnapshots(ctx, a, b, snaps, false)
	require.ErrorIs(t, err, repo.ErrUnsupported, "without the page layout")
	rep, err := repo.CopySnapshots(ctx, a, b, snaps, true, repo.WithTablePages(table.Pages{}))
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Copied)
	assert.Equal(t, 2, rep.Verified)

	c, _ := fixture.NewRepo(t, "")
	var bSnaps []*repo.Snapshot
	for _, s := range snaps {
		bs, err := b.LoadSnapshot(ctx, s.ID)
		require.NoError(t, err)
		bSnaps = append(bSnaps, bs)
	}
	rep, err = repo.CopySnapshots(ctx, b, c, bSnaps, true, repo.WithTablePages(table.Pages{}))
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Copied)

	key := g.Customer(42, 2)
	for i, s := range snaps {
		want := allRecords(t, a, s)
		require.Len(t, want, int(s.Table.Records))
		for _, r := range []*repo.Repository{b, c} {
			cs, err := r.LoadSnapshot(ctx, s.ID)
			require.NoError(t, err)
			require.NotNil(t, cs.Table.Keys, "the copy names the keys it brought")
			assert.NotEqual(t, s.Tree, cs.Tree)
			assert.Equal(t, want, allRecords(t, r, cs))
			if i == 1 {
				var got []classify.Record
				for rec, err := range restore.TableRecords(ctx, r, cs, [][]string{{"42"}}) {
					require.NoError(t, err)
					got = append(got, rec)
				}
				require.Len(t, got, 1)
				f, _ := got[0].Get("resident_id")
				assert.Equal(t, key.ResidentID, f.Value, "level 1 decrypted with the keys of a")
				f, _ = got[0].Get("id")
				assert.True(t, strings.HasPrefix(f.Value, "tok:"))
			}
		}
	}

	// Without its keys object, a copy cannot be read, and says why.
	var names []string
	for n, err := range bStore.List(ctx, "tablekeys/") {
		require.NoError(t, err)
		names = append(names, n)
	}
	require.Len(t, names, 1, "one keys object for every copy from a")
	require.NoError(t, bStore.Delete(ctx, names[0]))
	bs, err := b.LoadSnapshot(ctx, snaps[0].ID)
	require.NoError(t, err)
	var readErr error
	for _, err := range restore.Table(ctx, b, bs) {
		readErr = err
		break
	}
	require.ErrorIs(t, readErr, repo.ErrTableKeys)
	require.ErrorIs(t, readErr, storage.ErrNotFound)
}
