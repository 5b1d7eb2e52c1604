package backup_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/custodia-backup/custodia/backup"
	"github.com/custodia-backup/custodia/classify"
	"github.com/custodia-backup/custodia/crypto"
	"github.com/custodia-backup/custodia/internal/fixture"
	"github.com/custodia-backup/custodia/internal/tablegen"
	"github.com/custodia-backup/custodia/repo"
	"github.com/custodia-backup/custodia/restore"
	"github.com/custodia-backup/custodia/table"
)

// A write-only key backs up a table: level-1 values encrypted under a
// field key only the full key can unwrap, tokens the same as a full key
// makes; a full key restores it and builds incrementals on it.
func TestTableWriteOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	full, st := fixture.NewRepo(t, dir)
	woPassword := []byte("the nightly table machine")
	_, err := full.AddKey(ctx, woPassword, repo.RoleWriteOnly, repo.WithKeyArgon2(crypto.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}))
	require.NoError(t, err)
	policy := backup.WithPolicy("fields:\n  \"customers.name\": tokenize\n  \"customers_full.name\": tokenize\n")
	g := tablegen.Gen{Seed: 12}
	v1, v2 := g.CSV(2000, 1), g.CSV(2000, 2)

	wo, err := repo.Open(ctx, st, woPassword)
	require.NoError(t, err)
	require.True(t, wo.WriteOnly())
	s1, err := backup.Table(ctx, wo, "customers", custKey, classify.Read(bytes.NewReader(v1), classify.CSV), policy)
	require.NoError(t, err)
	assert.Equal(t, repo.TableFull, s1.Table.Kind)
	assert.NotEmpty(t, s1.Table.FieldKey, "the field key, wrapped")
	_, err = backup.Table(ctx, wo, "customers", custKey, classify.Read(bytes.NewReader(v2), classify.CSV), backup.WithChangedRows(nil))
	assert.ErrorIs(t, err, repo.ErrWriteOnly, "changed rows need the previous snapshot")
	for _, err := range restore.Table(ctx, wo, s1) {
		assert.ErrorIs(t, err, repo.ErrWriteOnly, "the write-only key reads nothing back")
		break
	}
	require.NoError(t, wo.Close(ctx))

	// No level-1 value in any stored byte.
	var secrets [][]byte
	for rec, err := range classify.Read(bytes.NewReader(v1), classify.CSV) {
		require.NoError(t, err)
		for _, name := range []string{"resident_id", "bank_card"} {
			f, _ := rec.Get(name)
			secrets = append(secrets, []byte(f.Value))
		}
	}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		for _, sec := range secrets {
			require.False(t, bytes.Contains(b, sec), "level-1 value in plaintext in %s", p)
		}
		return nil
	}))

	// The full key reads it: level 1 decrypted, the tokens those a full key
	// makes of the same values.
	r, err := repo.Open(ctx, st, fixture.Password)
	require.NoError(t, err)
	got, err := table.Find(ctx, r, "customers", "latest")
	require.NoError(t, err)
	recs := readAll(t, restore.Table(ctx, r, got))
	want := readAll(t, restore.Table(ctx, r, backupCSV(t, r, "customers_full", v1, policy)))
	require.Len(t, recs, 2000)
	require.Equal(t, len(want), len(recs))
	src := records(t, v1)
	for i := range recs {
		for _, name := range []string{"id", "resident_id", "bank_card"} {
			a, _ := recs[i].Get(name)
			b, _ := src[i].Get(name)
			assert.Equal(t, b.Value, a.Value, "%s of record %d", name, i)
		}
		a, _ := recs[i].Get("name")
		b, _ := want[i].Get("name")
		assert.Equal(t, b.Value, a.Value, "token of record %d", i)
		assert.Contains(t, a.Value, "tok:")
	}

	// A full key's incremental builds on it and keeps its field key.
	s2, err := backup.Table(ctx, r, "customers", custKey, classify.Read(bytes.NewReader(v2), classify.CSV))
	require.NoError(t, err)
	assert.Equal(t, repo.TableIncremental, s2.Table.Kind)
	assert.Equal(t, s1.Table.FieldKey, s2.Table.FieldKey)
	assert.NotZero(t, s2.Table.Changes.Unchanged, "unchanged records encrypt the same")
	again := readAll(t, restore.Table(ctx, r, s2))
	src2 := records(t, v2)
	require.Len(t, again, len(src2))
	for i := range again {
		a, _ := again[i].Get("resident_id")
		b, _ := src2[i].Get("resident_id")
		assert.Equal(t, b.Value, a.Value)
	}
	rep, err := restore.VerifyTableSample(ctx, r, s2, classify.Read(bytes.NewReader(v2), classify.CSV), 50, nil)
	require.NoError(t, err)
	assert.True(t, rep.OK(), "%+v", rep)
}
