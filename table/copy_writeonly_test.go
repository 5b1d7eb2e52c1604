package table_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/tablegen"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/table"
)

// A table snapshot a write-only key wrote (its own field key, wrapped)
// copies to another repository and reads the same there: the copy brings
// the unwrapped field key in its keys object.
func TestCopyWriteOnlyTableSnapshot(t *testing.T) {
	ctx := context.Background()
	a, aStore := fixture.NewRepo(t, "")
	pw := []byte("nightly")
	_, err := a.AddKey(ctx, pw, repo.RoleWriteOnly, repo.WithKeyArgon2(crypto.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}))
	require.NoError(t, err)
	wo, err := repo.Open(ctx, aStore, pw)
	require.NoError(t, err)
	g := tablegen.Gen{Seed: 21}
	_, err = backup.Table(ctx, wo, "customers", []string{"id"}, classify.Read(bytes.NewReader(g.CSV(800, 1)), classify.CSV))
	require.NoError(t, err)
	require.NoError(t, wo.Close(ctx))

	a, err = repo.Open(ctx, aStore, fixture.Password)
	require.NoError(t, err)
	s, err := table.Find(ctx, a, "customers", "latest")
	require.NoError(t, err)
	require.NotEmpty(t, s.Table.FieldKey)
	want := allRecords(t, a, s)
	require.Len(t, want, 800)
	f, _ := want[41].Get("resident_id")
	assert.Equal(t, g.Customer(42, 1).ResidentID, f.Value)

	b, _ := fixture.NewRepo(t, "")
	_, err = repo.CopySnapshots(ctx, a, b, []*repo.Snapshot{s}, true, repo.WithTablePages(table.Pages{}))
	require.NoError(t, err)
	cs, err := b.LoadSnapshot(ctx, s.ID)
	require.NoError(t, err)
	require.NotNil(t, cs.Table.Keys)
	assert.Equal(t, want, allRecords(t, b, cs))
}
